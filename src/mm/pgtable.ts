/**
 * Page-table entry bit operations, named as the kernel's (include/linux/pgtable.h and x86's
 * asm/pgtable.h). They act on an entry's raw PTE_* bits (vm.ts); a PMD entry has the same
 * encoding, so each pmd_* operation is its pte_* twin. Reading the bits an access may have
 * set since they were last read goes through access.ts (ptep_get, the test-and-clear
 * operations); these functions only transform a value.
 */
import { PTE_DIRTY, PTE_PRESENT, PTE_PROTNONE, PTE_SOFT_DIRTY, PTE_YOUNG } from "./vm.js";

/** pte_present(): a mapped page, PROT_NONE ones included (as on x86). */
export const ptePresent = (pte: number): boolean => (pte & PTE_PRESENT) !== 0;
/** pte_young(): the accessed bit. */
export const pteYoung = (pte: number): boolean => (pte & PTE_YOUNG) !== 0;
export const pteMkyoung = (pte: number): number => pte | PTE_YOUNG;
export const pteMkold = (pte: number): number => pte & ~PTE_YOUNG;
/** pte_dirty(): the dirty bit. */
export const pteDirty = (pte: number): boolean => (pte & PTE_DIRTY) !== 0;
/** pte_mkdirty(): x86 sets soft-dirty with it. */
export const pteMkdirty = (pte: number): number => pte | PTE_DIRTY | PTE_SOFT_DIRTY;
export const pteMkclean = (pte: number): number => pte & ~PTE_DIRTY;
/** pte_protnone(): present but inaccessible, for NUMA hinting faults. */
export const pteProtnone = (pte: number): boolean =>
  (pte & (PTE_PRESENT | PTE_PROTNONE)) === (PTE_PRESENT | PTE_PROTNONE);
/** pte_modify(pte, PAGE_NONE) as change_prot_numa() does it: accessed and dirty are kept. */
export const pteMkprotnone = (pte: number): number => pte | PTE_PROTNONE;
/** pte_modify(pte, vma->vm_page_prot): the entry accessible again. */
export const pteMkaccessible = (pte: number): number => pte & ~PTE_PROTNONE;

export const pmdYoung = pteYoung;
export const pmdMkold = pteMkold;
export const pmdDirty = pteDirty;
export const pmdMkclean = pteMkclean;
export const pmdProtnone = pteProtnone;
export const pmdMkprotnone = pteMkprotnone;

/**
 * Accessed (young) and dirty bits, set by accesses in aggregate, and the kernel's operations
 * that read them: ptep_get(), ptep_test_and_clear_young() and the PMD twins,
 * folio_referenced(), folio_mkclean() and folio_mark_dirty().
 *
 * No access is an event. An mm whose pages are in use has an access model (MmStruct.access)
 * that gives the accesses and writes its users are expected to make to some pages over an
 * interval of time. An entry's bits are brought up to date lazily, when something reads them:
 * with m expected accesses and w expected writes since the entry was last brought up to date
 * (accesses being a Poisson process), it became young with probability 1 - e^-m and dirty with
 * probability 1 - e^-w. One uniform draw u decides both (young if u < 1 - e^-m, dirty if
 * u < 1 - e^-w, and w <= m), so a write always sets the accessed bit too, as the hardware does.
 * The draw is a hash of (seed, mm, page, time): the same whatever order the scanners read in.
 * The cost is paid per entry read; the memory is one time per entry, in the PTE tables that
 * exist (vm.ts: PteTable.accessNs, HugePmd.accessNs).
 *
 * A PROT_NONE (NUMA hinting) entry takes no accesses: its first access is a hint fault
 * (numa-hint.ts), whose handler makes it accessible and young. An unmap (a migration entry)
 * keeps the slot's time, so the accesses of the window around a migration are folded in at
 * the next read of the restored entry: the access that waited in migration_entry_wait() sets
 * the new entry's bit, as it does in the kernel.
 */
import { hashUniform } from "../sim/rng.js";
import { type Folio, PAGE_SIZE, PG } from "./folio.js";
import {
  pmdDirty,
  pmdMkclean,
  pmdMkold,
  pmdYoung,
  pteDirty,
  pteMkclean,
  pteMkold,
  pteYoung,
} from "./pgtable.js";
import {
  accessTimes,
  anonVmaOf,
  HugePmd,
  type MmStruct,
  PTE_DIRTY,
  PTE_PRESENT,
  PTE_PROTNONE,
  PTE_YOUNG,
  PTRS_PER_PTE,
  type PteTable,
  pmdIndex,
  pteIndex,
  VM_LOCKED,
  type Vma,
  walkFolioMappings,
} from "./vm.js";

/** Expected accesses and writes to some pages over an interval. */
export interface AccessMass {
  accesses: number;
  writes: number;
}

/** What an mm's users do to its pages (the applications' threads, workload/app/). */
export interface MmAccessModel {
  /** Virtual time now, ns. */
  now(): number;
  /** Seeds the draws of the bits. */
  readonly seed: number;
  /** Expected accesses and writes to the pages [addr, addr + nrPages * PAGE_SIZE) in (fromNs, toNs]. */
  expected(addr: number, nrPages: number, fromNs: number, toNs: number, out: AccessMass): void;
  /**
   * change_prot_numa() made the entries of `folio` at [addr, addr + nrPages pages) of `vma`
   * PROT_NONE: the first access to them is a hint fault (numa-hint.ts).
   */
  armHintFault(vma: Vma, addr: number, folio: Folio, nrPages: number, pmd: boolean): void;
  /**
   * The mm's thread on `cpu` runs `ns` of kernel work in its own context from now (task_work:
   * task_numa_work()'s scan), making no access meanwhile.
   */
  taskWork?(cpu: number, ns: number): void;
}

const mass: AccessMass = { accesses: 0, writes: 0 };

/**
 * The entry's bits `flags`, last brought up to date at `sinceNs`, with the accesses made to
 * [addr, +nrPages) since then folded in (at `nowNs`).
 */
function foldAccesses(
  mm: MmStruct,
  flags: number,
  addr: number,
  nrPages: number,
  sinceNs: number,
  nowNs: number,
): number {
  const model = mm.access;
  if (model === null || nowNs <= sinceNs) return flags;
  if ((flags & (PTE_PRESENT | PTE_PROTNONE)) !== PTE_PRESENT) return flags;
  if ((flags & (PTE_YOUNG | PTE_DIRTY)) === (PTE_YOUNG | PTE_DIRTY)) return flags;
  model.expected(addr, nrPages, sinceNs, nowNs, mass);
  if (!(mass.accesses > 0)) return flags;
  const u = hashUniform(model.seed, mm.id, addr / PAGE_SIZE, nowNs);
  if (u < -Math.expm1(-mass.accesses)) flags |= PTE_YOUNG;
  if (u < -Math.expm1(-mass.writes)) flags |= PTE_DIRTY;
  return flags;
}

/** The PTE table mapping addr; throws if a huge PMD or nothing maps that range. */
function pteTableAt(mm: MmStruct, addr: number): PteTable {
  const slot = mm.pmds.get(pmdIndex(addr));
  if (slot === undefined || slot instanceof HugePmd) {
    throw new Error(`no PTE table maps 0x${addr.toString(16)} in mm ${mm.id}`);
  }
  return slot;
}

function hugePmdAt(mm: MmStruct, addr: number): HugePmd {
  const slot = mm.pmds.get(pmdIndex(addr));
  if (!(slot instanceof HugePmd)) {
    throw new Error(`no huge PMD maps 0x${addr.toString(16)} in mm ${mm.id}`);
  }
  return slot;
}

/** Bring the PTE at index k of t (mapping addr) up to date; returns its bits. */
function refreshPte(mm: MmStruct, t: PteTable, k: number, addr: number): number {
  const model = mm.access;
  if (model === null) return t.flags[k];
  const times = accessTimes(t);
  const now = model.now();
  const f = foldAccesses(mm, t.flags[k], addr, 1, times[k], now);
  t.flags[k] = f;
  times[k] = now;
  return f;
}

function refreshPmd(mm: MmStruct, huge: HugePmd, addr: number): number {
  const model = mm.access;
  if (model === null) return huge.flags;
  const now = model.now();
  const start = pmdIndex(addr) * PTRS_PER_PTE * PAGE_SIZE;
  huge.flags = foldAccesses(mm, huge.flags, start, PTRS_PER_PTE, huge.accessNs, now);
  huge.accessNs = now;
  return huge.flags;
}

/** ptep_get(): the PTE mapping addr as the hardware left it (0 for pte_none). */
export function ptepGet(mm: MmStruct, addr: number): number {
  return refreshPte(mm, pteTableAt(mm, addr), pteIndex(addr), addr);
}

/** pmdp_get() of a huge PMD mapping addr. */
export function pmdpGet(mm: MmStruct, addr: number): number {
  return refreshPmd(mm, hugePmdAt(mm, addr), addr);
}

/**
 * ptep_test_and_clear_young(): whether the PTE mapping addr was young, clearing it. x86's
 * ptep_clear_flush_young() is the same (it skips the flush), so scanners use this for both.
 */
export function ptepTestAndClearYoung(vma: Vma, addr: number): boolean {
  return pteTestAndClearYoung(vma.mm, pteTableAt(vma.mm, addr), pteIndex(addr), addr);
}

/** ptep_test_and_clear_young() of the PTE at index k of t, which maps addr. */
function pteTestAndClearYoung(mm: MmStruct, t: PteTable, k: number, addr: number): boolean {
  const f = refreshPte(mm, t, k, addr);
  if (!(f & PTE_PRESENT)) return false;
  t.flags[k] = pteMkold(f);
  return pteYoung(f);
}

/** pmdp_test_and_clear_young() of the huge PMD mapping addr. */
export function pmdpTestAndClearYoung(vma: Vma, addr: number): boolean {
  return pmdTestAndClearYoung(vma.mm, hugePmdAt(vma.mm, addr), addr);
}

/** pmdp_test_and_clear_young() of `huge`, which maps addr. */
function pmdTestAndClearYoung(mm: MmStruct, huge: HugePmd, addr: number): boolean {
  const f = refreshPmd(mm, huge, addr);
  if (!(f & PTE_PRESENT)) return false;
  huge.flags = pmdMkold(f);
  return pmdYoung(f);
}

/**
 * Bring the bits of the entry at addr up to date before the entry changes in a way that stops
 * or restarts accesses (change_prot_numa(), a hint fault's restore).
 */
export function refreshEntry(mm: MmStruct, addr: number): void {
  const slot = mm.pmds.get(pmdIndex(addr));
  if (slot instanceof HugePmd) refreshPmd(mm, slot, addr);
  else if (slot !== undefined) refreshPte(mm, slot, pteIndex(addr), addr);
}

/** Set the entry at addr's time to now, after an access the caller accounted for itself. */
export function touchEntry(mm: MmStruct, addr: number): void {
  const model = mm.access;
  if (model === null) return;
  const slot = mm.pmds.get(pmdIndex(addr));
  if (slot instanceof HugePmd) slot.accessNs = model.now();
  else if (slot !== undefined) accessTimes(slot)[pteIndex(addr)] = model.now();
}

/** What folio_referenced() found besides its count. */
export interface ReferencedInfo {
  /** The vm_flags of the VMAs that referenced the folio (VM_LOCKED if one is mlocked). */
  vmFlags: number;
}

/** walkFolioMappings() with the address of each mapping. */
function forEachMapping(folio: Folio, visit: (vma: Vma, addr: number, pmd: boolean) => void): void {
  walkFolioMappings(folio, (vma, i, pmd) =>
    visit(vma, vma.start + (folio.index - vma.pgoff + i) * PAGE_SIZE, pmd),
  );
}

/** referencedInVma()'s answer for a mapping in a VM_LOCKED VMA: the walk stops there. */
const REFERENCED_LOCKED = 2;

/**
 * folio_referenced_one() for one VMA: test and clear the accessed bit of every present
 * mapping of the folio in `vma`; 1 if one was young, 0 if none, REFERENCED_LOCKED (clearing
 * nothing) if the VMA is mlocked and maps the folio. walkFolioMappings()'s loop, inlined with
 * the entry in hand: reclaim ages every folio it scans through here.
 */
function referencedInVma(folio: Folio, vma: Vma): number {
  const mm = vma.mm;
  const nr = folio.nrPages;
  const base = vma.start + (folio.index - vma.pgoff) * PAGE_SIZE;
  let i = Math.max(0, (vma.start - base) / PAGE_SIZE);
  const iEnd = Math.min(nr, (vma.end - base) / PAGE_SIZE);
  const locked = (vma.flags & VM_LOCKED) !== 0;
  let young = 0;
  while (i < iEnd) {
    const addr = base + i * PAGE_SIZE;
    const k0 = pteIndex(addr);
    const chunkEnd = Math.min(iEnd, i + PTRS_PER_PTE - k0);
    const slot = mm.pmds.get(pmdIndex(addr));
    if (slot instanceof HugePmd) {
      if (slot.flags & PTE_PRESENT && slot.pfn === folio.pfn) {
        if (locked) return REFERENCED_LOCKED;
        if (pmdTestAndClearYoung(mm, slot, addr)) young = 1;
      }
    } else if (slot !== undefined) {
      for (let j = i, k = k0; j < chunkEnd; j++, k++) {
        if (slot.flags[k] & PTE_PRESENT && slot.pfn[k] === folio.pfn + j) {
          if (locked) return REFERENCED_LOCKED;
          if (pteTestAndClearYoung(mm, slot, k, base + j * PAGE_SIZE)) young = 1;
        }
      }
    }
    i = chunkEnd;
  }
  return young;
}

/**
 * folio_referenced(): test and clear the accessed bit of every mapping of the folio (the rmap
 * walk of folio_referenced_one()); returns the number of VMAs in which it was referenced. A
 * mapping in a VM_LOCKED VMA is not cleared: the flag is reported and the walk stops, as the
 * kernel's does. The per-folio idle/young flags of page-idle tracking are not modelled.
 */
export function folioReferenced(folio: Folio, info?: ReferencedInfo): number {
  const av = anonVmaOf(folio);
  let referenced = 0;
  let vmFlags = 0;
  if (av !== null) {
    const vmas = av.vmas;
    for (let v = 0; v < vmas.length; v++) {
      const vma = vmas[v];
      const r = referencedInVma(folio, vma);
      if (r === REFERENCED_LOCKED) {
        vmFlags |= VM_LOCKED;
        break;
      }
      if (r !== 0) {
        referenced++;
        vmFlags |= vma.flags & ~VM_LOCKED;
      }
    }
  }
  if (info !== undefined) info.vmFlags = vmFlags;
  return referenced;
}

/**
 * folio_mkclean(): clear the dirty bit of every mapping of the folio; returns how many were
 * dirty. The kernel does this for file folios being written back (and write-protects them so
 * the filesystem hears of the next write); anonymous memory is cleaned only by swap-out, which
 * the model lacks, so scanners and tests call it to watch which pages are written next. The
 * write-protection is left out: the hardware sets the dirty bit of the next write anyway.
 */
export function folioMkclean(folio: Folio): number {
  let cleaned = 0;
  forEachMapping(folio, (vma, addr, pmd) => {
    const mm = vma.mm;
    if (pmd) {
      const huge = hugePmdAt(mm, addr);
      if (pmdDirty(refreshPmd(mm, huge, addr))) cleaned++;
      huge.flags = pmdMkclean(huge.flags);
    } else {
      const t = pteTableAt(mm, addr);
      const k = pteIndex(addr);
      if (pteDirty(refreshPte(mm, t, k, addr))) cleaned++;
      t.flags[k] = pteMkclean(t.flags[k]);
    }
  });
  return cleaned;
}

/** folio_mark_dirty() of an anonymous folio: set PG_dirty; true if it was clean. */
export function folioMarkDirty(folio: Folio): boolean {
  if (folio.test(PG.dirty)) return false;
  folio.set(PG.dirty);
  return true;
}

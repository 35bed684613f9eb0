import { VM_IO, VM_PFNMAP, type Vma } from "../mm/vm.js";

/** vma_migratable(): VM_IO and VM_PFNMAP mappings have no struct pages to move. */
export function vmaMigratable(vma: Vma): boolean {
  return (vma.flags & (VM_IO | VM_PFNMAP)) === 0;
}

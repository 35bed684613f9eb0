/** Tests' address space: two 64 MiB nodes, one mm with a task on CPU 0 and an 8 MiB VMA. */
import { type Folio, HPAGE_PMD_SIZE } from "./folio.js";
import { PhysMem } from "./phys.js";
import { Task } from "./task.js";
import { Tracer } from "./trace.js";
import { type MmContext, MmStruct, VM_READ, VM_WRITE } from "./vm.js";
import { Vmstat } from "./vmstat.js";

/** Two 64 MiB nodes and one mm, with no mapping yet, and its task on CPU 0. */
export function bootMm() {
  const phys = new PhysMem([
    { nid: 0, bytes: 64 << 20 },
    { nid: 1, bytes: 64 << 20 },
  ]);
  const ctx: MmContext = { phys, trace: new Tracer(), vmstat: new Vmstat() };
  const mm = new MmStruct(1, phys);
  mm.cpuMask.add(0);
  const task = new Task(1, 0, mm);
  return { phys, ctx, mm, task };
}

export function mmFixture() {
  const { phys, ctx, mm, task } = bootMm();
  const vma = mm.mmap(4 * HPAGE_PMD_SIZE, VM_READ | VM_WRITE);
  /** Fault a fresh folio of `order` from node `nid` in at addr. */
  const fault = (addr: number, order: number, dirty = true, nid = 0): Folio => {
    const folio = phys.allocFolio(nid, order) as Folio;
    mm.mapFolio(vma, addr, folio, { dirty });
    return folio;
  };
  return { phys, ctx, mm, task, vma, fault };
}

/** The raw bits of the entry at addr (0 for none). */
export function entryFlags(mm: MmStruct, addr: number): number {
  const e = mm.entryAt(addr);
  return e.kind === "none" ? 0 : e.flags;
}

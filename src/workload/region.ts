/** An anonymous region faulted in with folios of one order, and its verification. */
import { RunFailure } from "../errors.js";
import type { Kernel } from "../migrate/kernel.js";
import { PAGE_SIZE } from "../mm/folio.js";
import type { Task } from "../mm/task.js";
import { VM_READ, VM_WRITE, type Vma } from "../mm/vm.js";

export interface Region {
  vma: Vma;
  order: number;
  count: number;
  /** The first address of each folio: the benchmark's move_pages() `pages` array. */
  folioAddrs: Float64Array;
  seed: number;
}

/** A 32-bit key naming the contents a page must hold: seed, address space and virtual page. */
export function pageKey(seed: number, mmId: number, vpn: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ mmId, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (vpn % 0x100000000), 0xc2b2ae35) >>> 0;
  h = Math.imul(h ^ Math.floor(vpn / 0x100000000), 0x27d4eb2f) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

export function populateRegion(
  k: Kernel,
  task: Task,
  o: { order: number; count: number; nid: number; seed: number },
): Region {
  const mm = task.mm;
  if (mm === null) throw new Error("populateRegion: task has no mm");
  const folioBytes = PAGE_SIZE << o.order;
  const vma = mm.mmap(folioBytes * o.count, VM_READ | VM_WRITE);
  const folioAddrs = new Float64Array(o.count);
  const contents = k.phys.contents;
  for (let i = 0; i < o.count; i++) {
    const addr = vma.start + i * folioBytes;
    const folio = k.phys.allocFolio(o.nid, o.order);
    if (folio === null) {
      throw new RunFailure(`node ${o.nid} ran out of order-${o.order} blocks while populating`);
    }
    mm.mapFolio(vma, addr, folio, { dirty: true });
    folioAddrs[i] = addr;
    if (contents !== null) {
      const vpn0 = addr / PAGE_SIZE;
      for (let j = 0; j < folio.nrPages; j++) {
        contents.fillPage(folio.pfn + j, pageKey(o.seed, mm.id, vpn0 + j));
      }
    }
  }
  return { vma, order: o.order, count: o.count, folioAddrs, seed: o.seed };
}

/**
 * Check every page of the region: mapped, holding its own contents, on the expected node.
 * Returns the number of pages checked; throws RunFailure naming the first bad page.
 */
export function verifyRegion(
  k: Kernel,
  task: Task,
  region: Region,
  /** The node every page must be on; null when some may have stayed behind (injected faults). */
  nid: number | null,
): number {
  const mm = task.mm;
  const contents = k.phys.contents;
  if (mm === null || contents === null) throw new Error("verifyRegion needs bytes mode");
  const pages = region.count << region.order;
  for (let p = 0; p < pages; p++) {
    const addr = region.vma.start + p * PAGE_SIZE;
    const e = mm.entryAt(addr);
    if (e.kind !== "present") {
      throw new RunFailure(
        `page at 0x${addr.toString(16)} is not mapped (${e.kind}) after the run`,
      );
    }
    if (nid !== null && k.phys.nidOf(e.pfn) !== nid) {
      throw new RunFailure(
        `page at 0x${addr.toString(16)} is on node ${k.phys.nidOf(e.pfn)}, expected ${nid}`,
      );
    }
    if (!contents.checkPage(e.pfn, pageKey(region.seed, mm.id, addr / PAGE_SIZE))) {
      throw new RunFailure(`page at 0x${addr.toString(16)} (pfn ${e.pfn}) lost its contents`);
    }
  }
  return pages;
}

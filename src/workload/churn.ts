/**
 * A node fragmented by churn, as page cache leaves memory after a long run of files read and
 * dropped: a process allocates a node's memory in folios of mixed orders, in turn, then drops
 * most of them, keeping a scattered share. What it keeps is movable (anonymous folios mapped in
 * its address space, on the LRU), except an `unmovable` share left allocated off the LRU, as
 * slab or pinned pages are, which compaction cannot move. Done once, before the run: cheap, and
 * the state is what compaction meets. Bytes mode gives each kept page bytes of its own, checked
 * after the run (verify).
 */
import { RunFailure } from "../errors.js";
import type { Kernel } from "../migrate/kernel.js";
import { type Folio, PAGE_SIZE } from "../mm/folio.js";
import type { MmStruct, Vma } from "../mm/vm.js";
import { VM_READ, VM_WRITE } from "../mm/vm.js";
import type { Rng } from "../sim/rng.js";
import { pageKey } from "./region.js";

export interface ChurnSpec {
  node: number;
  /** Bytes allocated on the node. */
  bytes: number;
  /** Share of them kept. */
  keep: number;
  /** Folio orders allocated, drawn uniformly. */
  orders: readonly number[];
  /** Share of the kept folios that are unmovable. */
  unmovable: number;
}

/** What a churn left on its node. */
export class Churn {
  /** Pages kept mapped (movable) and kept off the LRU (unmovable). */
  movablePages = 0;
  unmovablePages = 0;
  private readonly mm: MmStruct;
  private readonly vma: Vma;
  private readonly seed: number;
  /** The virtual address of each movable folio kept, and its pages. */
  private readonly kept: [number, number][] = [];

  constructor(k: Kernel, spec: ChurnSpec, rng: Rng) {
    const task = k.spawnProcess(0);
    this.mm = task.mm as MmStruct;
    this.seed = rng.int(2 ** 31);
    const maxFolio = PAGE_SIZE << Math.max(...spec.orders);
    // Room for every folio at an address aligned to its size.
    this.vma = this.mm.mmap(2 * spec.bytes + maxFolio, VM_READ | VM_WRITE);
    const folios: Folio[] = [];
    let left = spec.bytes;
    while (left > 0) {
      // The last folios are no larger than what is left, nor than the free blocks left.
      let order = Math.min(
        spec.orders[rng.int(spec.orders.length)],
        Math.log2(left / PAGE_SIZE) | 0,
      );
      let folio = k.phys.allocFolio(spec.node, order);
      while (folio === null && order > 0) folio = k.phys.allocFolio(spec.node, --order);
      if (folio === null) {
        throw new RunFailure(`churn: node ${spec.node} is full (${left} bytes to go)`);
      }
      folios.push(folio);
      left -= folio.sizeBytes;
    }
    let addr = this.vma.start;
    const contents = k.phys.contents;
    for (const folio of folios) {
      if (!rng.bool(spec.keep)) {
        folio.refcount = 0;
        k.phys.freeFolio(folio);
      } else if (rng.bool(spec.unmovable)) {
        this.unmovablePages += folio.nrPages;
      } else {
        const size = folio.sizeBytes;
        addr = Math.ceil(addr / size) * size;
        this.mm.mapFolio(this.vma, addr, folio, { dirty: true });
        if (contents !== null) {
          for (let j = 0; j < folio.nrPages; j++)
            contents.fillPage(folio.pfn + j, pageKey(this.seed, this.mm.id, addr / PAGE_SIZE + j));
        }
        this.movablePages += folio.nrPages;
        this.kept.push([addr, folio.nrPages]);
        addr += size;
      }
    }
  }

  /**
   * Bytes mode, after the run: every kept page still mapped with its own bytes, wherever
   * compaction moved it. Returns the pages checked; throws RunFailure at the first bad one.
   */
  verify(k: Kernel): number {
    const contents = k.phys.contents;
    if (contents === null) throw new Error("Churn.verify needs bytes mode");
    let pages = 0;
    for (const [start, n] of this.kept) {
      for (let addr = start; addr < start + n * PAGE_SIZE; addr += PAGE_SIZE) {
        const e = this.mm.entryAt(addr);
        if (
          e.kind !== "present" ||
          !contents.checkPage(e.pfn, pageKey(this.seed, this.mm.id, addr / PAGE_SIZE))
        ) {
          throw new RunFailure(
            `churn page at 0x${addr.toString(16)} lost its contents (${e.kind})`,
          );
        }
        pages++;
      }
    }
    return pages;
  }
}

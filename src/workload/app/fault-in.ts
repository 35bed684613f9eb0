/**
 * Fault-in of an application's regions: every folio allocated under the region's policy and
 * mapped, as first touches from the thread that uses the region; when the application starts,
 * or later (a process with a start time), when a THP fault may compact memory first.
 */
import { RunFailure } from "../../errors.js";
import type { Exec } from "../../migrate/exec.js";
import type { Kernel } from "../../migrate/kernel.js";
import { type Folio, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE } from "../../mm/folio.js";
import { getVmaPolicy, interleaveIndex, policyNodesCycle } from "../../mm/mempolicy.js";
import type { Task } from "../../mm/task.js";
import { type MmStruct, PTRS_PER_PTE, type Vma } from "../../mm/vm.js";
import {
  allocPagesSlowpath,
  faultAllocator,
  GFP_HIGHUSER_MOVABLE,
  type Gfp,
  getPageFromFreelist,
} from "../../policy/page-alloc.js";
import type { Yieldable } from "../../sim/simulator.js";
import { pageKey } from "../region.js";
import type { AppRegion } from "./app.js";

/**
 * How a fault of a process that starts during the run allocates: in the faulting thread's time
 * (`exec`), its THPs under the THP defrag setting's gfp flags (policy/page-alloc.ts).
 */
export interface LateFault {
  exec: Exec;
  thpGfp: Gfp;
}

/** A region to fault in, first touched from a CPU of `localNid`. */
export interface RegionFault {
  region: AppRegion;
  localNid: number;
}

/** What a write fault leaves in the PTEs it fills. */
const DIRTY = Object.freeze({ dirty: true });

/**
 * Fault in every folio of the region, each under the policy get_vma_policy() gives at its
 * address: its VMA's (the region's, or an mbind(2) over part of it), else the task's
 * (set_mempolicy(2)), else local. In bytes mode each page gets the bytes of (seed, mm,
 * virtual page). At boot (`late` null) a fault allocates outside the run (faultAllocator);
 * a THP fault of a process that starts later, in the faulting thread's time, through the
 * page allocator's whole path (watermarks, kswapd, direct reclaim and compaction:
 * policy/page-alloc.ts), and so do the 4K faults it falls back to. A THP fault that gets none
 * falls back to 4K pages (thp_fault_fallback), as do_huge_pmd_anonymous_page does.
 */
export function* faultIn(
  k: Kernel,
  task: Task,
  { region, localNid }: RegionFault,
  seed: number,
  late: LateFault | null,
): Generator<Yieldable, void, unknown> {
  const f = new Faulter(k, task, region, localNid, seed);
  if (region.order < HPAGE_PMD_ORDER) {
    // Below PMD size nothing waits: one loop, outside the generator, whose locals are boxed.
    f.faultAll();
    return;
  }
  const size = region.folioSizeBytes;
  const vmstat = k.ctx.vmstat;
  for (let addr = region.start; addr < region.end; addr += size) {
    f.enter(addr);
    if (f.splitEdge(addr)) continue;
    const nodes = f.nodesAt(addr, region.order);
    const folio =
      late === null ? f.allocate(nodes, region.order) : yield* lateAlloc(nodes, region.order);
    if (folio !== null) {
      vmstat.count("thp_fault_alloc");
      f.map(addr, folio);
      continue;
    }
    vmstat.count("thp_fault_fallback");
    for (let a = addr; a < addr + size; a += PAGE_SIZE) {
      f.map(a, late === null ? f.alloc(a, 0) : f.orOom(yield* lateAlloc(f.nodesAt(a, 0), 0), a, 0));
    }
  }

  // __alloc_pages() in the faulting thread's time: the fast path, then the slow path.
  function* lateAlloc(nodes: readonly number[], order: number): Generator<Yieldable, Folio | null> {
    const l = late as LateFault;
    const gfp = order >= HPAGE_PMD_ORDER ? l.thpGfp : GFP_HIGHUSER_MOVABLE;
    const folio = getPageFromFreelist(k, nodes, order, "low");
    if (folio !== null) return folio;
    return yield* allocPagesSlowpath(k, task, nodes, order, gfp, l.exec);
  }
}

/**
 * The faults of one region: the VMA being faulted in (mbind(2) may have split the region into
 * several) with its policy's node lists, and how a fault allocates and maps.
 */
class Faulter {
  private readonly mm: MmStruct;
  private vma: Vma;
  /** policyNodesCycle() of the VMA's policy: the nodes at interleave index ilx at [ilx % length]. */
  private cycle: readonly (readonly number[])[] = [];
  /**
   * Without reclaim no LRU list wants the folios now: folios below PMD size get their objects
   * when first looked up (PhysMem.allocMappedFolio), under this key for the VMA's mapping; -1
   * with reclaim, or when the VMA's mapping has no key yet.
   */
  private lazyKey = -1;
  /** The node of allocLazy()'s last folio. */
  private lazyNid = -1;
  readonly allocate: (nodes: readonly number[], order: number) => Folio | null;

  constructor(
    private readonly k: Kernel,
    private readonly task: Task,
    private readonly region: AppRegion,
    private readonly localNid: number,
    private readonly seed: number,
  ) {
    if (task.mm === null) throw new Error("faultIn: no mm");
    this.mm = task.mm;
    this.vma = this.mm.findVma(region.start) as Vma;
    this.setVma(this.vma);
    this.allocate = faultAllocator(k, task);
  }

  /** Make the VMA that holds `addr` the one faulted in; true when it changed. */
  enter(addr: number): boolean {
    if (addr < this.vma.end) return false;
    this.setVma(this.mm.findVma(addr) as Vma);
    return true;
  }

  private setVma(vma: Vma): void {
    this.vma = vma;
    this.cycle = policyNodesCycle(this.k.profile, getVmaPolicy(vma, this.task), this.localNid);
    this.lazyKey = -1;
  }

  /**
   * mbind(2) over part of the region split it before the fault-in, inside the folio at addr: a
   * THP or mTHP order must fit its VMA, so the fault maps 4K pages there. True when it did.
   */
  splitEdge(addr: number): boolean {
    const size = this.region.folioSizeBytes;
    if (addr + size <= this.vma.end) return false;
    for (let a = addr; a < addr + size; a += PAGE_SIZE) {
      this.enter(a);
      this.mapNew(a, 0, this.nodesAt(a, 0));
    }
    return true;
  }

  nodesAt(addr: number, order: number): readonly number[] {
    return this.cycle[interleaveIndex(this.vma, addr, order) % this.cycle.length];
  }

  /** The folio for the fault at `addr`; none is out of memory. */
  alloc(addr: number, order: number): Folio {
    return this.orOom(this.allocate(this.nodesAt(addr, order), order), addr, order);
  }

  /** `folio`, the fault at `addr`'s; null is out of memory. */
  orOom(folio: Folio | null, addr: number, order: number): Folio {
    if (folio === null) this.oom(addr, order);
    return folio;
  }

  private oom(addr: number, order: number): never {
    throw new RunFailure(
      `out of memory: no node the policy allows has a free ${PAGE_SIZE << order}-byte folio for 0x${addr.toString(16)}`,
    );
  }

  map(addr: number, folio: Folio): void {
    const { k, region } = this;
    this.mm.mapFolio(this.vma, addr, folio, DIRTY);
    k.ctx.lru?.add(folio);
    region.place((addr - region.start) / PAGE_SIZE, folio.nrPages, folio.nid);
    this.fillContents(addr, folio.pfn, folio.nrPages);
  }

  /**
   * A fault below PMD size at addr from the first of `nodes` that has the folio: as alloc() and
   * map(), or, without reclaim, with the folio's object left to its first lookup.
   */
  private mapNew(addr: number, order: number, nodes: readonly number[]): void {
    const { k, vma } = this;
    if (k.ctx.lru !== undefined) {
      const folio = this.allocate(nodes, order);
      if (folio === null) this.oom(addr, order);
      this.map(addr, folio);
      return;
    }
    const pfn = this.allocLazy(addr, order, nodes, (addr - vma.start) / PAGE_SIZE);
    const nrPages = 1 << order;
    this.mm.mapFreshPages(vma, addr, pfn, nrPages);
    this.region.place((addr - this.region.start) / PAGE_SIZE, nrPages, this.lazyNid);
    this.fillContents(addr, pfn, nrPages);
  }

  /**
   * The pfn of a folio for the fault at `addr`, from the first of `nodes` that has it (its node
   * in lazyNid), whose object is left to its first lookup (`delta`: its page offset in the VMA).
   */
  private allocLazy(addr: number, order: number, nodes: readonly number[], delta: number): number {
    const { k, vma } = this;
    if (this.lazyKey < 0) {
      this.lazyKey = k.phys.lazyMapping(this.mm.anonVmaPrepare(vma), vma.pgoff);
    }
    for (const nid of nodes) {
      const pfn = k.phys.allocMappedFolio(nid, order, this.lazyKey, delta);
      if (pfn >= 0) {
        this.lazyNid = nid;
        return pfn;
      }
    }
    this.oom(addr, order);
  }

  /** Bytes mode: every page holds bytes of its own, for the threads' reads and the final check. */
  private fillContents(addr: number, pfn: number, nrPages: number): void {
    const contents = this.k.phys.contents;
    if (contents === null) return;
    const vpn = addr / PAGE_SIZE;
    for (let j = 0; j < nrPages; j++) {
      contents.fillPage(pfn + j, pageKey(this.seed, this.mm.id, vpn + j));
    }
  }

  /**
   * Every folio of a region below PMD size, in address order: consecutive folios of a VMA take
   * consecutive interleave indices, so its node lists are walked rather than looked up.
   */
  faultAll(): void {
    const { region } = this;
    const { order } = region;
    const size = region.folioSizeBytes;
    if (order === 0 && this.k.ctx.lru === undefined && this.k.phys.contents === null) {
      this.faultPages();
      return;
    }
    /** The interleave index of the next folio modulo the cycle; -1: look it up. */
    let pos = -1;
    for (let addr = region.start; addr < region.end; addr += size) {
      if (this.enter(addr)) pos = -1;
      if (this.splitEdge(addr)) {
        pos = -1;
        continue;
      }
      const cycle = this.cycle;
      if (pos < 0) pos = interleaveIndex(this.vma, addr, order) % cycle.length;
      const nodes = cycle[pos];
      pos = pos + 1 === cycle.length ? 0 : pos + 1;
      this.mapNew(addr, order, nodes);
    }
  }

  /**
   * faultAll() of a region of 4K pages without reclaim or bytes: mapNew() a page table at a
   * time, the pages allocated in the same order, their PTEs and nodes set once per table.
   */
  private faultPages(): void {
    const { region } = this;
    const pfns = new Int32Array(PTRS_PER_PTE);
    const nids = new Uint8Array(PTRS_PER_PTE);
    for (let addr = region.start; addr < region.end; ) {
      this.enter(addr);
      const vma = this.vma;
      const tableEnd = (Math.floor(addr / HPAGE_PMD_SIZE) + 1) * HPAGE_PMD_SIZE;
      const n = (Math.min(tableEnd, vma.end) - addr) / PAGE_SIZE;
      const cycle = this.cycle;
      let pos = interleaveIndex(vma, addr, 0) % cycle.length;
      let delta = (addr - vma.start) / PAGE_SIZE;
      for (let i = 0; i < n; i++, delta++) {
        const nodes = cycle[pos];
        pos = pos + 1 === cycle.length ? 0 : pos + 1;
        pfns[i] = this.allocLazy(addr + i * PAGE_SIZE, 0, nodes, delta);
        nids[i] = this.lazyNid;
      }
      this.mm.mapFreshRun(vma, addr, pfns, n);
      region.placeEach((addr - region.start) / PAGE_SIZE, nids, n);
      addr += n * PAGE_SIZE;
    }
  }
}

/**
 * An application's accesses as its address space's access model (mm/access.ts): what its
 * threads are expected to touch and write, for the lazily evaluated accessed and dirty bits,
 * and the hint faults of the pages change_prot_numa() makes PROT_NONE.
 */
import type { AccessMass, MmAccessModel } from "../../mm/access.js";
import { type Folio, PAGE_SIZE } from "../../mm/folio.js";
import type { Vma } from "../../mm/vm.js";
import type { App, AppRegion, AppThread } from "./app.js";
import { HintFaults } from "./hint-faults.js";
import { groupThreads, type ThreadGroup } from "./thread-group.js";

export class AppAccesses implements MmAccessModel {
  readonly seed: number;
  private readonly hintFaults: HintFaults;
  /**
   * Each region's thread groups, by region index, made on first use, and the group of each of
   * its threads (by their place in App.threadsOf()).
   */
  private readonly groups: ThreadGroup[][] = [];
  private readonly groupOfThread: Int32Array[] = [];
  /** rates()' shares per group (a region has at most a group per thread). */
  private readonly shares: Float64Array;

  constructor(private readonly app: App) {
    this.seed = app.seed;
    this.hintFaults = new HintFaults(app, this);
    this.shares = new Float64Array(app.threads.length);
  }

  now(): number {
    return this.app.k.sim.now;
  }

  /** The region holding addr, its index, and the threads that use it, or null. */
  regionAt(
    addr: number,
  ): { index: number; region: AppRegion; threads: readonly AppThread[] } | null {
    const app = this.app;
    for (let i = 0; i < app.regions.length; i++) {
      const region = app.regions[i];
      if (addr >= region.start && addr < region.end) {
        return { index: i, region, threads: app.threadsOf(region) };
      }
    }
    return null;
  }

  /**
   * The access rate now of each thread of region `i` (in App.threadsOf() order) to its pages
   * [first, first + count) at `atNs` into `out`: its pattern's share of them times its
   * operations per ns. The share is asked once per group: equal patterns give equal shares.
   */
  rates(i: number, first: number, count: number, atNs: number, out: Float64Array): void {
    this.threadShares(i, first, count, atNs, out);
    const threads = this.app.threadsOf(this.app.regions[i]);
    for (let j = 0; j < threads.length; j++) out[j] *= threads[j].rateNow();
  }

  /**
   * The pattern's share of region `i`'s pages [first, first + count) at `atNs` of each of its
   * threads (in App.threadsOf() order) into `out`, asked once per group.
   */
  threadShares(i: number, first: number, count: number, atNs: number, out: Float64Array): void {
    const groups = this.groupsOf(i);
    const shares = this.shares;
    for (let g = 0; g < groups.length; g++) shares[g] = groups[g].pattern.share(first, count, atNs);
    const groupOf = this.groupOfThread[i];
    for (let j = 0; j < groupOf.length; j++) out[j] = shares[groupOf[j]];
  }

  expected(addr: number, nrPages: number, fromNs: number, toNs: number, out: AccessMass): void {
    out.accesses = 0;
    out.writes = 0;
    const regions = this.app.regions;
    for (let i = 0; i < regions.length; i++) {
      const region = regions[i];
      if (addr < region.start || addr >= region.end) continue;
      const first = (addr - region.start) / PAGE_SIZE;
      const count = Math.min(nrPages, region.pages - first);
      for (const g of this.groupsOf(i)) {
        const m = g.expectedAccesses(first, count, fromNs, toNs);
        out.accesses += m;
        out.writes += m * g.writes;
      }
      return;
    }
  }

  /** The threads of region `i` in groups that share their expected accesses. */
  private groupsOf(i: number): readonly ThreadGroup[] {
    let groups = this.groups[i];
    if (groups === undefined) {
      const app = this.app;
      const threads = app.threadsOf(app.regions[i]);
      groups = groupThreads(threads, app.quantumNs);
      this.groups[i] = groups;
      const gs = groups;
      this.groupOfThread[i] = Int32Array.from(threads, (t) =>
        gs.findIndex((g) => g.threads.includes(t)),
      );
    }
    return groups;
  }

  armHintFault(vma: Vma, addr: number, folio: Folio, nrPages: number, pmd: boolean): void {
    this.hintFaults.arm(vma, addr, folio, nrPages, pmd);
  }

  taskWork(cpu: number, ns: number): void {
    this.hintFaults.taskWork(cpu, ns);
  }
}

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

export class AppAccesses implements MmAccessModel {
  readonly seed: number;
  private readonly hintFaults: HintFaults;

  constructor(private readonly app: App) {
    this.seed = app.seed;
    this.hintFaults = new HintFaults(app, this);
  }

  now(): number {
    return this.app.k.sim.now;
  }

  /** The region holding addr and the threads that use it, or null. */
  regionAt(addr: number): { region: AppRegion; threads: readonly AppThread[] } | null {
    const app = this.app;
    for (let i = 0; i < app.regions.length; i++) {
      const region = app.regions[i];
      if (addr >= region.vma.start && addr < region.vma.end) {
        return { region, threads: app.threadsOf(region) };
      }
    }
    return null;
  }

  expected(addr: number, nrPages: number, fromNs: number, toNs: number, out: AccessMass): void {
    out.accesses = 0;
    out.writes = 0;
    const at = this.regionAt(addr);
    if (at === null) return;
    const first = (addr - at.region.vma.start) / PAGE_SIZE;
    const count = Math.min(nrPages, at.region.pages - first);
    for (const t of at.threads) {
      const m = t.expectedAccesses(first, count, fromNs, toNs);
      out.accesses += m;
      out.writes += m * t.writes;
    }
  }

  armHintFault(vma: Vma, addr: number, folio: Folio, nrPages: number, pmd: boolean): void {
    this.hintFaults.arm(vma, addr, folio, nrPages, pmd);
  }

  taskWork(cpu: number, ns: number): void {
    this.hintFaults.taskWork(cpu, ns);
  }
}

/**
 * Batched promotion (kernel.kpromoted_period_ms), the daemon proposed upstream and not in
 * mainline ("kpromoted", Bharata B Rao, 2025): the hint faults only record the hot slow-tier
 * folios that should_numa_migrate_memory() would promote, and a kthread per target node takes
 * what was recorded every period, isolates it and promotes it with one migrate_pages() call
 * (MIGRATE_ASYNC, MR_NUMA_MISPLACED), so the copy engine gets batches instead of one folio per
 * fault. A target short of free pages wakes its kswapd and keeps the rest for the next period.
 *
 * Simplification: the period is this knob's, fixed; the proposal's own pacing and its other
 * sources of hotness (IBS, PTE A bits) are not modelled, only the hint faults.
 */

import { migratePages } from "../migrate/core.js";
import { Exec, PH_ISOLATE } from "../migrate/exec.js";
import { folioIsolateLru, putbackMovablePages } from "../migrate/isolate.js";
import { MIGRATE_ASYNC, MR_NUMA_MISPLACED } from "../migrate/modes.js";
import { nodeTarget } from "../migrate/move-pages.js";
import { MigrationRun } from "../migrate/run.js";
import type { Folio } from "../mm/folio.js";
import { Task } from "../mm/task.js";
import type { Yieldable } from "../sim/simulator.js";
import { migrateBalancedPgdat } from "./numa-fault.js";
import type { Reclaim } from "./reclaim.js";

/** A recorded folio and the pfn it had then (the object may be reused once freed). */
interface Hot {
  folio: Folio;
  pfn: number;
}

export class Kpromoted {
  /** Recorded folios by target node, oldest first. */
  private readonly queues = new Map<number, Hot[]>();
  private readonly started = new Set<number>();

  constructor(
    private readonly r: Reclaim,
    private readonly periodNs: number,
  ) {}

  /** A hint fault found `folio` hot for `nid`: record it for the node's next batch. */
  record(folio: Folio, nid: number): void {
    let q = this.queues.get(nid);
    if (q === undefined) {
      q = [];
      this.queues.set(nid, q);
    }
    q.push({ folio, pfn: folio.pfn });
    if (!this.started.has(nid)) {
      this.started.add(nid);
      const k = this.r.k;
      const cpus = k.profile.cpusOfNode(nid);
      const cpu = k.sched.selectIdleSibling(cpus, cpus[0]);
      const se = k.sched.addTask({ name: `kpromoted${nid}`, kind: "kpromoted", cpu });
      const exec = new Exec(new Task(0, cpu, null), k.sched, se);
      k.sim.spawn(this.run(nid, q, exec), `kpromoted${nid}`);
    }
  }

  private *run(nid: number, q: Hot[], exec: Exec): Generator<Yieldable, void, unknown> {
    const r = this.r;
    const k = r.k;
    const run = new MigrationRun(k, exec, nodeTarget(k, nid));
    for (;;) {
      yield this.periodNs;
      if (k.sim.now >= r.endNs) return;
      const batch: Folio[] = [];
      let pages = 0;
      while (q.length > 0) {
        const h = q[0];
        const f = h.folio;
        // Freed, reused, already moved up, or taken by someone else since: drop it.
        if (!f.live || f.pfn !== h.pfn || r.tiers.nodeIsToptier(f.nid)) {
          q.shift();
          continue;
        }
        if (!migrateBalancedPgdat(k, nid, pages + f.nrPages)) {
          r.wakeupKswapd(nid, f.order);
          break;
        }
        q.shift();
        exec.charge(PH_ISOLATE, k.costs.pageWalkNs);
        if (!folioIsolateLru(f, k.ctx)) continue;
        batch.push(f);
        pages += f.nrPages;
      }
      if (batch.length === 0) continue;
      exec.folioEvents = r.watcher;
      const res = yield* migratePages(run, batch, MIGRATE_ASYNC, MR_NUMA_MISPLACED);
      if (batch.length > 0) putbackMovablePages(batch, k.ctx);
      yield* exec.sync();
      if (res.nrSucceeded > 0) {
        k.ctx.vmstat.count("numa_pages_migrated", res.nrSucceeded);
        k.ctx.vmstat.addNode(nid, "pgpromote_success", res.nrSucceeded);
      }
    }
  }
}

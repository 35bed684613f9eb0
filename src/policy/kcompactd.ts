/**
 * Who runs compaction (mm/compaction.c, mm/page_alloc.c): kcompactd, one kernel thread per node,
 * woken by kswapd (wakeup_kcompactd) or every HPAGE_FRAG_CHECK_INTERVAL_MSEC to compact
 * proactively while the node's fragmentation score is above vm.compaction_proactiveness's
 * watermark; and direct compaction, run by an allocating task whose high-order allocation
 * failed (__alloc_pages_direct_compact, which policy/page-alloc.ts's slow path calls), as a
 * THP fault does under the THP defrag setting. Both run in MIGRATE_SYNC_LIGHT, except direct compaction's first, MIGRATE_ASYNC, attempt.
 */
import type { Exec, FolioEvents } from "../migrate/exec.js";
import { Exec as ExecClass } from "../migrate/exec.js";
import type { Kernel } from "../migrate/kernel.js";
import { MIGRATE_ASYNC, MIGRATE_SYNC_LIGHT } from "../migrate/modes.js";
import type { Folio } from "../mm/folio.js";
import type { SimEvent, Yieldable } from "../sim/simulator.js";
import {
  COMPACT_COMPLETE,
  COMPACT_CONTINUE,
  COMPACT_DEFERRED,
  COMPACT_MAX_DEFER_SHIFT,
  COMPACT_PARTIAL_SKIPPED,
  COMPACT_SKIPPED,
  COMPACT_SUCCESS,
  CompactControl,
  Compaction,
  fragmentationScore,
  fragmentationScoreWmark,
} from "./compaction.js";
import type { Sysctl } from "./sysctl.js";

/** HPAGE_FRAG_CHECK_INTERVAL_MSEC: kcompactd's proactive check period. */
export const HPAGE_FRAG_CHECK_INTERVAL_NS = 500e6;

/** What direct compaction cost the tasks that ran it. */
export interface DirectCompactStats {
  /** __alloc_pages_direct_compact calls that compacted (compact_stall), and their time, ns. */
  calls: number;
  ns: number;
}

/** One node's kcompactd: its wait queue, as the wake-ups see it. */
class KcompactdNode {
  /** pgdat->kcompactd_max_order: the largest order a wake-up asked for since the last run. */
  maxOrder = 0;
  /** The event kcompactd sleeps on; null while it runs. */
  sleeping: SimEvent<boolean> | null = null;

  constructor(readonly nid: number) {}
}

/** Compaction as a machine runs it: its settings, kcompactd threads and direct compactions. */
export class CompactionPolicy {
  readonly compaction: Compaction;
  readonly direct: DirectCompactStats = { calls: 0, ns: 0 };
  private readonly daemons = new Map<number, KcompactdNode>();
  readonly proactiveness: number;

  constructor(
    readonly k: Kernel,
    sysctl: Sysctl,
    folioEvents: FolioEvents | null,
  ) {
    this.proactiveness = sysctl.vm.compaction_proactiveness;
    this.compaction = new Compaction(k, sysctl.vm.extfrag_threshold, folioEvents);
  }

  /** kcompactd_run for every node with memory, until `endNs`. */
  startKcompactd(endNs: number): void {
    const k = this.k;
    for (const node of k.profile.topology.nodes) {
      const nid = node.id;
      if (!k.nodeHasMemory(nid)) continue;
      const d = new KcompactdNode(nid);
      this.daemons.set(nid, d);
      const cpus: number[] = [];
      for (let c = 0; c < k.profile.cpus; c++) if (k.profile.nodeOfCpu(c) === nid) cpus.push(c);
      // Bound to its node's CPUs, placed once; a CPU-less node's kcompactd is unbound: CPU 0 here.
      const cpu = cpus.length === 0 ? 0 : k.sched.selectIdleSibling(cpus, cpus[cpus.length - 1]);
      const task = k.spawnKthread(cpu);
      const se = k.sched.addTask({ name: `kcompactd${nid}`, kind: "kcompactd", cpu });
      const exec = new ExecClass(task, k.sched, se);
      k.sim.spawn(this.kcompactd(d, exec, endNs), `kcompactd${nid}`);
    }
  }

  /**
   * wakeup_kcompactd: remember the order and wake the node's kcompactd if it sleeps and
   * compaction could help it.
   */
  wakeup(nid: number, order: number): void {
    if (order === 0) return;
    const d = this.daemons.get(nid);
    if (d === undefined) return;
    if (d.maxOrder < order) d.maxOrder = order;
    if (d.sleeping === null) return;
    if (this.compaction.suitable(nid, order) !== COMPACT_CONTINUE) return;
    const ev = d.sleeping;
    d.sleeping = null;
    ev.trigger(true);
  }

  /** kcompactd(): sleep until woken or the check period ends; compact on either. */
  private *kcompactd(
    d: KcompactdNode,
    exec: Exec,
    endNs: number,
  ): Generator<Yieldable, void, unknown> {
    const sim = this.k.sim;
    let timeout = HPAGE_FRAG_CHECK_INTERVAL_NS;
    while (sim.now < endNs) {
      let woken = false;
      if (d.maxOrder === 0) {
        const ev = sim.event<boolean>();
        d.sleeping = ev;
        const timer = sim.after(Math.min(timeout, endNs - sim.now), () => {
          if (d.sleeping !== ev) return;
          d.sleeping = null;
          ev.trigger(false);
        });
        woken = (yield ev) as boolean;
        sim.cancel(timer);
      } else woken = true;
      if (sim.now >= endNs) break;
      if (woken) {
        yield* this.kcompactdDoWork(d, exec);
        timeout = HPAGE_FRAG_CHECK_INTERVAL_NS;
        continue;
      }
      timeout = HPAGE_FRAG_CHECK_INTERVAL_NS;
      if (this.shouldProactiveCompactNode(d.nid)) {
        const before = fragmentationScore(this.k, d.nid);
        yield* this.proactiveCompactNode(d.nid, exec);
        // No progress: wait 2^COMPACT_MAX_DEFER_SHIFT periods before trying again.
        if (fragmentationScore(this.k, d.nid) >= before) {
          timeout = HPAGE_FRAG_CHECK_INTERVAL_NS << COMPACT_MAX_DEFER_SHIFT;
        }
      }
    }
  }

  /** kcompactd_do_work: compact for the order the wake-ups asked, in MIGRATE_SYNC_LIGHT. */
  private *kcompactdDoWork(d: KcompactdNode, exec: Exec): Generator<Yieldable, void, unknown> {
    const vmstat = this.k.ctx.vmstat;
    const order = d.maxOrder;
    const c = this.compaction;
    vmstat.count("compact_daemon_wake");
    if (!c.deferred(d.nid, order) && c.suitable(d.nid, order) === COMPACT_CONTINUE) {
      const cc = new CompactControl(d.nid, order, MIGRATE_SYNC_LIGHT);
      const status = yield* c.compactZone(cc, exec);
      if (status === COMPACT_SUCCESS) c.deferReset(d.nid, order, false);
      else if (status === COMPACT_PARTIAL_SKIPPED || status === COMPACT_COMPLETE)
        c.defer(d.nid, order);
      vmstat.count("compact_daemon_migrate_scanned", cc.totalMigrateScanned);
      vmstat.count("compact_daemon_free_scanned", cc.totalFreeScanned);
    }
    if (d.maxOrder <= order) d.maxOrder = 0;
  }

  /** should_proactive_compact_node: the score is above the high watermark. */
  private shouldProactiveCompactNode(nid: number): boolean {
    if (this.proactiveness === 0) return false;
    return fragmentationScore(this.k, nid) > fragmentationScoreWmark(this.proactiveness, false);
  }

  /** proactive_compact_node: the whole node, in MIGRATE_SYNC_LIGHT, down to the low watermark. */
  private *proactiveCompactNode(nid: number, exec: Exec): Generator<Yieldable, void, unknown> {
    const cc = new CompactControl(nid, -1, MIGRATE_SYNC_LIGHT, {
      wholeZone: true,
      proactive: true,
      proactiveness: this.proactiveness,
    });
    yield* this.compaction.compactZone(cc, exec);
    const vmstat = this.k.ctx.vmstat;
    vmstat.count("compact_daemon_migrate_scanned", cc.totalMigrateScanned);
    vmstat.count("compact_daemon_free_scanned", cc.totalFreeScanned);
  }

  /**
   * __alloc_pages_direct_compact(): try_to_compact_pages over `nodes` in order at `mode`'s
   * priority, with the task's PF_MEMALLOC set, then the allocation (`take`:
   * get_page_from_freelist() at the allocation's watermark): the folio, or null. Counts
   * compact_stall and compact_success or compact_fail.
   */
  *allocPagesDirectCompact(
    exec: Exec,
    nodes: readonly number[],
    order: number,
    mode: number,
    take: () => Folio | null,
  ): Generator<Yieldable, Folio | null, unknown> {
    const k = this.k;
    const c = this.compaction;
    let rc = COMPACT_SKIPPED;
    const start = exec.now();
    exec.task.pfMemalloc = true;
    try {
      for (const nid of nodes) {
        // Every priority above MIN_COMPACT_PRIORITY (MIGRATE_SYNC, which no fault uses) defers.
        if (c.deferred(nid, order)) {
          rc = Math.max(rc, COMPACT_DEFERRED);
          continue;
        }
        const suitable = c.suitable(nid, order);
        let status = suitable;
        if (suitable === COMPACT_CONTINUE) {
          status = yield* c.compactZone(new CompactControl(nid, order, mode), exec);
        }
        rc = Math.max(rc, status);
        if (status === COMPACT_SUCCESS) {
          c.deferReset(nid, order, false);
          break;
        }
        if (
          mode !== MIGRATE_ASYNC &&
          (status === COMPACT_COMPLETE || status === COMPACT_PARTIAL_SKIPPED)
        ) {
          c.defer(nid, order);
        }
      }
    } finally {
      exec.task.pfMemalloc = false;
    }
    if (rc === COMPACT_SKIPPED) return null;
    k.ctx.vmstat.count("compact_stall");
    this.direct.calls++;
    this.direct.ns += exec.now() - start;
    const folio = take();
    if (folio !== null) {
      c.deferReset(folio.nid, order, true);
      k.ctx.vmstat.count("compact_success");
      return folio;
    }
    k.ctx.vmstat.count("compact_fail");
    return null;
  }
}

const machines = new WeakMap<Kernel, CompactionPolicy>();

/** Compaction on `k`, made once with the run's settings. */
export function startCompaction(
  k: Kernel,
  sysctl: Sysctl,
  folioEvents: FolioEvents | null,
  endNs: number,
): CompactionPolicy {
  if (machines.has(k)) throw new Error("startCompaction: compaction already runs on this machine");
  const policy = new CompactionPolicy(k, sysctl, folioEvents);
  machines.set(k, policy);
  policy.startKcompactd(endNs);
  return policy;
}

/** The compaction running on `k`, or undefined before startCompaction. */
export function compactionOf(k: Kernel): CompactionPolicy | undefined {
  return machines.get(k);
}

/**
 * wakeup_kcompactd(pgdat, order): what kswapd calls when it has balanced a node for a
 * high-order allocation it was woken for. Nothing happens before compaction starts.
 */
export function wakeupKcompactd(k: Kernel, nid: number, order: number): void {
  machines.get(k)?.wakeup(nid, order);
}

/**
 * Running a scenario: boot the machine, start the applications' threads and the movers, run
 * the virtual clock to the scenario's end, and gather what each thread and mover did.
 */
import { createMigrator } from "../../copy/engines.js";
import { MTCOPY_DEFAULT_THREADS } from "../../copy/mtcopy.js";
import { MIGRATE_OFFLOAD_REASONS_ALLOWED } from "../../copy/reason-mask.js";
import { RunFailure } from "../../errors.js";
import type { LoadedProfile } from "../../machine/profile.js";
import { Exec, type FolioEvents } from "../../migrate/exec.js";
import { Kernel } from "../../migrate/kernel.js";
import {
  MIGRATE_REASON_ENUM,
  MIGRATE_REASON_NAMES,
  MPOL_MF_MOVE,
  MPOL_MF_MOVE_ALL,
  MPOL_MF_STRICT,
  MR_COMPACTION,
} from "../../migrate/modes.js";
import type { Folio } from "../../mm/folio.js";
import { withIwTable } from "../../mm/mempolicy.js";
import { anonVmaOf } from "../../mm/vm.js";
import { vmstatDelta } from "../../mm/vmstat.js";
import { bootReclaim, startPolicies } from "../../policy/index.js";
import { type CompactionPolicy, compactionOf } from "../../policy/kcompactd.js";
import { vmaThpGfpMask } from "../../policy/page-alloc.js";
import { Rng } from "../../sim/rng.js";
import type { Slice, Track } from "../../sim/timeline.js";
import { Churn } from "../churn.js";
import { App, type AppThreadSpec, accessLatencyNs } from "./app.js";
import {
  cappedMover,
  mbindOnce,
  migratePagesLoop,
  movePagesLoop,
  newMoverStats,
} from "./movers.js";
import type { MBIND_FLAGS, Scenario } from "./scenario.js";
import { plain, recordSeries, type ScenarioSeries } from "./series.js";

export type { ScenarioSeries } from "./series.js";

export interface ThreadResult {
  process: string;
  cpu: number;
  region: string;
  /** Operations per second of virtual time. */
  opsPerSec: number;
  /** Time waiting in migration entries, and the waits. */
  stallNs: number;
  stalls: number;
  /** The thread's nice level. */
  nice: number;
  /** CPU time the scheduler gave the thread, ns. */
  cpuNs: number;
  /** CPU time lost to kernel work sharing the thread's CPU (copy threads, movers), ns. */
  cpuLostNs: number;
  /** Compute time between accesses and accesses in flight, as the scenario gives them. */
  computeNs: number;
  mlp: number;
  /** Mean latency of an access, loaded, over the operations done, ns. */
  meanAccessNs: number;
  /** Latency of an access to the thread's own node on an idle machine, ns: the floor of meanAccessNs. */
  localAccessNs: number;
  /** Share of the run in which memory bandwidth, not latency or CPU, bound the thread. */
  bandwidthBoundShare: number;
  /** Share of sampled accesses that went to a node other than the thread's own. */
  remoteShare: number;
  /** log2 latency histogram, operations per bucket (bucket i: [2^i, 2^(i+1)) ns). */
  latency: number[];
  /** Operations per second in each quantum. */
  opsPerSecSeries: number[];
  /**
   * Virtual time the thread ran for, ns: the run's duration, less a late process's start time
   * and fault-in (0 if the run ended before its threads started).
   */
  runNs: number;
  /** NUMA hint faults the thread took, and their time (entry cost and handler), ns. */
  hintFaults: number;
  hintFaultNs: number;
}

/** The migrate_pages() calls of one reason over the run: the batches its caller offered. */
export interface CallerResult {
  /** enum migrate_reason's name, e.g. MR_NUMA_MISPLACED. */
  reason: string;
  calls: number;
  /** Folios the calls were given, and the folios and bytes they moved. */
  folios: number;
  foliosMoved: number;
  bytesMoved: number;
}

export interface MoverResult {
  process: string;
  region: string;
  calls: number;
  /** Calls that returned an error (an injected allocation failure, say); counted in `calls`. */
  failedCalls: number;
  foliosMoved: number;
  /** Bytes moved over the time spent in move_pages(2), GB/s. */
  gbps: number;
  busyNs: number;
}

/** CPU time by who used it, ns (Scheduler.cpuTimeByKind and cpuTimeByCgroup). */
export interface CpuUse {
  byKind: Record<string, number>;
  byCgroup: Record<string, number>;
}

/** THP faults and what compaction cost to serve them (scenarios with churn or late processes). */
export interface CompactionResult {
  /** THP faults during the run served with a THP, and those that fell back to 4K pages. */
  thpFaultAlloc: number;
  thpFaultFallback: number;
  /** thpFaultAlloc over all THP faults of the run (1 when there were none). */
  thpSuccess: number;
  /** Direct compactions (compact_stall) and the time the faulting tasks spent in them, ns. */
  directCompactions: number;
  directCompactNs: number;
  /** Time from each late process's start to its threads running (its fault-in), summed, ns. */
  faultInNs: number;
  /** CPU time of kcompactd, ns. */
  kcompactdCpuNs: number;
  /** Pages the migrate scanner and the free scanner isolated. */
  migrateIsolated: number;
  freeIsolated: number;
  /** Folios and bytes migrate_pages() moved for compaction (MR_COMPACTION). */
  migratedFolios: number;
  migratedBytes: number;
}

export interface ScenarioResult {
  profile: string;
  seed: number;
  durationNs: number;
  quantumNs: number;
  engine: Scenario["engine"];
  threads: ThreadResult[];
  movers: MoverResult[];
  /** migrate_pages() by reason, for the reasons that called it. */
  callers: CallerResult[];
  /** /proc/vmstat counters over the run: pgmigrate_success and _fail, and every other that moved. */
  vmstat: Record<string, number>;
  series: ScenarioSeries;
  /** CPU time over the run by task kind (app, load, migrate, kworker, irq) and by cgroup, ns. */
  cpu: CpuUse;
  /** THP faults and compaction; present when the scenario churns a node or starts a process late. */
  compaction?: CompactionResult;
  /** Bytes mode: pages checked after the run, and pages the threads read and checked. */
  pagesVerified?: number;
  pagesRead?: number;
  /** The whole run's timeline, when asked for (not part of the JSON report). */
  recording?: ScenarioRecording;
}

/** Who did what when over the whole run: the kernel's timeline tracks and slices. */
export interface ScenarioRecording {
  tracks: Track[];
  slices: Slice[];
}

export interface RunOptions {
  /** Record the timeline (migrating tasks, copy threads, DMA channels, threads' stalls). */
  record?: boolean;
}

/** The registry's reason mask from the scenario's names; every reason when it names none. */
function offloadReasonMask(reasons: Scenario["engine"]["reasons"]): number {
  if (reasons === undefined) return MIGRATE_OFFLOAD_REASONS_ALLOWED;
  return reasons.reduce((mask, r) => mask | (1 << MIGRATE_REASON_NAMES.indexOf(r)), 0);
}

export function runScenario(
  s: Scenario,
  profile: LoadedProfile,
  opts: RunOptions = {},
): ScenarioResult {
  const k = new Kernel({
    profile,
    seed: s.seed,
    nrMaxBatchedMigration: s.engine.batchPages,
    contents: s.verify,
    cpuLoad: s.cpuLoad,
    batchedUnmapTlbFlush: s.kernel.batchedUnmapTlbFlush,
    inject: s.inject,
  });
  const migrator = createMigrator(k, s.engine.migrator, {
    // The defaults of `bench`: mtcopy's thread count, one DMA channel.
    workers:
      s.engine.threads ??
      s.engine.channels ??
      (s.engine.migrator === "mtcopy" ? MTCOPY_DEFAULT_THREADS : 1),
    placement: s.engine.placement,
    minBatchFolios: 0,
  });
  if (migrator !== null) k.offload.register(migrator, offloadReasonMask(s.engine.reasons));
  k.timeline.enabled = opts.record ?? false;
  const rng = new Rng(s.seed);
  const nodes = profile.topology.nodes.map((n) => n.id);
  const freeAtBoot = nodes.reduce((a, n) => a + k.phys.freePages(n), 0);
  // Watermarks, LRU lists and kswapd exist before the first fault, which they govern; the
  // counters count from boot, so that reclaim done by the fault-in is in the report.
  bootReclaim(k, s.sysctl);
  const before = k.ctx.vmstat.snapshot();
  const churns = s.churn.map(
    (c, i) =>
      new Churn(
        k,
        { node: c.node, bytes: c.size, keep: c.keep, orders: c.orders, unmovable: c.unmovable },
        rng.fork(`churn${i}`),
      ),
  );
  const apps = s.processes.map((proc) => {
    const threads: AppThreadSpec[] = proc.threads.flatMap((t) =>
      Array.from({ length: t.count }, (_, i) => ({
        // Pinned threads take consecutive CPUs; placed ones start from their first allowed CPU.
        cpu: t.cpu === undefined ? (t.cpus as number[])[0] : t.cpu + i,
        cpus: t.cpus,
        nice: t.nice,
        region: proc.regions.findIndex((r) => r.name === t.region),
        pattern: t.pattern,
        computeNs: t.compute,
        mlp: t.mlp,
        writes: t.writes,
      })),
    );
    const regions = proc.regions.map((r) => ({
      bytes: r.size,
      folioSizeBytes: r.folioSize,
      policy: withIwTable(profile, r.policy),
    }));
    return new App(
      k,
      {
        name: proc.name,
        mempolicy: proc.mempolicy && withIwTable(profile, proc.mempolicy),
        regions,
        threads,
        cgroup: proc.cgroup,
        quantumNs: s.quantum,
        faultLater: proc.start > 0,
      },
      rng.fork(proc.name),
    );
  });
  // The run lasts `duration` from when the applications start: a fault-in that had to wait for
  // direct reclaim (policy/reclaim.ts) took virtual time before that, so the end moves with it.
  const endNs = k.sim.now + s.duration;
  apps.forEach((app, i) => {
    if (s.processes[i].start === 0) app.start(endNs);
    // Its threads wait for the fault-in: off their CPUs until it is done.
    else for (const t of app.threads) k.sched.block(t.se);
  });
  const movers = s.movers.map((m) => {
    const pi = s.processes.findIndex((p) => p.name === m.process);
    const app = apps[pi];
    const regionOf = (name: string) =>
      app.regions[s.processes[pi].regions.findIndex((r) => r.name === name)];
    const stats = newMoverStats();
    // mbind(2) acts on the caller's own mm: its caller is a thread of the application.
    const task = m.kind === "mbind" ? k.spawnThread(app.task, m.cpu) : k.spawnProcess(m.cpu);
    const cgroup = m.kind === "mbind" ? s.processes[pi].cgroup : m.cgroup;
    k.setSchedEntity(task, { nice: m.nice, cgroup });
    k.sim.spawn(
      (function* () {
        if (m.start > 0) yield m.start;
        if (m.kind === "move_pages") {
          const region = regionOf(m.region);
          yield* movePagesLoop(k, task, app, region, m.nodes, endNs, stats, m.calls);
        } else if (m.kind === "capped") {
          const region = regionOf(m.region);
          yield* cappedMover(k, task, app, region, m.node, m.bandwidth, m.tick, endNs, stats);
        } else if (m.kind === "mbind") {
          const policy = withIwTable(profile, m.policy);
          const region = regionOf(m.region);
          const len = m.size ?? region.end - region.start - m.offset;
          const range = { region, offset: m.offset, len };
          yield* mbindOnce(k, task, app, range, policy, mbindFlags(m.flags), stats);
        } else {
          yield* migratePagesLoop(k, task, app, m.nodes, endNs, stats, m.calls);
        }
      })(),
      `mover ${m.process}/${moverRegion(m)}`,
    );
    return { m, stats };
  });
  startPolicies({
    k,
    sysctl: s.sysctl,
    processes: apps.map((a) => a.task),
    endNs,
    watcher: appFolioEvents(apps),
  });
  const compaction = compactionOf(k) as CompactionPolicy;
  let faultInNs = 0;
  apps.forEach((app, i) => {
    const start = s.processes[i].start;
    if (start === 0) return;
    k.sim.spawn(
      (function* () {
        yield start;
        // The first thread faults the regions in, on its CPU, spending the time it takes.
        const exec = new Exec(app.task, k.sched, app.threads[0].se);
        const thpGfp = vmaThpGfpMask(s.sysctl.mm.transparent_hugepage.defrag);
        yield* app.faultInLater({ exec, thpGfp });
        yield* exec.sync();
        faultInNs += k.sim.now - start;
        for (const t of app.threads) k.sched.wake(t.se);
        app.start(endNs);
      })(),
      `start ${app.name}`,
    );
  });
  const series = recordSeries(k, s.quantum, endNs, {
    apps,
    movers: movers.map((m) => m.stats),
    copyThreads: migrator?.cpuTime,
  });
  k.sim.run();
  k.timeline.enabled = false;
  const after = k.ctx.vmstat.snapshot();
  const pagesVerified = s.verify
    ? apps.reduce((a, app) => a + app.verify(), 0) + churns.reduce((a, c) => a + c.verify(k), 0)
    : 0;
  const unmovable = churns.reduce((a, c) => a + c.unmovablePages, 0);
  if (s.verify) checkFrames(k, nodes, freeAtBoot, pagesVerified + unmovable);
  const pagesRead = apps.reduce(
    (a, app) => a + app.threads.reduce((b, t) => b + t.pagesRead, 0),
    0,
  );
  const seconds = s.duration / 1e9;
  const threads: ThreadResult[] = apps.flatMap((app, pi) =>
    app.threads.map((t) => {
      const own = profile.nodeOfCpu(t.cpu);
      let all = 0;
      let remote = 0;
      t.accessesByNode.forEach((n, nid) => {
        all += n;
        if (nid !== own) remote += n;
      });
      return {
        process: s.processes[pi].name,
        cpu: t.cpu,
        region: s.processes[pi].regions[t.spec.region].name,
        opsPerSec: t.ops / seconds,
        stallNs: t.stallNs,
        stalls: t.stalls,
        nice: t.se.nice,
        cpuNs: t.schedCpuNs,
        cpuLostNs: t.cpuLostNs,
        computeNs: t.spec.computeNs,
        mlp: t.spec.mlp,
        meanAccessNs: t.ops === 0 ? 0 : t.accessNsOps / t.ops,
        localAccessNs: accessLatencyNs(profile, t.cpu, own),
        bandwidthBoundShare: t.bandwidthBoundNs / s.duration,
        remoteShare: all === 0 ? 0 : remote / all,
        latency: plain(t.latency),
        opsPerSecSeries: plain(t.opsPerQuantum, s.quantum / 1e9),
        hintFaults: t.hintFaults,
        hintFaultNs: t.hintFaultNs,
        runNs: t.endNs - t.startNs,
      };
    }),
  );
  return {
    profile: profile.name,
    seed: s.seed,
    durationNs: s.duration,
    quantumNs: s.quantum,
    engine: s.engine,
    threads,
    movers: movers.map(({ m, stats }) => ({
      process: m.process,
      region: moverRegion(m),
      calls: stats.calls,
      failedCalls: stats.failedCalls,
      foliosMoved: stats.foliosMoved,
      busyNs: stats.busyNs,
      gbps: stats.busyNs === 0 ? 0 : stats.bytesMoved / stats.busyNs,
    })),
    callers: callerResults(k),
    series: series(),
    cpu: { byKind: k.sched.cpuTimeByKind(), byCgroup: k.sched.cpuTimeByCgroup() },
    ...(churns.length > 0 || s.processes.some((p) => p.start > 0)
      ? { compaction: compactionResult(k, compaction, before, after, faultInNs) }
      : {}),
    ...(s.verify ? { pagesVerified, pagesRead } : {}),
    vmstat: {
      pgmigrate_success: 0,
      pgmigrate_fail: 0,
      ...vmstatDelta(before, after),
    },
    ...(opts.record ? { recording: { tracks: k.timeline.tracks, slices: k.timeline.slices } } : {}),
  };
}

function callerResults(k: Kernel): CallerResult[] {
  return MIGRATE_REASON_ENUM.flatMap((reason, r) =>
    k.migrateCalls[r] === 0
      ? []
      : [
          {
            reason,
            calls: k.migrateCalls[r],
            folios: k.migrateCallFolios[r],
            foliosMoved: k.migratedFolios[r],
            bytesMoved: k.migratedBytes[r],
          },
        ],
  );
}

/** mbind(2)'s flag bits from their scenario names. */
function mbindFlags(names: readonly (typeof MBIND_FLAGS)[number][]): number {
  const bit = { strict: MPOL_MF_STRICT, move: MPOL_MF_MOVE, move_all: MPOL_MF_MOVE_ALL };
  return names.reduce((a, n) => a | bit[n], 0);
}

/** What a mover moves: its region, or `*` for migrate_pages(2), which takes the whole process. */
function moverRegion(m: Scenario["movers"][number]): string {
  return m.kind === "migrate_pages" ? "*" : m.region;
}

function compactionResult(
  k: Kernel,
  policy: CompactionPolicy,
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
  faultInNs: number,
): CompactionResult {
  const alloc = after.thp_fault_alloc - before.thp_fault_alloc;
  const fallback = after.thp_fault_fallback - before.thp_fault_fallback;
  const { tally } = policy.compaction;
  return {
    thpFaultAlloc: alloc,
    thpFaultFallback: fallback,
    thpSuccess: alloc + fallback === 0 ? 1 : alloc / (alloc + fallback),
    directCompactions: policy.direct.calls,
    directCompactNs: policy.direct.ns,
    faultInNs,
    kcompactdCpuNs: k.sched.cpuTimeByKind().kcompactd ?? 0,
    migrateIsolated: tally.migrateIsolated,
    freeIsolated: tally.freeIsolated,
    migratedFolios: k.migratedFolios[MR_COMPACTION],
    migratedBytes: k.migratedBytes[MR_COMPACTION],
  };
}

/** Unmaps and remaps of any application's folio, told to that application (by its mm). */
function appFolioEvents(apps: readonly App[]): FolioEvents {
  const byMm = new Map(apps.map((a) => [a.task.mm?.id, a.watcher]));
  const of = (folio: Folio) => {
    const mm = anonVmaOf(folio)?.vmas[0]?.mm;
    return mm === undefined ? undefined : byMm.get(mm.id);
  };
  return {
    unmapped: (folio, ns) => of(folio)?.unmapped(folio, ns),
    remapped: (folio, ns) => of(folio)?.remapped(folio, ns),
  };
}

/**
 * Bytes mode: no frame leaked or used twice (the free pages and the regions' pages add up to
 * what the machine booted with) and no folio left isolated.
 */
function checkFrames(k: Kernel, nodes: number[], freeAtBoot: number, regionPages: number): void {
  const free = nodes.reduce((a, n) => a + k.phys.freePages(n), 0);
  if (free + regionPages !== freeAtBoot) {
    throw new RunFailure(
      `frames: ${freeAtBoot} free at boot, ${free} free and ${regionPages} mapped after the run (${freeAtBoot - free - regionPages} leaked)`,
    );
  }
  for (const n of nodes) {
    const isolated = k.ctx.vmstat.nodeStat(n, "nr_isolated_anon");
    if (isolated !== 0) throw new RunFailure(`node ${n}: ${isolated} pages left isolated`);
  }
}

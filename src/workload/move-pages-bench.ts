/**
 * The authors' move_pages(2) benchmark: an anonymous region of folios of one size, faulted in
 * on one node, moved to the other node by one move_pages() call per run (one address per
 * folio, all with the same target node); between runs an untimed call moves it back. The
 * copy engine is registered as the active migrator for every reason (none for `serial`).
 * Throughput is bytes moved divided by the virtual time of the call (GB/s = 1e9 bytes per
 * second). Every timed call is also measured (workload/measurements.ts); with `record`, the
 * last one is recorded too.
 */

import { createMigrator, type MigratorName, workerKind } from "../copy/engines.js";
import type { MtPlacement } from "../copy/mtcopy.js";
import { MIGRATE_OFFLOAD_REASONS_ALLOWED } from "../copy/reason-mask.js";
import { RunFailure, UsageError } from "../errors.js";
import type { LoadedProfile } from "../machine/profile.js";
import { isFolioSize } from "../machine/units.js";
import { Kernel } from "../migrate/kernel.js";
import { MPOL_MF_MOVE } from "../migrate/modes.js";
import { sysMovePages } from "../migrate/move-pages.js";
import { ENOMEM } from "../mm/errno.js";
import { PAGE_SIZE } from "../mm/folio.js";
import type { Task } from "../mm/task.js";
import type { MmStruct } from "../mm/vm.js";
import {
  CallRecorder,
  type CallSummary,
  MeasurementSums,
  type Recording,
  type RunMeasurements,
} from "./measurements.js";
import { populateRegion, type Region, verifyRegion } from "./region.js";

/** The CPU of the task that makes the benchmark's calls. */
export const BENCH_TASK_CPU = 0;

export interface MovePagesBenchOptions {
  /** The copy engine (`serial`: the vanilla flow, no migrator). */
  migrator: MigratorName;
  /** Threads or channels of the engine; 1 by default. */
  workers?: number;
  placement?: MtPlacement;
  minBatchFolios?: number;
  /** Fault-injection spec. */
  inject?: string;
  profile: LoadedProfile;
  folioSizeBytes: number;
  /** Number of folios in the region. */
  folioCount: number;
  runs: number;
  seed: number;
  /** NR_MAX_BATCHED_MIGRATION in base pages; the profile's by default. */
  batchPages?: number;
  /** Bytes mode: real contents, verified after every run. */
  verify: boolean;
  fromNode?: number;
  toNode?: number;
  /** Called after every move_pages call with the host time it took, for the speed benchmark. */
  onMove?: (hostNs: number, folios: number) => void;
  /** Record the last timed call: its tracepoints, timeline and per-folio times. */
  record?: boolean;
  /** A busy machine: other tasks always runnable on every CPU (KernelOptions.cpuLoad). */
  cpuLoad?: number;
}

export interface MeanSd {
  mean: number;
  sd: number;
}

export interface MovePagesBenchResult extends CallSummary, RunMeasurements {
  migrator: string;
  workers: number;
  /**
   * dcbm, dcbm-v2: the most DMA channels one batch obtained. `workers` is nr_dma_chan, the
   * channels asked for; the driver runs a batch on fewer when the batch has fewer folios, past
   * MAX_DMA_CHANNELS, or when the machine has no more free.
   */
  channelsUsed?: number;
  folioSizeBytes: number;
  folioCount: number;
  /** The timed calls moved the region from this node to `toNode`. */
  fromNode: number;
  toNode: number;
  batchPages: number;
  /** Other tasks always runnable on every CPU during the calls (0: an idle machine). */
  cpuLoad: number;
  runs: number;
  throughputGBps: MeanSd;
  /** With --inject: folios the calls left behind (all runs), and how often each fault fired. */
  foliosNotMigrated?: number;
  faultsFired?: Record<string, number>;
  /** Bytes mode only: bytes the host really copied in the timed calls per ns spent copying. */
  hostCopyGBps?: number;
  pagesVerified?: number;
  /** With `record`: the last timed call. */
  recording?: Recording;
}

/**
 * Samples spread by less than this share of their mean are one value, their SD exactly 0: a
 * call's time is the difference of two float virtual times, whose last bits depend on where on
 * the clock the call started, so identical calls differ by 1e-15 to 1e-12 of their time.
 */
const ROUNDING_SPREAD = 1e-9;

export function meanSd(xs: readonly number[]): MeanSd {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const spread = Math.max(...xs) - Math.min(...xs);
  if (xs.length < 2 || spread <= ROUNDING_SPREAD * Math.abs(mean)) return { mean, sd: 0 };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

export async function runMovePagesBench(o: MovePagesBenchOptions): Promise<MovePagesBenchResult> {
  if (!isFolioSize(o.folioSizeBytes)) {
    throw new UsageError(`--folio-size ${o.folioSizeBytes}: must be a power of two from 4K to 2M`);
  }
  const order = Math.log2(o.folioSizeBytes / PAGE_SIZE);
  const from = o.fromNode ?? 0;
  const to = o.toNode ?? 1;
  const k = new Kernel({
    profile: o.profile,
    seed: o.seed,
    contents: o.verify,
    nrMaxBatchedMigration: o.batchPages,
    inject: o.inject,
    hostWorkers: true,
    cpuLoad: o.cpuLoad,
  });
  try {
    const workers = o.workers ?? 1;
    const migrator = createMigrator(k, o.migrator, {
      workers,
      placement: o.placement ?? "spread",
      minBatchFolios: o.minBatchFolios ?? 0,
    });
    if (migrator !== null) k.offload.register(migrator, MIGRATE_OFFLOAD_REASONS_ALLOWED);
    for (const nid of [from, to]) {
      if (!k.nodeHasMemory(nid)) throw new UsageError(`node ${nid}: not a node with memory`);
    }
    const bytes = o.folioSizeBytes * o.folioCount;
    for (const nid of [from, to]) {
      const have = k.phys.freePages(nid) * PAGE_SIZE;
      if (bytes > have) {
        throw new UsageError(
          `the region (${o.folioCount} folios, ${bytes} bytes) does not fit on node ${nid} of profile ${o.profile.name} (${have} bytes free)`,
        );
      }
    }
    const task = k.spawnProcess(BENCH_TASK_CPU);
    const region: Region = populateRegion(k, task, {
      order,
      count: o.folioCount,
      nid: from,
      seed: o.seed,
    });
    const pages = region.folioAddrs;
    const status = new Int32Array(o.folioCount);

    const throughputs: number[] = [];
    let pagesVerified = 0;
    let notMigrated = 0;
    // Host copying of the timed calls only: the untimed way back may take another path (a
    // batch dcbm refuses falls back to the CPU), which is not what the result describes.
    let hostBytes = 0;
    let hostNs = 0;
    const sums = new MeasurementSums(k, migrator?.cpuTime, o.folioCount);
    const recorder = o.record ? new CallRecorder(k, o.folioSizeBytes) : null;
    let recording: Recording | undefined;
    /** One call; a timed one is measured, and the recorder (if any) records it. */
    const move = (target: number, timed: boolean, recorder: CallRecorder | null = null) => {
      const nodes = new Int32Array(o.folioCount).fill(target);
      // Only injected faults leave folios behind, so only then is the region not all on the
      // other node before a call.
      const leftBefore = k.faults.enabled ? foliosNotOn(task, region, target) : o.folioCount;
      const exec = k.newExec(task);
      recorder?.begin(exec, task.mm as MmStruct, pages);
      if (timed) sums.begin(exec);
      const host0 = k.hostCopied();
      const start = k.sim.now;
      const hostStart = performance.now();
      const proc = k.sim.spawn(
        (function* () {
          const rc = yield* sysMovePages(k, exec, {
            pid: 0,
            count: o.folioCount,
            pages,
            nodes,
            status,
            flags: MPOL_MF_MOVE,
          });
          yield* exec.sync();
          return rc;
        })(),
        "move_pages",
      );
      const rc = k.sim.runUntilDone(proc);
      o.onMove?.((performance.now() - hostStart) * 1e6, o.folioCount);
      if (timed) {
        sums.end(exec);
        const host = k.hostCopied();
        hostBytes += host.bytes - host0.bytes;
        hostNs += host.ns - host0.ns;
      }
      if (recorder !== null) recording = recorder.end();
      // Injected faults may leave folios behind (a positive return, or -ENOMEM from a failed
      // allocation); nothing else may.
      if (rc !== 0 && !(k.faults.enabled && (rc > 0 || rc === -ENOMEM))) {
        throw new RunFailure(`move_pages to node ${target} returned ${rc}`);
      }
      const leftAfter = rc !== 0 ? foliosNotOn(task, region, target) : 0;
      notMigrated += leftAfter;
      if (o.verify) pagesVerified += verifyRegion(k, task, region, rc === 0 ? target : null);
      return { start, moved: leftBefore - leftAfter };
    };
    for (let r = 0; r < o.runs; r++) {
      // Every timed run moves from -> to, as the published runs do; the way back is not timed.
      if (r > 0) move(from, false);
      const { start, moved } = move(to, true, r === o.runs - 1 ? recorder : null);
      // The bytes this call migrated: with injected faults, some folios may stay behind.
      throughputs.push((moved * o.folioSizeBytes) / (k.sim.now - start));
    }
    const n = o.runs;
    const result: MovePagesBenchResult = {
      migrator: o.migrator,
      workers: workerKind(o.migrator) === null ? 1 : workers,
      folioSizeBytes: o.folioSizeBytes,
      folioCount: o.folioCount,
      fromNode: from,
      toNode: to,
      batchPages: k.nrMaxBatchedMigration,
      cpuLoad: k.cpuLoad,
      runs: n,
      throughputGBps: meanSd(throughputs),
      ...sums.summary(),
      ...sums.means(),
    };
    if (migrator?.channelsUsed !== undefined) result.channelsUsed = migrator.channelsUsed;
    if (k.faults.enabled) {
      result.foliosNotMigrated = notMigrated;
      result.faultsFired = Object.fromEntries(k.faults.fired);
    }
    if (o.verify) {
      result.hostCopyGBps = hostNs > 0 ? hostBytes / hostNs : 0;
      result.pagesVerified = pagesVerified;
    }
    if (recording !== undefined) result.recording = recording;
    return result;
  } finally {
    await k.close();
  }
}

function foliosNotOn(task: Task, region: Region, nid: number): number {
  let n = 0;
  for (const addr of region.folioAddrs) {
    const l = task.mm?.lookup(addr);
    if (l?.kind !== "present" || l.folio.nid !== nid) n++;
  }
  return n;
}

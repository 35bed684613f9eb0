/**
 * mtcopy: the multi-threaded CPU copy migrator (Zi Yan, v2/v3 of the series). The migrating
 * task splits the batch among N kworkers pinned to CPUs, queues them one by one and waits for
 * all (flush_work). A batch with fewer folios than threads has every folio cut into N equal
 * parts, one per thread; otherwise each thread gets a contiguous run of whole folios, the
 * first `count % N` threads one more than the rest.
 *
 * Each thread copies all its bytes as one bandwidth-sharing flow (one per run of folios with
 * the same source and destination node) through the fabric path of its own core, so threads
 * on one CCD share that CCD's links. Their CPU time goes to their own CPUs (`cpuTime`); the
 * calling task pays only for dispatching the work.
 *
 * Any copy error (a poisoned source page, a crashed worker) fails the whole batch with
 * -EAGAIN and marks nothing: the move phase then copies every folio on the calling CPU.
 */

import type { CopyRange } from "../content/workers.js";
import { UsageError } from "../errors.js";
import { copyPath } from "../machine/fabric.js";
import type { LoadedProfile } from "../machine/profile.js";
import type { MigGen } from "../migrate/core.js";
import { PH_COPY } from "../migrate/exec.js";
import type { Kernel } from "../migrate/kernel.js";
import type { MigrationRun } from "../migrate/run.js";
import { EAGAIN } from "../mm/errno.js";
import { FOLIO_CONTENT_COPIED, type Folio, PAGE_SIZE } from "../mm/folio.js";
import type { PhysMem } from "../mm/phys.js";
import type { Process, Yieldable } from "../sim/simulator.js";
import { finishHostCopy, startHostCopy, touchHostMemory } from "./host-copy.js";
import type { Migrator, MigratorCounters } from "./migrator.js";
import { CpuTime, type WorkLabel, Workqueue } from "./workqueue.js";

/** MAX_NUM_COPY_THREADS */
export const MAX_NUM_COPY_THREADS = 64;
/** limit_mt_num: the default thread count. */
export const MTCOPY_DEFAULT_THREADS = 4;

/**
 * Where copy thread i runs. Both use every CCD's physical cores (SMT thread 0) before any SMT
 * sibling. spread: one thread per CCD in turn, CCD 0, 1, 2, ... over all sockets (the "spread
 * threads across die" testing patch); fill: all cores of one CCD, then the next CCD.
 */
export type MtPlacement = "spread" | "fill";

export interface MtCopyOptions {
  /** Copy threads, 1..MAX_NUM_COPY_THREADS; default MTCOPY_DEFAULT_THREADS. */
  threads?: number;
  /** Default "spread", as the published runs. */
  placement?: MtPlacement;
  /** Caller's cost per thread of queue_work_on() plus the kworker wakeup, ns (default: the profile's costs.workDispatchNs). */
  dispatchNs?: number;
  /** Worker's cost per chunk before copying it, ns (default: the profile's costs.copyChunkNs). */
  chunkNs?: number;
}

/**
 * One thread's share of a batch (struct copy_page_info): folios [first, last) and, of each,
 * byte range `part` of `parts` near-equal ranges (part 0 of 1 is the whole folio).
 */
export interface CopyWork {
  readonly first: number;
  readonly last: number;
  readonly part: number;
  readonly parts: number;
}

/** The kernel's split of `nrFolios` folios among `threads` threads (always `threads` works). */
export function splitWork(nrFolios: number, threads: number): CopyWork[] {
  const works: CopyWork[] = [];
  if (nrFolios < threads) {
    for (let t = 0; t < threads; t++)
      works.push({ first: 0, last: nrFolios, part: t, parts: threads });
    return works;
  }
  const base = Math.floor(nrFolios / threads);
  const extra = nrFolios % threads;
  let first = 0;
  for (let t = 0; t < threads; t++) {
    const last = first + base + (t < extra ? 1 : 0);
    works.push({ first, last, part: 0, parts: 1 });
    first = last;
  }
  return works;
}

/** First byte of part `part` of `parts` of a folio of `size` bytes; the next part's ends it. */
function chunkStart(size: number, part: number, parts: number): number {
  return Math.floor((size * part) / parts);
}

/**
 * The CPUs copy threads are pinned to, by thread index (see MtPlacement). Built from the
 * profile's CCD and SMT helpers, not from the CPU numbering scheme.
 */
export function copyThreadCpus(profile: LoadedProfile, placement: MtPlacement): Int32Array {
  const smt = profile.topology.threadsPerCore;
  const bySlot: number[][][] = Array.from({ length: smt }, () =>
    Array.from({ length: profile.ccds }, () => []),
  );
  for (let cpu = 0; cpu < profile.cpus; cpu++) {
    bySlot[profile.cpuInfo(cpu).thread][profile.ccdOfCpu(cpu)].push(cpu);
  }
  const out = new Int32Array(profile.cpus);
  let i = 0;
  for (const ccds of bySlot) {
    if (placement === "fill") {
      for (const cpus of ccds) for (const cpu of cpus) out[i++] = cpu;
    } else {
      for (let c = 0; c < profile.topology.coresPerCcd; c++) {
        for (const cpus of ccds) out[i++] = cpus[c];
      }
    }
  }
  return out;
}

export class MtCopy implements Migrator {
  readonly name = "mtcopy";
  readonly counters: MigratorCounters = { foliosMigrated: 0, foliosFailures: 0 };
  readonly threads: number;
  readonly placement: MtPlacement;
  /** Overrides of the profile's costs, for tests. */
  private readonly dispatchNsOpt: number | undefined;
  private readonly chunkNsOpt: number | undefined;
  /** CPU time of the copy threads by CPU, since construction. */
  readonly cpuTime = new CpuTime();
  /** The workqueue of the kernel last served, made on first use. */
  private wq: Workqueue | null = null;
  private cpus: Int32Array | null = null;
  private cpusOf: LoadedProfile | null = null;

  constructor(opts: MtCopyOptions = {}) {
    const threads = opts.threads ?? MTCOPY_DEFAULT_THREADS;
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_NUM_COPY_THREADS) {
      throw new UsageError(
        `mtcopy: threads ${threads}: must be an integer from 1 to ${MAX_NUM_COPY_THREADS}`,
      );
    }
    const placement = opts.placement ?? "spread";
    if (placement !== "spread" && placement !== "fill") {
      throw new UsageError(`mtcopy: placement '${placement}': must be spread or fill`);
    }
    this.threads = threads;
    this.placement = placement;
    this.dispatchNsOpt =
      opts.dispatchNs === undefined ? undefined : costOption("dispatchNs", opts.dispatchNs);
    this.chunkNsOpt = opts.chunkNs === undefined ? undefined : costOption("chunkNs", opts.chunkNs);
  }

  /** The CPU copy thread `t` runs on with `profile`. */
  cpuOfThread(profile: LoadedProfile, t: number): number {
    if (this.cpusOf !== profile) {
      this.cpus = copyThreadCpus(profile, this.placement);
      this.cpusOf = profile;
    }
    const cpus = this.cpus as Int32Array;
    // More threads than CPUs: the extra ones queue behind earlier ones on the same CPU.
    return cpus[t % cpus.length];
  }

  *offloadCopy(run: MigrationRun, dst: readonly Folio[], src: readonly Folio[]): MigGen<number> {
    const n = src.length;
    if (n === 0) return 0;
    const { k, exec } = run;
    if (this.wq === null || this.wq.sched !== k.sched) {
      this.wq = new Workqueue(k.sched, this.cpuTime, k.timeline);
    }
    const works = splitWork(n, this.threads);
    touchHostMemory(k, src);
    touchHostMemory(k, dst);
    const dispatchNs = this.dispatchNsOpt ?? k.costs.workDispatchNs;
    const chunkNs = this.chunkNsOpt ?? k.costs.copyChunkNs;
    const workers: Process<boolean>[] = [];
    for (let t = 0; t < works.length; t++) {
      // Queued one at a time: thread t starts once the caller has dispatched it.
      exec.charge(PH_COPY, dispatchNs);
      yield* exec.sync();
      const cpu = this.cpuOfThread(k.profile, t);
      const work = copyWorker(k, t, cpu, works[t], dst, src, chunkNs);
      const label = k.timeline.enabled ? workLabel(t, works[t], src) : undefined;
      workers.push(this.wq.queueWorkOn(cpu, work, label));
    }
    let ok = true;
    // flush_work() on each, in order.
    for (const w of workers) {
      if (!w.done.triggered) yield w;
      if (!w.done.value) ok = false;
    }
    if (!ok) {
      this.counters.foliosFailures += n;
      return -EAGAIN;
    }
    for (let i = 0; i < n; i++) dst[i].migrateInfo |= FOLIO_CONTENT_COPIED;
    this.counters.foliosMigrated += n;
    return 0;
  }
}

function costOption(name: string, ns: number): number {
  if (!(ns >= 0) || ns === Number.POSITIVE_INFINITY) {
    throw new UsageError(`mtcopy: ${name} ${ns}: must be a finite number of ns >= 0`);
  }
  return ns;
}

/**
 * One copy thread (copy_page_work_queue_thread): set up each chunk, then copy its bytes.
 * Returns false when the worker crashed (at its start, copying nothing) or a chunk hit a
 * poisoned page (copy_mc_to_kernel stops there: the chunks before it are copied, the rest not).
 */
function* copyWorker(
  k: Kernel,
  thread: number,
  cpu: number,
  w: CopyWork,
  dst: readonly Folio[],
  src: readonly Folio[],
  chunkNs: number,
): Generator<Yieldable, boolean, unknown> {
  if (k.faults.hit("worker-crash")) return false;
  let end = w.first;
  while (end < w.last && !chunkPoisoned(k.phys, src[end], w)) end++;
  const failed = end < w.last;
  // The kworker runs on a CPU it may share: its setup is CPU work at its share, and it copies
  // at that share of a core's rate, following it as it changes (the links are not slower).
  const coreRate = k.profile.cpu.copyGBps;
  const kworker = k.sched.kthread("kworker", cpu);
  const setupNs = (end - w.first + (failed ? 1 : 0)) * chunkNs;
  yield k.sched.runFor(kworker, setupNs);
  k.sched.workDone(kworker);
  for (let i = w.first; i < end; ) {
    const srcNid = src[i].nid;
    const dstNid = dst[i].nid;
    let bytes = 0;
    let j = i;
    for (; j < end && src[j].nid === srcNid && dst[j].nid === dstNid; j++) {
      const size = src[j].sizeBytes;
      bytes += chunkStart(size, w.part + 1, w.parts) - chunkStart(size, w.part, w.parts);
    }
    // Bytes mode: a worker copies the chunks while the model moves their bytes.
    const job = startHostCopy(k, thread, chunkRanges(w, dst, src, i, j));
    const flow = k.net.start(bytes, copyPath(k.fabric, cpu, srcNid, dstNid), {
      maxRate: coreRate / k.sched.stretch(kworker),
    });
    k.sched.listenShare(kworker, (s) => k.net.setMaxRate(flow, coreRate / s));
    yield flow.done;
    k.sched.listenShare(kworker, null);
    if (!finishHostCopy(k, job)) return false;
    i = j;
  }
  return !failed;
}

/** A copy thread's work item on the timeline: its thread, folios and bytes. */
function workLabel(thread: number, w: CopyWork, src: readonly Folio[]): WorkLabel {
  let bytes = 0;
  for (let i = w.first; i < w.last; i++) {
    const size = src[i].sizeBytes;
    bytes += chunkStart(size, w.part + 1, w.parts) - chunkStart(size, w.part, w.parts);
  }
  return { name: "copy", args: { thread, folios: w.last - w.first, bytes } };
}

/** Whether `w`'s chunk of `folio` holds a poisoned page. */
function chunkPoisoned(phys: PhysMem, folio: Folio, w: CopyWork): boolean {
  if (!phys.hasHwPoisoned(folio)) return false;
  const size = folio.sizeBytes;
  const end = Math.ceil(chunkStart(size, w.part + 1, w.parts) / PAGE_SIZE);
  for (let p = Math.floor(chunkStart(size, w.part, w.parts) / PAGE_SIZE); p < end; p++) {
    if (phys.isHwPoison(folio.pfn + p)) return true;
  }
  return false;
}

/**
 * The page ranges of `w`'s chunks of folios [from, to). Contents are copied by page, so each
 * page goes with the chunk holding its first byte; the chunks of all threads together cover
 * every page once.
 */
function chunkRanges(
  w: CopyWork,
  dst: readonly Folio[],
  src: readonly Folio[],
  from: number,
  to: number,
): CopyRange[] {
  const ranges: CopyRange[] = [];
  for (let i = from; i < to; i++) {
    const size = src[i].sizeBytes;
    const p0 = Math.ceil(chunkStart(size, w.part, w.parts) / PAGE_SIZE);
    const p1 = Math.ceil(chunkStart(size, w.part + 1, w.parts) / PAGE_SIZE);
    if (p1 > p0)
      ranges.push({ dstPfn: dst[i].pfn + p0, srcPfn: src[i].pfn + p0, nrPages: p1 - p0 });
  }
  return ranges;
}

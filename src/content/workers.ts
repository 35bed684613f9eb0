/**
 * Copy worker threads over the shared node memory: in bytes mode, the real concurrent agents
 * behind DMA channels and copy threads. Node-only (worker_threads); a browser adapter would
 * replace this module.
 *
 * The main thread runs a synchronous simulation and never lets the event loop turn while it
 * waits, so all it observes goes through shared words and Atomics.wait: worker readiness, job
 * status and crashes. Worker 'exit' and 'error' events are never relied on. A chunk's
 * SharedArrayBuffer goes to a worker once; jobs name (chunk, offset, length), so the node
 * memory itself is never copied between threads.
 *
 * Workers run from source text (see copy-worker.ts), identical under `node dist/...` and
 * Vitest. Jobs go through a shared queue per worker (see copyWorkerMain). A big job whose
 * ranges can be copied in any order is shared: any worker with an empty queue helps copy it,
 * so a worker slowed by the host does not hold up the transfer while the other one idles.
 */

import { createRequire } from "node:module";
import type { Worker } from "node:worker_threads";
import { PAGE_SHIFT, PAGE_SIZE } from "../mm/folio.js";
import { CHUNK_PAGE_ORDER, CHUNK_PAGES, type PageContents } from "./contents.js";
import {
  ABI,
  type CopyWorkerInit,
  type CopyWorkerMessage,
  copyWorkerMain,
  type SetBaselineInit,
  setBaselineWorkerMain,
} from "./copy-worker.js";
import { noteHostMemory } from "./release.js";

export interface CopyRange {
  dstPfn: number;
  srcPfn: number;
  nrPages: number;
}

/**
 * Fault injection: the worker copies the first half of the job's ranges (after merging), then
 * crashes (fails the job and exits) or hangs (blocks forever without using a CPU, so the
 * timeout costs the host nothing).
 */
export type CopyFault = "crash" | "hang";

export type CopyWaitResult = "done" | "failed" | "timeout";

/** A submitted job; CopyWorkerPool.wait gives its outcome. */
export interface CopyJob {
  /** The worker it was queued on. */
  readonly worker: number;
  /** Bytes it was asked to copy. */
  readonly bytes: number;
}

export const DEFAULT_HOST_TIMEOUT_MS = 30_000;
/** Jobs submitted and not yet waited for, at most. */
export const MAX_COPY_JOBS = 4096;
const MAX_POOL_SIZE = 64;
const BOOT_TIMEOUT_MS = 10_000;
/** A cancelled worker finishes at most the one range (<= 4 MiB) it is copying. */
const CANCEL_GRACE_MS = 5_000;
const CHUNK_PAGE_MASK = CHUNK_PAGES - 1;
/** Smaller jobs are not shared: helping would cost more than it saves. */
const SHARE_MIN_BYTES = 8 << 20;
/**
 * Queue words kept back from range words, so that a job header always fits: one per job the
 * pool can have outstanding, and one more for a job waited for whose header the worker has not
 * yet stepped past. Ranges that do not fit go in the job's message.
 */
const HEADER_RESERVE = ABI.JOB_HEADER_WORDS * (MAX_COPY_JOBS + 1);

const WORKER_PRELUDE = `"use strict";
const { parentPort, workerData, receiveMessageOnPort } = require("node:worker_threads");
`;
const COPY_WORKER_SOURCE = `${WORKER_PRELUDE}(${copyWorkerMain})(parentPort, workerData, receiveMessageOnPort);`;
const SET_BASELINE_SOURCE = `${WORKER_PRELUDE}(${setBaselineWorkerMain})(parentPort, workerData);`;

/** node:worker_threads loads with the first worker: metadata mode never starts one. */
const nodeRequire = createRequire(import.meta.url);

function startWorker(source: string, workerData: CopyWorkerInit | SetBaselineInit): Worker {
  const { Worker } = nodeRequire("node:worker_threads") as typeof import("node:worker_threads");
  const worker = new Worker(source, { eval: true, workerData });
  worker.unref();
  // Errors reach us through the shared words (an uncaught one as a timeout); without a
  // listener the event would be rethrown on the main thread.
  worker.on("error", () => {});
  return worker;
}

/** Block until a[i] >= n or timeoutMs passes; false on timeout. */
function waitAtLeast(a: Int32Array, i: number, n: number, timeoutMs: number): boolean {
  const deadline = performance.now() + timeoutMs;
  for (let v = Atomics.load(a, i); v < n; v = Atomics.load(a, i)) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    Atomics.wait(a, i, v, left);
  }
  return true;
}

/** One worker thread, its control words and its job queue. */
class Lane {
  readonly ctl = new Int32Array(new SharedArrayBuffer(ABI.LANE_WORDS * 4));
  readonly queue = new Int32Array(new SharedArrayBuffer(ABI.QUEUE_WORDS * 4));
  /** Queue position where the next job goes (LANE_HEAD once published). */
  head = 0;
  readonly worker: Worker;
  /** 1 for each chunk this worker has been sent. */
  readonly sent: Uint8Array;
  /** Chunks the next message to this worker sends. */
  newChunkIds: number[] = [];
  newChunkBuffers: SharedArrayBuffer[] = [];
  /** Port messages posted to this worker. */
  posted = 0;

  constructor(
    readonly index: number,
    shared: Pick<CopyWorkerInit, "status" | "share" | "shareRanges">,
    nrChunks: number,
  ) {
    this.sent = new Uint8Array(nrChunks);
    this.worker = startWorker(COPY_WORKER_SOURCE, {
      abi: ABI,
      pageShift: PAGE_SHIFT,
      lane: this.ctl.buffer,
      queue: this.queue.buffer,
      ...shared,
    });
  }

  /** Post the chunks not sent yet (and, for the job queued next, its ranges). */
  send(job: boolean, ranges: Int32Array | null): void {
    const m: CopyWorkerMessage = {
      chunkIds: this.newChunkIds,
      chunkBuffers: this.newChunkBuffers,
      job,
      ranges,
    };
    this.worker.postMessage(m);
    this.posted++;
    this.newChunkIds = [];
    this.newChunkBuffers = [];
  }

  /** Wake the worker: it has a job, or one to help with. */
  ring(): void {
    Atomics.add(this.ctl, ABI.LANE_BELL, 1);
    Atomics.notify(this.ctl, ABI.LANE_BELL);
  }

  /** Queue words free for a new job. */
  room(): number {
    return ABI.QUEUE_WORDS - ((this.head - Atomics.load(this.ctl, ABI.LANE_TAIL)) & ABI.POS_MASK);
  }

  put(word: number): void {
    this.queue[this.head & (ABI.QUEUE_WORDS - 1)] = word;
    this.head = (this.head + 1) & ABI.POS_MASK;
  }
}

class Job implements CopyJob {
  result: CopyWaitResult | null = null;

  constructor(
    readonly pool: CopyWorkerPool,
    readonly worker: number,
    readonly bytes: number,
    readonly lane: Lane,
    readonly slot: number,
    readonly tag: number,
    /** Its share entry, or -1. */
    readonly share: number,
  ) {}
}

export class CopyWorkerPool {
  private readonly counters = { bytes: 0, busyNs: 0 };
  private readonly lanes: (Lane | null)[];
  private readonly nrChunks: number;
  /** Per job slot: the running job's tag, then ABI.JOB_*. */
  private readonly status = new Int32Array(new SharedArrayBuffer(MAX_COPY_JOBS * 4));
  private readonly jobs: (Job | undefined)[] = new Array(MAX_COPY_JOBS).fill(undefined);
  private readonly freeSlots = new Int32Array(MAX_COPY_JOBS);
  private nrFree = MAX_COPY_JOBS;
  private readonly share = new Int32Array(
    new SharedArrayBuffer(ABI.SHARE_ENTRIES * ABI.SHARE_WORDS * 4),
  );
  private readonly shareRanges = new Int32Array(
    new SharedArrayBuffer(ABI.SHARE_ENTRIES * ABI.SHARE_RANGES * ABI.RANGE_WORDS * 4),
  );
  private readonly freeShares = new Int32Array(ABI.SHARE_ENTRIES);
  private nrFreeShares = ABI.SHARE_ENTRIES;
  /** 1 for each chunk every worker has been sent. */
  private readonly sentAll: Uint8Array;
  /** Sort keys of the pieces of the job being built: pfn * SHARE_RANGES + piece index. */
  private readonly dstKeys = new Float64Array(ABI.SHARE_RANGES);
  private readonly srcKeys = new Float64Array(ABI.SHARE_RANGES);
  private nextTag = 1;
  private inFlight = 0;
  private busySince = 0;
  /** Range words of the job being built, reused across submits. */
  private scratch = new Int32Array(64 * ABI.RANGE_WORDS);
  private closed = false;

  /**
   * `size` workers, all started at once: they boot in the background while the model sets up,
   * so no boot lands inside the first copies timed (a submit waits only for one not ready yet).
   */
  constructor(
    private readonly contents: PageContents,
    readonly size: number,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_POOL_SIZE) {
      throw new Error(`CopyWorkerPool: size ${size} is not an integer in 1..${MAX_POOL_SIZE}`);
    }
    this.nrChunks = Math.ceil(contents.nrPfns / CHUNK_PAGES);
    this.sentAll = new Uint8Array(this.nrChunks);
    for (let i = 0; i < MAX_COPY_JOBS; i++) this.freeSlots[i] = MAX_COPY_JOBS - 1 - i;
    for (let e = 0; e < ABI.SHARE_ENTRIES; e++) {
      this.freeShares[e] = ABI.SHARE_ENTRIES - 1 - e;
      this.share[e * ABI.SHARE_WORDS + ABI.SHARE_CLAIM] = ABI.SHARE_CLOSED;
    }
    this.lanes = Array.from({ length: size }, (_, w) => this.startLane(w));
  }

  /**
   * Bytes the workers copied (failed jobs' partial copies included) and host wall time during
   * which at least one job was in flight, from its submit to its wait returning.
   */
  get stats(): Readonly<{ bytes: number; busyNs: number }> {
    return this.counters;
  }

  /**
   * Queue a job on worker w: copy the ranges in order. Returns at once; the worker copies while
   * the main thread goes on. Every job must be waited for, which frees its slot. A job of
   * SHARE_MIN_BYTES or more without a fault, whose ranges neither overlap one another's
   * destinations nor the sources, may be copied in part by other workers with nothing queued.
   */
  submit(w: number, ranges: readonly CopyRange[], fault?: CopyFault): CopyJob {
    if (this.closed) throw new Error("CopyWorkerPool: submit after close");
    if (!Number.isInteger(w) || w < 0 || w >= this.size) {
      throw new Error(`CopyWorkerPool: no worker ${w} in a pool of ${this.size}`);
    }
    if (fault !== undefined && fault !== "crash" && fault !== "hang") {
      throw new Error(`CopyWorkerPool: unknown fault ${String(fault)}`);
    }
    if (this.nrFree === 0) {
      throw new Error(`CopyWorkerPool: more than ${MAX_COPY_JOBS} jobs not waited for`);
    }
    let nrPages = 0;
    for (const r of ranges) {
      this.contents.checkRange(r.dstPfn, r.nrPages, "copy to");
      this.contents.checkRange(r.srcPfn, r.nrPages, "copy from");
      nrPages += r.nrPages;
    }
    // The worker touches the memory itself: the main thread's queued copies land first.
    this.contents.flushCopies();
    const lane = this.readyLane(w);
    const words = this.encode(ranges);
    const slot = this.freeSlots[--this.nrFree];
    const tag = this.nextTag;
    this.nextTag = tag === 0x3fffffff ? 1 : tag + 1;
    Atomics.store(this.status, slot, tag);
    const share =
      fault === undefined &&
      this.size > 1 &&
      this.nrFreeShares > 0 &&
      nrPages * PAGE_SIZE >= SHARE_MIN_BYTES &&
      words <= ABI.SHARE_RANGES * ABI.RANGE_WORDS &&
      this.unordered(words)
        ? this.freeShares[--this.nrFreeShares]
        : -1;
    const job = new Job(this, w, nrPages * PAGE_SIZE, lane, slot, tag, share);
    this.jobs[slot] = job;
    if (this.inFlight++ === 0) this.busySince = performance.now();
    const queued = share >= 0 || ABI.JOB_HEADER_WORDS + words + HEADER_RESERVE <= lane.room();
    const message = lane.newChunkIds.length > 0 || !queued;
    if (message) lane.send(true, queued ? null : this.scratch.slice(0, words));
    // Every worker has every chunk before any can claim a range.
    for (const other of this.lanes) {
      if (other !== null && other !== lane && other.newChunkIds.length > 0) other.send(false, null);
    }
    if (share >= 0) this.publish(share, slot, tag, words);
    const queuedWords = share >= 0 || !queued ? 0 : words;
    lane.put(slot);
    lane.put(tag);
    lane.put(
      fault === undefined ? ABI.FAULT_NONE : fault === "crash" ? ABI.FAULT_CRASH : ABI.FAULT_HANG,
    );
    lane.put(message ? 1 : 0);
    lane.put(queuedWords);
    lane.put(share);
    for (let i = 0; i < queuedWords; i++) lane.put(this.scratch[i]);
    Atomics.store(lane.ctl, ABI.LANE_HEAD, lane.head);
    lane.ring();
    if (share >= 0) {
      for (const other of this.lanes) if (other !== null && other !== lane) other.ring();
    }
    // A worker that crashed before it could see this job will never run it.
    if (Atomics.load(lane.ctl, ABI.LANE_STATE) === ABI.LANE_DEAD) {
      Atomics.compareExchange(this.status, slot, tag, ABI.JOB_FAILED);
    }
    return job;
  }

  /**
   * Hand every worker the memory of these page ranges before jobs on it are timed: chunks not
   * touched yet are allocated, every idle worker is sent those it lacks and is waited for
   * until it has taken them in. Taking in hundreds of chunk buffers costs a worker several
   * milliseconds, which otherwise fell inside the first job timed on fresh memory. A worker
   * with a job queued (a hung one among them) takes them in before its next job instead.
   */
  adopt(ranges: readonly { pfn: number; nrPages: number }[]): void {
    if (this.closed) throw new Error("CopyWorkerPool: adopt after close");
    const sentAll = this.sentAll;
    for (const r of ranges) {
      this.contents.checkRange(r.pfn, r.nrPages, "adopt");
      if (r.nrPages === 0) continue;
      const last = (r.pfn + r.nrPages - 1) >>> CHUNK_PAGE_ORDER;
      for (let c = r.pfn >>> CHUNK_PAGE_ORDER; c <= last; c++) {
        if (sentAll[c] === 0) this.sendChunk(c, c * CHUNK_PAGES);
      }
    }
    const waiting: Lane[] = [];
    for (const lane of this.lanes) {
      if (lane === null || lane.newChunkIds.length === 0) continue;
      lane.send(false, null);
      if (Atomics.load(lane.ctl, ABI.LANE_TAIL) !== lane.head) continue;
      lane.ring();
      waiting.push(lane);
    }
    for (const lane of waiting) {
      if (Atomics.load(lane.ctl, ABI.LANE_STATE) === ABI.LANE_DEAD) continue;
      waitAtLeast(lane.ctl, ABI.LANE_RECEIVED, lane.posted, BOOT_TIMEOUT_MS);
    }
  }

  /**
   * Block the main thread until the job ends or hostTimeoutMs passes. "failed": the worker hit
   * an error or crashed (a crashed worker is replaced); "timeout": the worker is stopped and
   * replaced, and the other jobs queued on it fail. Either way no copy of that worker runs
   * after wait returns; its destinations may hold a partial copy.
   */
  wait(job: CopyJob, hostTimeoutMs = DEFAULT_HOST_TIMEOUT_MS): CopyWaitResult {
    if (!(job instanceof Job) || job.pool !== this) {
      throw new Error("CopyWorkerPool: waiting for a job of another pool");
    }
    if (job.result !== null) return job.result;
    if (!(hostTimeoutMs >= 0)) {
      throw new Error(`CopyWorkerPool: host timeout ${hostTimeoutMs} ms is not >= 0`);
    }
    const status = this.status;
    const slot = job.slot;
    const tag = job.tag;
    let s = Atomics.load(status, slot);
    const deadline = performance.now() + hostTimeoutMs;
    while (s === tag) {
      const left = deadline - performance.now();
      if (left <= 0) {
        // Claim the slot so a late completion cannot race the verdict.
        s = Atomics.compareExchange(status, slot, tag, ABI.JOB_TIMEDOUT);
        if (s === tag) {
          s = ABI.JOB_TIMEDOUT;
          this.replace(job.lane);
        }
        break;
      }
      Atomics.wait(status, slot, tag, left);
      s = Atomics.load(status, slot);
    }
    if (s === ABI.JOB_FAILED && Atomics.load(job.lane.ctl, ABI.LANE_STATE) === ABI.LANE_DEAD) {
      this.replace(job.lane);
    }
    return this.observe(job, s);
  }

  /** Stop every worker; jobs not finished fail. The process can exit without this. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ends: Promise<number>[] = [];
    for (const lane of this.lanes) if (lane !== null) ends.push(this.stop(lane));
    this.lanes.fill(null);
    await Promise.all(ends);
  }

  /** Worker w, started (or restarted after a crash) and ready. */
  private readyLane(w: number): Lane {
    let lane = this.lanes[w];
    if (lane !== null && Atomics.load(lane.ctl, ABI.LANE_STATE) === ABI.LANE_DEAD) {
      this.replace(lane);
      lane = this.lanes[w];
    }
    if (lane === null) {
      lane = this.startLane(w);
      this.lanes[w] = lane;
    }
    if (!waitAtLeast(lane.ctl, ABI.LANE_STATE, ABI.LANE_READY, BOOT_TIMEOUT_MS)) {
      void lane.worker.terminate();
      this.lanes[w] = null;
      throw new Error(`CopyWorkerPool: copy worker ${w} did not start in ${BOOT_TIMEOUT_MS} ms`);
    }
    return lane;
  }

  /**
   * A worker (first or replacement), booting in the background. It is sent every chunk the
   * others have at once: it may help with a job shared before it started.
   */
  private startLane(w: number): Lane {
    const shared = {
      status: this.status.buffer,
      share: this.share.buffer,
      shareRanges: this.shareRanges.buffer,
    };
    const lane = new Lane(w, shared, this.nrChunks);
    const sentAll = this.sentAll;
    for (let c = 0; c < this.nrChunks; c++) {
      if (sentAll[c] !== 0) {
        lane.sent[c] = 1;
        lane.newChunkIds.push(c);
        lane.newChunkBuffers.push(this.contents.locate(c * CHUNK_PAGES).buffer);
      }
    }
    if (lane.newChunkIds.length > 0) lane.send(false, null);
    return lane;
  }

  /** Queue chunk c (at pfn) for every live worker that has not been sent it. */
  private sendChunk(c: number, pfn: number): void {
    this.sentAll[c] = 1;
    const buffer = this.contents.locate(pfn).buffer;
    for (const lane of this.lanes) {
      if (lane !== null && lane.sent[c] === 0) {
        lane.sent[c] = 1;
        lane.newChunkIds.push(c);
        lane.newChunkBuffers.push(buffer);
      }
    }
  }

  /**
   * Open share entry e for the job whose range words are in scratch: ranges first, the claim
   * counter last, since a worker reads the entry only once its claim succeeds.
   */
  private publish(e: number, slot: number, tag: number, words: number): void {
    const b = e * ABI.SHARE_WORDS;
    this.shareRanges.set(this.scratch.subarray(0, words), e * ABI.SHARE_RANGES * ABI.RANGE_WORDS);
    const share = this.share;
    share[b + ABI.SHARE_NR] = words / ABI.RANGE_WORDS;
    share[b + ABI.SHARE_SLOT] = slot;
    share[b + ABI.SHARE_TAG] = tag;
    Atomics.store(share, b + ABI.SHARE_DONE, 0);
    Atomics.store(share, b + ABI.SHARE_CLAIM, 0);
  }

  /**
   * Close share entry e, its job ended: no range can be claimed any more, and those claimed
   * are done (a failed job's helpers may still be copying) before the entry is reused.
   */
  private retire(e: number): void {
    const b = e * ABI.SHARE_WORDS;
    const claimed = Atomics.exchange(this.share, b + ABI.SHARE_CLAIM, ABI.SHARE_CLOSED);
    const n = Math.min(claimed, this.share[b + ABI.SHARE_NR]);
    waitAtLeast(this.share, b + ABI.SHARE_DONE, n, CANCEL_GRACE_MS);
    this.freeShares[this.nrFreeShares++] = e;
  }

  /**
   * Encode a job into scratch and return its word count: ranges split at chunk boundaries, and
   * pieces that continue the one before on both sides merged (so runs of small folios copy as
   * one set). Chunks some worker has not been sent are queued for it.
   */
  private encode(ranges: readonly CopyRange[]): number {
    const sentAll = this.sentAll;
    let r = this.scratch;
    let words = 0;
    for (const range of ranges) {
      let dst = range.dstPfn;
      let src = range.srcPfn;
      let left = range.nrPages;
      while (left > 0) {
        const n = Math.min(
          left,
          CHUNK_PAGES - (dst & CHUNK_PAGE_MASK),
          CHUNK_PAGES - (src & CHUNK_PAGE_MASK),
        );
        const dstChunk = dst >>> CHUNK_PAGE_ORDER;
        const srcChunk = src >>> CHUNK_PAGE_ORDER;
        const dstOffset = (dst & CHUNK_PAGE_MASK) << PAGE_SHIFT;
        const srcOffset = (src & CHUNK_PAGE_MASK) << PAGE_SHIFT;
        if (sentAll[dstChunk] === 0) this.sendChunk(dstChunk, dst);
        if (sentAll[srcChunk] === 0) this.sendChunk(srcChunk, src);
        if (
          words > 0 &&
          r[words - 5] === dstChunk &&
          r[words - 4] + r[words - 1] === dstOffset &&
          r[words - 3] === srcChunk &&
          r[words - 2] + r[words - 1] === srcOffset
        ) {
          r[words - 1] += n << PAGE_SHIFT;
        } else {
          if (words + ABI.RANGE_WORDS > r.length) {
            const grown = new Int32Array(r.length * 2);
            grown.set(r);
            r = grown;
            this.scratch = r;
          }
          r[words++] = dstChunk;
          r[words++] = dstOffset;
          r[words++] = srcChunk;
          r[words++] = srcOffset;
          r[words++] = n << PAGE_SHIFT;
        }
        dst += n;
        src += n;
        left -= n;
      }
    }
    return words;
  }

  /**
   * Whether the job's pieces in scratch (at most SHARE_RANGES) give the same bytes in any
   * order: no destination overlaps another piece's destination or any source.
   */
  private unordered(words: number): boolean {
    const r = this.scratch;
    const dstKeys = this.dstKeys;
    const srcKeys = this.srcKeys;
    const n = words / ABI.RANGE_WORDS;
    for (let i = 0; i < n; i++) {
      const p = i * ABI.RANGE_WORDS;
      dstKeys[i] = (r[p] * CHUNK_PAGES + (r[p + 1] >>> PAGE_SHIFT)) * ABI.SHARE_RANGES + i;
      srcKeys[i] = (r[p + 2] * CHUNK_PAGES + (r[p + 3] >>> PAGE_SHIFT)) * ABI.SHARE_RANGES + i;
    }
    const dst = dstKeys.subarray(0, n).sort();
    const src = srcKeys.subarray(0, n).sort();
    const pfn = (key: number): number => Math.floor(key / ABI.SHARE_RANGES);
    const end = (key: number): number =>
      pfn(key) + (r[(key % ABI.SHARE_RANGES) * ABI.RANGE_WORDS + 4] >>> PAGE_SHIFT);
    for (let i = 1; i < n; i++) if (pfn(dst[i]) < end(dst[i - 1])) return false;
    // Sources ascend, so a destination that ends before one source ends before all the rest.
    let j = 0;
    for (let i = 0; i < n; i++) {
      while (j < n && end(dst[j]) <= pfn(src[i])) j++;
      if (j < n && pfn(dst[j]) < end(src[i])) return false;
    }
    return true;
  }

  /** Record a job's end: free its slot, collect copied bytes, close a busy interval. */
  private observe(job: Job, s: number): CopyWaitResult {
    const result = s === ABI.JOB_DONE ? "done" : s === ABI.JOB_FAILED ? "failed" : "timeout";
    job.result = result;
    if (job.share >= 0) this.retire(job.share);
    this.jobs[job.slot] = undefined;
    this.freeSlots[this.nrFree++] = job.slot;
    for (const lane of this.lanes) if (lane !== null) this.collect(lane);
    if (--this.inFlight === 0) this.counters.busyNs += (performance.now() - this.busySince) * 1e6;
    return result;
  }

  private collect(lane: Lane): void {
    this.counters.bytes += Atomics.exchange(lane.ctl, ABI.LANE_PAGES, 0) * PAGE_SIZE;
  }

  /** Stop a failed worker (once) and start its replacement, which boots in the background. */
  private replace(lane: Lane): void {
    if (this.lanes[lane.index] !== lane) return;
    void this.stop(lane);
    this.lanes[lane.index] = this.startLane(lane.index);
  }

  /**
   * Cancel a worker and wait until it copies nothing more (terminate() only takes effect
   * later), fail its jobs, and terminate it.
   */
  private stop(lane: Lane): Promise<number> {
    const ctl = lane.ctl;
    Atomics.store(ctl, ABI.LANE_CANCEL, 1);
    if (Atomics.load(ctl, ABI.LANE_BUSY) !== 0)
      Atomics.wait(ctl, ABI.LANE_BUSY, 1, CANCEL_GRACE_MS);
    this.collect(lane);
    for (const job of this.jobs) {
      if (job?.lane === lane)
        Atomics.compareExchange(this.status, job.slot, job.tag, ABI.JOB_FAILED);
    }
    return lane.worker.terminate();
  }
}

/**
 * The reference for hostCopyGBps: two worker threads each copy half of `bytes` between two
 * SharedArrayBuffers with TypedArray.set in chunkBytes pieces. Timed on the main thread from
 * the go message to both done; start-up and first-touch faults are outside the timing.
 * Returns GB/s (bytes per nanosecond).
 */
export function twoWorkerSetBaselineGBps(bytes: number, chunkBytes: number): number {
  if (
    !Number.isSafeInteger(bytes) ||
    bytes < 2 ||
    !Number.isSafeInteger(chunkBytes) ||
    chunkBytes < 1
  ) {
    throw new Error(`twoWorkerSetBaselineGBps: bad sizes ${bytes} / ${chunkBytes}`);
  }
  noteHostMemory(2 * bytes);
  const src = new SharedArrayBuffer(bytes);
  const dst = new SharedArrayBuffer(bytes);
  const s8 = new Uint8Array(src);
  const d8 = new Uint8Array(dst);
  for (let i = 0; i < bytes; i += PAGE_SIZE) {
    s8[i] = 1;
    d8[i] = 0;
  }
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const half = Math.floor(bytes / 2);
  const workers = [
    { offset: 0, bytes: half },
    { offset: half, bytes: bytes - half },
  ].map((part) =>
    startWorker(SET_BASELINE_SOURCE, { src, dst, ctl: ctl.buffer, chunkBytes, ...part }),
  );
  try {
    if (!waitAtLeast(ctl, 0, 2, BOOT_TIMEOUT_MS)) {
      throw new Error("twoWorkerSetBaselineGBps: workers did not start");
    }
    const t0 = performance.now();
    for (const w of workers) w.postMessage(null);
    if (!waitAtLeast(ctl, 1, 2, DEFAULT_HOST_TIMEOUT_MS)) {
      throw new Error("twoWorkerSetBaselineGBps: workers did not finish");
    }
    return bytes / ((performance.now() - t0) * 1e6);
  } finally {
    for (const w of workers) void w.terminate();
  }
}

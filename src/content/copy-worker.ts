/**
 * The scripts the copy worker threads run, and the shared-memory protocol they speak with the
 * pool (workers.ts).
 *
 * Each script is one self-contained function: it uses nothing from module scope and imports
 * only types, so workers.ts can start it with `new Worker(source, { eval: true })` from
 * `fn.toString()`. The same text then runs from compiled dist/ and from TypeScript source under
 * Vitest, with no worker file to resolve and no TypeScript loader in the worker. The constants
 * a script needs arrive in its workerData.
 */

import type { MessagePort, receiveMessageOnPort } from "node:worker_threads";

/** Protocol constants, sent to each worker in its workerData. */
export const ABI = {
  /** Lane control words (an Int32Array per worker). LANE_STATE: 0 starting, READY, DEAD. */
  LANE_STATE: 0,
  /** 1 while the worker copies a range; the pool waits for 0 after cancelling. */
  LANE_BUSY: 1,
  /** Set by the pool before it abandons the worker: copy no further range. */
  LANE_CANCEL: 2,
  /** Pages copied, added per range by the worker and drained by the pool. */
  LANE_PAGES: 3,
  /** Never written: an injected hang waits on it forever. */
  LANE_HANG: 4,
  /** Queue position after the last job published; the idle worker sleeps on it. */
  LANE_HEAD: 5,
  /** Queue position after the last job the worker finished with. */
  LANE_TAIL: 6,
  /** Bumped by the pool when this worker may have work (its own or to help); it sleeps on it. */
  LANE_BELL: 7,
  /** Port messages the worker has taken in; the pool waits on it to know chunks arrived. */
  LANE_RECEIVED: 8,
  LANE_WORDS: 9,
  LANE_READY: 1,
  /** Crashed: no job queued on this worker will run. */
  LANE_DEAD: 2,
  /** The job queue: a ring of Int32 words; positions count words modulo POS_MASK + 1. */
  QUEUE_WORDS: 1 << 16,
  POS_MASK: (1 << 30) - 1,
  /** A job in the queue: these header words, then its range words (none if in the message). */
  JOB_SLOT: 0,
  JOB_TAG: 1,
  JOB_FAULT: 2,
  /** 1 if a port message goes with the job: new chunks, and its ranges if too many to queue. */
  JOB_MESSAGE: 3,
  JOB_QUEUED_WORDS: 4,
  /** The job's share entry (its ranges are there, copied by any worker), or -1. */
  JOB_SHARE: 5,
  JOB_HEADER_WORDS: 6,
  /**
   * Job status words hold the job's positive tag while it runs, then one of these. The worker
   * completes with compareExchange(tag, result), so a worker abandoned by the pool can never
   * complete a slot that has since been reused by another job.
   */
  JOB_DONE: -1,
  JOB_FAILED: -2,
  JOB_TIMEDOUT: -3,
  FAULT_NONE: 0,
  FAULT_CRASH: 1,
  FAULT_HANG: 2,
  /** Range words: dstChunk, dstOffset, srcChunk, srcOffset, bytes; inside one chunk each. */
  RANGE_WORDS: 5,
  /**
   * Shared jobs: entries of SHARE_WORDS words in one pool-wide Int32Array, each with room for
   * SHARE_RANGES ranges in another. A worker takes range SHARE_CLAIM++ if it is below SHARE_NR;
   * the one that brings SHARE_DONE to SHARE_NR completes the job.
   */
  SHARE_ENTRIES: 32,
  SHARE_RANGES: 1024,
  SHARE_CLAIM: 0,
  SHARE_DONE: 1,
  SHARE_NR: 2,
  SHARE_SLOT: 3,
  SHARE_TAG: 4,
  SHARE_WORDS: 5,
  /** SHARE_CLAIM of a free entry: no claim can succeed. */
  SHARE_CLOSED: 1 << 30,
} as const;

export interface CopyWorkerInit {
  abi: typeof ABI;
  pageShift: number;
  /** LANE_WORDS Int32 words of this worker's lane. */
  lane: SharedArrayBuffer;
  /** QUEUE_WORDS Int32 words. */
  queue: SharedArrayBuffer;
  /** The pool's job status words. */
  status: SharedArrayBuffer;
  /** The pool's share entries and their range words. */
  share: SharedArrayBuffer;
  shareRanges: SharedArrayBuffer;
}

/**
 * A port message: chunks this worker has not been sent before (every worker gets every chunk,
 * so that any can help with a shared job), and, for the job whose header has JOB_MESSAGE set,
 * its ranges.
 */
export interface CopyWorkerMessage {
  chunkIds: number[];
  chunkBuffers: SharedArrayBuffer[];
  /** False for chunks alone, sent while another worker's job was queued. */
  job: boolean;
  /** The job's range words when the queue had no room for them, else null. */
  ranges: Int32Array | null;
}

/**
 * The copy worker: runs jobs in queue order, each range one Uint8Array.prototype.set. Jobs
 * arrive through the shared queue and the idle worker sleeps in Atomics.wait, because waking
 * through the event loop and cloning a message costs several times more per job. A port
 * message, pulled synchronously, carries only new chunk buffers and the ranges of a job too
 * big for the queue. A shared job's ranges sit in a share entry that every worker can claim
 * from: its own worker takes them in turn, and a worker with an empty queue helps, one range
 * at a time, so that no worker idles while a range is left. Never returns.
 */
export function copyWorkerMain(
  port: MessagePort,
  init: CopyWorkerInit,
  receive: typeof receiveMessageOnPort,
): void {
  const {
    LANE_STATE,
    LANE_BUSY,
    LANE_CANCEL,
    LANE_PAGES,
    LANE_HANG,
    LANE_HEAD,
    LANE_TAIL,
    LANE_BELL,
    LANE_RECEIVED,
    LANE_READY,
    LANE_DEAD,
    POS_MASK,
    JOB_SLOT,
    JOB_TAG,
    JOB_FAULT,
    JOB_MESSAGE,
    JOB_QUEUED_WORDS,
    JOB_SHARE,
    JOB_HEADER_WORDS,
    JOB_DONE,
    JOB_FAILED,
    FAULT_NONE,
    FAULT_HANG,
    RANGE_WORDS,
    SHARE_ENTRIES,
    SHARE_RANGES,
    SHARE_CLAIM,
    SHARE_DONE,
    SHARE_NR,
    SHARE_SLOT,
    SHARE_TAG,
    SHARE_WORDS,
    SHARE_CLOSED,
  } = init.abi;
  const pageShift = init.pageShift;
  const lane = new Int32Array(init.lane);
  const queue = new Int32Array(init.queue);
  const q = queue.length - 1;
  const status = new Int32Array(init.status);
  const share = new Int32Array(init.share);
  const shareRanges = new Int32Array(init.shareRanges);
  /** Views of the chunks received so far, by chunk index. */
  const chunks: Uint8Array[] = [];
  /** Range words (or null) of the jobs whose messages arrived, in queue order. */
  const jobMessages: (Int32Array | null)[] = [];

  /** Take in every message sent so far. */
  const drain = (): void => {
    for (let r = receive(port); r !== undefined; r = receive(port)) {
      const m = r.message as CopyWorkerMessage;
      for (let k = 0; k < m.chunkIds.length; k++) {
        chunks[m.chunkIds[k]] = new Uint8Array(m.chunkBuffers[k]);
      }
      if (m.job) jobMessages.push(m.ranges);
      Atomics.add(lane, LANE_RECEIVED, 1);
      Atomics.notify(lane, LANE_RECEIVED);
    }
  };

  const finish = (slot: number, tag: number, result: number): void => {
    if (Atomics.compareExchange(status, slot, tag, result) === tag) Atomics.notify(status, slot);
  };

  const complete = (at: number, result: number): void =>
    finish(queue[(at + JOB_SLOT) & q], queue[(at + JOB_TAG) & q], result);

  const next = (at: number): number =>
    (at + JOB_HEADER_WORDS + queue[(at + JOB_QUEUED_WORDS) & q]) & POS_MASK;

  /**
   * Announce a copy, before reading CANCEL, as the pool sets CANCEL before reading BUSY: one of
   * the two sees the other, so no range starts after the pool has given up. False if cancelled.
   */
  const enter = (): boolean => {
    Atomics.store(lane, LANE_BUSY, 1);
    if (Atomics.load(lane, LANE_CANCEL) === 0) return true;
    leave();
    return false;
  };

  const leave = (): void => {
    Atomics.store(lane, LANE_BUSY, 0);
    if (Atomics.load(lane, LANE_CANCEL) !== 0) Atomics.notify(lane, LANE_BUSY);
  };

  const copyRange = (r: Int32Array, p: number, mask: number): void => {
    const dst = r[p & mask];
    const src = r[(p + 2) & mask];
    // A chunk may have come with another worker's job, in a message not taken in yet.
    if (chunks[dst] === undefined || chunks[src] === undefined) drain();
    const srcOffset = r[(p + 3) & mask];
    const bytes = r[(p + 4) & mask];
    chunks[dst].set(chunks[src].subarray(srcOffset, srcOffset + bytes), r[(p + 1) & mask]);
    Atomics.add(lane, LANE_PAGES, bytes >>> pageShift);
  };

  /** Copy `words` range words of r from `from` (indices & mask); false if cancelled. */
  const copy = (r: Int32Array, mask: number, from: number, words: number): boolean => {
    for (let p = from; p < from + words; p += RANGE_WORDS) {
      if (!enter()) return false;
      copyRange(r, p, mask);
      leave();
    }
    return true;
  };

  /**
   * Claim and copy the next range of share entry e; false when none is left or the worker is
   * cancelled. The claim comes after enter(), so a claimed range is always copied (or its job
   * failed) before the pool, which waits for BUSY or DONE, reuses anything.
   */
  const copyShared = (e: number): boolean => {
    if (!enter()) return false;
    const b = e * SHARE_WORDS;
    const k = Atomics.add(share, b + SHARE_CLAIM, 1);
    const n = Atomics.load(share, b + SHARE_NR);
    if (k >= n) {
      leave();
      return false;
    }
    const slot = share[b + SHARE_SLOT];
    const tag = share[b + SHARE_TAG];
    const p = (e * SHARE_RANGES + k) * RANGE_WORDS;
    try {
      copyRange(shareRanges, p, -1);
    } catch {
      finish(slot, tag, JOB_FAILED);
    }
    if (Atomics.add(share, b + SHARE_DONE, 1) === n - 1) finish(slot, tag, JOB_DONE);
    // The pool closes the entry, then waits for the ranges claimed before to be done.
    if (Atomics.load(share, b + SHARE_CLAIM) >= SHARE_CLOSED) Atomics.notify(share, b + SHARE_DONE);
    leave();
    return true;
  };

  /** Run the job at queue position `at`. */
  const run = (at: number): void => {
    const e = queue[(at + JOB_SHARE) & q];
    if (e >= 0) {
      // Chunks first: they came with this job or before it.
      if (queue[(at + JOB_MESSAGE) & q] !== 0) {
        drain();
        jobMessages.shift();
      }
      // Whoever copies the last range completes the job.
      while (copyShared(e));
      return;
    }
    const fault = queue[(at + JOB_FAULT) & q];
    let ok: boolean;
    try {
      let r: Int32Array = queue;
      let mask = q;
      let from = at + JOB_HEADER_WORDS;
      let words = queue[(at + JOB_QUEUED_WORDS) & q];
      if (queue[(at + JOB_MESSAGE) & q] !== 0) {
        drain();
        const ranges = jobMessages.shift();
        if (ranges) {
          r = ranges;
          mask = -1;
          from = 0;
          words = r.length;
        }
      }
      // An injected fault strikes after the first half of the ranges.
      if (fault !== FAULT_NONE) words = ((words / RANGE_WORDS) >>> 1) * RANGE_WORDS;
      ok = copy(r, mask, from, words);
    } catch {
      // A bad job fails alone; the worker lives on.
      leave();
      ok = false;
    }
    if (fault === FAULT_NONE) {
      complete(at, ok ? JOB_DONE : JOB_FAILED);
      return;
    }
    if (fault === FAULT_HANG) {
      // Never completes; only terminate() ends this.
      for (;;) Atomics.wait(lane, LANE_HANG, 0);
    }
    // Crash: mark the lane dead before failing the job, so the pool sees why it failed; fail
    // what is queued behind (the pool fails what it queues after DEAD), and die. 'exit' events
    // cannot reach a pool blocked in Atomics.wait, so the shared words must tell.
    Atomics.store(lane, LANE_STATE, LANE_DEAD);
    complete(at, JOB_FAILED);
    const head = Atomics.load(lane, LANE_HEAD);
    for (let p = next(at); p !== head; p = next(p)) complete(p, JOB_FAILED);
    process.exit(1);
  };

  /** Help with shared jobs while this worker's queue stays empty; false if there was nothing. */
  const help = (tail: number): boolean => {
    let helped = false;
    for (let e = 0; e < SHARE_ENTRIES; e++) {
      const b = e * SHARE_WORDS;
      if (Atomics.load(share, b + SHARE_CLAIM) >= Atomics.load(share, b + SHARE_NR)) continue;
      while (Atomics.load(lane, LANE_HEAD) === tail && copyShared(e)) helped = true;
      if (Atomics.load(lane, LANE_HEAD) !== tail) return true;
    }
    return helped;
  };

  Atomics.store(lane, LANE_STATE, LANE_READY);
  Atomics.notify(lane, LANE_STATE);
  for (let tail = 0; ; ) {
    // Read the bell first: work published after this read rings it, and the wait returns.
    const bell = Atomics.load(lane, LANE_BELL);
    if (Atomics.load(lane, LANE_HEAD) !== tail) {
      run(tail);
      tail = next(tail);
      Atomics.store(lane, LANE_TAIL, tail);
    } else {
      // Chunks sent ahead of any job (CopyWorkerPool.adopt) are taken in while idle.
      drain();
      if (Atomics.load(lane, LANE_CANCEL) !== 0 || !help(tail)) Atomics.wait(lane, LANE_BELL, bell);
    }
  }
}

export interface SetBaselineInit {
  src: SharedArrayBuffer;
  dst: SharedArrayBuffer;
  /** Word 0: workers ready; word 1: workers done. */
  ctl: SharedArrayBuffer;
  offset: number;
  bytes: number;
  chunkBytes: number;
}

/**
 * The reference copier for hostCopyGBps: on any message, copy its byte range from src to dst
 * with TypedArray.set in chunkBytes pieces, nothing else.
 */
export function setBaselineWorkerMain(port: MessagePort, init: SetBaselineInit): void {
  const src = new Uint8Array(init.src);
  const dst = new Uint8Array(init.dst);
  const ctl = new Int32Array(init.ctl);
  const end = init.offset + init.bytes;
  port.on("message", () => {
    for (let o = init.offset; o < end; o += init.chunkBytes) {
      dst.set(src.subarray(o, Math.min(o + init.chunkBytes, end)), o);
    }
    Atomics.add(ctl, 1, 1);
    Atomics.notify(ctl, 1);
  });
  Atomics.add(ctl, 0, 1);
  Atomics.notify(ctl, 0);
}

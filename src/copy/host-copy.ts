/**
 * The real byte copy behind a modelled copy engine in bytes mode. With host workers (the
 * kernel's copyPool) it starts on a worker thread when the model starts the transfer, so the
 * host copies while the simulation goes on, and is waited for when the model says the
 * transfer is complete; without them it runs on the main thread at completion. A worker that
 * crashes (an injected "worker-crash", drawn by the engine's model so that every mode sees
 * the same faults) or hangs is a failed transfer: the driver falls back as it would on a DMA
 * error, and the destination's partial bytes are never marked as copied.
 */
import type { CopyJob, CopyRange } from "../content/workers.js";
import type { Kernel } from "../migrate/kernel.js";
import type { Folio } from "../mm/folio.js";

/** How long the host waits for a worker before declaring it hung. */
const HOST_TIMEOUT_MS = 30_000;

/**
 * Allocate the host memory behind the folios and hand it to every copy worker before an engine
 * starts copying them: memory touched for the first time is allocated (and prefaulted) on the
 * main thread, and the workers take in its buffers, neither of which may land inside the time
 * the workers are timed copying.
 */
export function touchHostMemory(k: Kernel, folios: readonly Folio[]): void {
  if (k.phys.contents === null) return;
  k.copyPool?.adopt(folios);
}

/** A transfer's real copy in flight: on a worker (job), or deferred to the main thread. */
export interface HostCopy {
  readonly job: CopyJob | null;
  readonly ranges: readonly CopyRange[];
}

/** Start copying `ranges` (worker `worker`, modulo the pool); null without page contents. */
export function startHostCopy(
  k: Kernel,
  worker: number,
  ranges: readonly CopyRange[],
  crash = false,
): HostCopy | null {
  if (k.phys.contents === null) return null;
  const pool = k.copyPool;
  const job =
    pool === null ? null : pool.submit(worker % pool.size, ranges, crash ? "crash" : undefined);
  return { job, ranges };
}

/**
 * Complete the copy when the model's transfer completes: true when every byte landed, false
 * when the worker failed or hung, or the model crashed the transfer (then, on the main thread,
 * only the first half of the ranges is copied, as a crashed worker would leave it).
 */
export function finishHostCopy(k: Kernel, copy: HostCopy | null, crash = false): boolean {
  if (copy === null) return !crash;
  if (copy.job !== null) return k.copyPool?.wait(copy.job, HOST_TIMEOUT_MS) === "done";
  const contents = k.phys.contents;
  const n = crash ? copy.ranges.length >> 1 : copy.ranges.length;
  for (let i = 0; i < n; i++) {
    const r = copy.ranges[i];
    contents?.copyPages(r.dstPfn, r.srcPfn, r.nrPages);
  }
  return !crash;
}

/**
 * The transfer was terminated: a worker's copy is waited for (its bytes may have landed, as a
 * terminated engine's may), a copy deferred to the main thread is dropped.
 */
export function cancelHostCopy(k: Kernel, copy: HostCopy | null): void {
  if (copy?.job) k.copyPool?.wait(copy.job, HOST_TIMEOUT_MS);
}

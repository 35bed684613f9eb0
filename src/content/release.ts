/**
 * Giving a bytes-mode machine's memory back to the host. V8 does not count SharedArrayBuffer
 * backing stores as heap pressure, so a process that boots several bytes-mode machines in turn
 * (a sweep, the benchmark) would hold every earlier machine's node memory until the host runs
 * out before a collection happens. So every RELEASE_EVERY_BYTES of node memory allocated, a
 * full collection returns what earlier machines left behind. Node-only, like the copy workers.
 *
 * The release must be over when the collection returns. By default V8 frees dead array
 * buffers on a background thread after the collection; freeing gigabytes is seconds of kernel
 * time, which then ran beside the next copies timed and, on a two-core host, took a core from
 * the copy workers (the first timed call of a fresh machine copied 1 GiB in 240-530 ms instead
 * of 110-150 ms). With that sweeping done in the pause, the cost lands on the allocation that
 * triggered it, outside any timed copy.
 */
import { createRequire } from "node:module";

/** node:v8 and node:vm load with the first bytes-mode machine: metadata mode never needs them. */
const nodeRequire = createRequire(import.meta.url);

const RELEASE_EVERY_BYTES = 2 ** 31;

let gc: (() => void) | null = null;
let allocatedSinceRelease = 0;

/** Account for `bytes` of node memory about to be allocated; collect first when it is time. */
export function noteHostMemory(bytes: number): void {
  if (gc === null) {
    const { setFlagsFromString } = nodeRequire("node:v8") as typeof import("node:v8");
    const { runInNewContext } = nodeRequire("node:vm") as typeof import("node:vm");
    // Before the first buffer, so that no collection ever frees one in the background.
    setFlagsFromString("--no-concurrent-array-buffer-sweeping");
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  allocatedSinceRelease += bytes;
  if (allocatedSinceRelease < RELEASE_EVERY_BYTES) return;
  allocatedSinceRelease = 0;
  gc();
}

/**
 * Giving a bytes-mode machine's memory back to the host. V8 does not count SharedArrayBuffer
 * backing stores as heap pressure, so a process that boots several bytes-mode machines in turn
 * (a sweep, the benchmark) would hold every earlier machine's node memory until the host runs
 * out before a collection happens. So every RELEASE_EVERY_BYTES of node memory allocated, a
 * full collection returns what earlier machines left behind. Node-only, like the copy workers.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const RELEASE_EVERY_BYTES = 2 ** 31;

let gc: (() => void) | null = null;
let allocatedSinceRelease = 0;

/** Account for `bytes` of node memory about to be allocated; collect first when it is time. */
export function noteHostMemory(bytes: number): void {
  allocatedSinceRelease += bytes;
  if (allocatedSinceRelease < RELEASE_EVERY_BYTES) return;
  allocatedSinceRelease = 0;
  if (gc === null) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}

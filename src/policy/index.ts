/**
 * The kernel's own callers of migrate_pages() on a machine at work: NUMA balancing, memory
 * tiering (promotion and demotion), compaction. A scenario's `sysctl:` turns each on; this
 * starts the kthreads and installs the fault handlers of those that are, before the run.
 * Policies sit on migrate/ and mm/: they see the applications only as processes (Task, mm).
 */
import type { FolioEvents } from "../migrate/exec.js";
import type { Kernel } from "../migrate/kernel.js";
import type { Task } from "../mm/task.js";
import { startCompaction } from "./kcompactd.js";
import { startNumaBalancing } from "./numa-balancing.js";
import { reclaimOf } from "./reclaim.js";
import { NUMA_BALANCING_MEMORY_TIERING, type Sysctl } from "./sysctl.js";
import { MemoryTiering } from "./tiering.js";

export { bootReclaim } from "./reclaim.js";

/** What a policy sees of the run it takes part in. */
export interface PolicyContext {
  k: Kernel;
  sysctl: Sysctl;
  /** The applications' processes (their mm: address space, access model, CPU mask). */
  processes: readonly Task[];
  /** The end of the run, virtual ns: the policies' kthreads stop there. */
  endNs: number;
  /** What the applications feel of a folio a policy migrates (their stalls, their bytes by node). */
  watcher: FolioEvents;
}

/** Start the policies `ctx.sysctl` turns on. */
export function startPolicies(ctx: PolicyContext): void {
  const reclaim = reclaimOf(ctx.k);
  if (reclaim !== null) {
    reclaim.watcher = ctx.watcher;
    reclaim.endNs = ctx.endNs;
  }
  const nb = startNumaBalancing(ctx);
  // Tiering's promotion is NUMA balancing's fault path with the MEMORY_TIERING branch.
  if (nb !== null && reclaim !== null && nb.mode & NUMA_BALANCING_MEMORY_TIERING) {
    nb.tiering = new MemoryTiering(reclaim, ctx.sysctl);
  }
  // Compaction is always configured in the kernel (CONFIG_COMPACTION): kcompactd runs, and the
  // THP defrag setting decides what a fault does.
  startCompaction(ctx.k, ctx.sysctl, ctx.watcher, ctx.endNs);
}

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
import type { Sysctl } from "./sysctl.js";

/** What a policy sees of the run it takes part in. */
export interface PolicyContext {
  k: Kernel;
  sysctl: Sysctl;
  /** The applications' processes (their mm: address space, access model, CPU mask). */
  processes: readonly Task[];
  /** The end of the run, virtual ns: the policies' kthreads stop there. */
  endNs: number;
  /**
   * Hears the unmap and remap of any process's folio a policy migrates, so that the process's
   * threads stall on it; null when nobody listens.
   */
  folioEvents: FolioEvents | null;
}

/** Start the policies `ctx.sysctl` turns on. */
export function startPolicies(ctx: PolicyContext): void {
  // Each policy adds its start here as it lands (numa-balancing, tiering, compaction).
  startNumaBalancing(ctx);
  // Compaction is always configured in the kernel (CONFIG_COMPACTION): kcompactd runs, and the
  // THP defrag setting decides what a fault does.
  startCompaction(ctx.k, ctx.sysctl, ctx.folioEvents, ctx.endNs);
}

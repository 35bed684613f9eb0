/**
 * Runs one simulation of the search: the move_pages(2) benchmark in metadata mode, one timed
 * call (the model is deterministic, so more runs would repeat it exactly).
 */
import { type LoadedProfile, loadProfile } from "../machine/profile.js";
import { lruCacheDisableNs } from "../migrate/isolate.js";
import { runMovePagesBench } from "../workload/move-pages-bench.js";
import type { SimJob, SimOutcome } from "./sim-job.js";

const profiles = new Map<string, LoadedProfile>();

export async function simulate(job: SimJob): Promise<SimOutcome> {
  let profile = profiles.get(job.profile);
  if (profile === undefined) {
    profile = loadProfile(job.profile);
    profiles.set(job.profile, profile);
  }
  const r = await runMovePagesBench({
    migrator: job.migrator,
    workers: job.workers,
    placement: job.placement,
    minBatchFolios: job.minBatchFolios,
    profile,
    folioSizeBytes: job.folioSizeBytes,
    folioCount: job.folioCount,
    batchPages: job.batchPages,
    runs: 1,
    seed: job.seed ?? 1,
    verify: false,
  });
  const bytes = job.folioSizeBytes * job.folioCount;
  // GB/s is bytes per ns. The isolate phase (syscall entry and the address walk) all comes
  // before migrate_pages() is called, so the rest of the latency is migrate_pages()'s own.
  return {
    callNs: bytes / r.throughputGBps.mean,
    cpuNs: r.cpuTimeUs * 1000,
    firstFolioNs: (r.firstFolioLatencyUs - r.phasesUs.isolate) * 1000,
    perCallNs: profile.costs.syscallNs + profile.costs.migrateCallNs + lruCacheDisableNs(profile),
  };
}

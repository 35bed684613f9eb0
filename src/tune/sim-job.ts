/**
 * One simulation of the search: an engine setting moving a region of one folio size with one
 * move_pages(2) call, and how its result stands for the workload's whole call.
 *
 * The region is smaller than the call when the call is large: every batch of a call is the same
 * (the folio sizes are powers of two no larger than a batch, so batches are exactly full), and
 * what the model charges once per call (the syscall entry, lru_cache_disable() and
 * migrate_pages()'s per-call work: SimOutcome.perCallNs) is kept whole while the rest, per
 * folio and per batch, grows in proportion to the call's bytes: a
 * region of REGION_BYTES or more, rounded to whole batches, scaled to the call, gives the
 * call's figures within 0.05% (the test checks it against simulating the whole call). The
 * first-folio latency, counted from migrate_pages() entry, is that of the first batch, the same
 * at any size of at least one batch. When the call is not a whole number of batches the region
 * is the whole call.
 *
 * Jobs are normalised so settings that must behave the same share one simulation: a batch
 * limit above the region is one batch of the whole region, and a minimum batch acts only
 * through which batch sizes it declines.
 */
import type { MigratorName } from "../copy/engines.js";
import type { MtPlacement } from "../copy/mtcopy.js";
import { PAGE_SIZE } from "../mm/folio.js";
import type { EngineConfig } from "./space.js";

/** The smallest region simulated in place of a larger call. */
export const REGION_BYTES = 32 << 20;

export interface SimJob {
  /** Profile name or path, as loadProfile takes it. */
  profile: string;
  migrator: MigratorName;
  workers: number;
  placement: MtPlacement;
  minBatchFolios: number;
  batchPages: number;
  folioSizeBytes: number;
  folioCount: number;
  /** The simulation's seed (1 unless `tune --seed`); the same for every job of a search. */
  seed?: number;
}

/** What one simulation measured, for its region. */
export interface SimOutcome {
  /** Virtual time of the call. */
  callNs: number;
  /** CPU time of the call, all CPUs (the caller's and copy threads'). */
  cpuNs: number;
  /** From migrate_pages() entry until the first folio is mapped again. */
  firstFolioNs: number;
  /** Time and CPU the call spends once whatever its size (the syscall entry). */
  perCallNs: number;
}

/** The bytes simulated for a call of `totalBytes` with batches of `batchPages`. */
export function regionBytes(totalBytes: number, batchPages: number): number {
  const batchBytes = batchPages * PAGE_SIZE;
  if (totalBytes % batchBytes !== 0) return totalBytes;
  return Math.min(totalBytes, Math.ceil(REGION_BYTES / batchBytes) * batchBytes);
}

/** The job simulating `c` on folios of `folioSizeBytes` for a call of `totalBytes`. */
export function simJob(
  profile: string,
  c: EngineConfig,
  folioSizeBytes: number,
  totalBytes: number,
): SimJob {
  const region = regionBytes(totalBytes, c.batchPages);
  const regionPages = region / PAGE_SIZE;
  const batchPages = Math.min(c.batchPages, regionPages);
  const folioPages = folioSizeBytes / PAGE_SIZE;
  const fullBatch = batchPages / folioPages;
  const lastBatch = (regionPages % batchPages) / folioPages;
  const batchSizes = lastBatch > 0 ? [fullBatch, lastBatch] : [fullBatch];
  return {
    profile,
    migrator: c.migrator,
    workers: c.workers,
    placement: c.placement,
    minBatchFolios: canonicalMinBatch(c.minBatchFolios, batchSizes),
    batchPages,
    folioSizeBytes,
    folioCount: region / folioSizeBytes,
  };
}

/**
 * A batch of n folios is declined when n < min; so only which of the call's batch sizes fall
 * below it matters, and the smallest minimum declining the same ones stands for all of them.
 */
export function canonicalMinBatch(min: number, batchFolios: readonly number[]): number {
  let canonical = 0;
  for (const n of batchFolios) if (n < min) canonical = Math.max(canonical, n + 1);
  return canonical;
}

export function simKey(j: SimJob): string {
  return [
    j.profile,
    j.migrator,
    j.workers,
    j.placement,
    j.minBatchFolios,
    j.batchPages,
    j.folioSizeBytes,
    j.folioCount,
  ].join("|");
}

/** The outcome for a call of `totalBytes`, from the job's region. */
export function scaleToCall(j: SimJob, o: SimOutcome, totalBytes: number): SimOutcome {
  const scale = totalBytes / (j.folioCount * j.folioSizeBytes);
  const fixed = o.perCallNs;
  return {
    callNs: fixed + (o.callNs - fixed) * scale,
    cpuNs: fixed + (o.cpuNs - fixed) * scale,
    firstFolioNs: o.firstFolioNs,
    perCallNs: fixed,
  };
}

/**
 * Where offload starts to pay: for an engine setting and a folio size, the smallest batch (in
 * folios) that the engine copies faster than the vanilla flow's CPU copy. Each point is one
 * move_pages(2) call of n folios in one batch, by the engine and by the vanilla flow; what a
 * call pays whatever its size is the same for both, so the difference is the batch's copy and
 * the engine's setup. A batch below the break-even is what a minimum batch should decline.
 */
import { PAGE_SIZE } from "../mm/folio.js";
import type { SimJob, SimOutcome } from "./sim-job.js";
import { DCBM_CHANNELS, type EngineConfig, MTCOPY_THREADS, type SearchMachine } from "./space.js";

/** One batch holds the whole call: the testing patch's NR_MAX_BATCHED_MIGRATION. */
export const BREAK_EVEN_BATCH_PAGES = 262144;
/** Batches of 1, 2, 4, ... folios up to this many (and up to one batch). */
export const BREAK_EVEN_MAX_FOLIOS = 4096;

export interface BreakEvenPoint {
  folios: number;
  engineGBps: number;
  vanillaGBps: number;
}

export interface BreakEven {
  config: EngineConfig;
  folioSizeBytes: number;
  /** The smallest tested batch from which the engine is at least as fast at every larger one; null if none. */
  folios: number | null;
  points: BreakEvenPoint[];
}

/** The offload settings whose break-even is searched: every thread and channel count. */
export function breakEvenEngines(machine: SearchMachine): EngineConfig[] {
  const base = {
    placement: "spread" as const,
    minBatchFolios: 0,
    batchPages: BREAK_EVEN_BATCH_PAGES,
  };
  return [
    ...MTCOPY_THREADS.map((workers) => ({ ...base, migrator: "mtcopy" as const, workers })),
    ...(machine.dma
      ? DCBM_CHANNELS.map((workers) => ({ ...base, migrator: "dcbm" as const, workers }))
      : []),
  ];
}

/** The batch sizes tested for `folioSizeBytes`, smallest first. */
export function breakEvenFolios(folioSizeBytes: number): number[] {
  const most = Math.min(
    BREAK_EVEN_MAX_FOLIOS,
    (BREAK_EVEN_BATCH_PAGES * PAGE_SIZE) / folioSizeBytes,
  );
  const out: number[] = [];
  for (let n = 1; n <= most; n *= 2) out.push(n);
  return out;
}

/** The simulation of one batch of `folios` by `c` (minimum batch 0: the engine takes it). */
export function breakEvenJob(
  profile: string,
  c: EngineConfig,
  folioSizeBytes: number,
  folios: number,
): SimJob {
  return {
    profile,
    migrator: c.migrator,
    workers: c.workers,
    placement: c.placement,
    minBatchFolios: 0,
    batchPages: BREAK_EVEN_BATCH_PAGES,
    folioSizeBytes,
    folioCount: folios,
  };
}

/** The break-even of `engine` against `vanilla` at one folio size, from their outcomes per batch size. */
export function breakEven(
  config: EngineConfig,
  folioSizeBytes: number,
  folios: readonly number[],
  engine: readonly SimOutcome[],
  vanilla: readonly SimOutcome[],
): BreakEven {
  const gbps = (o: SimOutcome, n: number) => (n * folioSizeBytes) / o.callNs;
  const points = folios.map((n, i) => ({
    folios: n,
    engineGBps: gbps(engine[i], n),
    vanillaGBps: gbps(vanilla[i], n),
  }));
  let from: number | null = null;
  for (let i = points.length - 1; i >= 0; i--) {
    if (points[i].engineGBps < points[i].vanillaGBps) break;
    from = points[i].folios;
  }
  return { config, folioSizeBytes, folios: from, points };
}

/**
 * The search space: every engine setting the tuner tries, with the knobs that cannot change
 * the result left at one canonical value (placement only matters for mtcopy's threads, the
 * minimum batch only for dcbm, which is the only migrator that declines; worker counts only for
 * mtcopy and dcbm). Settings come out simplest first, which is the tie-break everywhere.
 */
import type { MigratorName } from "../copy/engines.js";
import type { MtPlacement } from "../copy/mtcopy.js";

/** NR_MAX_BATCHED_MIGRATION candidates, base pages: upstream's 512 up to the testing patch's. */
export const BATCH_PAGES = [512, 4096, 32768, 262144] as const;
export const UPSTREAM_BATCH_PAGES = 512;
export const MTCOPY_THREADS = [2, 4, 8, 16] as const;
export const DCBM_CHANNELS = [1, 2, 4, 8, 16] as const;
export const PLACEMENTS: readonly MtPlacement[] = ["spread", "fill"];
/** Batches of fewer folios are declined (dcbm) and copied by the move phase on the CPU. */
export const MIN_BATCH_FOLIOS = [0, 1, 4, 16, 64, 256, 1024] as const;

/** One engine setting: what one simulation per folio size runs. */
export interface EngineConfig {
  migrator: MigratorName;
  /** mtcopy threads or dcbm channels; 1 for the others. */
  workers: number;
  placement: MtPlacement;
  minBatchFolios: number;
  batchPages: number;
}

/** The vanilla kernel: no migrator, upstream batch. */
export const VANILLA: EngineConfig = {
  migrator: "serial",
  workers: 1,
  placement: "spread",
  minBatchFolios: 0,
  batchPages: UPSTREAM_BATCH_PAGES,
};

/** The vanilla flow at `batchPages`: what reasons outside a setting's mask run. */
export function vanillaAt(batchPages: number): EngineConfig {
  return { ...VANILLA, batchPages };
}

/** What the machine offers the search: DMA channels for dcbm, or none. */
export interface SearchMachine {
  dma: boolean;
}

/** Every engine setting of the search on `machine`, simplest first. */
export function engineConfigs(machine: SearchMachine): EngineConfig[] {
  const out: EngineConfig[] = [];
  const base = { workers: 1, placement: "spread" as MtPlacement, minBatchFolios: 0 };
  for (const batchPages of BATCH_PAGES) {
    out.push({ ...base, migrator: "serial", batchPages });
    out.push({ ...base, migrator: "batch-cpu", batchPages });
    for (const placement of PLACEMENTS) {
      for (const workers of MTCOPY_THREADS) {
        out.push({ ...base, migrator: "mtcopy", workers, placement, batchPages });
      }
    }
    // dcbm without channels would only be the serial copy again under its name.
    if (!machine.dma) continue;
    for (const minBatchFolios of MIN_BATCH_FOLIOS) {
      for (const workers of DCBM_CHANNELS) {
        out.push({ ...base, migrator: "dcbm", workers, minBatchFolios, batchPages });
      }
    }
  }
  return out;
}

/**
 * The reason masks worth trying for a setting: none for the vanilla flow (it has no migrator),
 * otherwise every non-empty subset of the workload's reasons, the full set first. A reason
 * outside the workload's changes nothing, and the empty mask is the vanilla flow again.
 */
export function reasonMasks(config: EngineConfig, workloadReasons: readonly number[]): number[] {
  if (config.migrator === "serial") return [0];
  const n = workloadReasons.length;
  const masks: number[] = [];
  // Subsets by descending bit pattern, so the full set comes first.
  for (let pick = (1 << n) - 1; pick > 0; pick--) {
    let mask = 0;
    for (let i = 0; i < n; i++) if (pick & (1 << i)) mask |= 1 << workloadReasons[i];
    masks.push(mask);
  }
  return masks;
}

/** The same engine, whatever the batch limit. */
export function sameEngine(a: EngineConfig, b: EngineConfig): boolean {
  return (
    a.migrator === b.migrator &&
    a.workers === b.workers &&
    a.placement === b.placement &&
    a.minBatchFolios === b.minBatchFolios
  );
}

export function sameConfig(a: EngineConfig, b: EngineConfig): boolean {
  return sameEngine(a, b) && a.batchPages === b.batchPages;
}

export function describeEngine(c: EngineConfig): string {
  switch (c.migrator) {
    case "mtcopy":
      return `mtcopy ${c.workers} threads ${c.placement}`;
    case "dcbm":
      return `dcbm ${c.workers} ch${c.minBatchFolios > 0 ? ` min-batch ${c.minBatchFolios}` : ""}`;
    default:
      return c.migrator;
  }
}

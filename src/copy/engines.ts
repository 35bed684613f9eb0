/**
 * The copy engines a user can pick by name (`--migrator`), and how to build one. `serial` is
 * no migrator at all: the vanilla flow, where the move phase copies folio by folio.
 */
import { UsageError } from "../errors.js";
import type { LoadedProfile } from "../machine/profile.js";
import type { Kernel } from "../migrate/kernel.js";
import { BatchCpuMigrator } from "./batch-cpu.js";
import { createDcbm } from "./dcbm.js";
import { createDcbmV2 } from "./dcbm-v2.js";
import type { Migrator } from "./migrator.js";
import { MtCopy, type MtPlacement } from "./mtcopy.js";

export const MIGRATORS = ["serial", "batch-cpu", "mtcopy", "dcbm", "dcbm-v2"] as const;
export type MigratorName = (typeof MIGRATORS)[number];

/** What an engine's worker count is: copy threads, DMA channels, or nothing to set. */
export function workerKind(name: MigratorName): "threads" | "channels" | null {
  if (name === "mtcopy") return "threads";
  if (name === "dcbm" || name === "dcbm-v2") return "channels";
  return null;
}

export interface EngineOptions {
  /** Copy threads (mtcopy) or DMA channels (dcbm, dcbm-v2); ignored by the others. */
  workers: number;
  /** mtcopy thread placement. */
  placement: MtPlacement;
  /** dcbm declines batches of fewer folios (0: never, as the posted driver). */
  minBatchFolios: number;
}

export function parseMigratorName(name: string, what: string): MigratorName {
  if (!(MIGRATORS as readonly string[]).includes(name)) {
    throw new UsageError(
      `${what}: unknown migrator '${name}' (available: ${MIGRATORS.join(", ")})`,
    );
  }
  return name as MigratorName;
}

/** Whether `profile` has channels for the dcbm migrators: a `dma` section has at least one. */
export function hasDmaChannels(profile: LoadedProfile): boolean {
  return profile.dma !== undefined;
}

/**
 * Refuses a dcbm migrator on a profile without DMA channels: every batch would fail with
 * -ENODEV and fall back to the CPU, a serial copy reported under the engine's name.
 */
export function checkMigratorOnProfile(name: MigratorName, profile: LoadedProfile): void {
  if (workerKind(name) === "channels" && !hasDmaChannels(profile)) {
    throw new UsageError(
      `--migrator ${name}: profile ${profile.name} has no DMA engine (dma.devices)`,
    );
  }
}

/** The migrator to register on `k`, or null for the vanilla flow. */
export function createMigrator(k: Kernel, name: MigratorName, o: EngineOptions): Migrator | null {
  checkMigratorOnProfile(name, k.profile);
  switch (name) {
    case "serial":
      return null;
    case "batch-cpu":
      return new BatchCpuMigrator();
    case "mtcopy":
      return new MtCopy({ threads: o.workers, placement: o.placement });
    case "dcbm":
      return createDcbm(k, { channels: o.workers, minBatchFolios: o.minBatchFolios });
    case "dcbm-v2":
      return createDcbmV2(k, { channels: o.workers });
  }
}

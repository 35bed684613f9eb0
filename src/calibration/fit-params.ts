/**
 * The physical parameters `pagemig calibrate` may fit, in the order it prefers them when two
 * explain the same data (a per-folio cost before another per-folio cost), and how to set
 * them on a profile. Each is a rate or a cost of the profile schema; none is a per-size
 * answer. Which engines' runs can move a parameter limits what is tried on a report.
 */
import type { MigratorName } from "../copy/engines.js";
import { LoadedProfile } from "../machine/loaded-profile.js";
import {
  type MachineProfileDocument,
  toProfileDocument,
  validateProfile,
} from "../machine/schema.js";

export interface FitParameter {
  /** The YAML path, dotted: `cpu.copyGBps`, `dma.devices.0.channelGBps`. */
  id: string;
  path: readonly (string | number)[];
  /** Migrators whose runs this parameter can move. */
  engines: readonly MigratorName[];
}

const CPU: readonly MigratorName[] = ["serial", "batch-cpu", "mtcopy", "dcbm", "dcbm-v2"];
const THREADS: readonly MigratorName[] = ["mtcopy"];
const DMA: readonly MigratorName[] = ["dcbm", "dcbm-v2"];

const param = (path: (string | number)[], engines: readonly MigratorName[]): FitParameter => ({
  id: path.join("."),
  path,
  engines,
});

/** Candidates in order of preference. */
export const FIT_PARAMETERS: readonly FitParameter[] = [
  param(["cpu", "copyGBps"], CPU),
  param(["costs", "folioNs"], CPU),
  param(["costs", "pteNs"], CPU),
  param(["costs", "pmdNs"], CPU),
  param(["costs", "pageWalkNs"], CPU),
  param(["costs", "tlbFlushNs"], CPU),
  param(["costs", "batchNs"], CPU),
  param(["costs", "migrateCallNs"], CPU),
  param(["costs", "lruDrainCpuNs"], CPU),
  // A CPU copy crosses these links too; they constrain it only where they bind.
  param(["fabric", "ccdRemoteGBps"], CPU),
  param(["fabric", "quadrantRemoteGBps"], CPU),
  param(["fabric", "socketRemoteGBps"], CPU),
  param(["fabric", "coherentRemoteGBps"], CPU),
  param(["costs", "copyChunkNs"], THREADS),
  param(["costs", "workDispatchNs"], THREADS),
  param(["fabric", "interSocketGBps"], CPU),
  param(["dma", "devices", 0, "channelGBps"], DMA),
  param(["dma", "devices", 0, "deviceGBps"], DMA),
  param(["dma", "devices", 0, "descriptorNs"], DMA),
  param(["dma", "devices", 0, "iommuPageNs"], DMA),
];

/** The parameters a profile has (no DMA values without a dma section) that `engines` use. */
export function candidates(profile: LoadedProfile, engines: ReadonlySet<string>): FitParameter[] {
  return FIT_PARAMETERS.filter(
    (p) => p.engines.some((e) => engines.has(e)) && typeof readParam(profile, p) === "number",
  );
}

export function readParam(profile: LoadedProfile, p: FitParameter): number | undefined {
  let at: unknown = toProfileDocument(profile);
  for (const key of p.path) at = (at as Record<string | number, unknown> | undefined)?.[key];
  return typeof at === "number" ? at : undefined;
}

/** The profile with the parameters set to `values`; null where the schema refuses them. */
export function withParams(
  base: LoadedProfile,
  params: readonly FitParameter[],
  values: readonly number[],
): LoadedProfile | null {
  const doc: MachineProfileDocument = toProfileDocument(base);
  params.forEach((p, i) => {
    let at = doc as unknown as Record<string | number, unknown>;
    for (const key of p.path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
    at[p.path[p.path.length - 1]] = values[i];
  });
  const v = validateProfile(doc);
  return v.ok ? new LoadedProfile(v.profile, base.source) : null;
}

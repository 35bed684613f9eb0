/**
 * The cells `pagemig calibrate` fits to: one per result of pagemig-report documents (the
 * model's `bench move-pages --json`, a host's `host bench move-pages --json`, or the
 * published tables written as reports), each the settings of one run and the throughput
 * measured. A document that is not a pagemig report, or that measured another machine than
 * the profile describes, is bad input.
 */
import { z } from "zod";
import { checkMigratorOnProfile, type MigratorName, parseMigratorName } from "../copy/engines.js";
import { UsageError } from "../errors.js";
import type { LoadedProfile } from "../machine/loaded-profile.js";
import { formatSize } from "../machine/units.js";
import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION } from "../report/json.js";

export interface FitCell {
  /** Where it came from and what it is: `t1.json: serial 1 4K`. */
  label: string;
  migrator: MigratorName;
  workers: number;
  folioSizeBytes: number;
  folioCount: number;
  batchPages: number;
  cpuLoad: number;
  fromNode: number;
  toNode: number;
  /** GB/s. */
  measured: number;
}

const ResultSchema = z.object({
  migrator: z.string(),
  workers: z.int().min(1),
  folioSizeBytes: z.int().min(4096),
  folioCount: z.int().min(1),
  batchPages: z.int().min(1),
  cpuLoad: z.int().min(0).optional(),
  throughputGBps: z.object({ mean: z.number().positive() }),
});

const ReportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  profile: z.string(),
  results: z.array(ResultSchema).min(1),
  host: z
    .object({
      source: z.literal("host"),
      nodes: z.object({ from: z.int(), to: z.int() }),
      facts: z.object({ nodes: z.array(z.object({ id: z.int(), hasMemory: z.boolean() })) }),
    })
    .optional(),
});

/** The cells of one report document (already parsed JSON), checked against the profile. */
export function reportCells(file: string, data: unknown, profile: LoadedProfile): FitCell[] {
  const head = z.object({ schema: z.literal(REPORT_SCHEMA) }).safeParse(data);
  if (!head.success)
    throw new UsageError(`${file}: not a pagemig report (no "schema": "${REPORT_SCHEMA}")`);
  const r = ReportSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UsageError(`${file}: ${issue.path.join(".") || "the document"}: ${issue.message}`);
  }
  const doc = r.data;
  const [fromNode, toNode] = nodesOf(file, doc, profile);
  return doc.results.map((x, i) => {
    const migrator = parseMigratorName(x.migrator, `${file}: results.${i}.migrator`);
    checkMigratorOnProfile(migrator, profile);
    const bytes = x.folioSizeBytes * x.folioCount;
    for (const n of [fromNode, toNode]) {
      if (bytes > profile.nodeBytes(n)) {
        throw new UsageError(
          `${file}: results.${i}: ${formatSize(bytes)} does not fit on node ${n} of profile ${profile.name}`,
        );
      }
    }
    return {
      label: `${file}: ${x.migrator} ${x.workers} ${formatSize(x.folioSizeBytes)} x${x.folioCount} batch ${x.batchPages}`,
      migrator,
      workers: x.workers,
      folioSizeBytes: x.folioSizeBytes,
      folioCount: x.folioCount,
      batchPages: x.batchPages,
      cpuLoad: x.cpuLoad ?? 0,
      fromNode,
      toNode,
      measured: x.throughputGBps.mean,
    };
  });
}

/**
 * The profile's nodes the report's runs moved between: a host's, renumbered as its draft
 * profile numbers its memory nodes; the model's benchmark always moves node 0 to node 1.
 */
function nodesOf(
  file: string,
  doc: z.infer<typeof ReportSchema>,
  profile: LoadedProfile,
): [number, number] {
  if (doc.host === undefined) {
    if (doc.profile !== profile.name) {
      throw new UsageError(
        `${file}: a report of profile '${doc.profile}', not of '${profile.name}': calibrate the profile of the machine it measured`,
      );
    }
    return [0, 1];
  }
  const memory = doc.host.facts.nodes.filter((n) => n.hasMemory).map((n) => n.id);
  if (memory.length !== profile.nodeCount) {
    throw new UsageError(
      `${file}: measured on a host with ${memory.length} memory nodes; profile ${profile.name} has ${profile.nodeCount}`,
    );
  }
  return [memory.indexOf(doc.host.nodes.from), memory.indexOf(doc.host.nodes.to)];
}

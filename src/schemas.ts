/**
 * The JSON Schemas pagemig publishes (`pagemig schema KIND`, the files in schemas/ that the
 * shipped profiles and scenarios name for editors): of what users write (machine profiles,
 * tuner workloads, scenarios) and of what they read (bench's report). Each is generated from
 * the zod schema that validates or describes the document, on its input side (sizes as
 * written, defaults optional), as JSON Schema draft 2020-12.
 */
import { z } from "zod";
import { MachineProfileSchema } from "./machine/schema.js";
import { ReportDocumentSchema } from "./report/report-schema.js";
import { WorkloadSchema } from "./tune/workload.js";
import { ScenarioSchema } from "./workload/app/scenario.js";

export const SCHEMA_KINDS = {
  profile: { schema: MachineProfileSchema, title: "pagemig machine profile" },
  workload: { schema: WorkloadSchema, title: "pagemig tune workload" },
  scenario: { schema: ScenarioSchema, title: "pagemig run scenario" },
  report: { schema: ReportDocumentSchema, title: "pagemig-report (bench --json)" },
} as const;

export type SchemaKind = keyof typeof SCHEMA_KINDS;

export const SCHEMA_KIND_NAMES = Object.keys(SCHEMA_KINDS) as SchemaKind[];

/** The JSON Schema of `kind`, with a title. */
export function jsonSchemaOf(kind: SchemaKind): Record<string, unknown> {
  const { schema, title } = SCHEMA_KINDS[kind];
  const json = z.toJSONSchema(schema, { io: "input" }) as Record<string, unknown>;
  return { $schema: json.$schema, title, ...json };
}

/** The file of schemas/ that holds `kind`'s schema, which the shipped YAML files name. */
export function schemaFileName(kind: SchemaKind): string {
  return `${kind}.schema.json`;
}

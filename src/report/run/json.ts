/**
 * `pagemig run`'s JSON report: every run's result, with the settings that made it, wrapped in
 * the header of bench's report under a schema of its own (docs/run-json.md).
 */
import { packageVersion } from "../../machine/package-root.js";
import type { Reporter } from "../reporter.js";
import type { RunReportInput, ScenarioRun } from "./input.js";
import type { RunShardHeader } from "./shard.js";

export const RUN_SCHEMA = "pagemig-run";
/** Raised when a field is removed, renamed or changes meaning or unit; adding one keeps it. */
export const RUN_SCHEMA_VERSION = 1;

export interface RunDocument {
  schema: typeof RUN_SCHEMA;
  schemaVersion: typeof RUN_SCHEMA_VERSION;
  tool: "pagemig";
  version: string;
  command: "run";
  /** The first run's; a sweep over `profile` or `seed` gives each run's in its result. */
  profile: string;
  seed: number;
  scenario: string;
  set: string[];
  sweep: string[];
  /** A shard's report only (`--shard I/N`): which runs of the sweep it holds. */
  shard?: RunShardHeader;
  /** Each run as `pagemig run` has it, without its recording (the perfetto reporter's). */
  runs: (Omit<ScenarioRun, "result"> & { result: Omit<ScenarioRun["result"], "recording"> })[];
}

function runDocument(input: RunReportInput): RunDocument {
  const first = input.runs[0].result;
  return {
    schema: RUN_SCHEMA,
    schemaVersion: RUN_SCHEMA_VERSION,
    tool: "pagemig",
    version: packageVersion(),
    command: "run",
    profile: first.profile,
    seed: first.seed,
    scenario: input.scenario,
    set: input.set,
    sweep: input.sweep,
    ...(input.shard === undefined ? {} : { shard: input.shard }),
    // Recordings are the perfetto reporter's, not the document's.
    runs: input.runs.map(({ result: { recording: _, ...result }, ...run }) => ({ ...run, result })),
  };
}

export const reporter: Reporter<RunReportInput> = {
  name: "json",
  description: "a versioned JSON document of every run, its settings and series (docs/run-json.md)",
  needsRecording: false,
  binary: false,
  render: (input) => `${JSON.stringify(runDocument(input), null, 2)}\n`,
};

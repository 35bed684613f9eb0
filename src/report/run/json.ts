/**
 * `pagemig run`'s JSON report: every run's result, with the settings that made it, wrapped in
 * the header of bench's report under a schema of its own (docs/run-json.md).
 */
import { DOCUMENT_SCHEMAS, type DocumentHeader, documentHeader } from "../header.js";
import type { Reporter } from "../reporter.js";
import type { RunReportInput, ScenarioRun } from "./input.js";
import type { RunShardHeader } from "./shard.js";

export const RUN_SCHEMA = "pagemig-run";
/** Raised when a field is removed, renamed or changes meaning or unit; adding one keeps it. */
export const RUN_SCHEMA_VERSION = DOCUMENT_SCHEMAS[RUN_SCHEMA];

export interface RunDocument extends DocumentHeader<typeof RUN_SCHEMA> {
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
    ...documentHeader(RUN_SCHEMA, "run"),
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

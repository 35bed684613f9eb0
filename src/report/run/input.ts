/**
 * What `pagemig run` hands its reporters: the scenario as the user gave it and one result per
 * run, with the sweep's settings that made it.
 */
import type { ScenarioResult } from "../../workload/app/run-scenario.js";
import type { RunShardHeader } from "./shard.js";

export interface ScenarioRun {
  /** The sweep's `path=value` of this run, in the order given; empty without --sweep. */
  settings: string[];
  result: ScenarioResult;
}

export interface RunReportInput {
  /** The scenario file, as given on the command line. */
  scenario: string;
  /** `--set path=value`, as given. */
  set: string[];
  /** `--sweep path=v1,v2`, as given; empty without --sweep. */
  sweep: string[];
  /** One per combination of the sweep's values, the first varying slowest; one without. */
  runs: ScenarioRun[];
  /** With --shard: which shard of the sweep `runs` are (shard.ts). */
  shard?: RunShardHeader;
}

/** Names of the runs for legends and tables: their settings, or "run" without a sweep. */
export function runNames(input: RunReportInput): string[] {
  return input.runs.map((r) => (r.settings.length === 0 ? "run" : r.settings.join(" ")));
}

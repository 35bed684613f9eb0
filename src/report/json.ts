/**
 * The JSON report: a versioned document around the results (docs/report-json.md). Results
 * keep the fields and places of the unversioned `{ results }` output it replaces; recordings
 * are left out (the perfetto, ftrace and html reporters are their formats).
 */
import type { MovePagesBenchResult } from "../workload/move-pages-bench.js";
import { DOCUMENT_SCHEMAS, type DocumentHeader, documentHeader } from "./header.js";
import type { Reporter, ReportInput } from "./reporter.js";

export const REPORT_SCHEMA = "pagemig-report";
/** Raised when a field is removed, renamed or changes meaning or unit; adding one keeps it. */
export const REPORT_SCHEMA_VERSION = DOCUMENT_SCHEMAS[REPORT_SCHEMA];

export type ReportedResult = Omit<MovePagesBenchResult, "recording">;

export interface ReportDocument extends DocumentHeader<typeof REPORT_SCHEMA> {
  profile: string;
  seed: number;
  results: ReportedResult[];
}

export type ReportHeader = Omit<ReportDocument, "results">;

/** The header every pagemig-report document starts with (a host's report too). */
export function reportHeader(command: string, profile: string, seed: number): ReportHeader {
  return {
    ...documentHeader(REPORT_SCHEMA, command),
    profile,
    seed,
  };
}

function reportDocument(input: ReportInput): ReportDocument {
  return {
    ...reportHeader(input.command, input.profile, input.seed),
    results: input.results.map(({ recording: _, ...result }) => result),
  };
}

export const reporter: Reporter = {
  name: "json",
  description: "a versioned JSON document of every result (docs/report-json.md)",
  needsRecording: false,
  binary: false,
  render: (input) => `${JSON.stringify(reportDocument(input), null, 2)}\n`,
};

/**
 * The reporter interface: one module per output format (report/<name>.ts or
 * report/<name>/index.ts), listed in report/index.ts for `bench` and report/run/index.ts for
 * `run`. A reporter turns the results of one command into the text or bytes of one file; the
 * CLI writes it to stdout or to the file the user named (`--reporter json=out.json`).
 */

import type { MovePagesBenchResult } from "../workload/move-pages-bench.js";

export interface ReportInput {
  /** The command that produced the results, e.g. "bench move-pages". */
  command: string;
  /** The profile's name. */
  profile: string;
  /** The profile's logical CPUs: the machine's online CPUs (ftrace's `#P:`). */
  cpus: number;
  seed: number;
  /** One result per configuration swept; `recording` is set when a reporter asked for it. */
  results: readonly MovePagesBenchResult[];
}

/** A format for one command's results, of type I (the benchmark's by default). */
export interface Reporter<I = ReportInput> {
  name: string;
  /** One line for `--help`. */
  description: string;
  /** Needs each result's `recording` (the tracepoints and timeline of its last run). */
  needsRecording: boolean;
  /** Writes bytes rather than text (refuses stdout on a terminal). */
  binary: boolean;
  render(input: I): string | Uint8Array;
}

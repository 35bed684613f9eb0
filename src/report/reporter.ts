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
  /**
   * Imports what `render` needs, for a reporter whose module is heavy (charts, protobuf); the
   * CLI awaits it (loadReporters) before rendering. Absent: render is ready at once.
   */
  load?(): Promise<void>;
}

/** What a registry knows of a reporter before its module is imported. */
export type ReporterInfo<I> = Omit<Reporter<I>, "render" | "load">;

/**
 * A reporter whose module loads only when a command will render with it, so that a command
 * does not import vega or protobufjs unless asked for their format. `info` must be the
 * module's own (report/index.test.ts checks).
 */
export function lazyReporter<I>(
  info: ReporterInfo<I>,
  importModule: () => Promise<{ reporter: Reporter<I> }>,
): Reporter<I> {
  let loaded: Reporter<I> | null = null;
  return {
    ...info,
    async load() {
      loaded ??= (await importModule()).reporter;
    },
    render(input) {
      if (loaded === null) throw new Error(`reporter ${info.name}: render before load`);
      return loaded.render(input);
    },
  };
}

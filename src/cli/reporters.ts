/**
 * The reporter flags any command can take: `--reporter <name[=file]>` (repeatable) and its
 * alias `--json`, each naming one of the command's reporters (`bench`'s REPORTERS, `run`'s
 * RUN_REPORTERS). Every spec is checked before the command runs anything (exit 2 with one
 * line), and the reports are written only once every result is in, each file as
 * output-file.ts writes it, so a failed run leaves no partial output.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { parsePositiveInt } from "../machine/units.js";
import {
  DEFAULT_BUFFER_SIZE_KB,
  reporter as defaultFtrace,
  ftraceReporter,
  MAX_BUFFER_SIZE_KB,
} from "../report/ftrace.js";
import { findReporter, type Reporter } from "../report/index.js";
import { checkOutputFile, writeOutputFile } from "./output-file.js";

export interface ReporterFlags {
  /** `--reporter` specs in the order given; undefined when none. */
  reporter?: string[];
  json?: boolean;
  /** `--ftrace-buffer-kb`: the ftrace reporter's buffer per CPU, KiB. */
  ftraceBufferKb?: string;
}

export interface ReportTarget<I> {
  reporter: Reporter<I>;
  /** The spec as the user wrote it, for messages. */
  spec: string;
  /** Absolute path of the file; undefined for stdout. */
  file?: string;
}

export interface ResolveOptions<I> {
  /** The command's reporters, which `--reporter` names one of. */
  reporters: readonly Reporter<I>[];
  /** Written to stdout when no reporter is named. */
  defaultReporter: string;
  /** Whether stdout is a terminal (binary reporters refuse it); process.stdout's by default. */
  stdoutIsTTY?: boolean;
}

/** Whether `r` is the registry's ftrace reporter, the one `--ftrace-buffer-kb` configures. */
const isFtrace = (r: Reporter<never>): boolean => r === defaultFtrace;

/**
 * Adds `--reporter` and `--json` to `cmd` (and `--ftrace-buffer-kb` where the command has the
 * ftrace reporter), and the list of its reporters to its help.
 */
export function addReporterOptions<I>(
  cmd: Command,
  defaultReporter: string,
  reporters: readonly Reporter<I>[],
): Command {
  const width = Math.max(...reporters.map((r) => r.name.length));
  cmd
    .option(
      "--reporter <name[=file]>",
      `write a report to stdout or to a file; repeatable (default: ${defaultReporter} to stdout)`,
      (spec: string, previous: string[] | undefined) => [...(previous ?? []), spec],
    )
    .option("--json", "the same as --reporter json");
  if (reporters.some(isFtrace)) {
    cmd.option(
      "--ftrace-buffer-kb <n>",
      `ftrace reporter: KiB of events per CPU, the newest kept, as buffer_size_kb (default ${DEFAULT_BUFFER_SIZE_KB}, the kernel's)`,
    );
  }
  return cmd.addHelpText(
    "after",
    `\nReporters:\n${reporters.map((r) => `  ${r.name.padEnd(width)}  ${r.description}`).join("\n")}\n`,
  );
}

/** The reporters and destinations of `flags`, every spec checked as far as it can be unrun. */
export function resolveReporters<I>(flags: ReporterFlags, o: ResolveOptions<I>): ReportTarget<I>[] {
  const specs = [...(flags.reporter ?? []), ...(flags.json ? ["json"] : [])];
  if (specs.length === 0) specs.push(o.defaultReporter);
  const targets = withFtraceBuffer(
    specs.map((spec) => parseSpec(spec, o.reporters)),
    flags.ftraceBufferKb,
  );

  const toStdout = targets.filter((t) => t.file === undefined);
  if (toStdout.length > 1) {
    throw new UsageError(
      `--reporter: ${toStdout.map((t) => t.spec).join(" and ")} would all write to stdout; name a file for all but one (name=file)`,
    );
  }
  const stdoutIsTTY = o.stdoutIsTTY ?? process.stdout.isTTY === true;
  const binary = toStdout.find((t) => t.reporter.binary);
  if (binary !== undefined && stdoutIsTTY) {
    throw new UsageError(
      `--reporter ${binary.spec}: binary output is not written to a terminal; name a file (${binary.spec}=FILE) or redirect stdout`,
    );
  }
  const seen = new Map<string, string>();
  for (const t of targets) {
    if (t.file === undefined) continue;
    const other = seen.get(t.file);
    if (other !== undefined) {
      throw new UsageError(`--reporter ${other} and ${t.spec}: both write ${t.file}`);
    }
    seen.set(t.file, t.spec);
    checkOutputFile(`--reporter ${t.spec}`, t.file);
  }
  return targets;
}

function parseSpec<I>(spec: string, reporters: readonly Reporter<I>[]): ReportTarget<I> {
  const eq = spec.indexOf("=");
  const name = eq < 0 ? spec : spec.slice(0, eq);
  let reporter: Reporter<I>;
  try {
    reporter = findReporter(name, reporters);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`--reporter ${spec}: ${err.message}`);
    throw err;
  }
  if (eq < 0) return { reporter, spec };
  const file = spec.slice(eq + 1);
  if (file === "") throw new UsageError(`--reporter ${spec}: no file after '='`);
  return { reporter, spec, file: resolve(file) };
}

/** The targets with `--ftrace-buffer-kb`'s buffer on the ftrace reporter, which must be one. */
function withFtraceBuffer<I>(
  targets: ReportTarget<I>[],
  flag: string | undefined,
): ReportTarget<I>[] {
  if (flag === undefined) return targets;
  const kb = parsePositiveInt(flag, "--ftrace-buffer-kb");
  if (kb > MAX_BUFFER_SIZE_KB) {
    throw new UsageError(`--ftrace-buffer-kb: at most ${MAX_BUFFER_SIZE_KB}, got ${kb}`);
  }
  if (!targets.some((t) => isFtrace(t.reporter))) {
    throw new UsageError("--ftrace-buffer-kb: no --reporter ftrace given");
  }
  // Only bench has the ftrace reporter, so a target holding it renders bench's input, I.
  const ftrace = ftraceReporter({ bufferSizeKb: kb }) as unknown as Reporter<I>;
  return targets.map((t) => (isFtrace(t.reporter) ? { ...t, reporter: ftrace } : t));
}

/** Whether any target's reporter needs the runs recorded (tracepoints and timeline). */
export function needsRecording(targets: readonly ReportTarget<unknown>[]): boolean {
  return targets.some((t) => t.reporter.needsRecording);
}

/** Imports what the targets' reporters need to render (Reporter.load); before writeReports. */
export async function loadReporters(targets: readonly ReportTarget<unknown>[]): Promise<void> {
  await Promise.all(targets.map((t) => t.reporter.load?.()));
}

/**
 * Renders every report, then writes them: files first, each replaced atomically, then stdout.
 * Nothing is written unless every reporter rendered.
 */
export function writeReports<I>(
  targets: readonly ReportTarget<I>[],
  input: I,
  stdout: (data: string | Uint8Array) => void,
): void {
  const rendered = targets.map((t) => t.reporter.render(input));
  targets.forEach((t, i) => {
    if (t.file !== undefined) writeOutputFile(`--reporter ${t.spec}`, t.file, rendered[i]);
  });
  targets.forEach((t, i) => {
    if (t.file === undefined) stdout(rendered[i]);
  });
}

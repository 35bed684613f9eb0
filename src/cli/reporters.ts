/**
 * The reporter flags any command can take: `--reporter <name[=file]>` (repeatable) and its
 * alias `--json`. Every spec is checked before the command runs anything (exit 2 with one
 * line), and the reports are written only once every result is in: each file through a
 * temporary file in its directory renamed over it, so a failed run leaves no partial output.
 * A device or pipe (`json=/dev/stdout`, a FIFO) is written in place, and a symbolic link's
 * target is replaced, not the link.
 */
import {
  accessSync,
  constants,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { RunFailure, UsageError } from "../errors.js";
import { findReporter, REPORTERS, type Reporter, type ReportInput } from "../report/index.js";

export interface ReporterFlags {
  /** `--reporter` specs in the order given; undefined when none. */
  reporter?: string[];
  json?: boolean;
}

export interface ReportTarget {
  reporter: Reporter;
  /** The spec as the user wrote it, for messages. */
  spec: string;
  /** Absolute path of the file; undefined for stdout. */
  file?: string;
}

export interface ResolveOptions {
  /** Written to stdout when no reporter is named. */
  defaultReporter: string;
  /** Whether stdout is a terminal (binary reporters refuse it); process.stdout's by default. */
  stdoutIsTTY?: boolean;
}

/** Adds `--reporter` and `--json` to `cmd`, and the list of reporters to its help. */
export function addReporterOptions(cmd: Command, defaultReporter: string): Command {
  const width = Math.max(...REPORTERS.map((r) => r.name.length));
  return cmd
    .option(
      "--reporter <name[=file]>",
      `write a report to stdout or to a file; repeatable (default: ${defaultReporter} to stdout)`,
      (spec: string, previous: string[] | undefined) => [...(previous ?? []), spec],
    )
    .option("--json", "the same as --reporter json")
    .addHelpText(
      "after",
      `\nReporters:\n${REPORTERS.map((r) => `  ${r.name.padEnd(width)}  ${r.description}`).join("\n")}\n`,
    );
}

/** The reporters and destinations of `flags`, every spec checked as far as it can be unrun. */
export function resolveReporters(flags: ReporterFlags, o: ResolveOptions): ReportTarget[] {
  const specs = [...(flags.reporter ?? []), ...(flags.json ? ["json"] : [])];
  if (specs.length === 0) specs.push(o.defaultReporter);
  const targets = specs.map(parseSpec);

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
    checkWritable(t.spec, t.file);
  }
  return targets;
}

function parseSpec(spec: string): ReportTarget {
  const eq = spec.indexOf("=");
  const name = eq < 0 ? spec : spec.slice(0, eq);
  let reporter: Reporter;
  try {
    reporter = findReporter(name);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`--reporter ${spec}: ${err.message}`);
    throw err;
  }
  if (eq < 0) return { reporter, spec };
  const file = spec.slice(eq + 1);
  if (file === "") throw new UsageError(`--reporter ${spec}: no file after '='`);
  return { reporter, spec, file: resolve(file) };
}

/** `path`'s status (symbolic links followed), or undefined where nothing is to be found. */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a component of the path is a file.
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}

/** Written in place rather than replaced: a device, pipe or socket that exists. */
function writtenInPlace(file: string): boolean {
  const st = statOf(file);
  return st !== undefined && !st.isFile() && !st.isDirectory();
}

/** The path a report replaces: the file itself, or the file a symbolic link points to. */
function replacedPath(file: string): string {
  return statOf(file) === undefined ? file : realpathSync(file);
}

/**
 * The file can be written: a device or pipe it may write, or a file (or a link to one) that
 * can be created or replaced, its directory existing and writable.
 */
function checkWritable(spec: string, file: string): void {
  const bad = (why: string) => new UsageError(`--reporter ${spec}: ${why}`);
  try {
    checkWritablePath(file, bad);
  } catch (err) {
    // EACCES on a directory above it, a loop of links: still bad input, said in one line.
    if (err instanceof UsageError) throw err;
    throw bad(`cannot check ${file}: ${(err as Error).message}`);
  }
}

function checkWritablePath(file: string, bad: (why: string) => UsageError): void {
  const canAccess = (path: string, mode: number): boolean => {
    try {
      accessSync(path, mode);
      return true;
    } catch {
      return false;
    }
  };
  const parent = dirname(file);
  const parentStat = statOf(parent);
  if (parentStat === undefined) throw bad(`directory ${parent} does not exist`);
  if (!parentStat.isDirectory()) throw bad(`${parent} is not a directory`);
  if (statOf(file)?.isDirectory()) throw bad(`${file} is a directory`);
  if (writtenInPlace(file)) {
    if (!canAccess(file, constants.W_OK)) throw bad(`${file} is not writable`);
    return;
  }
  const dir = dirname(replacedPath(file));
  if (!canAccess(dir, constants.W_OK | constants.X_OK)) {
    throw bad(`directory ${dir} is not writable`);
  }
}

/** Whether any target's reporter needs the runs recorded (tracepoints and timeline). */
export function needsRecording(targets: readonly ReportTarget[]): boolean {
  return targets.some((t) => t.reporter.needsRecording);
}

/**
 * Renders every report, then writes them: files first, each replaced atomically, then stdout.
 * Nothing is written unless every reporter rendered.
 */
export function writeReports(
  targets: readonly ReportTarget[],
  input: ReportInput,
  stdout: (data: string | Uint8Array) => void,
): void {
  const rendered = targets.map((t) => t.reporter.render(input));
  targets.forEach((t, i) => {
    if (t.file !== undefined) writeFileAtomic(t, t.file, rendered[i]);
  });
  targets.forEach((t, i) => {
    if (t.file === undefined) stdout(rendered[i]);
  });
}

function writeFileAtomic(t: ReportTarget, file: string, data: string | Uint8Array): void {
  let tmp: string | null = null;
  try {
    if (writtenInPlace(file)) {
      // Renaming over a device or pipe would put a file in its place; it takes the bytes as is.
      writeFileSync(file, data);
      return;
    }
    const target = replacedPath(file);
    // Same directory, so the rename is atomic; the pid keeps concurrent runs apart.
    tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (err) {
    if (tmp !== null) rmSync(tmp, { force: true });
    throw new RunFailure(`--reporter ${t.spec}: cannot write ${file}: ${(err as Error).message}`);
  }
}

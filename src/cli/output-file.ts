/**
 * Output files of any command (reports, drafted profiles): checked before the command runs
 * anything, then replaced atomically once the output is complete. A device or pipe
 * (`/dev/stdout`, a FIFO) is written in place, and a symbolic link's target is replaced, not
 * the link. Errors name the flag (`what`) that gave the file, in one line.
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
import { basename, dirname, join } from "node:path";
import { RunFailure, UsageError } from "../errors.js";

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
export function checkOutputFile(what: string, file: string): void {
  const bad = (why: string) => new UsageError(`${what}: ${why}`);
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

/**
 * Write `data` to `file`: through a temporary file in its directory renamed over it, so a
 * failed write leaves no partial output; a device or pipe is written in place. A failure is a
 * RunFailure naming `what`.
 */
export function writeOutputFile(what: string, file: string, data: string | Uint8Array): void {
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
    throw new RunFailure(`${what}: cannot write ${file}: ${(err as Error).message}`);
  }
}

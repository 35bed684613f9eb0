/**
 * Read access to a host's /sys and /proc, kept behind an interface so the parsers and the
 * draft builder never touch Node's fs (they can run in a browser on uploaded trees).
 * Paths are written as on the host ("/sys/devices/system/node/online").
 */
import { UsageError } from "../errors.js";

export interface HostFs {
  /**
   * The file's text, or undefined when it does not exist; lacking permission is an
   * Unreadable, any other failure a UsageError.
   */
  read(path: string): string | undefined;
  /** The names in a directory, or undefined when it does not exist. */
  list(dir: string): string[] | undefined;
  /** Where `path` really is (under the probed root), for messages. */
  where(path: string): string;
}

/** A file the probing user may not read (EACCES, EPERM): root-only sysfs attributes. */
export class Unreadable extends UsageError {}

/** The UsageError for a file whose content does not parse: `<file>: malformed: <why>`. */
export function malformed(fs: HostFs, path: string, why: string): UsageError {
  return new UsageError(`${fs.where(path)}: malformed: ${why}`);
}

/** The file's text trimmed, or undefined when it does not exist. */
export function readTrimmed(fs: HostFs, path: string): string | undefined {
  return fs.read(path)?.trim();
}

/** The range of a C int, which the integer attributes read here are. */
const INT_MAX = 2 ** 31 - 1;

/** A file holding one integer (a sysfs attribute), or undefined when it does not exist. */
export function readInt(fs: HostFs, path: string): number | undefined {
  const text = readTrimmed(fs, path);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw malformed(fs, path, `expected an integer, got '${text}'`);
  const n = Number(text);
  if (Math.abs(n) > INT_MAX) throw malformed(fs, path, `integer out of range: '${text}'`);
  return n;
}

/** The numbers N of the names `<prefix>N` in `names`, ascending. */
export function numberedEntries(names: readonly string[] | undefined, prefix: string): number[] {
  const re = new RegExp(`^${prefix}(\\d+)$`);
  const ids: number[] = [];
  for (const name of names ?? []) {
    const m = re.exec(name);
    if (m !== null) ids.push(Number(m[1]));
  }
  return ids.sort((a, b) => a - b);
}

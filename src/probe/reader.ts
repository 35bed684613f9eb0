/** The Node implementation of HostFs: the host's files under a root directory. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { type HostFs, Unreadable } from "./host-fs.js";

/** Missing: the file (or a directory above it) is not there, which a probe reports as unknown. */
function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** The error for a failed read or list of `at` that is not a missing file. */
export function readError(at: string, verb: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code;
  const message = `${at}: cannot ${verb}: ${(err as Error).message}`;
  return code === "EACCES" || code === "EPERM" ? new Unreadable(message) : new UsageError(message);
}

/** The host files under `root` ("/" for this machine, a fixture tree in tests). */
export function hostFs(root: string): HostFs {
  const where = (path: string) => join(root, path);
  return {
    where,
    read(path) {
      try {
        return readFileSync(where(path), "utf8");
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw readError(where(path), "read", err);
      }
    },
    list(dir) {
      try {
        return readdirSync(where(dir)).sort();
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw readError(where(dir), "list", err);
      }
    },
  };
}

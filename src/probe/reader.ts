/** The Node implementation of HostFs: the host's files under a root directory. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import type { HostFs } from "./host-fs.js";

/** Missing: the file (or a directory above it) is not there, which a probe reports as unknown. */
function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
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
        throw new UsageError(`${where(path)}: cannot read: ${(err as Error).message}`);
      }
    },
    list(dir) {
      try {
        return readdirSync(where(dir)).sort();
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw new UsageError(`${where(dir)}: cannot list: ${(err as Error).message}`);
      }
    },
  };
}

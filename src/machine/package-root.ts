/**
 * Locates the installed package, so shipped files and its version are found from src/ (tests)
 * and dist/ alike.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;
let version: string | undefined;

/** The nearest directory above this module that holds package.json. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  root = dir;
  return dir;
}

/** Directory of the shipped profiles. */
export function profilesDir(): string {
  return join(packageRoot(), "profiles");
}

/** The package's version, from its package.json (what `--version` prints and reports carry). */
export function packageVersion(): string {
  version ??= String(JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")).version);
  return version;
}

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { packageRoot } from "../machine/package-root.js";

/** Compare `actual` with test/golden/<name> (tests only); UPDATE_GOLDEN=1 rewrites the file. */
export function expectGolden(name: string, actual: string): void {
  const path = join(packageRoot(), "test", "golden", name);
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, actual);
  expect(actual, name).toBe(readFileSync(path, "utf8"));
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../machine/package-root.js";
import { loadProfile } from "../machine/profile.js";
import { runMovePagesBench } from "../workload/move-pages-bench.js";
import { REPORT_SCHEMA_VERSION, reporter } from "./json.js";

describe("json reporter", () => {
  it("wraps the results in a versioned document and leaves recordings out", async () => {
    const result = await runMovePagesBench({
      migrator: "serial",
      profile: loadProfile("small-2node"),
      folioSizeBytes: 4096,
      folioCount: 64,
      runs: 1,
      seed: 3,
      verify: false,
      record: true,
    });
    expect(result.recording).toBeDefined();
    const text = String(
      reporter.render({
        command: "bench move-pages",
        profile: "small-2node",
        cpus: 8,
        seed: 3,
        results: [result],
      }),
    );
    expect(text.endsWith("}\n")).toBe(true);
    const doc = JSON.parse(text);
    const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8"));
    expect(Object.keys(doc)).toEqual([
      "schema",
      "schemaVersion",
      "tool",
      "version",
      "command",
      "profile",
      "seed",
      "results",
    ]);
    expect(doc).toMatchObject({
      schema: "pagemig-report",
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: "pagemig",
      version: pkg.version,
      command: "bench move-pages",
      profile: "small-2node",
      seed: 3,
    });
    expect(REPORT_SCHEMA_VERSION).toBe(1);
    const { recording: _, ...rest } = result;
    expect(doc.results).toEqual([JSON.parse(JSON.stringify(rest))]);
    expect(doc.results[0]).not.toHaveProperty("recording");
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../machine/package-root.js";
import { expectGolden } from "../../test-support/golden.js";
import { RUN_SCHEMA_VERSION, reporter } from "./json.js";
import { pingPongInput, pingPongSweepInput } from "./run.case.js";

const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8"));

describe("run json reporter", () => {
  it("wraps the run in bench's versioned header under its own schema (golden)", () => {
    expect(reporter).toMatchObject({ name: "json", needsRecording: false, binary: false });
    const input = pingPongInput();
    const text = String(reporter.render(input));
    expectGolden("run/ping-pong-thp-5ms.json", text);
    expect(text.endsWith("}\n")).toBe(true);
    const doc = JSON.parse(text);
    expect(Object.keys(doc)).toEqual([
      "schema",
      "schemaVersion",
      "tool",
      "version",
      "command",
      "profile",
      "seed",
      "scenario",
      "set",
      "sweep",
      "runs",
    ]);
    expect(doc).toMatchObject({
      schema: "pagemig-run",
      schemaVersion: 1,
      tool: "pagemig",
      version: pkg.version,
      command: "run",
      profile: "zen3-2s-ptdma",
      seed: 1,
      scenario: "scenarios/ping-pong-thp.yaml",
      set: ["duration=5ms"],
      sweep: [],
    });
    expect(RUN_SCHEMA_VERSION).toBe(1);
    expect(doc.runs).toEqual(JSON.parse(JSON.stringify(input.runs)));
    expect(doc.runs[0].settings).toEqual([]);
    expect(Object.keys(doc.runs[0].result)).toEqual(Object.keys(input.runs[0].result));
  });

  it("writes every run of a sweep with its settings", () => {
    const doc = JSON.parse(String(reporter.render(pingPongSweepInput())));
    expect(doc.sweep).toEqual(["engine.migrator=serial,dcbm"]);
    expect(doc.runs.map((r: { settings: string[] }) => r.settings)).toEqual([
      ["engine.migrator=serial"],
      ["engine.migrator=dcbm"],
    ]);
    expect(doc.runs[1].result.engine.migrator).toBe("dcbm");
    expect(doc.runs[1].result.series.timeNs).toHaveLength(100);
  });
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TIME_PARTS } from "../../explain/scenario.js";
import { DOCUMENT_SCHEMAS } from "../../report/header.js";
import { runCaptured } from "../../test-support/cli.js";

// remote-half: eight threads with half their memory remote, migrated home 20 ms in.
const SCENARIO = "scenarios/remote-half.yaml";
const SHORT = ["--set", "duration=40ms"];

/** The CLI exits 2 with one line on stderr that matches `line`, and prints nothing. */
async function expectUsageError(argv: string[], line: RegExp): Promise<void> {
  const r = await runCaptured(argv);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(line);
}

async function explainJson(argv: string[]) {
  const r = await runCaptured(["explain", ...argv, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe("pagemig explain SCENARIO", () => {
  it("runs the scenario and the vanilla kernel, splits each thread's time without remainder, and compares", async () => {
    const doc = await explainJson([SCENARIO, ...SHORT, "--set", "engine.migrator=dcbm"]);
    expect(doc).toMatchObject({
      schema: "pagemig-explain-scenario",
      schemaVersion: DOCUMENT_SCHEMAS["pagemig-explain-scenario"],
      command: "explain",
    });
    expect(doc.runs.map((r: { name: string }) => r.name)).toEqual([
      "the vanilla kernel (serial copy)",
      "engine dcbm",
    ]);
    for (const run of doc.runs) {
      const [app] = run.processes;
      const sum = TIME_PARTS.reduce((a, p) => a + app.shares[p], 0);
      expect(sum).toBeCloseTo(1, 9);
      // The mover's move_pages(2) calls are the only caller, and the threads stalled on them.
      expect(run.callers.map((c: { reason: string }) => c.reason)).toEqual(["MR_SYSCALL"]);
      expect(app.shares.migrationStall).toBeGreaterThan(0);
      expect(app.stalls).toBeGreaterThan(0);
    }
    const [vanilla, dcbm] = doc.runs.map(
      (r: { processes: { opsPerSec: number }[] }) => r.processes[0].opsPerSec,
    );
    expect(doc.comparisons).toHaveLength(1);
    expect(doc.comparisons[0].gain[0].gain).toBeCloseTo(dcbm / vanilla - 1, 12);
  });

  it("explains the vanilla kernel's run alone, with no comparison", async () => {
    const r = await runCaptured(["explain", SCENARIO, ...SHORT]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^engine serial, 40\.0 ms of virtual time\n/);
    expect(r.stdout).toContain("waiting in migration entries (migration_entry_wait)");
    expect(r.stdout).toMatch(/MR_SYSCALL +\d+ +1\.0 +\d+/);
    expect(r.stdout).not.toContain(" against ");
  });

  it("counts a late process's start time and fault-in as time before it started, not as other tasks' CPU", async () => {
    // compaction.yaml: the process starts at 10 ms and faults in 256M of THPs by direct compaction.
    const doc = await explainJson(["scenarios/compaction.yaml"]);
    const [app] = doc.runs[0].processes;
    expect(app.shares.notStarted).toBeGreaterThan(0.1);
    expect(app.shares.notStarted).toBeLessThan(0.5);
    expect(app.shares.otherTasks).toBeLessThan(0.01);
    expect(doc.runs[0].callers.map((c: { reason: string }) => c.reason)).toEqual(["MR_COMPACTION"]);
  });

  it("explains a run's JSON report: each run of its sweep against the first", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-explain-"));
    const report = join(dir, "run.json");
    const run = await runCaptured([
      "run",
      SCENARIO,
      ...SHORT,
      "--sweep",
      "engine.migrator=serial,mtcopy",
      "--reporter",
      `json=${report}`,
    ]);
    expect(run.code).toBe(0);
    const doc = await explainJson([report]);
    expect(doc.runs.map((r: { name: string }) => r.name)).toEqual([
      "engine.migrator=serial",
      "engine.migrator=mtcopy",
    ]);
    expect(doc.comparisons[0].run.name).toBe("engine.migrator=mtcopy");
    expect(doc.comparisons[0].reference.name).toBe("engine.migrator=serial");
    // mtcopy's copy threads took CPU from the application threads sharing their CPUs.
    expect(doc.runs[1].cpuByKind.kworker).toBeGreaterThan(0);
  });

  it("refuses bench flags, --set on a report or without a scenario, and bad files, with one line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-explain-"));
    const old = join(dir, "old.json");
    // A report as an older pagemig wrote it: the header and runs, results without callers.
    const report = {
      schema: "pagemig-run",
      schemaVersion: 1,
      version: "0.1.0",
      scenario: "scenarios/ping-pong.yaml",
      set: [],
      sweep: [],
      runs: [{ settings: [], result: {} }],
    };
    writeFileSync(old, JSON.stringify(report));
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ ...report, schemaVersion: 99 }));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ ...report, sweep: "engine.migrator=dcbm" }));
    await expectUsageError(
      ["explain", SCENARIO, "--migrator", "dcbm"],
      /^pagemig: --migrator: for bench/,
    );
    await expectUsageError(
      ["explain", "--set", "duration=1ms"],
      /^pagemig: --set: only with a scenario/,
    );
    await expectUsageError(
      ["explain", old, "--set", "duration=1ms"],
      /^pagemig: --set: a run.s report/,
    );
    // The report's schema (report/run/read.ts, merge's too) names the bad field.
    await expectUsageError(
      ["explain", old],
      /old\.json: runs\[0\]\.result\.callers: written by an older pagemig \(its results have no callers\); run the scenario again\n/,
    );
    await expectUsageError(
      ["explain", other],
      /other\.json: schemaVersion: a pagemig-run document of another version \(this pagemig reads 1\)\n/,
    );
    await expectUsageError(
      ["explain", bad],
      /bad\.json: sweep: Invalid input: expected array, received string\n/,
    );
    await expectUsageError(["explain", join(dir, "none.yaml")], /no such file/);
    await expectUsageError(
      ["explain", SCENARIO, "--set", "engine.migrator=dma"],
      /engine\.migrator/,
    );
  });
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCaptured } from "../../test-support/cli.js";
import { expectGolden } from "../../test-support/golden.js";
import type { ScenarioResult } from "../../workload/app/run-scenario.js";

const json = async (args: string[]) => {
  const r = await runCaptured(["run", ...args, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

describe("pagemig run", () => {
  it("the selftest's ping-pong: readers stall once per move, a THP's stalls longer and fewer (golden)", async () => {
    const r = await runCaptured(["run", "scenarios/ping-pong.yaml"]);
    expect(r.code).toBe(0);
    expectGolden("run-ping-pong.txt", r.stdout);
    const small = (await json(["scenarios/ping-pong.yaml"])) as ScenarioResult;
    const thp = (await json(["scenarios/ping-pong-thp.yaml"])) as ScenarioResult;
    for (const res of [small, thp]) {
      expect(res.movers[0].calls).toBeGreaterThan(100);
      // Every reader stalls on (almost) every move: it reads the page all the time.
      for (const t of res.threads) expect(t.stalls / res.movers[0].calls).toBeGreaterThan(0.95);
      expect(res.vmstat.pgmigrate_fail).toBe(0);
    }
    const perStall = (res: ScenarioResult) => res.threads[0].stallNs / res.threads[0].stalls;
    expect(perStall(thp)).toBeGreaterThan(50 * perStall(small));
    expect(thp.threads[0].stalls).toBeLessThan(small.threads[0].stalls / 2);
  });

  it("--set overrides a field and --sweep runs each value, with differences to the first", async () => {
    const set = (await json([
      "scenarios/ping-pong.yaml",
      "--set",
      "duration=10ms",
    ])) as ScenarioResult;
    expect(set.durationNs).toBe(10e6);
    const sweep = await runCaptured([
      "run",
      "scenarios/ping-pong-thp.yaml",
      "--set",
      "duration=20ms",
      "--sweep",
      "engine.migrator=serial,dcbm",
    ]);
    expect(sweep.code).toBe(0);
    const rows = sweep.stdout.split("\n").filter((l) => l.startsWith("engine.migrator="));
    expect(rows).toHaveLength(4);
    expect(rows[2]).toMatch(/^engine\.migrator=serial\s+[\d.]+\s+\+0\.0%/);
    // dcbm moves the THP faster (12.6 against 10.8 GB/s), so each stall is shorter.
    // RUN, MOPS/s, VS-FIRST, STALLED-ms, VS-FIRST, CPU-LOST-ms, MOVER-GB/s, VS-FIRST.
    expect(rows[3]).toMatch(
      /^engine\.migrator=dcbm\s+[\d.]+\s+\+[\d.]+%\s+[\d.]+\s+-[\d.]+%\s+0\.000\s+[\d.]+\s+\+[\d.]+%/,
    );
    const runs = await json([
      "scenarios/ping-pong-thp.yaml",
      "--set",
      "duration=20ms",
      "--sweep",
      "engine.migrator=serial,dcbm",
    ]);
    expect(runs.map((x: { settings: string[] }) => x.settings)).toEqual([
      ["engine.migrator=serial"],
      ["engine.migrator=dcbm"],
    ]);
  });

  it("refuses a bad scenario, override or sweep with one line naming the field, before running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-run-"));
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "duration: 1ms\nprocesses: []\n");
    const cases: [string[], RegExp][] = [
      [
        ["scenarios/ping-pong.yaml", "--set", "engine.migrator=foo"],
        /engine\.migrator: Invalid option/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "processes[3].name=x"],
        /^pagemig: --set: processes\[3\]\.name: no such field/,
      ],
      [["scenarios/ping-pong.yaml", "--set", "duration=-1ms"], /duration: invalid duration '-1ms'/],
      [
        ["scenarios/ping-pong.yaml", "--set", "processes[0].threads[0].cpu=127"],
        /threads\[0\]\.cpu: CPUs 127-128 \(count 2\): profile zen3-2s-ptdma has CPUs 0-127/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "movers[0].nodes=[7]"],
        /movers\[0\]\.nodes\[0\]: node 7 does not exist/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "processes[0].regions[0].size=6K"],
        /regions\[0\]\.size: 6K is not a multiple of the folio size 4K/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "processes[0].regions[0].policy={mode: interleave}"],
        /policy: interleave needs at least one node/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--sweep", "engine.migrator=serial,nope"],
        /\(engine\.migrator=nope\): engine\.migrator: Invalid option/,
      ],
      [["scenarios/ping-pong.yaml", "--set", "bogus=1"], /: bogus: unknown key/],
      [
        ["scenarios/ping-pong.yaml", "--set", "engine.channels=2"],
        /engine\.channels: channels are for dcbm, not serial/,
      ],
      [[bad], /processes: Too small/],
      [[join(dir, "none.yaml")], /none\.yaml: no such file/],
    ];
    for (const [args, message] of cases) {
      const r = await runCaptured(["run", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
  });
});

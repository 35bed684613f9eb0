import { describe, expect, it } from "vitest";
import { loadProfile } from "../../machine/profile.js";
import { expectGolden } from "../../test-support/golden.js";
import { runScenario } from "../../workload/app/run-scenario.js";
import { parseScenario } from "../../workload/app/scenario.js";
import { pingPongInput, pingPongSweepInput } from "./run.case.js";
import { reporter } from "./table.js";

describe("run table reporter", () => {
  it("prints threads, movers, why and vmstat of one run (golden)", () => {
    expect(reporter).toMatchObject({ name: "table", needsRecording: false, binary: false });
    const text = String(reporter.render(pingPongInput()));
    expectGolden("run/ping-pong-thp-5ms.txt", text);
    expect(text).toMatch(
      /^profile zen3-2s-ptdma, 5\.0 ms of virtual time, engine serial, seed 1\n/,
    );
  });

  it("prints each run of a sweep under its settings, then the totals against the first", () => {
    const text = String(reporter.render(pingPongSweepInput()));
    const lines = text.split("\n");
    expect(lines[0]).toBe("engine.migrator=serial");
    expect(lines).toContain("engine.migrator=dcbm");
    const rows = lines.filter((l) => /^engine\.migrator=\w+\s+[\d.]+/.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^engine\.migrator=serial\s+[\d.]+\s+\+0\.0%/);
    expect(text).toMatch(/MOVER-GB\/s over the movers\.\n$/);
  });

  it("with several processes, gives each one's ops/s against the first run's (golden)", () => {
    // A mover takes an application's memory to node 1 under a neighbour that stays local.
    const s = parseScenario(
      `profile: small-2node
duration: 5ms
quantum: 500us
processes:
  - name: app
    regions: [{ name: heap, size: 1M, folioSize: 4K }]
    threads: [{ cpu: 0, count: 2, region: heap, pattern: uniform, compute: 20ns }]
  - name: neighbour
    regions: [{ name: heap, size: 2M, folioSize: 2M }]
    threads: [{ cpu: 2, region: heap, pattern: uniform, compute: 20ns }]
movers: [{ kind: move_pages, cpu: 3, process: app, region: heap, nodes: [1], calls: 1 }]
`,
      "two processes",
    );
    const runs = (["serial", "mtcopy"] as const).map((migrator) => ({
      settings: [`engine.migrator=${migrator}`],
      result: runScenario({ ...s, engine: { ...s.engine, migrator } }, loadProfile(s.profile)),
    }));
    const text = String(
      reporter.render({ scenario: "two", set: [], sweep: ["engine.migrator=serial,mtcopy"], runs }),
    );
    const summary = text.slice(text.indexOf("RUN "));
    expectGolden("run/sweep-two-processes.txt", summary);
    expect(summary).toMatch(/RUN\s+app MOPS\/s\s+VS-FIRST\s+neighbour MOPS\/s\s+VS-FIRST\n/);
    expect(summary).toMatch(/engine\.migrator=serial\s+[\d.]+\s+\+0\.0%\s+[\d.]+\s+\+0\.0%\n/);
  });
});

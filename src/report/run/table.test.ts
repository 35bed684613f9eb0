import { describe, expect, it } from "vitest";
import { expectGolden } from "../../test-support/golden.js";
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
});

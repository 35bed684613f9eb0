import { describe, expect, it } from "vitest";
import { expectGolden } from "../../test-support/golden.js";
import type { ScenarioResult } from "../../workload/app/run-scenario.js";
import { formatMb, processTable, reporter } from "./numastat.js";
import { pingPongInput, pingPongSweepInput } from "./run.case.js";

const MB = 1 << 20;

describe("numastat reporter", () => {
  it("prints numastat -p's table per process at the first and last interval's end (golden)", () => {
    expect(reporter).toMatchObject({ name: "numastat", needsRecording: false, binary: false });
    const text = String(reporter.render(pingPongInput()));
    expectGolden("run/ping-pong-thp-5ms.numastat.txt", text);
    const heads = text.split("\n").filter((l) => l.startsWith("#"));
    expect(heads).toEqual([
      "# at 0.050 ms of virtual time (the end of the first interval)",
      "# at 5.000 ms of virtual time (the end of the last interval)",
    ]);
    // The 2M THP is on one node or the other, in Private; the process holds 2 MB throughout.
    const totals = text.split("\n").filter((l) => l.startsWith("Total "));
    expect(totals).toHaveLength(2);
    for (const t of totals) expect(t).toMatch(/ 2\.00$/);
  });

  it("lays the table out in numastat's widths: a 17-column label, 16 per node and the total", () => {
    const table = processTable(
      3,
      "app",
      new Map([
        [1, 512 * MB],
        [0, 1.5 * MB],
      ]),
    );
    expect(table).toBe(
      [
        "",
        "Per-node process memory usage (in MBs) for PID 3 (app)",
        "                           Node 0          Node 1           Total",
        "                  --------------- --------------- ---------------",
        "Huge                         0.00            0.00            0.00",
        "Heap                         0.00            0.00            0.00",
        "Stack                        0.00            0.00            0.00",
        "Private                      1.50          512.00          513.50",
        "----------------  --------------- --------------- ---------------",
        "Total                        1.50          512.00          513.50",
        "",
      ].join("\n"),
    );
  });

  it("rounds MBs as printf's %.2f: to the nearest hundredth, an exact half to even", () => {
    expect(formatMb(0)).toBe("0.00");
    expect(formatMb(4096)).toBe("0.00");
    expect(formatMb(6 * 4096)).toBe("0.02");
    // 0.125 and 0.375 MB are exact in binary: ties, as glibc rounds them.
    expect(formatMb(MB / 8)).toBe("0.12");
    expect(formatMb((3 * MB) / 8)).toBe("0.38");
    expect(formatMb(1024 * 1024 * MB)).toBe("1048576.00");
  });

  it("heads each snapshot of a sweep with its run's settings", () => {
    const heads = String(reporter.render(pingPongSweepInput()))
      .split("\n")
      .filter((l) => l.startsWith("#"));
    expect(heads).toEqual([
      "# engine.migrator=serial, at 0.050 ms of virtual time (the end of the first interval)",
      "# engine.migrator=serial, at 5.000 ms of virtual time (the end of the last interval)",
      "# engine.migrator=dcbm, at 0.050 ms of virtual time (the end of the first interval)",
      "# engine.migrator=dcbm, at 5.000 ms of virtual time (the end of the last interval)",
    ]);
  });

  it("says so when no interval ended", () => {
    const input = pingPongInput();
    const result = input.runs[0].result;
    const empty: ScenarioResult = {
      ...result,
      series: { ...result.series, timeNs: [], processes: [] },
    };
    expect(reporter.render({ ...input, runs: [{ settings: [], result: empty }] })).toBe(
      "# no interval ended: the run is shorter than one (50000 ns)\n",
    );
  });
});

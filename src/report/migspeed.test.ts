import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { runMovePagesBench } from "../workload/move-pages-bench.js";
import { migspeedLine, printfFixed, reporter } from "./migspeed.js";

describe("printfFixed", () => {
  it("rounds exact ties to even as glibc's printf does", () => {
    expect(printfFixed(0.25, 1)).toBe("0.2");
    expect(printfFixed(0.75, 1)).toBe("0.8");
    expect(printfFixed(2.5, 0)).toBe("2");
    expect(printfFixed(3.5, 0)).toBe("4");
    expect(printfFixed(1.125, 2)).toBe("1.12");
    expect(printfFixed(-0.25, 1)).toBe("-0.2");
    // 0.15 is just below 0.15 as a double: not a tie.
    expect(printfFixed(0.15, 1)).toBe("0.1");
    expect(printfFixed(0.35, 1)).toBe("0.3");
    expect(printfFixed(Number.POSITIVE_INFINITY, 1)).toBe("inf");
    expect(printfFixed(Number.NaN, 2)).toBe("nan");
  });

  it("agrees with toFixed wherever the value is not an exact tie", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.nat(6), (x, d) => {
        const tail = x.toFixed(100).slice(x.toFixed(100).indexOf(".") + d + 1);
        fc.pre(!/^50*$/.test(tail));
        expect(printfFixed(x, d)).toBe(x.toFixed(d));
      }),
    );
  });
});

describe("migspeed reporter", () => {
  it("writes migspeed's line with Mbyte = 2^20 bytes", () => {
    expect(migspeedLine(8 * 1024 * 1024, 0.5)).toBe(
      "8.0 Mbyte migrated in 0.50 secs. 16.0 Mbytes/second\n",
    );
    expect(migspeedLine(1000 * 4096, 0.00125)).toBe(
      "3.9 Mbyte migrated in 0.00 secs. 3125.0 Mbytes/second\n",
    );
  });

  it("prints one line per result from the region's size and the mean call time", async () => {
    const profile = loadProfile("small-2node");
    const results = await Promise.all(
      [4096, 65536].map((folioSizeBytes) =>
        runMovePagesBench({
          migrator: "serial",
          profile,
          folioSizeBytes,
          folioCount: 64,
          runs: 2,
          seed: 1,
          verify: false,
        }),
      ),
    );
    const out = String(reporter.render({ command: "c", profile: "p", cpus: 8, seed: 1, results }));
    const lines = out.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(2);
    results.forEach((r, i) => {
      const m = /^(\d+\.\d) Mbyte migrated in (\d+\.\d\d) secs\. (\d+\.\d) Mbytes\/second$/.exec(
        lines[i],
      );
      expect(m).not.toBeNull();
      expect(Number(m?.[1])).toBeCloseTo((r.folioSizeBytes * r.folioCount) / 2 ** 20, 1);
      const rate = (r.folioSizeBytes * r.folioCount) / 2 ** 20 / (r.callTimeUs / 1e6);
      expect(Number(m?.[3])).toBeCloseTo(rate, 0);
      // The call time agrees with the throughput within the spread of the runs.
      expect((rate * 2 ** 20) / 1e9).toBeCloseTo(r.throughputGBps.mean, 1);
    });
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";
import { fixtureResult, sweepFixture } from "./fixtures.case.js";
import { dodgeOffsets, throughputChart, throughputSeries } from "./throughput.js";

interface Point {
  series: string;
  folio: number;
  x: number;
  gbps: number;
}

const points = (results: readonly MovePagesBenchResult[]) =>
  (throughputChart(results)?.spec as { data: { values: Point[] } } | undefined)?.data.values ?? [];

/** What makes a configuration, besides its folio size. */
const configuration = (r: MovePagesBenchResult) =>
  `${r.migrator}/${r.workers}/${r.batchPages}/${r.cpuLoad}`;

describe("throughputChart", () => {
  it("never joins two configurations, nor one folio size twice, in a line", () => {
    const result = fc
      .record({
        migrator: fc.constantFrom("serial", "mtcopy", "dcbm"),
        workers: fc.constantFrom(1, 2),
        folioSizeBytes: fc.constantFrom(4096, 65536, 2 << 20),
        batchPages: fc.constantFrom(64, 512),
        gbps: fc.double({ min: 0.1, max: 30, noNaN: true }),
      })
      .map((o) => fixtureResult(o));
    fc.assert(
      fc.property(fc.array(result, { maxLength: 12 }), (results) => {
        const values = points(results);
        if (values.length === 0) return;
        const series = throughputSeries(results);
        // The chart's points are the results', in order.
        expect(values.map((v) => v.series)).toEqual(series);
        for (const s of new Set(series)) {
          const members = results.filter((_, i) => series[i] === s);
          expect(new Set(members.map(configuration)).size, s).toBe(1);
          const sizes = members.map((r) => r.folioSizeBytes);
          expect(new Set(sizes).size, s).toBe(sizes.length);
        }
      }),
    );
  });

  it("tells coinciding series apart by colour, shape, dash and a few pixels", () => {
    // Two engines with the same throughput at every size: one line would hide the other.
    const same = [4096, 65536].flatMap((folioSizeBytes) =>
      ["serial", "batch-cpu"].map((migrator) =>
        fixtureResult({ migrator, folioSizeBytes, gbps: 5 }),
      ),
    );
    const values = points(same);
    const at4k = values.filter((v) => v.folio === 4096);
    expect(at4k.map((v) => v.gbps)).toEqual([5, 5]);
    expect(at4k[0].x).toBeLessThan(4096);
    expect(at4k[1].x).toBeGreaterThan(4096);
    const spec = JSON.stringify(throughputChart(same)?.spec);
    for (const channel of ["color", "shape", "strokeDash"]) {
      const ranges = [
        ...spec.matchAll(new RegExp(`"${channel}":\\{[^}]*"range":(\\[[^\\]]*\\])`, "g")),
      ];
      expect(ranges.length, channel).toBeGreaterThan(0);
    }
    // Apart from coinciding points, every point is at its folio size.
    for (const v of points(sweepFixture())) {
      if (v.x !== v.folio) {
        expect(points(sweepFixture()).some((w) => w !== v && w.folio === v.folio)).toBe(true);
      }
    }
  });
});

describe("dodgeOffsets", () => {
  it("spreads points that coincide at one x, in series order, and leaves the rest alone", () => {
    const offsets = dodgeOffsets(
      [
        { x: 1, y: 10, series: 1 },
        { x: 1, y: 10.1, series: 0 },
        { x: 1, y: 20, series: 2 },
        { x: 2, y: 10, series: 3 },
      ],
      0.5,
    );
    expect(offsets).toEqual([4, -4, 0, 0]);
  });
});

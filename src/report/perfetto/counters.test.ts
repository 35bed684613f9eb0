import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Recording } from "../../workload/measurements.js";
import { foliosInFlight, remapThroughput } from "./counters.js";

function recording(unmapNs: number[], remapNs: number[], startNs = 100, endNs = 1100): Recording {
  return {
    startNs,
    endNs,
    folioSizeBytes: 4096,
    trace: [],
    tracks: [],
    slices: [],
    unmapNs,
    remapNs,
  };
}

/** Folios unmapped at some time in the call and mapped again later, or never (-1). */
const folioTimes = fc.array(
  fc.tuple(fc.integer({ min: 100, max: 1100 }), fc.integer({ min: 0, max: 1000 }), fc.boolean()),
  { maxLength: 60 },
);

describe("foliosInFlight", () => {
  it("steps up at unmaps and down at remaps, merging equal times", () => {
    const points = foliosInFlight(recording([100, 200, 200, 300], [400, 400, 500, 600]));
    expect(points).toEqual([
      { ns: 100, value: 1 },
      { ns: 200, value: 3 },
      { ns: 300, value: 4 },
      { ns: 400, value: 2 },
      { ns: 500, value: 1 },
      { ns: 600, value: 0 },
    ]);
  });

  it("holds a folio never mapped again until the call returns, and ignores unmoved ones", () => {
    expect(foliosInFlight(recording([150, -1], [-1, -1]))).toEqual([
      { ns: 100, value: 0 },
      { ns: 150, value: 1 },
      { ns: 1100, value: 0 },
    ]);
  });

  it("never goes negative, never exceeds the folios and ends at 0", () => {
    fc.assert(
      fc.property(folioTimes, (folios) => {
        const unmap = folios.map(([u]) => u);
        const remap = folios.map(([u, dt, ok]) => (ok ? Math.min(1100, u + dt) : -1));
        const points = foliosInFlight(recording(unmap, remap));
        for (let i = 1; i < points.length; i++)
          expect(points[i].ns).toBeGreaterThan(points[i - 1].ns);
        for (const p of points) {
          expect(p.value).toBeGreaterThanOrEqual(0);
          expect(p.value).toBeLessThanOrEqual(folios.length);
        }
        expect(points.at(-1)?.value).toBe(0);
      }),
    );
  });
});

describe("remapThroughput", () => {
  it("integrates to the bytes remapped, in GB/s per bucket", () => {
    fc.assert(
      fc.property(folioTimes, fc.integer({ min: 1, max: 200 }), (folios, buckets) => {
        const remap = folios.map(([u, dt, ok]) => (ok ? Math.min(1100, u + dt) : -1));
        const points = remapThroughput(
          recording(
            remap.map(() => 100),
            remap,
          ),
          buckets,
        );
        expect(points).toHaveLength(buckets + 1);
        const width = 1000 / buckets;
        const bytes = points.slice(0, -1).reduce((sum, p) => sum + p.value * width, 0);
        expect(bytes).toBeCloseTo(remap.filter((t) => t >= 0).length * 4096, 6);
        expect(points.at(-1)).toEqual({ ns: 1100, value: 0 });
      }),
    );
  });

  it("puts a folio in the bucket of its remap time", () => {
    const points = remapThroughput(recording([100, 100], [150, 1100]), 10);
    expect(points[0]).toEqual({ ns: 100, value: 4096 / 100 });
    expect(points[9]).toEqual({ ns: 1000, value: 4096 / 100 });
    expect(points.slice(1, 9).every((p) => p.value === 0)).toBe(true);
  });

  it("gives a single zero for a call that took no time", () => {
    expect(remapThroughput(recording([100], [100], 100, 100), 10)).toEqual([{ ns: 100, value: 0 }]);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dominates, type Objectives, paretoFront } from "./pareto.js";

// Small domains, so ties and duplicate points are common.
const point = fc.record({
  throughputGBps: fc.integer({ min: 0, max: 6 }),
  cpuNsPerGiB: fc.integer({ min: 0, max: 6 }),
  firstFolioNs: fc.integer({ min: 0, max: 6 }),
});

const same = (a: Objectives, b: Objectives) =>
  a.throughputGBps === b.throughputGBps &&
  a.cpuNsPerGiB === b.cpuNsPerGiB &&
  a.firstFolioNs === b.firstFolioNs;

describe("paretoFront", () => {
  it("keeps exactly the non-dominated points, one of each, fastest first", () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 60 }), (points) => {
        const front = paretoFront(points);
        const kept = new Set(front);
        for (const i of front) {
          expect(points.some((q) => dominates(q, points[i]))).toBe(false);
        }
        points.forEach((p, i) => {
          if (kept.has(i)) return;
          const cover = front.some((f) => dominates(points[f], p) || (same(points[f], p) && f < i));
          expect(cover).toBe(true);
        });
        for (let a = 0; a < front.length; a++) {
          for (let b = a + 1; b < front.length; b++) {
            expect(same(points[front[a]], points[front[b]])).toBe(false);
            expect(points[front[a]].throughputGBps).toBeGreaterThanOrEqual(
              points[front[b]].throughputGBps,
            );
          }
        }
      }),
    );
  });

  it("is the same whatever the order of the input, up to which duplicate is kept", () => {
    fc.assert(
      fc.property(
        fc
          .array(point, { maxLength: 40 })
          .chain((ps) =>
            fc.tuple(
              fc.constant(ps),
              fc.shuffledSubarray(ps, { minLength: ps.length, maxLength: ps.length }),
            ),
          ),
        ([points, shuffled]) => {
          const key = (ps: Objectives[], idx: number[]) =>
            idx
              .map((i) => `${ps[i].throughputGBps}/${ps[i].cpuNsPerGiB}/${ps[i].firstFolioNs}`)
              .sort();
          expect(key(shuffled, paretoFront(shuffled))).toEqual(key(points, paretoFront(points)));
        },
      ),
    );
  });

  it("dominates needs one strict improvement", () => {
    const a = { throughputGBps: 2, cpuNsPerGiB: 1, firstFolioNs: 1 };
    expect(dominates(a, a)).toBe(false);
    expect(dominates(a, { ...a, firstFolioNs: 2 })).toBe(true);
    expect(dominates(a, { ...a, throughputGBps: 3 })).toBe(false);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Rng } from "../../sim/rng.js";
import { makePattern, mulMod, type PatternSpec, scatterStep } from "./patterns.js";

const counts = (spec: PatternSpec, pages: number, draws: number, nowNs = () => 0) => {
  const p = makePattern(spec, pages);
  const rng = new Rng(7);
  const c = new Array<number>(pages).fill(0);
  for (let i = 0; i < draws; i++) c[p.next(rng, nowNs())]++;
  return c;
};

describe("access patterns", () => {
  it("draw pages inside the region, the same for the same seed", () => {
    const specs = fc.oneof(
      fc.constant<PatternSpec>({ kind: "uniform" }),
      fc
        .double({ min: 0.1, max: 3, noNaN: true })
        .map<PatternSpec>((skew) => ({ kind: "zipf", skew })),
      fc
        .record({
          fraction: fc.double({ min: 0.001, max: 1, noNaN: true }),
          probability: fc.double({ min: 0, max: 1, noNaN: true }),
        })
        .map<PatternSpec>((r) => ({ kind: "hotset", ...r, periodNs: 1000 })),
      fc.constant<PatternSpec>({ kind: "sequential" }),
    );
    fc.assert(
      fc.property(
        specs,
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 1000 }),
        (spec, pages, seed) => {
          const draw = () => {
            const p = makePattern(spec, pages);
            const rng = new Rng(seed);
            return Array.from({ length: 50 }, (_, i) => p.next(rng, i * 100));
          };
          const a = draw();
          for (const x of a) expect(x >= 0 && x < pages && Number.isInteger(x)).toBe(true);
          expect(draw()).toEqual(a);
        },
      ),
    );
  });

  it("zipf: rank r is drawn with weight r^-skew, the ranks scattered over the region", () => {
    const pages = 1000;
    const step = scatterStep(pages);
    for (const skew of [0.8, 1, 1.5]) {
      const c = counts({ kind: "zipf", skew }, pages, 400_000);
      const rank = (r: number) => c[((r - 1) * step) % pages];
      let norm = 0;
      for (let r = 1; r <= pages; r++) norm += r ** -skew;
      for (const r of [1, 2, 10]) {
        expect(rank(r) / 400_000).toBeCloseTo(r ** -skew / norm, 2);
      }
    }
    // The bijection visits every page.
    const seen = new Set(Array.from({ length: pages }, (_, r) => (r * step) % pages));
    expect(seen.size).toBe(pages);
  });

  it("zipf: past the ranks drawn one by one, the buckets keep every range at its weight", () => {
    const pages = 300_000;
    const step = scatterStep(pages);
    const draws = 400_000;
    // Ranges of ranks: the exact head, and tails cut across the buckets' edges.
    const ranges = [
      [1, 1024],
      [1025, 1500],
      [1501, 9999],
      [10_000, 123_456],
      [123_457, pages],
    ];
    for (const skew of [0.6, 1.5]) {
      const c = counts({ kind: "zipf", skew }, pages, draws);
      let norm = 0;
      for (let r = 1; r <= pages; r++) norm += r ** -skew;
      for (const [lo, hi] of ranges) {
        let want = 0;
        let got = 0;
        for (let r = lo; r <= hi; r++) {
          want += r ** -skew / norm;
          got += c[((r - 1) * step) % pages];
        }
        expect(got / draws, `skew ${skew}, ranks ${lo}..${hi}`).toBeCloseTo(want, 2);
      }
    }
  });

  it("hotset: the window gets its probability plus its share of the rest, and moves each period", () => {
    const pages = 1000;
    let now = 0;
    const c = counts(
      { kind: "hotset", fraction: 0.1, probability: 0.9, periodNs: 1e6 },
      pages,
      100_000,
      () => now,
    );
    const hot = c.slice(0, 100).reduce((a, b) => a + b, 0) / 100_000;
    expect(hot).toBeCloseTo(0.9 + 0.1 * 0.1, 2);
    now = 1e6;
    const moved = counts(
      { kind: "hotset", fraction: 0.1, probability: 1, periodNs: 1e6 },
      pages,
      1000,
      () => now,
    );
    expect(moved.slice(100, 200).reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it("share: a folio's probability of an access, summing to 1 over the region and matching the draws", () => {
    const pages = 600;
    const specs: PatternSpec[] = [
      { kind: "uniform" },
      { kind: "zipf", skew: 1.2 },
      { kind: "hotset", fraction: 0.3, probability: 0.8, periodNs: 1000 },
      { kind: "sequential" },
    ];
    for (const spec of specs) {
      const p = makePattern(spec, pages);
      // The hot window (180 pages) starts at page 360 at t = 2500 and wraps past the end at 3500.
      for (const now of [0, 2500, 3500]) {
        let sum = 0;
        for (let i = 0; i < pages; i += 50) sum += p.share(i, 50, now);
        expect(sum, spec.kind).toBeCloseTo(1, 9);
      }
      if (spec.kind === "sequential") continue;
      const c = counts(spec, pages, 200_000, () => 2500);
      const got = c.slice(300, 364).reduce((a, b) => a + b, 0) / 200_000;
      expect(got, spec.kind).toBeCloseTo(p.share(300, 64, 2500), 2);
    }
  });

  it("mulMod is (a * b) mod n exactly, on both sides of 2^52", () => {
    fc.assert(
      fc.property(
        fc
          .bigInt({ min: 1n, max: 2n ** 40n })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.bigInt({ min: 0n, max: n - 1n }),
              fc.bigInt({ min: 0n, max: n - 1n }),
            ),
          ),
        ([n, a, b]) => {
          expect(mulMod(Number(a), Number(b), Number(n))).toBe(Number((a * b) % n));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("a quantum's fill draws what as many next calls draw, from the same stream", () => {
    // Hot sets over power-of-two pages and windows take their draws' raw outputs in one call.
    // (Zipf's fill takes its uniforms first and a rejected draw's retry after them: not this.)
    const specs = fc.oneof(
      fc.constant<PatternSpec>({ kind: "uniform" }),
      fc
        .record({
          fraction: fc.constantFrom(1, 0.5, 0.25, 0.3),
          probability: fc.double({ min: 0, max: 1, noNaN: true }),
        })
        .map<PatternSpec>((r) => ({ kind: "hotset", ...r, periodNs: 1000 })),
      fc.constant<PatternSpec>({ kind: "sequential" }),
    );
    fc.assert(
      fc.property(
        specs,
        fc.constantFrom(1, 2, 1024, 2 ** 24, 1000, 4097),
        fc.nat(1000),
        (spec, pages, seed) => {
          const bulk = new Rng(seed);
          const one = new Rng(seed);
          const pb = makePattern(spec, pages);
          const po = makePattern(spec, pages);
          for (const t of [0, 500, 1500, 7000]) {
            const out = new Float64Array(16);
            pb.fill(bulk, t, out);
            expect([...out]).toEqual(Array.from({ length: 16 }, () => po.next(one, t)));
          }
          expect(bulk.u32()).toBe(one.u32());
        },
      ),
    );
  });

  it("sequential: streams through the pages and wraps", () => {
    const p = makePattern({ kind: "sequential" }, 3);
    const rng = new Rng(1);
    expect(Array.from({ length: 7 }, () => p.next(rng, 0))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it("refuses parameters outside their range", () => {
    expect(() => makePattern({ kind: "zipf", skew: 0 }, 10)).toThrow(/skew must be > 0/);
    expect(() =>
      makePattern({ kind: "hotset", fraction: 0, probability: 1, periodNs: 1 }, 10),
    ).toThrow(/fraction/);
    expect(() => makePattern({ kind: "uniform" }, 0)).toThrow(/positive integer/);
  });
});

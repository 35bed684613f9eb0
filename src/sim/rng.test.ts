import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashUniform, Rng } from "./rng.js";

function draws(r: Rng, n: number): number[] {
  return Array.from({ length: n }, () => r.u32());
}

function correlation(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe("Rng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    expect(draws(new Rng(42), 50)).toEqual(draws(new Rng(42), 50));
    expect(draws(new Rng(42), 50)).not.toEqual(draws(new Rng(43), 50));
    // Seeds that differ only above bit 32 must not share a stream.
    expect(draws(new Rng(7), 4)).not.toEqual(draws(new Rng(7 + 2 ** 32), 4));
    expect(new Rng().next()).toBe(new Rng(1).next());
  });

  it("rejects seeds that are not safe integers", () => {
    expect(() => new Rng(1.5)).toThrow(RangeError);
    expect(() => new Rng(2 ** 53)).toThrow(RangeError);
  });

  it("keeps next, int, bool and pick in range", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 40 }), (seed, n) => {
        const r = new Rng(seed);
        for (let i = 0; i < 20; i++) {
          const x = r.next();
          expect(x >= 0 && x < 1).toBe(true);
          const k = r.int(n);
          expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
        }
        expect(r.bool(0)).toBe(false);
        expect(r.bool(1)).toBe(true);
        expect(["a", "b", "c"]).toContain(r.pick(["a", "b", "c"]));
      }),
    );
  });

  it("int(n) up to 2^32 is the raw stream's rejection sampling with an exact remainder", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.oneof(
          fc.integer({ min: 1, max: 2 ** 32 }),
          fc.constantFrom(1, 2, 3, 2 ** 24, 2 ** 30, 2 ** 31, 2 ** 31 + 1, 2 ** 32),
        ),
        (seed, n) => {
          const r = new Rng(seed);
          const raw = new Rng(seed);
          // The top partial bucket, 2^32 mod n, with integer arithmetic only.
          const limit = Number(2n ** 32n - (2n ** 32n % BigInt(n)));
          for (let i = 0; i < 20; i++) {
            let u = raw.u32();
            while (u >= limit) u = raw.u32();
            expect(r.int(n)).toBe(Number(BigInt(u) % BigInt(n)));
          }
        },
      ),
    );
  });

  it("spreads int(n) evenly", () => {
    const r = new Rng(3);
    const n = 10;
    const counts = new Array<number>(n).fill(0);
    const draws = 100_000;
    for (let i = 0; i < draws; i++) counts[r.int(n)]++;
    const expected = draws / n;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(30); // 9 degrees of freedom; p < 0.001
  });

  it("has no modulo bias for large n", () => {
    // 2^32 mod n = 2^30: plain modulo would land in [0, 2^30) half the time, not a third.
    const n = 3 * 2 ** 30;
    const r = new Rng(4);
    let low = 0;
    for (let i = 0; i < 30_000; i++) if (r.int(n) < 2 ** 30) low++;
    expect(Math.abs(low / 30_000 - 1 / 3)).toBeLessThan(0.02);
  });

  it("bool(p) hits p on average", () => {
    const r = new Rng(9);
    let hits = 0;
    for (let i = 0; i < 100_000; i++) if (r.bool(0.3)) hits++;
    expect(Math.abs(hits / 100_000 - 0.3)).toBeLessThan(0.01);
  });

  it("rejects bad arguments", () => {
    const r = new Rng(1);
    expect(() => r.int(0)).toThrow(RangeError);
    expect(() => r.int(2.5)).toThrow(RangeError);
    expect(() => r.pick([])).toThrow(RangeError);
    expect(() => r.bool(Number.NaN)).toThrow(RangeError);
    expect(() => r.fork(0.5)).toThrow(RangeError);
  });

  it("shuffles into a permutation, deterministically", () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const s1 = new Rng(5).shuffle([...a]);
    const s2 = new Rng(5).shuffle([...a]);
    expect(s1).toEqual(s2);
    expect(s1).not.toEqual(a);
    expect([...s1].sort((x, y) => x - y)).toEqual(a);
  });

  it("forks without advancing the parent, stably per label", () => {
    const parent = new Rng(11);
    const untouched = new Rng(11);
    const f1 = parent.fork("copy");
    expect(draws(parent, 10)).toEqual(draws(untouched, 10));
    // Same label, same stream, however much the parent has drawn since.
    expect(draws(parent.fork("copy"), 10)).toEqual(draws(f1, 10));
    expect(draws(parent.fork("copy"), 10)).not.toEqual(draws(parent.fork("reclaim"), 10));
    expect(draws(parent.fork(1), 10)).not.toEqual(draws(parent.fork("1"), 10));
    expect(draws(new Rng(12).fork("copy"), 10)).not.toEqual(draws(parent.fork("copy"), 10));
    // A fork of a fork is a stream of its own.
    expect(draws(f1.fork("copy"), 10)).not.toEqual(draws(parent.fork("copy"), 10));
  });

  it("fill and words draw what as many next and u32 calls draw, and leave the same state", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.nat(40), (seed, k) => {
        const bulk = new Rng(seed);
        const one = new Rng(seed);
        const floats = new Float64Array(k);
        bulk.fill(floats);
        expect([...floats]).toEqual(Array.from({ length: k }, () => one.next()));
        const words = new Uint32Array(k + 1);
        bulk.words(words);
        expect([...words]).toEqual(Array.from({ length: k + 1 }, () => one.u32()));
        expect(bulk.next()).toBe(one.next());
      }),
    );
  });

  it("hashUniform is a pure function of its four numbers' bits, whatever was asked before", () => {
    const num = fc.oneof(fc.constantFrom(0, -0, 1, 7), fc.double({ noNaN: true }));
    const quad = fc.tuple(num, num, num, num);
    fc.assert(
      fc.property(fc.array(quad, { minLength: 1, maxLength: 8 }), (qs) => {
        const once = qs.map((q) => hashUniform(...q));
        // Again in reverse order, each after a call with its own first two numbers.
        const again = [...qs].reverse().map((q) => {
          hashUniform(q[0], q[1], 1, 2);
          return hashUniform(...q);
        });
        expect(again.reverse()).toEqual(once);
        for (const u of once) expect(u >= 0 && u < 1).toBe(true);
      }),
    );
    expect(hashUniform(-0, 1, 2, 3)).not.toBe(hashUniform(0, 1, 2, 3));
    expect(hashUniform(1, -0, 2, 3)).not.toBe(hashUniform(1, 0, 2, 3));
  });

  it("gives forks streams uncorrelated with the parent and with each other", () => {
    const parent = new Rng(21);
    const a = parent.fork("a");
    const b = parent.fork("b");
    const n = 20_000;
    const xs = Array.from({ length: n }, () => parent.next());
    const ys = Array.from({ length: n }, () => a.next());
    const zs = Array.from({ length: n }, () => b.next());
    expect(Math.abs(correlation(xs, ys))).toBeLessThan(0.03);
    expect(Math.abs(correlation(ys, zs))).toBeLessThan(0.03);
    expect(Math.abs(correlation(xs, zs))).toBeLessThan(0.03);
  });
});

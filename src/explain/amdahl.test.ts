import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { amdahlCeiling, amdahlSpeedup } from "./amdahl.js";

describe("Amdahl", () => {
  it("gives the textbook numbers", () => {
    // Copy 94% of the call: free copy 16.7x, a 2x faster copy 1.89x.
    expect(amdahlCeiling(0.94)).toBeCloseTo(16.667, 3);
    expect(amdahlSpeedup(0.94, 2)).toBeCloseTo(1 / (0.06 + 0.47), 12);
    expect(amdahlSpeedup(0.5, 1)).toBe(1);
    expect(amdahlCeiling(0)).toBe(1);
    expect(amdahlCeiling(1)).toBe(Number.POSITIVE_INFINITY);
    // Slowing the part down slows the whole.
    expect(amdahlSpeedup(0.5, 0.5)).toBeCloseTo(2 / 3, 12);
  });

  it("never exceeds the ceiling nor the part's own speedup, and grows with s", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        (f, s) => {
          const g = amdahlSpeedup(f, s);
          expect(g).toBeLessThanOrEqual(amdahlCeiling(f) * (1 + 1e-12));
          expect(g).toBeLessThanOrEqual(s * (1 + 1e-12));
          expect(g).toBeGreaterThanOrEqual(1 - 1e-12);
          expect(amdahlSpeedup(f, s * 2)).toBeGreaterThanOrEqual(g * (1 - 1e-12));
        },
      ),
    );
  });

  it("rejects shares outside [0, 1] and speedups <= 0", () => {
    expect(() => amdahlCeiling(1.2)).toThrow(/share 1.2/);
    expect(() => amdahlSpeedup(-0.1, 2)).toThrow(/share/);
    expect(() => amdahlSpeedup(0.5, 0)).toThrow(/speedup 0/);
    expect(() => amdahlSpeedup(Number.NaN, 2)).toThrow(/share/);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RunFailure } from "../../errors.js";
import type { Slice } from "../../sim/timeline.js";
import { sliceEdges } from "./slices.js";

/** Properly nested slices in any order: a walk that opens or closes slices as time goes on. */
const nested: fc.Arbitrary<Slice[]> = fc
  .array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 50 })), { maxLength: 40 })
  .map((steps) => {
    const out: Slice[] = [];
    const open: Slice[] = [];
    let t = 0;
    steps.forEach(([close, dt], i) => {
      t += dt;
      const s = open.pop();
      if (close && s !== undefined) out.push({ ...s, endNs: t });
      else {
        if (s !== undefined) open.push(s);
        open.push({ track: 0, name: `s${i}`, startNs: t, endNs: t });
      }
    });
    for (let s = open.pop(); s !== undefined; s = open.pop()) out.push({ ...s, endNs: t });
    return out;
  })
  .chain((s) => fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }));

describe("sliceEdges", () => {
  it("gives balanced edges in time order that close each slice at its end", () => {
    fc.assert(
      fc.property(nested, (slices) => {
        const edges = sliceEdges(slices, "t");
        expect(edges).toHaveLength(2 * slices.length);
        const open: Slice[] = [];
        const closed: Slice[] = [];
        let last = -Infinity;
        for (const e of edges) {
          expect(e.ns).toBeGreaterThanOrEqual(last);
          last = e.ns;
          if (e.slice !== null) {
            expect(e.ns).toBe(e.slice.startNs);
            open.push(e.slice);
          } else {
            const s = open.pop() as Slice;
            expect(e.ns).toBe(s.endNs);
            closed.push(s);
          }
        }
        expect(open).toEqual([]);
        expect(new Set(closed)).toEqual(new Set(slices));
      }),
    );
  });

  it("nests a slice in the one it starts in when it ends no later", () => {
    const outer: Slice = { track: 0, name: "outer", startNs: 0, endNs: 10 };
    const inner: Slice = { track: 0, name: "inner", startNs: 0, endNs: 10 };
    const after: Slice = { track: 0, name: "after", startNs: 10, endNs: 10 };
    const edges = sliceEdges([after, inner, outer], "t");
    expect(edges.map((e) => e.slice?.name ?? "end")).toEqual([
      "inner",
      "outer",
      "end",
      "end",
      "after",
      "end",
    ]);
  });

  it("refuses slices that overlap without nesting, or end before they start", () => {
    const a: Slice = { track: 0, name: "a", startNs: 0, endNs: 10 };
    const b: Slice = { track: 0, name: "b", startNs: 5, endNs: 15 };
    expect(() => sliceEdges([a, b], "cpu0")).toThrow(RunFailure);
    expect(() => sliceEdges([a, b], "cpu0")).toThrow('"a" and "b" on cpu0 overlap');
    expect(() => sliceEdges([{ ...a, endNs: -1 }], "cpu0")).toThrow("ends before it starts");
  });
});

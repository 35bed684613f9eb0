import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Slice } from "../../sim/timeline.js";
import type { Recording } from "../../workload/measurements.js";
import { recordingFixture } from "./fixtures.case.js";
import { foliosInFlight, ganttBars } from "./timeline.js";

function recording(slices: Slice[], unmapNs: number[] = [], remapNs: number[] = []): Recording {
  const tracks = [...new Set(slices.map((s) => s.track))]
    .sort((a, b) => a - b)
    .map((id) => ({ id, kind: "cpu" as const, name: `t${id}` }));
  return {
    startNs: 0,
    endNs: 10_000,
    folioSizeBytes: 4096,
    trace: [],
    tracks,
    slices,
    unmapNs,
    remapNs,
  };
}

const bar = (name: string, start: number, end: number, depth = 0) => ({
  row: "t0",
  depth,
  name,
  start,
  end,
});

describe("ganttBars", () => {
  it("puts nested slices one level deeper and keeps the ends of slices wider than a column", () => {
    // 1000 columns of 0.1 µs.
    const bars = ganttBars(recordingFixture(), 1000);
    const on = (row: string) => bars.filter((b) => b.row === row);
    const cpu = on("cpu0 move_pages");
    expect(cpu.filter((b) => b.depth === 0).map((b) => [b.name, b.start, b.end])).toEqual([
      ["batch", 0, 48],
      ["batch", 50, 98],
    ]);
    expect(cpu.filter((b) => b.depth === 1).map((b) => [b.name, b.start, b.end])).toEqual(
      [0, 50].flatMap((t) => [
        ["isolate", t, t + 4],
        ["unmap", t + 4, t + 10],
        ["flush", t + 10, t + 12],
        ["copy", t + 12, t + 42],
        ["move", t + 42, t + 46],
        ["putback", t + 46, t + 48],
      ]),
    );
    // 200 descriptors of 0.1 µs 0.02 µs apart, per batch: every column has one, one bar each.
    const dma = on("ptdma0 chan0");
    expect(dma.map((b) => [b.name, b.start])).toEqual([
      ["descriptor", 12],
      ["descriptor", 62],
    ]);
    expect(dma[0].end).toBeCloseTo(12 + (199 * 120 + 100) / 1000, 9);
    // Tracks without slices have no row.
    expect(new Set(bars.map((b) => b.row))).toEqual(
      new Set([
        "cpu0 move_pages",
        "kworker/u64:1 (cpu24)",
        "kworker/u64:2 (cpu25)",
        "ptdma0 chan0",
      ]),
    );
  });

  it("gives a column to the name that took most of it, and a bar at least a column", () => {
    // 200 columns of 50 ns.
    const slices = (list: [string, number, number][]) =>
      recording(list.map(([name, startNs, endNs]) => ({ track: 0, name, startNs, endNs })));
    expect(ganttBars(slices([["x", 1000, 1001]]), 200)).toEqual([bar("x", 1, 1.05)]);
    expect(ganttBars(slices([["x", 1000, 1000]]), 200)).toEqual([bar("x", 1, 1.05)]);
    // Alternating 10 ns and 15 ns slices: "b" holds more of each column, and wins all of them.
    const mixed: [string, number, number][] = [];
    for (let t = 0; t < 500; t += 25) mixed.push(["a", t, t + 10], ["b", t + 10, t + 25]);
    expect(ganttBars(slices(mixed), 200)).toEqual([bar("b", 0.01, 0.5)]);
    // On a tie the name recorded first wins.
    expect(
      ganttBars(
        slices([
          ["b", 25, 50],
          ["a", 0, 25],
        ]),
        200,
      ),
    ).toEqual([bar("a", 0, 0.05)]);
  });

  it("keeps the bars of slices at or past the end of the call inside it", () => {
    // 200 columns of 50 ns over a call of 10 µs.
    const at = (startNs: number, endNs: number) =>
      ganttBars(recording([{ track: 0, name: "x", startNs, endNs }]), 200);
    expect(at(10_001, 10_001)).toEqual([bar("x", 9.95, 10)]);
    expect(at(9_990, 9_995)).toEqual([bar("x", 9.95, 10)]);
    expect(at(9_990, 12_000)).toEqual([bar("x", 9.95, 10)]);
  });

  it("shows a bar of a slice's row in every column the slice takes time in", () => {
    const slice = fc
      .record({
        track: fc.integer({ min: 0, max: 2 }),
        name: fc.constantFrom("a", "b", "c"),
        startNs: fc.integer({ min: -500, max: 10_500 }),
        len: fc.integer({ min: 0, max: 2000 }),
      })
      .map(({ len, ...s }) => ({ ...s, endNs: s.startNs + len }));
    fc.assert(
      fc.property(
        fc.array(slice, { maxLength: 60 }),
        fc.integer({ min: 1, max: 300 }),
        (s, bins) => {
          const bars = ganttBars(recording(s), bins);
          const span = 10_000 / bins;
          for (const b of bars) {
            expect(b.end - b.start).toBeGreaterThanOrEqual(span / 1000 - 1e-9);
            expect(b.start).toBeGreaterThanOrEqual(0);
            expect(b.start).toBeLessThanOrEqual(10);
            expect(b.end).toBeLessThanOrEqual(10);
          }
          for (const x of s) {
            for (let c = 0; c < bins; c++) {
              const lo = Math.max(x.startNs, c * span);
              const hi = Math.min(x.endNs, (c + 1) * span);
              if (hi - lo <= 1e-6) continue;
              const shown = bars.some(
                (b) =>
                  b.row === `t${x.track}` &&
                  b.start * 1000 < (c + 1) * span &&
                  b.end * 1000 > c * span,
              );
              expect(shown, `slice ${JSON.stringify(x)} column ${c}`).toBe(true);
            }
          }
          // Bars of one row and depth do not overlap by more than the column a bar may be widened by.
          const byLevel = new Map<string, { start: number; end: number }[]>();
          for (const b of bars) {
            const key = `${b.row}/${b.depth}`;
            byLevel.set(key, [...(byLevel.get(key) ?? []), b]);
          }
          for (const list of byLevel.values()) {
            for (let i = 1; i < list.length; i++) {
              expect(list[i].start).toBeGreaterThanOrEqual(list[i - 1].end - span / 1000 - 1e-9);
            }
          }
        },
      ),
    );
  });
});

/** The value of a step line at `us`. */
function stepAt(points: { us: number; folios: number }[], us: number): number {
  return points.filter((p) => p.us <= us).at(-1)?.folios ?? Number.NaN;
}

describe("foliosInFlight", () => {
  it("follows the folios of the two batches, one of which is never mapped again", () => {
    const points = foliosInFlight(recordingFixture(), 100);
    expect(points[0]).toEqual({ us: 0, folios: 0 });
    expect(Math.max(...points.map((p) => p.folios))).toBe(8);
    expect(stepAt(points, 20.5)).toBe(8);
    expect(stepAt(points, 48.5)).toBe(0);
    expect(stepAt(points, 70.5)).toBe(8);
    expect(points.at(-1)).toEqual({ us: 100, folios: 1 });
    // Rising over 4..8 µs, falling over 42..46 µs, twice: one point per step, not per span.
    expect(points.length).toBeLessThan(30);
  });

  it("keeps the true peak, and draws each step once", () => {
    const folio = fc
      .record({
        unmap: fc.integer({ min: -1, max: 10_000 }),
        len: fc.integer({ min: 0, max: 3000 }),
        never: fc.boolean(),
      })
      .map(({ unmap, len, never }) => ({
        unmap,
        remap: unmap < 0 || never ? -1 : Math.min(10_000, unmap + len),
      }));
    fc.assert(
      fc.property(
        fc.array(folio, { maxLength: 50 }),
        fc.integer({ min: 1, max: 64 }),
        (fs, bins) => {
          const rec = recording(
            [],
            fs.map((f) => f.unmap),
            fs.map((f) => f.remap),
          );
          // In flight at time t: unmapped at or before t, not mapped again at or before t.
          const at = (t: number) =>
            fs.filter((f) => f.unmap >= 0 && f.unmap <= t && !(f.remap >= 0 && f.remap <= t))
              .length;
          const peak = Math.max(0, ...fs.map((f) => at(f.unmap)));
          const points = foliosInFlight(rec, bins);
          expect(Math.max(...points.map((p) => p.folios))).toBe(peak);
          expect(foliosInFlight(rec, 1)[0].folios).toBe(peak);
          // At the end of each span the line shows at least the folios then in flight.
          for (let b = 1; b <= bins; b++) {
            const t = (b * 10_000) / bins;
            expect(stepAt(points, (t - 1e-6) / 1000)).toBeGreaterThanOrEqual(at(t - 1e-6));
          }
          expect(points[0].us).toBe(0);
          expect(points.at(-1)?.us).toBe(10);
          for (let i = 1; i < points.length - 1; i++) {
            expect(points[i].folios).not.toBe(points[i - 1].folios);
            expect(points[i].us).toBeGreaterThan(points[i - 1].us);
          }
        },
      ),
    );
  });
});

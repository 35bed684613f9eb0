import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Slice } from "../../sim/timeline.js";
import type { Recording } from "../../workload/measurements.js";
import { recordingFixture } from "./fixtures.case.js";
import { renderChart } from "./render.js";
import {
  ditherColumns,
  foliosInFlight,
  ganttBars,
  type InFlightStep,
  type Occupancy,
  PLOT,
  timelineCharts,
} from "./timeline.js";

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
    // 200 descriptors of 0.1 µs 0.02 µs apart per batch, a column of 0.1 µs each: busy 5/6 of
    // the time, so idle every sixth column or so, from the first descriptor to the last.
    const dma = on("ptdma0 chan0");
    const shown = dma.reduce((a, b) => a + b.end - b.start, 0);
    expect(shown / 2).toBeGreaterThan(24 * (5 / 6) - 0.5);
    expect(shown / 2).toBeLessThan(24 * (5 / 6) + 0.5);
    expect(dma[0].start).toBe(12);
    expect(dma.at(-1)?.end).toBeCloseTo(62 + (199 * 120 + 100) / 1000, 9);
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

  it("shows each name in columns in proportion to its time, and a short one at least once", () => {
    // 200 columns of 50 ns.
    const slices = (list: [string, number, number][]) =>
      recording(list.map(([name, startNs, endNs]) => ({ track: 0, name, startNs, endNs })));
    // A lone slice or instant far below a column still shows, as a bar of a column.
    expect(ganttBars(slices([["x", 1000, 1001]]), 200)).toEqual([bar("x", 1, 1.05)]);
    expect(ganttBars(slices([["x", 1000, 1000]]), 200)).toEqual([bar("x", 1, 1.05)]);
    // Alternating 10 ns of "a" and 15 ns of "b" for 5 µs: 100 columns, 40 of them "a".
    const mixed: [string, number, number][] = [];
    for (let t = 0; t < 5000; t += 25) mixed.push(["a", t, t + 10], ["b", t + 10, t + 25]);
    const columns = (name: string, bars: ReturnType<typeof ganttBars>) =>
      bars
        .filter((b) => b.name === name)
        .reduce((n, b) => n + Math.round((b.end - b.start) / 0.05), 0);
    const striped = ganttBars(slices(mixed), 200);
    expect(columns("a", striped)).toBeGreaterThanOrEqual(39);
    expect(columns("a", striped)).toBeLessThanOrEqual(41);
    expect(columns("a", striped) + columns("b", striped)).toBe(100);
    // A slice held 1 column in 10, the rest idle: shown in about a tenth of the columns.
    const sparse: [string, number, number][] = [];
    for (let t = 0; t < 10_000; t += 500) sparse.push(["s", t, t + 50]);
    expect(columns("s", ganttBars(slices(sparse), 200))).toBe(20);
    const thin: [string, number, number][] = [];
    for (let t = 0; t < 10_000; t += 100) thin.push(["s", t, t + 10]);
    expect(columns("s", ganttBars(slices(thin), 200))).toBe(20);
  });

  it("keeps the bars of slices at or past the end of the call inside it", () => {
    // 200 columns of 50 ns over a call of 10 µs.
    const at = (startNs: number, endNs: number) =>
      ganttBars(recording([{ track: 0, name: "x", startNs, endNs }]), 200);
    expect(at(10_001, 10_001)).toEqual([bar("x", 9.95, 10)]);
    expect(at(9_990, 9_995)).toEqual([bar("x", 9.95, 10)]);
    expect(at(9_990, 12_000)).toEqual([bar("x", 9.95, 10)]);
  });

  it("draws at most a bar per column of a row, and a bar wherever a slice fills a column", () => {
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
          // A slice that fills a column of its row keeps the column shown.
          for (const x of s) {
            for (let c = 0; c < bins; c++) {
              if (x.startNs > c * span || x.endNs < (c + 1) * span) continue;
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
            // At most a bar per column: the marks of a row are never finer than the pixels.
            expect(list.length).toBeLessThanOrEqual(bins);
            for (let i = 1; i < list.length; i++) {
              expect(list[i].start).toBeGreaterThanOrEqual(list[i - 1].end - span / 1000 - 1e-9);
            }
          }
        },
      ),
    );
  });
});

describe("ditherColumns", () => {
  it("gives each name about its time in columns, only where present, and every name one", () => {
    const column = fc.record({
      shares: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
      present: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(column, { minLength: 1, maxLength: 80 }), (columns) => {
        const span = 100;
        const names = new Map<string, Occupancy>();
        ["a", "b", "c"].forEach((name, n) => {
          const occ: Occupancy = {
            timeNs: new Float64Array(columns.length),
            firstNs: new Float64Array(columns.length).fill(Number.POSITIVE_INFINITY),
            lastNs: new Float64Array(columns.length),
          };
          columns.forEach((c, b) => {
            if (!c.present[n]) return;
            // The names' shares of a column add up to at most the whole column.
            const sum = c.shares.reduce((x, y, m) => x + (c.present[m] ? y : 0), 0);
            occ.timeNs[b] = (span * c.shares[n]) / Math.max(1, sum);
            occ.firstNs[b] = b * span;
          });
          names.set(name, occ);
        });
        const out = ditherColumns(names, columns.length, span);
        const count = new Map<string | null, number>();
        for (const w of out) count.set(w, (count.get(w) ?? 0) + 1);
        out.forEach((w, b) => {
          if (w !== null) expect(names.get(w)?.firstNs[b]).not.toBe(Number.POSITIVE_INFINITY);
          const busy = [...names.values()].reduce((x, o) => x + o.timeNs[b], 0);
          if (busy >= span - 1e-9) expect(w).not.toBeNull();
        });
        for (const [name, occ] of names) {
          const time = occ.timeNs.reduce((x, t) => x + t, 0) / span;
          expect(Math.abs((count.get(name) ?? 0) - time)).toBeLessThanOrEqual(names.size + 1);
          if (occ.firstNs.some((f) => f !== Number.POSITIVE_INFINITY) && !count.has(name)) {
            // Unshown only where each of its columns is the only one of the name shown there.
            occ.firstNs.forEach((f, b) => {
              if (f !== Number.POSITIVE_INFINITY) expect(count.get(out[b])).toBe(1);
            });
          }
        }
      }),
    );
  });
});

/** The step at `us`. */
function stepAt(steps: InFlightStep[], us: number): InFlightStep | undefined {
  return steps.filter((p) => p.us <= us).at(-1);
}

describe("foliosInFlight", () => {
  it("follows the folios of the two batches, one of which is never mapped again", () => {
    // 100 columns of 1 µs.
    const steps = foliosInFlight(recordingFixture(), 100);
    expect(steps[0]).toEqual({ us: 0, min: 0, mean: 0, max: 0 });
    expect(Math.max(...steps.map((p) => p.max))).toBe(8);
    expect(stepAt(steps, 20.5)).toMatchObject({ min: 8, mean: 8, max: 8 });
    expect(stepAt(steps, 48.5)).toMatchObject({ min: 0, mean: 0, max: 0 });
    // Unmapped at 4, 4.5, 5, 5.5... µs: over the column from 5 µs, 3 then 4 in flight.
    expect(stepAt(steps, 5)).toEqual({ us: 5, min: 3, mean: 3.5, max: 4 });
    expect(steps.at(-1)).toEqual({ us: 100, min: 1, mean: 1, max: 1 });
    // Rising over 4..8 µs, falling over 42..46 µs, twice: a step per change, not per column.
    expect(steps.length).toBeLessThan(30);
  });

  it("gives the least, the mean and the most of each column, a step where they change", () => {
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
          // In flight over [unmap, remap), or to the end of the call if never mapped again.
          const spans = fs
            .filter((f) => f.unmap >= 0)
            .map((f) => [f.unmap, f.remap < 0 ? 10_000 : f.remap]);
          const at = (t: number) => spans.filter(([u, r]) => u <= t && t < r).length;
          const steps = foliosInFlight(rec, bins);
          const span = 10_000 / bins;
          for (let b = 0; b < bins; b++) {
            const from = b * span;
            const to = from + span;
            const instants = [from, ...spans.flat().filter((t) => t > from && t < to)];
            const step = stepAt(steps, from / 1000 + 1e-9);
            expect(step?.min).toBe(Math.min(...instants.map(at)));
            expect(step?.max).toBe(Math.max(...instants.map(at)));
            const area = spans.reduce(
              (a, [u, r]) => a + Math.max(0, Math.min(r, to) - Math.max(u, from)),
              0,
            );
            expect(step?.mean).toBeCloseTo(area / span, 6);
          }
          expect(steps[0].us).toBe(0);
          expect(steps.at(-1)?.us).toBe(10);
          expect(steps.length).toBeLessThanOrEqual(bins + 1);
          for (let i = 1; i < steps.length - 1; i++) {
            expect(steps[i]).not.toMatchObject({ ...steps[i - 1], us: steps[i].us });
            expect(steps[i].us).toBeGreaterThan(steps[i - 1].us);
          }
        },
      ),
    );
  });
});

describe("timelineCharts", () => {
  it("draws a call of 60 000 slices in at most a mark per pixel column of each row", () => {
    // 10 000 batches of 1 ns: unmap, copy and move on the CPU, a rare flush, a copy thread.
    const slices: Slice[] = [];
    for (let b = 0; b < 10_000; b++) {
      const t = b;
      slices.push(
        { track: 0, name: "batch", startNs: t, endNs: t + 1 },
        { track: 0, name: "unmap", startNs: t, endNs: t + 0.4 },
        { track: 0, name: "copy", startNs: t + 0.4, endNs: t + 0.7 },
        { track: 0, name: "move", startNs: t + 0.7, endNs: t + 1 },
        { track: 1, name: "copy", startNs: t + 0.4, endNs: t + 0.7 },
      );
      if (b === 5000) slices.push({ track: 0, name: "flush", startNs: t + 0.4, endNs: t + 0.4 });
    }
    const unmapNs = Array.from({ length: 10_000 }, (_, i) => i);
    const [gantt, inFlight] = timelineCharts(
      recording(
        slices,
        unmapNs,
        unmapNs.map((t) => t + 0.7),
      ),
      "t",
      "many",
    );
    const bars = (gantt.spec as { data: { values: { row: string; depth: number }[] } }).data.values;
    for (const [row, depth] of [
      ["t0", 0],
      ["t0", 1],
      ["t1", 0],
    ] as const) {
      const n = bars.filter((b) => b.row === row && b.depth === depth).length;
      expect(n, `${row}/${depth}`).toBeGreaterThan(0);
      expect(n, `${row}/${depth}`).toBeLessThanOrEqual(PLOT);
    }
    const steps = (inFlight.spec as { data: { values: unknown[] } }).data.values;
    expect(steps.length).toBeLessThanOrEqual(PLOT + 1);
    // Every kind of slice is in the legend, in the order drawn.
    const color = (gantt.spec as { encoding: { color: { scale: { domain: string[] } } } }).encoding
      .color;
    expect(color.scale.domain).toEqual(["batch", "unmap", "copy", "move", "flush"]);
    // The SVG has no more rectangles than that.
    const svg = renderChart(gantt).svg;
    expect(svg.match(/<path/g)?.length ?? 0).toBeLessThan(4 * PLOT);
  });
});

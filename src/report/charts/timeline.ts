/**
 * The recorded call as a Gantt chart (one row per track, nested slices side by side within the
 * row) over a chart of the folios in flight, on the same time axis.
 *
 * A call of a million folios records thousands of batches of slices; drawn one rectangle each
 * the SVG would be megabytes of detail below a pixel, and the last slice drawn in a pixel would
 * hide the others. So both charts are binned per pixel column of the plot: a column of a row
 * shows one slice name, each name in about as many columns as its slices took time (error
 * diffusion), and the folios in flight are the least, the mean and the most within each column.
 * Where slices are wider than a pixel the bars keep their exact ends.
 */

import type { Recording } from "../../workload/measurements.js";
import { foliosInFlight as inFlightCounter } from "../perfetto/counters.js";
import type { ChartPlan } from "./render.js";
import { CHART_WIDTH, nameColors, uniqueLabels } from "./series.js";

export interface GanttBar {
  /** The track's name. */
  row: string;
  /** Nesting depth within the track: 0 for a slice no other slice of the track holds. */
  depth: number;
  name: string;
  /** µs from the start of the call. */
  start: number;
  end: number;
}

/** Per column, a slice name's time in it and the extent of its slices that touch it. */
export interface Occupancy {
  timeNs: Float64Array;
  /** +Infinity where none touches the column. */
  firstNs: Float64Array;
  lastNs: Float64Array;
}

/**
 * The recording's slices as bars over `bins` equal columns of the call, tracks in recording
 * order (those without slices left out). Each column of each row and depth shows one name or
 * none (ditherColumns); runs of columns of one name make a bar, which starts and ends where
 * that name's slices do within its first and last column, and is at least one column long.
 */
export function ganttBars(rec: Recording, bins: number): GanttBar[] {
  const byTrack = new Map<number, Recording["slices"]>();
  for (const s of rec.slices) {
    const list = byTrack.get(s.track);
    if (list === undefined) byTrack.set(s.track, [s]);
    else list.push(s);
  }
  const tracks = rec.tracks.filter((t) => byTrack.has(t.id));
  const rows = uniqueLabels(tracks.map((t) => t.name));
  const span = (rec.endNs - rec.startNs) / bins;
  const edge = (b: number) => rec.startNs + b * span;
  const clamp = (b: number) => Math.min(bins - 1, Math.max(0, b));
  /** The column holding instant `ns`, and the one holding the last instant before `ns`. */
  const column = (ns: number) => clamp(Math.floor((ns - rec.startNs) / span));
  const columnBefore = (ns: number) => clamp(Math.ceil((ns - rec.startNs) / span) - 1);
  const us = (ns: number) => (ns - rec.startNs) / 1000;
  const out: GanttBar[] = [];
  tracks.forEach((track, i) => {
    const slices = [...(byTrack.get(track.id) ?? [])].sort(
      (a, b) => a.startNs - b.startNs || b.endNs - a.endNs,
    );
    const levels: Map<string, Occupancy>[] = [];
    // End times of the slices holding the current one.
    const open: number[] = [];
    for (const s of slices) {
      while (open.length > 0 && open[open.length - 1] <= s.startNs) open.pop();
      const depth = open.length;
      open.push(s.endNs);
      levels[depth] ??= new Map();
      let occ = levels[depth].get(s.name);
      if (occ === undefined) {
        occ = {
          timeNs: new Float64Array(bins),
          firstNs: new Float64Array(bins).fill(Number.POSITIVE_INFINITY),
          lastNs: new Float64Array(bins),
        };
        levels[depth].set(s.name, occ);
      }
      const first = column(s.startNs);
      for (let b = first; b <= Math.max(first, columnBefore(s.endNs)); b++) {
        const ns = Math.min(s.endNs, edge(b + 1)) - Math.max(s.startNs, edge(b));
        // Rounding may reach a column the slice only borders; an instant marks its own.
        if (ns <= 0 && s.endNs > s.startNs) continue;
        // An instant weighs as a whole column, so that it shows in its own.
        occ.timeNs[b] += s.endNs > s.startNs ? Math.max(0, ns) : span;
        occ.firstNs[b] = Math.min(occ.firstNs[b], s.startNs);
        occ.lastNs[b] = Math.max(occ.lastNs[b], s.endNs);
      }
    }
    levels.forEach((names, depth) => {
      const winners = ditherColumns(names, bins, span);
      let bar: GanttBar | null = null;
      winners.forEach((winner, b) => {
        if (winner === null) {
          bar = null;
          return;
        }
        const occ = names.get(winner) as Occupancy;
        const end = us(Math.min(edge(b + 1), occ.lastNs[b]));
        if (bar !== null && bar.name === winner) {
          bar.end = Math.max(bar.end, end);
        } else {
          bar = {
            row: rows[i],
            depth,
            name: winner,
            // A slice recorded past the end of the call starts no later than its column.
            start: us(Math.min(edge(b + 1), Math.max(edge(b), occ.firstNs[b]))),
            end,
          };
          out.push(bar);
        }
      });
    });
  });
  // A bar narrower than a column would not show; one in the last column widens leftwards, so
  // that no bar reaches past the end of the call.
  const callUs = us(rec.endNs);
  for (const bar of out) {
    bar.end = Math.max(bar.end, bar.start + span / 1000);
    if (bar.end > callUs) {
      bar.start = Math.max(0, Math.min(bar.start, callUs - span / 1000));
      bar.end = callUs;
    }
  }
  return out;
}

/**
 * Which slice name each column of a row's level shows, null where none (the level idle), by
 * error diffusion: every name present in a column, and idleness, earns the share of the column
 * it took; the column goes to the one that has earned most, which pays a whole column for it.
 * So over any stretch of the call each name shows in about as many columns as its slices took
 * time, a name filling a column keeps it, and the short phases of a call of many batches show
 * as stripes in proportion instead of all columns going to the longest phase (aliasing).
 */
export function ditherColumns(
  names: ReadonlyMap<string, Occupancy>,
  bins: number,
  span: number,
): (string | null)[] {
  const earned = new Map<string | null, number>([[null, 0]]);
  const out: (string | null)[] = [];
  for (let b = 0; b < bins; b++) {
    let busyNs = 0;
    let winner: string | null = null;
    let best = Number.NEGATIVE_INFINITY;
    for (const [name, occ] of names) {
      if (occ.firstNs[b] === Number.POSITIVE_INFINITY) continue;
      const e = (earned.get(name) ?? 0) + occ.timeNs[b] / span;
      earned.set(name, e);
      busyNs += occ.timeNs[b];
      // On a tie the name recorded first.
      if (e > best) {
        winner = name;
        best = e;
      }
    }
    const idle = 1 - busyNs / span;
    // Not idle at all where the slices fill the column but for rounding.
    if (idle > 1e-9) {
      const e = (earned.get(null) ?? 0) + idle;
      earned.set(null, e);
      if (e > best) winner = null;
    }
    earned.set(winner, (earned.get(winner) ?? 0) - 1);
    out.push(winner);
  }
  showEveryName(out, names);
  return out;
}

/**
 * Gives each name without a column the column it took most of among those idle or of a name
 * shown in others (none if there is no such column).
 */
function showEveryName(out: (string | null)[], names: ReadonlyMap<string, Occupancy>): void {
  const wins = new Map<string | null, number>();
  for (const w of out) wins.set(w, (wins.get(w) ?? 0) + 1);
  for (const [name, occ] of names) {
    if (wins.has(name)) continue;
    let best = -1;
    for (let b = 0; b < out.length; b++) {
      const owner = out[b];
      const free = owner === null || (wins.get(owner) ?? 0) > 1;
      if (free && occ.firstNs[b] !== Number.POSITIVE_INFINITY) {
        if (best < 0 || occ.timeNs[b] > occ.timeNs[best]) best = b;
      }
    }
    if (best < 0) continue;
    wins.set(out[best], (wins.get(out[best]) ?? 0) - 1);
    wins.set(name, 1);
    out[best] = name;
  }
}

/** The folios in flight over a span of the call: least, time-weighted mean and most. */
export interface InFlightStep {
  /** Start of the span, µs from the start of the call. */
  us: number;
  min: number;
  mean: number;
  max: number;
}

/**
 * Folios unmapped and not yet mapped again, binned over `bins` equal spans of the call: the
 * least, the mean and the most within each, as steps (a span like the one before it adds none;
 * a last step marks the end of the call). A folio never mapped again stays in flight.
 */
export function foliosInFlight(rec: Recording, bins: number): InFlightStep[] {
  const points = inFlightCounter(rec);
  const span = (rec.endNs - rec.startNs) / bins;
  const out: InFlightStep[] = [];
  // points[p] holds from its time until the next point's (the last one to the end).
  let p = 0;
  for (let b = 0; b < bins; b++) {
    const from = rec.startNs + b * span;
    const to = from + span;
    while (p + 1 < points.length && points[p + 1].ns <= from) p++;
    let min = points[p].value;
    let max = min;
    let area = 0;
    for (let q = p; q < points.length && points[q].ns < to; q++) {
      const start = Math.max(from, points[q].ns);
      const end = Math.min(to, points[q + 1]?.ns ?? to);
      min = Math.min(min, points[q].value);
      max = Math.max(max, points[q].value);
      area += points[q].value * (end - start);
    }
    const step = { us: (b * span) / 1000, min, mean: area / span, max };
    const last = out[out.length - 1];
    if (last?.min !== min || last.mean !== step.mean || last.max !== max) out.push(step);
  }
  const last = out[out.length - 1];
  out.push({ ...last, us: (rec.endNs - rec.startNs) / 1000 });
  return out;
}

/** Width of the y axes of both charts, px, so their time axes line up. */
const Y_AXIS = 210;
/** Width of the plot, px (the chart less the y axis and vega's padding): one bin per pixel. */
export const PLOT = CHART_WIDTH - Y_AXIS - 10;
const LEGEND_COLUMNS = 8;
const IN_FLIGHT_KEYS = ["least to most in a pixel column", "mean over it"];
const IN_FLIGHT_SCALE = { domain: IN_FLIGHT_KEYS, range: ["#a6c1de", "#1f3d63"] };
const IN_FLIGHT_LEGEND = {
  orient: "top" as const,
  direction: "horizontal" as const,
  title: null,
  symbolType: "square",
};

/** The Gantt chart and the folios in flight of one recording; none for an empty call. */
export function timelineCharts(rec: Recording, id: string, label: string): ChartPlan[] {
  const durationNs = rec.endNs - rec.startNs;
  if (!(durationNs > 0) || rec.slices.length === 0) return [];
  const bars = ganttBars(rec, PLOT);
  const rows = [...new Set(bars.map((b) => b.row))];
  // Every kind of slice in the legend, also one too short to show in any column: those drawn
  // in order of appearance, then the rest in the recording's order.
  const names = [...new Set([...bars.map((b) => b.name), ...rec.slices.map((s) => s.name)])];
  const x = {
    type: "quantitative" as const,
    title: "µs from the start of the call",
    scale: { domain: [0, durationNs / 1000], nice: false, zero: false },
  };
  const yAxis = { minExtent: Y_AXIS, maxExtent: Y_AXIS, labelLimit: Y_AXIS - 10 };
  const legendRows = Math.ceil(names.length / LEGEND_COLUMNS);
  return [
    {
      id: `${id}-gantt`,
      title: `Timeline of a call: ${label}`,
      note:
        "What each CPU task, copy thread and DMA channel was doing during the last timed call; " +
        "slices held by another slice of the same track are drawn beside it within the row. " +
        "Where slices are narrower than a pixel, each pixel column shows one of them, each kind " +
        "in about as many columns as it took time: short phases repeated over many batches show " +
        "as stripes in proportion to their time.",
      spec: {
        data: { values: bars },
        // Clipped: a bar widened to a pixel may reach past the end of the call. No ARIA label
        // per bar: a pixel-wide bar of a binned column means nothing read out alone.
        mark: { type: "bar", clip: true, aria: false },
        encoding: {
          y: { field: "row", type: "nominal", title: "track", sort: rows, axis: yAxis },
          yOffset: { field: "depth", type: "ordinal" },
          x: { ...x, field: "start" },
          x2: { field: "end" },
          color: {
            field: "name",
            type: "nominal",
            title: "slice",
            sort: names,
            scale: { domain: names, range: nameColors(names) },
            legend: { orient: "bottom", direction: "horizontal", columns: LEGEND_COLUMNS },
          },
        },
      },
      size: { width: CHART_WIDTH, height: 90 + 24 * rows.length + 20 * legendRows },
    },
    {
      id: `${id}-in-flight`,
      title: `Folios in flight: ${label}`,
      note:
        "Folios unmapped but not yet mapped again at their destination (inaccessible to the " +
        "process): the band spans the least and the most in flight within each pixel column, " +
        "the line is their mean over it; same time axis as above.",
      spec: {
        data: { values: foliosInFlight(rec, PLOT) },
        encoding: { x: { ...x, field: "us" } },
        layer: [
          {
            mark: { type: "area", interpolate: "step-after", aria: false },
            encoding: {
              y: { field: "min", type: "quantitative", title: "folios in flight", axis: yAxis },
              y2: { field: "max" },
              color: { datum: IN_FLIGHT_KEYS[0], scale: IN_FLIGHT_SCALE, legend: IN_FLIGHT_LEGEND },
            },
          },
          {
            mark: { type: "line", interpolate: "step-after", strokeWidth: 1.5, aria: false },
            encoding: {
              y: { field: "mean", type: "quantitative" },
              color: { datum: IN_FLIGHT_KEYS[1] },
            },
          },
        ],
      },
      size: { width: CHART_WIDTH, height: 200 },
    },
  ];
}

/**
 * The recorded call as a Gantt chart (one row per track, nested slices side by side within the
 * row) over a chart of the folios in flight, on the same time axis.
 *
 * A call of a million folios records thousands of batches of slices; drawn one rectangle each
 * the SVG would be megabytes of detail below a pixel, and the last slice drawn in a pixel would
 * hide the others. So both charts are sampled per pixel column: a column of a row shows the
 * slice name that took most of its time, and the folios in flight the most at any time within
 * it. Where slices are wider than a pixel the bars keep their exact ends.
 */

import type { Recording } from "../../workload/measurements.js";
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
interface Occupancy {
  timeNs: Float64Array;
  /** +Infinity where none touches the column. */
  firstNs: Float64Array;
  lastNs: Float64Array;
}

/**
 * The recording's slices as bars over `bins` equal columns of the call, tracks in recording
 * order (those without slices left out). In each column of each row and depth the name with
 * the most time wins (the first recorded on a tie); runs of columns won by one name make a bar,
 * which starts and ends where that name's slices do within its first and last column, and is at
 * least one column long.
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
        occ.timeNs[b] += Math.max(0, ns);
        occ.firstNs[b] = Math.min(occ.firstNs[b], s.startNs);
        occ.lastNs[b] = Math.max(occ.lastNs[b], s.endNs);
      }
    }
    levels.forEach((names, depth) => {
      let bar: GanttBar | null = null;
      for (let b = 0; b < bins; b++) {
        let winner: string | null = null;
        let best = -1;
        for (const [name, occ] of names) {
          if (occ.firstNs[b] !== Number.POSITIVE_INFINITY && occ.timeNs[b] > best) {
            winner = name;
            best = occ.timeNs[b];
          }
        }
        if (winner === null) {
          bar = null;
          continue;
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
      }
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
 * Folios unmapped and not yet mapped again, sampled over `bins` equal spans of the call: the
 * most in flight at any time within each span, as the steps of a step line (a span with the
 * count of the span before it adds no point; the last point is the end of the call). A folio
 * never mapped again stays in flight.
 */
export function foliosInFlight(rec: Recording, bins: number): { us: number; folios: number }[] {
  const times: number[] = [];
  const deltas: number[] = [];
  rec.unmapNs.forEach((unmap, i) => {
    if (unmap < 0) return;
    times.push(unmap);
    deltas.push(1);
    const remap = rec.remapNs[i];
    if (remap >= 0) {
      times.push(remap);
      deltas.push(-1);
    }
  });
  // At equal times a remap comes before an unmap, so a peak is never counted that never was.
  const order = times.map((_, i) => i).sort((a, b) => times[a] - times[b] || deltas[a] - deltas[b]);
  const span = (rec.endNs - rec.startNs) / bins;
  const out: { us: number; folios: number }[] = [];
  let inFlight = 0;
  let e = 0;
  for (let b = 0; b < bins; b++) {
    const binEnd = b === bins - 1 ? Number.POSITIVE_INFINITY : rec.startNs + (b + 1) * span;
    let peak = inFlight;
    while (e < order.length && times[order[e]] < binEnd) {
      inFlight += deltas[order[e]];
      peak = Math.max(peak, inFlight);
      e++;
    }
    if (b === 0 || peak !== out[out.length - 1].folios) {
      out.push({ us: (b * span) / 1000, folios: peak });
    }
  }
  // The last step runs to the end of the call.
  out.push({ us: (rec.endNs - rec.startNs) / 1000, folios: out[out.length - 1].folios });
  return out;
}

/** Width of the y axes of both charts, px, so their time axes line up. */
const Y_AXIS = 210;
/** Width of the plot, px (the chart less the y axis and vega's padding). */
const PLOT = CHART_WIDTH - Y_AXIS - 10;

/** The Gantt chart and the folios in flight of one recording; none for an empty call. */
export function timelineCharts(rec: Recording, id: string, label: string): ChartPlan[] {
  const durationNs = rec.endNs - rec.startNs;
  if (!(durationNs > 0) || rec.slices.length === 0) return [];
  const bars = ganttBars(rec, PLOT);
  const rows = [...new Set(bars.map((b) => b.row))];
  const names = [...new Set(bars.map((b) => b.name))];
  const x = {
    type: "quantitative" as const,
    title: "µs from the start of the call",
    scale: { domain: [0, durationNs / 1000], nice: false, zero: false },
  };
  const yAxis = { minExtent: Y_AXIS, maxExtent: Y_AXIS, labelLimit: Y_AXIS - 10 };
  const legendRows = Math.ceil(names.length / 5);
  return [
    {
      id: `${id}-gantt`,
      title: `Timeline of a call: ${label}`,
      note:
        "What each CPU task, copy thread and DMA channel was doing during the last timed call; " +
        "slices held by another slice of the same track are drawn beside it within the row. " +
        "Where slices are narrower than a pixel, each pixel shows the one that took most of it.",
      spec: {
        data: { values: bars },
        // Clipped: a bar widened to a pixel may reach past the end of the call.
        mark: { type: "bar", clip: true },
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
            legend: { orient: "bottom", direction: "horizontal", columns: 5 },
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
        "process), the most at any time within each pixel column; same time axis as above.",
      spec: {
        data: { values: foliosInFlight(rec, PLOT) },
        mark: { type: "area", interpolate: "step-after", line: true, opacity: 0.6 },
        encoding: {
          x: { ...x, field: "us" },
          y: { field: "folios", type: "quantitative", title: "folios in flight", axis: yAxis },
        },
      },
      size: { width: CHART_WIDTH, height: 180 },
    },
  ];
}

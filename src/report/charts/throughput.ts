/**
 * Throughput against folio size: a point per result, and lines only between the folio sizes
 * measured of one configuration (engine, batch size, CPU load). Series that coincide stay
 * visible: each has its own colour, point shape and dash, and points of several series at
 * nearly the same throughput are set a few pixels apart around their folio size.
 */

import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";
import type { ChartPlan } from "./render.js";
import {
  BYTES_LABEL_EXPR,
  CHART_WIDTH,
  labelDims,
  legendHeight,
  resultLabel,
  seriesLayers,
  varies,
} from "./series.js";

/** Horizontal distance between points that coincide, px. */
const DODGE_PX = 8;
/** Points of one folio size closer than this share of the y axis coincide. */
const COINCIDE = 0.025;
/** Width of the plot, px: the chart less an estimate of the y axis and padding. */
const PLOT_PX = CHART_WIDTH - 70;
/** Room left of the smallest size and right of the largest, px. */
const MARGIN_PX = 16;

/** What a configuration is besides its folio size: engine, batch, CPU load, bytes moved. */
const configuration = (r: MovePagesBenchResult) =>
  [r.migrator, r.workers, r.batchPages, r.cpuLoad, r.folioCount * r.folioSizeBytes].join("/");

/**
 * Each result's series: its label without the folio size, told apart with "#2", "#3"... where
 * configurations share a label (they differ in what it does not name, as the bytes moved) or
 * one measures a folio size again, so that a line never joins two configurations.
 */
export function throughputSeries(results: readonly MovePagesBenchResult[]): string[] {
  const dims = { ...labelDims(results), folio: false };
  const names = new Map<string, string>();
  const taken = new Map<string, number>();
  const name = (key: string, label: string) => {
    let n = names.get(key);
    if (n === undefined) {
      const count = (taken.get(label) ?? 0) + 1;
      taken.set(label, count);
      n = count === 1 ? label : `${label} #${count}`;
      names.set(key, n);
    }
    return n;
  };
  const seen = new Map<string, number>();
  return results.map((r) => {
    const config = configuration(r);
    const again = (seen.get(`${config}@${r.folioSizeBytes}`) ?? 0) + 1;
    seen.set(`${config}@${r.folioSizeBytes}`, again);
    return name(`${config}#${again}`, resultLabel(r, dims));
  });
}

/**
 * Horizontal offsets of points, px: at each x, points whose y lie within `gap` of their
 * neighbour's form a cluster, spread DODGE_PX apart in the order of their series.
 */
export function dodgeOffsets(
  points: readonly { x: number; y: number; series: number }[],
  gap: number,
): number[] {
  const offsets = points.map(() => 0);
  const byX = new Map<number, number[]>();
  points.forEach((p, i) => {
    byX.set(p.x, [...(byX.get(p.x) ?? []), i]);
  });
  for (const members of byX.values()) {
    const byY = [...members].sort((a, b) => points[a].y - points[b].y || a - b);
    let cluster: number[] = [];
    const place = () => {
      cluster.sort((a, b) => points[a].series - points[b].series || a - b);
      cluster.forEach((i, j) => {
        offsets[i] = (j - (cluster.length - 1) / 2) * DODGE_PX;
      });
    };
    for (const i of byY) {
      const last = cluster[cluster.length - 1];
      if (last !== undefined && points[i].y - points[last].y > gap) {
        place();
        cluster = [];
      }
      cluster.push(i);
    }
    place();
  }
  return offsets;
}

/** The chart, or null when no configuration was measured at two folio sizes. */
export function throughputChart(results: readonly MovePagesBenchResult[]): ChartPlan | null {
  const seriesOf = throughputSeries(results);
  const series = [...new Set(seriesOf)];
  if (
    !series.some((s) =>
      varies(
        results.filter((_, i) => seriesOf[i] === s),
        (r) => r.folioSizeBytes,
      ),
    )
  ) {
    return null;
  }
  const sizes = [...new Set(results.map((r) => r.folioSizeBytes))].sort((a, b) => a - b);
  const top = Math.max(...results.map((r) => r.throughputGBps.mean + r.throughputGBps.sd));
  const offsets = dodgeOffsets(
    results.map((r, i) => ({
      x: r.folioSizeBytes,
      y: r.throughputGBps.mean,
      series: series.indexOf(seriesOf[i]),
    })),
    COINCIDE * top,
  );
  // Pixels per doubling of the folio size, with room at both ends for the widest dodge.
  const spread = Math.max(0, ...offsets.map(Math.abs)) + MARGIN_PX;
  const pxPerOctave = (PLOT_PX - 2 * spread) / Math.log2(sizes[sizes.length - 1] / sizes[0]);
  const shifted = (bytes: number, px: number) => bytes * 2 ** (px / pxPerOctave);
  const values = results.map((r, i) => ({
    series: seriesOf[i],
    folio: r.folioSizeBytes,
    x: shifted(r.folioSizeBytes, offsets[i]),
    gbps: r.throughputGBps.mean,
    lo: r.throughputGBps.mean - r.throughputGBps.sd,
    hi: r.throughputGBps.mean + r.throughputGBps.sd,
  }));
  const x = {
    field: "x",
    type: "quantitative" as const,
    title: "folio size",
    scale: {
      type: "log" as const,
      base: 2,
      domain: [shifted(sizes[0], -spread), shifted(sizes[sizes.length - 1], spread)],
      nice: false,
    },
    axis: { values: sizes, labelExpr: BYTES_LABEL_EXPR, grid: false },
  };
  const y = { field: "gbps", type: "quantitative" as const, title: "throughput (GB/s)" };
  return {
    id: "throughput",
    title: "Throughput against folio size",
    note:
      "Bytes moved per second of virtual time of one move_pages() call (mean over the timed runs; " +
      "the vertical rules span ± one standard deviation). A line joins the folio sizes measured " +
      "of one configuration; points of several configurations at nearly the same throughput are " +
      "set a few pixels apart around their folio size. Larger folios amortise the per-folio " +
      "costs (isolation, unmap, TLB flush, remap), so the copy engine's bandwidth shows.",
    spec: {
      data: { values },
      layer: [
        {
          // ± one standard deviation over the timed runs.
          mark: { type: "rule" },
          encoding: {
            x,
            y: { field: "lo", type: "quantitative" },
            y2: { field: "hi" },
            color: { field: "series", type: "nominal" },
          },
        },
        ...seriesLayers(series, x, y),
      ],
    },
    size: { width: CHART_WIDTH, height: 360 + legendHeight(series.length) },
  };
}

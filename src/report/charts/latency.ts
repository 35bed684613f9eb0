/**
 * When folios become accessible again, and the batch-size trade-off. Small batches give the
 * first folios back sooner; large ones amortise the TLB flush and the copy engine's setup over
 * more folios, so the call as a whole finishes sooner.
 */

import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";
import type { ChartPlan } from "./render.js";
import {
  CHART_WIDTH,
  groupBy,
  labelDims,
  legendHeight,
  resultLabel,
  seriesLayers,
  uniqueLabels,
  varies,
} from "./series.js";

/** The marks of a row: when the first, median, p99 and last folio were back, and the call's end. */
const MARKS = [
  { key: "first", name: "first folio", shape: "circle", color: "#54a24b" },
  { key: "median", name: "median folio", shape: "square", color: "#4c78a8" },
  { key: "p99", name: "p99 folio", shape: "triangle-up", color: "#f58518" },
  { key: "last", name: "last folio", shape: "diamond", color: "#e45756" },
  // A vertical bar.
  { key: "call", name: "whole call", shape: "M0,-1.2L0,1.2", color: "#1d1d1f" },
] as const;

/**
 * One row per result, on a log time axis so that the first folio (a batch's worth of time)
 * reads as clearly as the whole call (all the batches); null when no result remapped a folio.
 * A time of 0 (no folio remapped) has no place on a log axis and is left out.
 */
export function latencyChart(results: readonly MovePagesBenchResult[]): ChartPlan | null {
  const dims = labelDims(results);
  const rows = uniqueLabels(results.map((r) => resultLabel(r, dims)));
  const values = results.flatMap((r, i) =>
    MARKS.map((m) => ({
      row: rows[i],
      mark: m.name,
      us: m.key === "call" ? r.callTimeUs : r.folioLatencyUs[m.key],
    })).filter((v) => v.us > 0),
  );
  if (!values.some((v) => v.mark !== "whole call")) return null;
  const names = MARKS.map((m) => m.name);
  const legend = { orient: "top" as const, direction: "horizontal" as const };
  const y = {
    field: "row",
    type: "nominal" as const,
    title: null,
    sort: rows,
    axis: { labelLimit: 320, grid: true },
  };
  const x = {
    field: "us",
    type: "quantitative" as const,
    title: "µs from the start of the call (log scale)",
    scale: { type: "log" as const },
  };
  return {
    id: "latency",
    title: "When folios are accessible again, and when the call returns",
    note:
      "Per configuration, the time from the start of the call until the first folio, the median " +
      "folio, the 99th percentile folio and the last folio are mapped again at their destination, " +
      "and until the call returns, on a log scale. A folio is inaccessible from its unmap until " +
      "its remap, and a batch remaps its folios only after copying all of them: the first folio " +
      "waits for one batch, the call for all of them.",
    spec: {
      data: { values },
      layer: [
        {
          // From the first folio back to the call's return.
          mark: { type: "rule", color: "#bbb" },
          encoding: {
            y,
            x: { ...x, aggregate: "min" },
            x2: { field: "us", aggregate: "max" },
          },
        },
        {
          // Hollow, so that marks at the same time show through each other.
          mark: { type: "point", filled: false, size: 80, opacity: 1, strokeWidth: 2 },
          encoding: {
            y,
            x,
            shape: {
              field: "mark",
              type: "nominal",
              title: null,
              sort: names,
              scale: { domain: names, range: MARKS.map((m) => m.shape) },
              legend,
            },
            color: {
              field: "mark",
              type: "nominal",
              title: null,
              sort: names,
              scale: { domain: names, range: MARKS.map((m) => m.color) },
              legend,
            },
          },
        },
      ],
    },
    size: { width: CHART_WIDTH, height: 110 + 22 * rows.length },
  };
}

/** The time of the call against batch size, for the engines run at two batch sizes or more. */
export function callTimeChart(all: readonly MovePagesBenchResult[]): ChartPlan | null {
  const dims = { ...labelDims(all), batch: false };
  const label = (r: MovePagesBenchResult) => resultLabel(r, dims);
  const groups = [...groupBy(all, label)].filter(([, g]) => varies(g, (r) => r.batchPages));
  if (groups.length === 0) return null;
  const results = groups.flatMap(([, g]) => g);
  const batches = [...new Set(results.map((r) => r.batchPages))].sort((a, b) => a - b);
  const x = {
    field: "batch",
    type: "quantitative" as const,
    title: "batch size (NR_MAX_BATCHED_MIGRATION, base pages)",
    scale: { type: "log" as const, base: 2, domain: [batches[0], batches[batches.length - 1]] },
    axis: { values: batches, format: "d", grid: false },
  };
  const y = { field: "ms", type: "quantitative" as const, title: "time of the call (ms)" };
  return {
    id: "call-time",
    title: "Time of the whole call, against batch size",
    note:
      "The other side of the trade-off: larger batches share one TLB flush and the copy " +
      "engine's setup among more folios, so the call as a whole finishes sooner.",
    spec: {
      data: {
        values: results.map((r) => ({
          series: label(r),
          batch: r.batchPages,
          ms: r.callTimeUs / 1000,
        })),
      },
      layer: seriesLayers(
        groups.map(([name]) => name),
        x,
        y,
      ),
    },
    size: { width: CHART_WIDTH, height: 340 + legendHeight(groups.length) },
  };
}

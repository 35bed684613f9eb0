/**
 * The batch-size trade-off, as twin charts over the same axis of batch sizes: when folios
 * become accessible again (first, median, p99), and how long the whole call takes. Small
 * batches give the first folios back sooner; large ones amortise the TLB flush and the copy
 * engine's setup over more folios.
 */

import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";
import type { ChartPlan } from "./render.js";
import {
  CHART_WIDTH,
  groupBy,
  labelDims,
  legendHeight,
  resultLabel,
  seriesColor,
  varies,
} from "./series.js";

const METRICS = ["first", "median", "p99"] as const;

/** The two charts of the engines run at two batch sizes or more; none if no engine was. */
export function batchTradeoffCharts(all: readonly MovePagesBenchResult[]): ChartPlan[] {
  const dims = { ...labelDims(all), batch: false };
  const label = (r: MovePagesBenchResult) => resultLabel(r, dims);
  const groups = [...groupBy(all, label)].filter(([, g]) => varies(g, (r) => r.batchPages));
  if (groups.length === 0) return [];
  const results = groups.flatMap(([, g]) => g);
  const batches = [...new Set(results.map((r) => r.batchPages))].sort((a, b) => a - b);
  const x = {
    field: "batch",
    type: "quantitative" as const,
    title: "batch size (NR_MAX_BATCHED_MIGRATION, base pages)",
    scale: { type: "log" as const, base: 2, domain: [batches[0], batches[batches.length - 1]] },
    axis: { values: batches, format: "d", grid: false },
  };
  const color = seriesColor(groups.map(([name]) => name));
  const height = 340 + legendHeight(groups.length);
  // One legend of line styles and point shapes for the three percentiles.
  const metric = {
    field: "metric",
    type: "nominal" as const,
    title: "folio",
    sort: [...METRICS],
    scale: { domain: [...METRICS] },
    legend: { orient: "top" as const, direction: "horizontal" as const },
  };
  return [
    {
      id: "latency",
      title: "When folios are accessible again, against batch size",
      note:
        "Time from the start of the call until the first folio, the median folio and the 99th " +
        "percentile folio are mapped again at their destination. A folio is inaccessible from its " +
        "unmap until its remap, and a batch remaps its folios only after copying all of them.",
      spec: {
        data: {
          values: results.flatMap((r) =>
            METRICS.map((m) => ({
              series: label(r),
              batch: r.batchPages,
              metric: m,
              us: r.folioLatencyUs[m],
            })),
          ),
        },
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: { field: "us", type: "quantitative", title: "folio accessible again after (µs)" },
          color,
          strokeDash: metric,
          shape: metric,
        },
      },
      size: { width: CHART_WIDTH, height: height + 30 },
    },
    {
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
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: { field: "ms", type: "quantitative", title: "time of the call (ms)" },
          color,
        },
      },
      size: { width: CHART_WIDTH, height },
    },
  ];
}

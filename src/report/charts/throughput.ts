/** Throughput against folio size, one line per engine (and batch size and CPU load, where they vary). */

import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";
import type { ChartPlan } from "./render.js";
import {
  BYTES_LABEL_EXPR,
  CHART_WIDTH,
  groupBy,
  labelDims,
  legendHeight,
  resultLabel,
  seriesColor,
  varies,
} from "./series.js";

/** The chart, or null when no line would have two folio sizes. */
export function throughputChart(results: readonly MovePagesBenchResult[]): ChartPlan | null {
  const dims = { ...labelDims(results), folio: false };
  const groups = groupBy(results, (r) => resultLabel(r, dims));
  if (![...groups.values()].some((g) => varies(g, (r) => r.folioSizeBytes))) return null;
  const values = results.map((r) => ({
    series: resultLabel(r, dims),
    folio: r.folioSizeBytes,
    gbps: r.throughputGBps.mean,
    lo: r.throughputGBps.mean - r.throughputGBps.sd,
    hi: r.throughputGBps.mean + r.throughputGBps.sd,
  }));
  const sizes = [...new Set(values.map((v) => v.folio))].sort((a, b) => a - b);
  const x = {
    field: "folio",
    type: "quantitative" as const,
    title: "folio size",
    scale: { type: "log" as const, base: 2, domain: [sizes[0], sizes[sizes.length - 1]] },
    axis: { values: sizes, labelExpr: BYTES_LABEL_EXPR, grid: false },
  };
  const color = seriesColor([...groups.keys()]);
  return {
    id: "throughput",
    title: "Throughput against folio size",
    note:
      "Bytes moved per second of virtual time of one move_pages() call (mean over the timed runs; " +
      "the vertical rules span ± one standard deviation). Larger folios amortise the per-folio " +
      "costs (isolation, unmap, TLB flush, remap), so the copy engine's bandwidth shows.",
    spec: {
      data: { values },
      layer: [
        {
          mark: { type: "line", point: true },
          encoding: {
            x,
            y: { field: "gbps", type: "quantitative", title: "throughput (GB/s)" },
            color,
          },
        },
        {
          // ± one standard deviation over the timed runs.
          mark: { type: "rule" },
          encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color },
        },
      ],
    },
    size: { width: CHART_WIDTH, height: 340 + legendHeight(groups.size) },
  };
}

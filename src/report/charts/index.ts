/**
 * The charts of a benchmark's results, as SVG text: vega-lite specs rendered in Node. A chart
 * with nothing to show for these results (one folio size, one batch size, no recording) is left
 * out rather than drawn empty.
 */

import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";
import { callTimeChart, latencyChart } from "./latency.js";
import { phaseChart } from "./phases.js";
import { type Chart, type ChartPlan, renderChart } from "./render.js";
import { labelDims, resultLabel } from "./series.js";
import { throughputChart } from "./throughput.js";
import { timelineCharts } from "./timeline.js";

export type { Chart, ChartPlan } from "./render.js";

/** What to draw for these results, in page order. */
export function benchChartPlans(results: readonly MovePagesBenchResult[]): ChartPlan[] {
  const dims = labelDims(results);
  const plans = [
    throughputChart(results),
    phaseChart(results, "wallUs"),
    phaseChart(results, "cpuUs"),
    latencyChart(results),
    callTimeChart(results),
  ].filter((c): c is ChartPlan => c !== null);
  results.forEach((r, i) => {
    if (r.recording !== undefined) {
      plans.push(...timelineCharts(r.recording, `timeline-${i + 1}`, resultLabel(r, dims)));
    }
  });
  return plans;
}

export function benchCharts(results: readonly MovePagesBenchResult[]): Chart[] {
  return benchChartPlans(results).map(renderChart);
}

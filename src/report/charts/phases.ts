/** Where the time of a call went: one stacked bar per result, one segment per phase. */

import { PHASES } from "../../migrate/exec.js";
import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";
import type { ChartPlan } from "./render.js";
import { CHART_WIDTH, labelDims, nameColors, resultLabel, uniqueLabels } from "./series.js";

type Measure = "wallUs" | "cpuUs";

const TEXT: Record<Measure, { title: string; axis: string; note: string }> = {
  wallUs: {
    title: "Wall time of a call by phase",
    axis: "virtual time of the call (µs)",
    note:
      "Time the calling task spent in each phase of migrate_pages_batch(): its own CPU work plus " +
      "its waits for copy threads or DMA. The segments add up to the call's time.",
  },
  cpuUs: {
    title: "CPU time of a call by phase",
    axis: "CPU time, all CPUs (µs)",
    note:
      "CPU time spent on each phase on every CPU: the calling task's, the copy threads' and the " +
      "DMA interrupt handlers'. An offloaded copy shows as CPU time well under its wall time.",
  },
};

/** The chart of `measure`, or null when there is nothing to stack. */
export function phaseChart(
  results: readonly MovePagesBenchResult[],
  measure: Measure,
): ChartPlan | null {
  const dims = labelDims(results);
  const bars = uniqueLabels(results.map((r) => resultLabel(r, dims)));
  const values = results.flatMap((r, i) =>
    PHASES.map((phase, order) => ({ bar: bars[i], phase, order, us: r.phases[phase][measure] })),
  );
  if (!values.some((v) => v.us > 0)) return null;
  return {
    id: measure === "wallUs" ? "phases-wall" : "phases-cpu",
    title: TEXT[measure].title,
    note: TEXT[measure].note,
    spec: {
      data: { values },
      mark: { type: "bar" },
      encoding: {
        y: { field: "bar", type: "nominal", title: null, sort: bars, axis: { labelLimit: 320 } },
        x: { field: "us", type: "quantitative", title: TEXT[measure].axis, stack: "zero" },
        color: {
          field: "phase",
          type: "nominal",
          title: "phase",
          sort: [...PHASES],
          scale: { domain: [...PHASES], range: nameColors(PHASES) },
          legend: { orient: "bottom", direction: "horizontal" },
        },
        order: { field: "order", type: "quantitative" },
      },
    },
    size: { width: CHART_WIDTH, height: 110 + 22 * bars.length },
  };
}

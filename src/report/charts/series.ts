/**
 * How charts name a result: by its engine, and by folio size, batch and CPU load where results
 * differ.
 */

import { MIGRATORS, type MigratorName, workerKind } from "../../copy/engines.js";
import { formatSize } from "../../machine/units.js";
import { PHASES } from "../../migrate/exec.js";
import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";

/** Which dimensions a label names besides the engine. */
export interface LabelDims {
  folio: boolean;
  batch: boolean;
  load: boolean;
}

/** "serial", "mtcopy (8 threads)", "dcbm (1 channel)". */
export function engineLabel(r: MovePagesBenchResult): string {
  const kind = (MIGRATORS as readonly string[]).includes(r.migrator)
    ? workerKind(r.migrator as MigratorName)
    : null;
  if (kind === null) return r.migrator;
  const unit = kind === "threads" ? "thread" : "channel";
  return `${r.migrator} (${r.workers} ${unit}${r.workers === 1 ? "" : "s"})`;
}

/** Names folio size, batch and CPU load where they vary over `results`. */
export function labelDims(results: readonly MovePagesBenchResult[]): LabelDims {
  return {
    folio: varies(results, (r) => r.folioSizeBytes),
    batch: varies(results, (r) => r.batchPages),
    load: varies(results, (r) => r.cpuLoad),
  };
}

export function resultLabel(r: MovePagesBenchResult, dims: LabelDims): string {
  let label = engineLabel(r);
  if (dims.folio) label += `, ${formatSize(r.folioSizeBytes)}`;
  if (dims.batch) label += `, batch ${r.batchPages}`;
  if (dims.load) label += `, cpu load ${r.cpuLoad}`;
  return label;
}

/** Whether `key` takes more than one value over `results`. */
export function varies<T>(results: readonly T[], key: (r: T) => number | string): boolean {
  return new Set(results.map(key)).size > 1;
}

/** The labels with repeats told apart ("x", "x #2"), so no two results share a bar. */
export function uniqueLabels(labels: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n === 1 ? l : `${l} #${n}`;
  });
}

/** Results grouped by label, groups in order of first appearance. */
export function groupBy<T>(results: readonly T[], label: (r: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const r of results) {
    const key = label(r);
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [r]);
    else g.push(r);
  }
  return groups;
}

/** A vega expression labelling a byte count on an axis: 4096 -> 4K, 2097152 -> 2M. */
export const BYTES_LABEL_EXPR =
  "datum.value >= 1048576 ? format(datum.value / 1048576, 'd') + 'M'" +
  " : datum.value >= 1024 ? format(datum.value / 1024, 'd') + 'K' : format(datum.value, 'd')";

/**
 * Total width of every chart, px: the width of the page's content (html-page.ts), so a chart
 * fills it at its natural size and shrinks with it on a narrower window.
 */
export const CHART_WIDTH = 1200;

/** The colour channel of a chart's series, listed under the plot in two columns. */
export function seriesColor(series: string[]) {
  return {
    field: "series",
    type: "nominal" as const,
    title: null,
    sort: series,
    legend: { orient: "bottom" as const, columns: 2 },
  };
}

/** Height of a legend of `n` entries in two columns, px. */
export function legendHeight(n: number): number {
  return 18 * Math.ceil(n / 2);
}

/** vega's tableau10 with its light tableau20 companions: the phases take the first six. */
const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
  "#9ecae9",
  "#ffbf79",
  "#88d27a",
  "#d6a5c9",
];

/**
 * Colours for slice or phase names, the same for a phase in every chart: phases by their
 * place in PHASES, other names in order from the rest of the palette (repeating if need be).
 */
export function nameColors(names: readonly string[]): string[] {
  const others = PALETTE.slice(PHASES.length);
  let next = 0;
  return names.map((n) => {
    const phase = (PHASES as readonly string[]).indexOf(n);
    return phase >= 0 ? PALETTE[phase] : others[next++ % others.length];
  });
}

/** Point shapes and line dashes, so that series of near colours or on top of each other differ. */
const SHAPES = [
  "circle",
  "square",
  "triangle-up",
  "diamond",
  "triangle-down",
  "cross",
  "triangle-right",
];
const DASHES = [
  [1, 0],
  [6, 3],
  [2, 2],
  [8, 3, 2, 3],
  [12, 4],
  [3, 5],
  [8, 2, 2, 2, 2, 2],
];

/**
 * A line per series through its points, each series in its own colour, line dash and point
 * shape by its place in `series` (no two of the first ten share a colour; neighbours differ in
 * dash and shape too), with one legend of colours and shapes under the plot.
 */
export function seriesLayers<X extends object, Y extends object>(
  series: readonly string[],
  x: X,
  y: Y,
) {
  // The channels share a legend; its symbols are filled, without the dashed outline.
  const channel = <T>(range: readonly T[]) => ({
    field: "series",
    type: "nominal" as const,
    title: null,
    sort: [...series],
    scale: { domain: [...series], range: series.map((_, i) => range[i % range.length]) },
    legend: { orient: "bottom" as const, columns: 2, symbolStrokeWidth: 0 },
  });
  const color = channel(PALETTE.slice(0, 10));
  return [
    {
      mark: { type: "line" as const, strokeWidth: 1.5 },
      encoding: { x, y, color, strokeDash: channel(DASHES) },
    },
    {
      mark: { type: "point" as const, filled: true, size: 60, opacity: 1 },
      encoding: { x, y, color, shape: channel(SHAPES) },
    },
  ];
}

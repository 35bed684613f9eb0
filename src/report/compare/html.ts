/**
 * `pagemig compare --reporter html`: one self-contained page, the two documents named at the
 * top, then for each main metric a chart of A's and B's value per configuration as paired
 * bars (drawn by the charts' renderer), and the table of every metric with its differences.
 */
import { signedPercent } from "../../machine/units.js";
import { type ChartPlan, renderChart } from "../charts/render.js";
import { CHART_WIDTH } from "../charts/series.js";
import { type Column, figure, htmlPage, htmlTable } from "../html-page.js";
import type { Reporter } from "../reporter.js";
import type { Comparison, MatchedRow, MetricDiff } from "./compare.js";
import { describeSide, fmt } from "./reporters.js";

/** Height of one configuration's pair of bars, px. */
const ROW_HEIGHT = 34;
const AXES_HEIGHT = 90;

/**
 * Each row's key without the parts (", "-separated) every matched row shares, which the note
 * names instead, so the axis labels fit.
 */
function shortLabels(keys: readonly string[]): { labels: string[]; common: string[] } {
  const parts = keys.map((k) => k.split(", "));
  const common = (parts[0] ?? []).filter((p) => parts.every((ps) => ps.includes(p)));
  const labels = parts.map((ps) => ps.filter((p) => !common.includes(p)).join(", ") || "all");
  return { labels, common: keys.length > 1 ? common : [] };
}

/** The chart of one metric: a bar for A and one for B per configuration. */
function metricChart(c: Comparison, name: string, unit: string, index: number): ChartPlan {
  const { labels, common } = shortLabels(c.matched.map((r) => r.key));
  const values = c.matched.flatMap((row, i) => {
    const m = row.metrics.find((x) => x.name === name);
    if (m === undefined) return [];
    return [
      { configuration: labels[i], side: "A", value: m.a },
      { configuration: labels[i], side: "B", value: m.b },
    ].filter((v) => v.value !== null);
  });
  const shared = common.length === 0 ? "" : ` Every configuration: ${common.join(", ")}.`;
  const configurations = [...new Set(values.map((v) => v.configuration))];
  return {
    id: `compare-${index + 1}`,
    title: `${name} (${unit})`,
    note: `A (${c.a.file}) and B (${c.b.file}) for each configuration both ran; the table below gives the differences.${shared}`,
    spec: {
      data: { values },
      mark: { type: "bar" },
      encoding: {
        y: {
          field: "configuration",
          type: "nominal",
          sort: configurations,
          title: null,
          axis: { labelLimit: 360 },
        },
        yOffset: { field: "side", type: "nominal", sort: ["A", "B"] },
        x: { field: "value", type: "quantitative", title: `${name} (${unit})` },
        color: {
          field: "side",
          type: "nominal",
          sort: ["A", "B"],
          title: null,
          legend: { orient: "bottom" },
        },
      },
    },
    size: { width: CHART_WIDTH, height: AXES_HEIGHT + ROW_HEIGHT * configurations.length },
  };
}

type Line = { row: MatchedRow; m: MetricDiff };

const COLUMNS: readonly Column<Line>[] = [
  { header: "configuration", numeric: false, cell: (l) => l.row.key },
  { header: "metric", numeric: false, cell: (l) => `${l.m.name} (${l.m.unit})` },
  { header: "A", numeric: true, cell: (l) => fmt(l.m.a) },
  { header: "B", numeric: true, cell: (l) => fmt(l.m.b) },
  { header: "B-A", numeric: true, cell: (l) => fmt(l.m.diff) },
  {
    header: "B/A-1",
    numeric: true,
    cell: (l) => (l.m.relative === null ? "-" : signedPercent(l.m.relative)),
  },
];

function renderHtml(c: Comparison): string {
  const primary = [
    ...new Map(
      c.matched.flatMap((r) => r.metrics.filter((m) => m.primary).map((m) => [m.name, m.unit])),
    ),
  ];
  const charts = primary.map(([name, unit], i) => renderChart(metricChart(c, name, unit, i)));
  const lines = c.matched.flatMap((row) => row.metrics.map((m) => ({ row, m })));
  const only = [
    ...(c.onlyA.length > 0 ? [`<p>Only in A: ${c.onlyA.join("; ")}</p>`] : []),
    ...(c.onlyB.length > 0 ? [`<p>Only in B: ${c.onlyB.join("; ")}</p>`] : []),
  ];
  return htmlPage({
    title: `pagemig compare: ${c.command}`,
    heading: `pagemig compare: ${c.command}`,
    facts: [
      ["A", describeSide(c.a)],
      ["B", describeSide(c.b)],
      ["matched", `${c.matched.length} configurations`],
    ],
    body: [...charts.map(figure), "<h2>Every metric</h2>", htmlTable(COLUMNS, lines), ...only],
  });
}

export const html: Reporter<Comparison> = {
  name: "html",
  description: "one self-contained page: A and B per configuration as bars, and every difference",
  needsRecording: false,
  binary: false,
  render: renderHtml,
};

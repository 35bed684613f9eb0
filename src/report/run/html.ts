/**
 * `pagemig run --reporter html`: one self-contained page (html-page.ts) with what ran, a row of
 * totals per run, why each process did what it did, and the time series drawn side by side for
 * every run of a sweep (charts.ts).
 */
import { renderChart } from "../charts/render.js";
import { type Column, escapeHtml, figure, htmlPage, htmlTable } from "../html-page.js";
import type { Reporter } from "../reporter.js";
import { runChartPlans } from "./charts.js";
import { type RunReportInput, runNames, type ScenarioRun } from "./input.js";
import { engineText, totals, whySentences } from "./table.js";

type Row = ScenarioRun & { name: string };

const COLUMNS: readonly Column<Row>[] = [
  { header: "run", numeric: false, cell: (r) => r.name },
  { header: "engine", numeric: false, cell: (r) => engineText(r.result) },
  { header: "Mops/s", numeric: true, cell: (r) => totals(r.result).mops.toFixed(3) },
  { header: "stalled ms", numeric: true, cell: (r) => totals(r.result).stalledMs.toFixed(3) },
  { header: "CPU lost ms", numeric: true, cell: (r) => totals(r.result).cpuLostMs.toFixed(3) },
  { header: "mover GB/s", numeric: true, cell: (r) => totals(r.result).moverGBps.toFixed(2) },
  {
    header: "pgmigrate_success",
    numeric: true,
    cell: (r) => String(r.result.vmstat.pgmigrate_success ?? 0),
  },
  {
    header: "pgmigrate_fail",
    numeric: true,
    cell: (r) => String(r.result.vmstat.pgmigrate_fail ?? 0),
  },
];

/** The command line that ran, as far as the report knows it. */
function commandLine(input: RunReportInput): string {
  return [
    "pagemig run",
    input.scenario,
    ...input.set.map((s) => `--set ${s}`),
    ...input.sweep.map((s) => `--sweep ${s}`),
  ].join(" ");
}

/** What varies over the runs is said once per run; what does not, once. */
const distinct = (values: string[]) => [...new Set(values)].join(", ");

function whyList(rows: readonly Row[], sweep: boolean): string {
  const items = rows.flatMap((r) =>
    whySentences(r.result).map((s) => `<li>${escapeHtml(sweep ? `${r.name}: ${s}` : s)}</li>`),
  );
  return `<ul>\n${items.join("\n")}\n</ul>`;
}

export function renderRunHtml(input: RunReportInput): string {
  const names = runNames(input);
  const rows = input.runs.map((r, i) => ({ ...r, name: names[i] }));
  const results = input.runs.map((r) => r.result);
  const charts = runChartPlans(input).map(renderChart);
  const sweep = input.sweep.length > 0;
  return htmlPage({
    title: `pagemig run ${input.scenario} (${distinct(results.map((r) => r.profile))})`,
    heading: `pagemig run ${input.scenario}`,
    facts: [
      ["command", commandLine(input)],
      ["profile", distinct(results.map((r) => r.profile))],
      ["seed", distinct(results.map((r) => String(r.seed)))],
      ["duration", distinct(results.map((r) => `${r.durationNs / 1e6} ms`))],
      ["interval", distinct(results.map((r) => `${r.series.intervalNs / 1e3} µs`))],
      ["runs", String(input.runs.length)],
    ],
    body: [
      "<h2>Summary</h2>",
      "<p>One row per run: operations per second, time stalled in migration entries and CPU " +
        "time lost to kernel work summed over every application thread; GB/s summed over the " +
        "movers; the /proc/vmstat migration counters over the run. Virtual time.</p>",
      htmlTable(COLUMNS, rows),
      "<h2>Why</h2>",
      whyList(rows, sweep),
      "<h2>Over time</h2>",
      charts.length === 0
        ? "<p>No charts: no interval of the run ended, so there is no series to plot.</p>"
        : charts.map(figure).join("\n"),
    ],
  });
}

export const reporter: Reporter<RunReportInput> = {
  name: "html",
  description: "a self-contained HTML page: totals per run and SVG plots of the time series",
  needsRecording: false,
  binary: false,
  render: renderRunHtml,
};

/**
 * `--reporter html`: one self-contained page (html-page.ts) with the run's parameters, a
 * summary table and the charts of report/charts/, each with a note on how to read it.
 */

import { formatSize } from "../machine/units.js";
import type { MovePagesBenchResult } from "../workload/move-pages-bench.js";
import { benchCharts } from "./charts/index.js";
import { engineLabel } from "./charts/series.js";
import { type Column, figure, htmlPage, htmlTable } from "./html-page.js";
import type { Reporter, ReportInput } from "./reporter.js";
import { formatGBps } from "./table.js";

const COLUMNS: readonly Column<MovePagesBenchResult>[] = [
  { header: "engine", numeric: false, cell: engineLabel },
  { header: "folio", numeric: true, cell: (r) => formatSize(r.folioSizeBytes) },
  { header: "folios", numeric: true, cell: (r) => String(r.folioCount) },
  { header: "batch", numeric: true, cell: (r) => String(r.batchPages) },
  { header: "cpu load", numeric: true, cell: (r) => String(r.cpuLoad) },
  {
    header: "GB/s",
    numeric: true,
    cell: (r) => formatGBps(r.throughputGBps),
  },
  { header: "call ms", numeric: true, cell: (r) => (r.callTimeUs / 1000).toFixed(3) },
  { header: "first folio µs", numeric: true, cell: (r) => r.folioLatencyUs.first.toFixed(1) },
  { header: "median µs", numeric: true, cell: (r) => r.folioLatencyUs.median.toFixed(1) },
  { header: "p99 µs", numeric: true, cell: (r) => r.folioLatencyUs.p99.toFixed(1) },
  { header: "CPU ms", numeric: true, cell: (r) => (r.cpuTimeUs / 1000).toFixed(3) },
  { header: "copy CPU", numeric: true, cell: (r) => `${(r.copyFraction * 100).toFixed(1)}%` },
  { header: "TLB IPIs", numeric: true, cell: (r) => String(r.tlbFlushIpis) },
  { header: "DMA descriptors", numeric: true, cell: (r) => String(r.dmaDescriptors) },
];

function summaryTable(results: readonly MovePagesBenchResult[]): string {
  return results.length === 0 ? "<p>No results.</p>" : htmlTable(COLUMNS, results);
}

export function renderHtml(input: ReportInput): string {
  const charts = benchCharts(input.results);
  const title = `pagemig ${input.command}`;
  return htmlPage({
    title: `${title} (${input.profile})`,
    heading: title,
    facts: [
      ["command", `pagemig ${input.command}`],
      ["profile", input.profile],
      ["seed", String(input.seed)],
      ["results", String(input.results.length)],
    ],
    body: [
      "<h2>Summary</h2>",
      "<p>One row per configuration; times are means over the timed runs, in virtual time.</p>",
      summaryTable(input.results),
      "<h2>Charts</h2>",
      charts.length === 0
        ? "<p>No charts: these results have nothing to plot.</p>"
        : charts.map(figure).join("\n"),
    ],
  });
}

export const reporter: Reporter = {
  name: "html",
  description: "a self-contained HTML page: summary table and SVG charts (with a timeline)",
  needsRecording: true,
  binary: false,
  render: renderHtml,
};

/**
 * `--reporter html`: one self-contained page (inline CSS and SVG, no scripts, no external
 * URLs; its Content-Security-Policy forbids both) with the run's parameters, a summary table
 * and the charts of report/charts/, each with a note on how to read it. No dates or other
 * host state, so the same results give the same bytes.
 */

import { formatSize } from "../machine/units.js";
import type { MovePagesBenchResult } from "../workload/move-pages-bench.js";
import { benchCharts, type Chart } from "./charts/index.js";
import { engineLabel } from "./charts/series.js";
import type { Reporter, ReportInput } from "./reporter.js";
import { formatGBps } from "./table.js";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text made safe for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const STYLE = `
body { margin: 0; background: #f6f6f4; color: #1d1d1f; font: 14px/1.45 system-ui, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
code { font: 13px ui-monospace, monospace; }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.run dt { color: #666; }
dl.run dd { margin: 0; }
.table { overflow-x: auto; }
table { border-collapse: collapse; font-size: 12.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 7px; border-bottom: 1px solid #e4e4e4; }
td { white-space: nowrap; }
th { text-align: left; font-weight: 600; background: #fafafa; vertical-align: bottom; }
td.n, th.n { text-align: right; }
figure { margin: 24px 0 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 13px; margin-top: 4px; }
`;

interface Column {
  header: string;
  numeric: boolean;
  cell(r: MovePagesBenchResult): string;
}

const COLUMNS: readonly Column[] = [
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
  if (results.length === 0) return "<p>No results.</p>";
  const cls = (c: Column) => (c.numeric ? ' class="n"' : "");
  const head = COLUMNS.map((c) => `<th${cls(c)}>${escapeHtml(c.header)}</th>`).join("");
  const rows = results.map(
    (r) => `<tr>${COLUMNS.map((c) => `<td${cls(c)}>${escapeHtml(c.cell(r))}</td>`).join("")}</tr>`,
  );
  return `<div class="table"><table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody></table></div>`;
}

function figure(c: Chart): string {
  // The SVG is vega's markup, which escapes the text it draws.
  return [
    `<figure id="${escapeHtml(c.id)}">`,
    `<h3>${escapeHtml(c.title)}</h3>`,
    c.svg,
    `<figcaption>${escapeHtml(c.note)}</figcaption>`,
    "</figure>",
  ].join("\n");
}

export function renderHtml(input: ReportInput): string {
  const charts = benchCharts(input.results);
  const title = `pagemig ${input.command}`;
  const run: [string, string][] = [
    ["command", `pagemig ${input.command}`],
    ["profile", input.profile],
    ["seed", String(input.seed)],
    ["results", String(input.results.length)],
  ];
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`${title} (${input.profile})`)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<main>",
    `<h1>${escapeHtml(title)}</h1>`,
    `<dl class="run">${run.map(([k, v]) => `<dt>${k}</dt><dd><code>${escapeHtml(v)}</code></dd>`).join("")}</dl>`,
    "<h2>Summary</h2>",
    "<p>One row per configuration; times are means over the timed runs, in virtual time.</p>",
    summaryTable(input.results),
    "<h2>Charts</h2>",
    charts.length === 0
      ? "<p>No charts: these results have nothing to plot.</p>"
      : charts.map(figure).join("\n"),
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

export const reporter: Reporter = {
  name: "html",
  description: "a self-contained HTML page: summary table and SVG charts (with a timeline)",
  needsRecording: true,
  binary: false,
  render: renderHtml,
};

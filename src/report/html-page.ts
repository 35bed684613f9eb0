/**
 * The frame every HTML report shares: one self-contained page (inline CSS and SVG, no scripts,
 * no external URLs; its Content-Security-Policy forbids both), a heading over a list of what
 * ran, tables, and charts as figures with a note on how to read each. No dates or other host
 * state, so the same results give the same bytes.
 */
import type { Chart } from "./charts/index.js";
import { CHART_WIDTH } from "./charts/series.js";

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

// The content (inside main's padding) is as wide as a chart; on a narrower window the charts
// shrink with it, keeping their aspect ratio through their viewBox.
const STYLE = `
body { margin: 0; background: #f6f6f4; color: #1d1d1f; font: 14px/1.45 system-ui, sans-serif; }
main { max-width: ${CHART_WIDTH}px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
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
figure svg { display: block; width: 100%; max-width: ${CHART_WIDTH}px; height: auto; }
figcaption { color: #444; font-size: 13px; margin-top: 4px; }
`;

/** A column of an HTML table of rows of type T. */
export interface Column<T> {
  header: string;
  /** Right-aligned. */
  numeric: boolean;
  cell(row: T): string;
}

export function htmlTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cls = (c: Column<T>) => (c.numeric ? ' class="n"' : "");
  const head = columns.map((c) => `<th${cls(c)}>${escapeHtml(c.header)}</th>`).join("");
  const body = rows.map(
    (r) => `<tr>${columns.map((c) => `<td${cls(c)}>${escapeHtml(c.cell(r))}</td>`).join("")}</tr>`,
  );
  return `<div class="table"><table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body.join("\n")}\n</tbody></table></div>`;
}

export function figure(c: Chart): string {
  // The SVG is vega's markup, which escapes the text it draws.
  return [
    `<figure id="${escapeHtml(c.id)}">`,
    `<h3>${escapeHtml(c.title)}</h3>`,
    c.svg,
    `<figcaption>${escapeHtml(c.note)}</figcaption>`,
    "</figure>",
  ].join("\n");
}

export interface Page {
  /** The document's title. */
  title: string;
  heading: string;
  /** What ran, as term and value (shown as code). */
  facts: readonly (readonly [string, string])[];
  /** The rest of <main>, as HTML. */
  body: readonly string[];
}

export function htmlPage(p: Page): string {
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(p.title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<main>",
    `<h1>${escapeHtml(p.heading)}</h1>`,
    `<dl class="run">${p.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd><code>${escapeHtml(v)}</code></dd>`).join("")}</dl>`,
    ...p.body,
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

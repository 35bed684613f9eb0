/**
 * `pagemig compare`'s text reporters: a table of the matched rows' primary metrics, a
 * versioned JSON document of every metric, and CSV (RFC 4180) of every metric.
 */
import { signedPercent } from "../../machine/units.js";
import { toCsv } from "../csv.js";
import { jsonDocument } from "../header.js";
import type { Reporter } from "../reporter.js";
import { formatTable } from "../table.js";
import type { Comparison, Side } from "./compare.js";

/** A number to 4 significant digits, without exponents for the magnitudes reports hold. */
export function fmt(x: number | null): string {
  if (x === null) return "-";
  if (Number.isInteger(x)) return String(x);
  const digits = Math.max(0, 3 - Math.floor(Math.log10(Math.abs(x))));
  return x.toFixed(Math.min(digits, 6));
}

function signed(x: number | null): string {
  if (x === null) return "-";
  const text = fmt(x);
  return x > 0 ? `+${text}` : text;
}

export function describeSide(s: Side): string {
  const parts = [`pagemig ${s.version}`];
  if (s.profile !== null) parts.push(`profile ${s.profile}`);
  if (s.host !== null) parts.push(`host ${s.host}`);
  return `${s.file} (${parts.join(", ")})`;
}

function unmatched(c: Comparison): string {
  const lines: string[] = [];
  for (const [which, keys] of [
    ["A", c.onlyA],
    ["B", c.onlyB],
  ] as const) {
    if (keys.length > 0) lines.push(`only in ${which}: ${keys.join("; ")}`);
  }
  return lines.length === 0 ? "" : `\n${lines.join("\n")}\n`;
}

function renderTable(c: Comparison): string {
  const head = `compare ${c.command}: A = ${describeSide(c.a)}, B = ${describeSide(c.b)}\n`;
  if (c.matched.length === 0) return `${head}no configuration in both\n${unmatched(c)}`;
  const rows = c.matched.flatMap((row) =>
    row.metrics
      .filter((m) => m.primary)
      .map((m, i) => [
        i === 0 ? row.key : "",
        `${m.name} (${m.unit})`,
        fmt(m.a),
        fmt(m.b),
        signed(m.diff),
        m.relative === null ? "-" : signedPercent(m.relative),
      ]),
  );
  return `${head}\n${formatTable(["CONFIGURATION", "METRIC", "A", "B", "B-A", "B/A-1"], rows)}${unmatched(c)}`;
}

export const table: Reporter<Comparison> = {
  name: "table",
  description: "the matched configurations' main numbers side by side, with differences",
  needsRecording: false,
  binary: false,
  render: renderTable,
};

export const json: Reporter<Comparison> = {
  name: "json",
  description: "a versioned JSON document (pagemig-compare) of every metric of every match",
  needsRecording: false,
  binary: false,
  render: (c) =>
    jsonDocument("pagemig-compare", "compare", {
      compared: { schema: c.schema, schemaVersion: c.schemaVersion, command: c.command },
      a: c.a,
      b: c.b,
      matched: c.matched,
      onlyA: c.onlyA,
      onlyB: c.onlyB,
    }),
};

const CSV_HEADER = ["configuration", "metric", "unit", "a", "b", "diff", "relative"];

export const csv: Reporter<Comparison> = {
  name: "csv",
  description: "one row per configuration and metric: A, B, B-A and B/A-1 (RFC 4180)",
  needsRecording: false,
  binary: false,
  render: (c) =>
    toCsv(
      CSV_HEADER,
      c.matched.flatMap((row) =>
        row.metrics.map(
          (m) =>
            new Map<string, string | number>([
              ["configuration", row.key],
              ["metric", m.name],
              ["unit", m.unit],
              ["a", m.a ?? ""],
              ["b", m.b ?? ""],
              ["diff", m.diff ?? ""],
              ["relative", m.relative ?? ""],
            ]),
        ),
      ),
    ),
};

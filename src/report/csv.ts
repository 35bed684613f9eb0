/**
 * CSV (RFC 4180): a header row, then one row per result, every field flattened to a column
 * named by its path (`throughputGBps.mean`, `phases.copy.wallUs`, `cpuByKind.irq`). Columns
 * appear in the order the results first hold them; a cell is empty where a result lacks the
 * field (`faultsFired.*` of faults that never fired, `hostCopyGBps` without --verify).
 */
import type { Reporter } from "./reporter.js";

export type Cell = string | number | boolean;

/** Adds the leaves of `value` to `row`, keyed by their dotted path. */
function flatten(path: string, value: unknown, row: Map<string, Cell>): void {
  if (value === undefined || value === null) return;
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) flatten(path === "" ? k : `${path}.${k}`, v, row);
    return;
  }
  row.set(path, value as Cell);
}

/** A field as RFC 4180 writes it: quoted, quotes doubled, when it holds a comma, quote or line break. */
export function csvField(cell: Cell | undefined): string {
  if (cell === undefined) return "";
  const s = String(cell);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Rows of cells as CSV text, every record ended by CRLF as RFC 4180 has it. */
export function toCsv(header: readonly string[], rows: readonly Map<string, Cell>[]): string {
  const lines = [header.map(csvField), ...rows.map((r) => header.map((h) => csvField(r.get(h))))];
  return lines.map((cells) => `${cells.join(",")}\r\n`).join("");
}

/** Results of any shape (the model's, a host's) as CSV rows after `profile` and `seed`. */
export function resultsCsv(profile: string, seed: number, results: readonly object[]): string {
  const columns = new Set<string>(["profile", "seed"]);
  const rows = results.map((result) => {
    const row = new Map<string, Cell>([
      ["profile", profile],
      ["seed", seed],
    ]);
    flatten("", result, row);
    for (const k of row.keys()) columns.add(k);
    return row;
  });
  return toCsv([...columns], rows);
}

export const reporter: Reporter = {
  name: "csv",
  description: "one CSV row per result, every field a column (phases.copy.wallUs, ...)",
  needsRecording: false,
  binary: false,
  render: (input) =>
    resultsCsv(
      input.profile,
      input.seed,
      input.results.map(({ recording: _, ...result }) => result),
    ),
};

/**
 * `pagemig run`'s time series as CSV (RFC 4180): one row per interval of each run, at the
 * interval's end. Columns: `timeNs`, every process's `NAME.opsPerSec`, every process's
 * `NAME.bytesByNode.N` per node, `migrationGBps`; with --sweep a first column, `settings`,
 * says which run a row is of. A run without a process or node another run has leaves its cells
 * empty.
 */
import { type Cell, toCsv } from "../csv.js";
import type { Reporter } from "../reporter.js";
import type { RunReportInput } from "./input.js";

function renderCsv(input: RunReportInput): string {
  const ops = new Set<string>();
  const bytes = new Set<string>();
  for (const { result } of input.runs) {
    for (const p of result.series.processes) {
      ops.add(`${p.name}.opsPerSec`);
      for (const node of Object.keys(p.bytesByNode)) bytes.add(`${p.name}.bytesByNode.${node}`);
    }
  }
  const sweep = input.sweep.length > 0;
  const header = [...(sweep ? ["settings"] : []), "timeNs", ...ops, ...bytes, "migrationGBps"];
  const rows = input.runs.flatMap(({ settings, result: { series } }) =>
    series.timeNs.map((timeNs, i) => {
      const row = new Map<string, Cell>([["timeNs", timeNs]]);
      if (sweep) row.set("settings", settings.join(" "));
      for (const p of series.processes) {
        row.set(`${p.name}.opsPerSec`, p.opsPerSec[i]);
        for (const [node, b] of Object.entries(p.bytesByNode)) {
          row.set(`${p.name}.bytesByNode.${node}`, b[i]);
        }
      }
      row.set("migrationGBps", series.migrationGBps[i]);
      return row;
    }),
  );
  return toCsv(header, rows);
}

export const reporter: Reporter<RunReportInput> = {
  name: "csv",
  description: "the time series, one CSV row per interval: ops/s, bytes per node, migration GB/s",
  needsRecording: false,
  binary: false,
  render: renderCsv,
};

/**
 * `pagemig run`'s time series as CSV (RFC 4180): one row per interval of each run, at the
 * interval's end. Columns: `timeNs`, every process's `NAME.opsPerSec`, every process's
 * `NAME.bytesByNode.N` per node, `migrationGBps`, then `vmstat.NAME` per counter,
 * `migrations.REASON.foliosPerSec` and `.gbps` per migrate reason, `cpuNs.KIND` per kind of CPU
 * work and `utilisation.RESOURCE` per flow-model resource; with --sweep a first column,
 * `settings`, says which run a row is of. A run without a process or node another run has
 * leaves its cells empty; a counter, reason or resource a run's series leaves out did not move
 * in that run, so its cells are 0.
 */
import type { ScenarioSeries } from "../../workload/app/run-scenario.js";
import { type Cell, toCsv } from "../csv.js";
import type { Reporter } from "../reporter.js";
import type { RunReportInput } from "./input.js";

/** The series' sparse groups, as column name -> values (absent columns are 0 throughout). */
function sparseColumns(series: ScenarioSeries): Map<string, readonly number[]> {
  const cols = new Map<string, readonly number[]>();
  for (const [name, v] of Object.entries(series.vmstat)) cols.set(`vmstat.${name}`, v);
  for (const [reason, r] of Object.entries(series.migrations)) {
    cols.set(`migrations.${reason}.foliosPerSec`, r.foliosPerSec);
    cols.set(`migrations.${reason}.gbps`, r.gbps);
  }
  return cols;
}

function renderCsv(input: RunReportInput): string {
  const ops = new Set<string>();
  const bytes = new Set<string>();
  const sparse = new Set<string>();
  const cpu = new Set<string>();
  const util = new Set<string>();
  for (const { result } of input.runs) {
    const s = result.series;
    for (const p of s.processes) {
      ops.add(`${p.name}.opsPerSec`);
      for (const node of Object.keys(p.bytesByNode)) bytes.add(`${p.name}.bytesByNode.${node}`);
    }
    for (const name of sparseColumns(s).keys()) sparse.add(name);
    for (const kind of Object.keys(s.cpuNs)) cpu.add(`cpuNs.${kind}`);
    for (const name of Object.keys(s.utilisation)) util.add(`utilisation.${name}`);
  }
  const sweep = input.sweep.length > 0;
  const zeroed = [...sparse, ...util];
  const header = [
    ...(sweep ? ["settings"] : []),
    "timeNs",
    ...ops,
    ...bytes,
    "migrationGBps",
    ...sparse,
    ...cpu,
    ...util,
  ];
  const rows = input.runs.flatMap(({ settings, result: { series } }) => {
    const cols = sparseColumns(series);
    for (const [name, v] of Object.entries(series.cpuNs)) cols.set(`cpuNs.${name}`, v);
    for (const [name, v] of Object.entries(series.utilisation)) cols.set(`utilisation.${name}`, v);
    return series.timeNs.map((timeNs, i) => {
      const row = new Map<string, Cell>([["timeNs", timeNs]]);
      if (sweep) row.set("settings", settings.join(" "));
      for (const p of series.processes) {
        row.set(`${p.name}.opsPerSec`, p.opsPerSec[i]);
        for (const [node, b] of Object.entries(p.bytesByNode)) {
          row.set(`${p.name}.bytesByNode.${node}`, b[i]);
        }
      }
      row.set("migrationGBps", series.migrationGBps[i]);
      for (const name of zeroed) row.set(name, 0);
      for (const [name, v] of cols) row.set(name, v[i]);
      return row;
    });
  });
  return toCsv(header, rows);
}

export const reporter: Reporter<RunReportInput> = {
  name: "csv",
  description:
    "the time series, one CSV row per interval: ops/s, bytes per node, migrations, vmstat, CPU, links",
  needsRecording: false,
  binary: false,
  render: renderCsv,
};

/**
 * `host bench move-pages`'s reports: the same versioned pagemig-report document as the
 * model's (docs/report-json.md), with a `host` field saying the results were measured on this
 * machine (kernel, the probe's facts); its CSV; and a table of what a host can measure.
 */
import { formatSize } from "../machine/units.js";
import type { HostFacts } from "../probe/types.js";
import { resultsCsv } from "../report/csv.js";
import { type ReportHeader, reportHeader } from "../report/json.js";
import type { Reporter } from "../report/reporter.js";
import { formatGBps, formatTable } from "../report/table.js";
import type { HostBenchResult } from "./bench.js";

export const HOST_COMMAND = "host bench move-pages";
/** The report's `profile`: the name `pagemig probe --out host.yaml` gives the host's draft. */
export const HOST_PROFILE = "host";
/** A host run has no seed. */
export const HOST_SEED = 0;

export interface HostReport {
  /** Always "host": the results are the running kernel's, in wall-clock time. */
  source: "host";
  kernel: string | null;
  /** The host node ids moved from and to. */
  nodes: { from: number; to: number };
  facts: HostFacts;
}

export interface HostReportInput {
  host: HostReport;
  results: readonly HostBenchResult[];
}

export type HostReportDocument = ReportHeader & {
  host: HostReport;
  results: HostBenchResult[];
};

export function hostReportDocument(input: HostReportInput): HostReportDocument {
  return {
    ...reportHeader(HOST_COMMAND, HOST_PROFILE, HOST_SEED),
    host: input.host,
    results: [...input.results],
  };
}

function formatHostTable(input: HostReportInput): string {
  const { from, to } = input.host.nodes;
  const rows = input.results.map((r) => [
    r.migrator,
    formatSize(r.folioSizeBytes),
    String(r.folioCount),
    r.foliosObtained === null ? "?" : String(r.foliosObtained),
    String(r.runs),
    formatGBps(r.throughputGBps),
    (r.callTimeUs / 1000).toFixed(2),
    (r.cpuTimeUs / 1000).toFixed(2),
    String(r.vmstat.pgmigrate_success ?? 0),
  ]);
  return (
    `move_pages(2) on this host, Linux ${input.host.kernel ?? "(unknown)"}, node ${from} -> ${to} (wall time)\n` +
    formatTable(
      ["MIGRATOR", "FOLIO", "FOLIOS", "OBTAINED", "RUNS", "GB/s", "CALL-ms", "CPU-ms", "PGMIGRATE"],
      rows,
    )
  );
}

const text = (render: (i: HostReportInput) => string, name: string, description: string) =>
  ({
    name,
    description,
    needsRecording: false,
    binary: false,
    render,
  }) satisfies Reporter<HostReportInput>;

export const HOST_REPORTERS: readonly Reporter<HostReportInput>[] = [
  text(formatHostTable, "table", "aligned columns: what the host measured (the default)"),
  text(
    (i) => `${JSON.stringify(hostReportDocument(i), null, 2)}\n`,
    "json",
    "the versioned pagemig-report document with a host field (docs/report-json.md)",
  ),
  text((i) => resultsCsv(HOST_PROFILE, HOST_SEED, i.results), "csv", "one CSV row per result"),
];

/**
 * The default human output: the benchmark table (one row per configuration), then where the
 * time of a call went (wall time per phase, when folios became accessible again, CPU time by
 * kind of work).
 */
import { formatSize } from "../machine/units.js";
import { PHASES } from "../migrate/exec.js";
import type { CpuByKind } from "../workload/measurements.js";
import type { MeanSd, MovePagesBenchResult } from "../workload/move-pages-bench.js";
import type { Reporter } from "./reporter.js";

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  "))
    .join("\n")
    .concat("\n");
}

/** Columns that only some reports have: their headers and each result's cells. */
interface OptionalColumns {
  header: string[];
  cell: (r: MovePagesBenchResult) => string[];
}

const NO_COLUMNS: OptionalColumns = { header: [], cell: () => [] };

/** The CPU load column, shown only when some configuration ran on a busy machine. */
function loadColumn(results: readonly MovePagesBenchResult[]): OptionalColumns {
  return results.some((r) => r.cpuLoad > 0)
    ? { header: ["CPU-LOAD"], cell: (r) => [String(r.cpuLoad)] }
    : NO_COLUMNS;
}

/**
 * Decimals that show `gbps` to 3 significant digits below 1 GB/s (a faulty or tiny call's
 * 0.0591 would read 0.00 at two), and to two decimals from 1 GB/s up.
 */
function gbpsDecimals(gbps: number): number {
  const rounded = Number(gbps.toPrecision(3));
  if (!(rounded > 0) || rounded >= 1) return 2;
  return 2 - Math.floor(Math.log10(rounded));
}

/** A throughput and its SD, both at the decimals of the mean: `0.0591 ± 0.0002`. */
export function formatGBps(t: MeanSd): string {
  const decimals = gbpsDecimals(t.mean);
  return `${t.mean.toFixed(decimals)} ± ${t.sd.toFixed(decimals)}`;
}

/** With --inject, each fault that fired and how often, by name: `alloc-fail=2,dma-timeout=1`. */
function faultsCell(r: MovePagesBenchResult): string {
  if (r.faultsFired === undefined) return "-";
  const fired = Object.entries(r.faultsFired).sort(([a], [b]) => (a < b ? -1 : 1));
  return fired.length === 0 ? "none" : fired.map(([kind, n]) => `${kind}=${n}`).join(",");
}

/** The fault columns, shown only when some configuration ran with faults injected. */
function faultColumns(results: readonly MovePagesBenchResult[]): OptionalColumns {
  return results.some((r) => r.faultsFired !== undefined)
    ? {
        header: ["FOLIOS-NOT-MIGRATED", "FAULTS-FIRED"],
        cell: (r) => [String(r.foliosNotMigrated ?? "-"), faultsCell(r)],
      }
    : NO_COLUMNS;
}

/** "17 (16 used)" when a DMA migrator obtained fewer channels than nr_dma_chan asked for. */
function workersCell(r: MovePagesBenchResult): string {
  return r.channelsUsed === undefined || r.channelsUsed === r.workers
    ? String(r.workers)
    : `${r.workers} (${r.channelsUsed} used)`;
}

function formatBenchTable(results: readonly MovePagesBenchResult[]): string {
  const load = loadColumn(results);
  const faults = faultColumns(results);
  const rows = results.map((r) => [
    r.migrator,
    workersCell(r),
    formatSize(r.folioSizeBytes),
    String(r.folioCount),
    String(r.batchPages),
    ...load.cell(r),
    formatGBps(r.throughputGBps),
    `${(r.copyFraction * 100).toFixed(1)}%`,
    r.firstFolioLatencyUs.toFixed(1),
    (r.cpuTimeUs / 1000).toFixed(2),
    String(r.tlbFlushIpis),
    ...(r.hostCopyGBps === undefined ? [] : [r.hostCopyGBps.toFixed(2), String(r.pagesVerified)]),
    ...faults.cell(r),
  ]);
  const verified = results.some((r) => r.hostCopyGBps !== undefined);
  const header = [
    "MIGRATOR",
    "WORKERS",
    "FOLIO",
    "FOLIOS",
    "BATCH",
    ...load.header,
    "GB/s",
    "COPY",
    "FIRST-FOLIO-us",
    "CPU-ms",
    "IPIS",
    ...(verified ? ["HOST-COPY-GB/s", "PAGES-VERIFIED"] : []),
    ...faults.header,
  ];
  return formatTable(header, rows);
}

const CPU_KINDS: readonly { key: keyof CpuByKind; header: string }[] = [
  { key: "syscall", header: "CPU-SYSCALL-ms" },
  { key: "copyThreads", header: "CPU-COPY-THREADS-ms" },
  { key: "irq", header: "CPU-IRQ-ms" },
];

/**
 * Per configuration: the wall time of each phase (they add up to the call), the median and
 * 99th percentile of when folios became accessible again, and CPU time by kind. A kind of CPU
 * work no configuration did (copy threads without mtcopy, interrupts without DMA) is left out.
 */
function formatBreakdownTable(results: readonly MovePagesBenchResult[]): string {
  const kinds = CPU_KINDS.filter((k) => results.some((r) => r.cpuByKind[k.key] !== 0));
  const load = loadColumn(results);
  const header = [
    "MIGRATOR",
    "WORKERS",
    "FOLIO",
    "BATCH",
    ...load.header,
    ...PHASES.map((p) => `${p.toUpperCase()}-us`),
    "FOLIO-P50-us",
    "FOLIO-P99-us",
    ...kinds.map((k) => k.header),
  ];
  const rows = results.map((r) => [
    r.migrator,
    workersCell(r),
    formatSize(r.folioSizeBytes),
    String(r.batchPages),
    ...load.cell(r),
    ...PHASES.map((p) => r.phases[p].wallUs.toFixed(1)),
    r.folioLatencyUs.median.toFixed(1),
    r.folioLatencyUs.p99.toFixed(1),
    ...kinds.map((k) => (r.cpuByKind[k.key] / 1000).toFixed(2)),
  ]);
  return formatTable(header, rows);
}

export const reporter: Reporter = {
  name: "table",
  description: "aligned columns for a terminal: results, then time per phase (the default)",
  needsRecording: false,
  binary: false,
  render: (input) => `${formatBenchTable(input.results)}\n${formatBreakdownTable(input.results)}`,
};

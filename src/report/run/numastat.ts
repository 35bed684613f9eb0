/**
 * `--reporter numastat`: each process's memory per node in the layout of `numastat -p PID`
 * (numactl's numastat.c, show_process_info, as it prints to a file or pipe: no folding, widths
 * not compressed), once as the run's first interval ends and once as its last one does. Each
 * snapshot is headed by a `#` line saying when it is, which numastat never prints, so a reader
 * can split the file into numastat's own outputs.
 *
 * Rows are numastat's: Huge, Heap, Stack, Private, then Total. numastat files a numa_maps line
 * under Huge only for hugetlbfs mappings ("huge"), under Heap and Stack only for the brk heap
 * and stacks; anonymous mmap memory, THPs included (numa_maps counts a THP's base pages in
 * N<node>=), is Private. Every region of the model is anonymous mmap memory, so Private holds
 * all of it, its THP-backed regions too, and the other rows are 0.
 *
 * PIDs are the processes' pids on the emulated machine (series.processes[].pid).
 */
import type { Reporter } from "../reporter.js";
import type { RunReportInput } from "./input.js";

const MB = 1024 * 1024;
/** numastat's data columns; its label column, fitted to the longest label (7) or 16, plus 1. */
const COLUMN_WIDTH = 16;
const LABEL_WIDTH = 17;

/** `%.2f` of `bytes` in MBs as glibc prints it: to the nearest hundredth, ties to even. */
export function formatMb(bytes: number): string {
  // Exact: bytes * 100 stays below 2^53 for any node the model lays out, and MB is 2^20.
  const hundredths = (bytes * 100) / MB;
  let n = Math.floor(hundredths);
  const rest = hundredths - n;
  if (rest > 0.5 || (rest === 0.5 && n % 2 === 1)) n++;
  return `${Math.floor(n / 100)}.${String(n % 100).padStart(2, "0")}`;
}

const line = (label: string, cells: readonly string[]) =>
  label.padEnd(LABEL_WIDTH) + cells.map((c) => c.padStart(COLUMN_WIDTH)).join("");

/** One `numastat -p` table: bytes of the process on each node, nodes in increasing order. */
export function processTable(pid: number, name: string, bytesByNode: Map<number, number>): string {
  const nodes = [...bytesByNode.keys()].sort((a, b) => a - b);
  const bytes = nodes.map((n) => bytesByNode.get(n) ?? 0);
  const total = bytes.reduce((a, b) => a + b, 0);
  const values = [...bytes, total].map(formatMb);
  const zeros = values.map(() => formatMb(0));
  const rule = "-".repeat(COLUMN_WIDTH - 1);
  return [
    "",
    `Per-node process memory usage (in MBs) for PID ${pid} (${name})`,
    line("", [...nodes.map((n) => `Node ${n}`), "Total"]),
    line(
      "",
      values.map(() => rule),
    ),
    line("Huge", zeros),
    line("Heap", zeros),
    line("Stack", zeros),
    line("Private", values),
    line(
      "-".repeat(LABEL_WIDTH - 1),
      values.map(() => rule),
    ),
    line("Total", values),
  ]
    .map((l) => `${l}\n`)
    .join("");
}

/** Blocks, one per snapshot: a `#` line, then numastat's output, which opens with a blank line. */
function renderNumastat(input: RunReportInput): string {
  const blocks: string[] = [];
  for (const { settings, result } of input.runs) {
    const { series } = result;
    const run = settings.length === 0 ? "" : `${settings.join(" ")}, `;
    const last = series.timeNs.length - 1;
    if (last < 0) {
      blocks.push(
        `# ${run}no interval ended: the run is shorter than one (${series.intervalNs} ns)\n`,
      );
      continue;
    }
    for (const [i, which] of [
      [0, "first"],
      [last, "last"],
    ] as const) {
      const ms = (series.timeNs[i] / 1e6).toFixed(3);
      const tables = series.processes.map((p) => {
        const bytes = new Map(Object.entries(p.bytesByNode).map(([n, b]) => [Number(n), b[i]]));
        return processTable(p.pid, p.name, bytes);
      });
      blocks.push(
        `# ${run}at ${ms} ms of virtual time (the end of the ${which} interval)\n${tables.join("")}`,
      );
    }
  }
  return blocks.join("\n");
}

export const reporter: Reporter<RunReportInput> = {
  name: "numastat",
  description:
    "each process's memory per node as `numastat -p PID` prints it, at the first and last interval's end",
  needsRecording: false,
  binary: false,
  render: renderNumastat,
};

/**
 * `pagemig run`'s default output: per run, each thread's operations per second, its time
 * stalled in migration entries and where its accesses went, each mover's calls and throughput,
 * why each process did what it did, and the migration counters; with --sweep, a table of every
 * run's totals against the first run's.
 */
import type { CompactionResult, ScenarioResult } from "../../workload/app/run-scenario.js";
import type { Reporter } from "../reporter.js";
import { formatTable } from "../table.js";
import type { RunReportInput, ScenarioRun } from "./input.js";

/** A run's figures summed over its threads (and movers), as the sweep table and html show them. */
export function totals(r: ScenarioResult) {
  return {
    mops: r.threads.reduce((a, t) => a + t.opsPerSec, 0) / 1e6,
    stalledMs: r.threads.reduce((a, t) => a + t.stallNs, 0) / 1e6,
    cpuLostMs: r.threads.reduce((a, t) => a + t.cpuLostNs, 0) / 1e6,
    kernelCpuMs: kernelCpuNs(r) / 1e6,
    moverGBps: r.movers.length === 0 ? 0 : r.movers.reduce((a, m) => a + m.gbps, 0),
  };
}

/** CPU time of kernel work (migrating tasks, kworkers, kswapd, kcompactd, kpromoted, interrupts) over the run, ns. */
function kernelCpuNs(r: ScenarioResult): number {
  const k = r.cpu.byKind;
  return (
    (k.migrate ?? 0) +
    (k.kworker ?? 0) +
    (k.kswapd ?? 0) +
    (k.kcompactd ?? 0) +
    (k.kpromoted ?? 0) +
    (k.irq ?? 0)
  );
}

/** One row per run of a sweep, with each figure's difference to the first run's. */
function formatSweep(runs: readonly ScenarioRun[]): string {
  const first = totals(runs[0].result);
  const diff = (x: number, base: number) =>
    base === 0 ? "-" : `${x >= base ? "+" : ""}${(((x - base) / base) * 100).toFixed(1)}%`;
  return `${formatTable(
    [
      "RUN",
      "MOPS/s",
      "VS-FIRST",
      "STALLED-ms",
      "VS-FIRST",
      "CPU-LOST-ms",
      "KERNEL-CPU-ms",
      "MOVER-GB/s",
      "VS-FIRST",
    ],
    runs.map(({ settings, result }) => {
      const t = totals(result);
      return [
        settings.join(" "),
        fmt(t.mops, 3),
        diff(t.mops, first.mops),
        fmt(t.stalledMs, 3),
        diff(t.stalledMs, first.stalledMs),
        fmt(t.cpuLostMs, 3),
        fmt(t.kernelCpuMs, 3),
        fmt(t.moverGBps),
        diff(t.moverGBps, first.moverGBps),
      ];
    }),
  )}\nMOPS/s, STALLED-ms and CPU-LOST-ms (CPU time the threads lost to copy threads and movers sharing their CPUs) are summed over every thread; KERNEL-CPU-ms is the CPU time of migrating tasks, kworkers and interrupts; MOVER-GB/s over the movers.\n${formatProcessSweep(runs, diff)}`;
}

/**
 * With several processes, each one's ops/s against the first run's: the application's gain,
 * which the total would blur with a filler's or a neighbour's.
 */
function formatProcessSweep(
  runs: readonly ScenarioRun[],
  diff: (x: number, base: number) => string,
): string {
  const mops = (r: ScenarioResult, name: string) =>
    r.threads.filter((t) => t.process === name).reduce((a, t) => a + t.opsPerSec, 0) / 1e6;
  const names = [...new Set(runs[0].result.threads.map((t) => t.process))];
  if (names.length < 2) return "";
  return `\n${formatTable(
    ["RUN", ...names.flatMap((n) => [`${n} MOPS/s`, "VS-FIRST"])],
    runs.map(({ settings, result }) => [
      settings.join(" "),
      ...names.flatMap((n) => [
        fmt(mops(result, n), 3),
        diff(mops(result, n), mops(runs[0].result, n)),
      ]),
    ]),
  )}\nEach process's MOPS/s summed over its threads.\n`;
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);

/** Per process, why its threads did what they did: the time of one operation and what bound it. */
export function whySentences(r: ScenarioResult): string[] {
  const names = [...new Set(r.threads.map((t) => t.process))];
  return names.map((name) => {
    const ts = r.threads.filter((t) => t.process === name);
    const mean = (f: (t: (typeof ts)[number]) => number) =>
      ts.reduce((a, t) => a + f(t), 0) / ts.length;
    const access = mean((t) => t.meanAccessNs);
    const compute = mean((t) => t.computeNs);
    const mlp = mean((t) => t.mlp);
    const stalled = mean((t) => t.stallNs) / r.durationNs;
    const lost = mean((t) => t.cpuLostNs) / r.durationNs;
    const bound = mean((t) => t.bandwidthBoundShare);
    const parts = [
      `${name}: ${fmt(mean((t) => t.opsPerSec) / 1e6, 3)} Mops/s per thread, each operation ${fmt(compute, 0)} ns of compute and a ${fmt(access, 0)} ns access${mlp > 1 ? ` / ${fmt(mlp, 0)} in flight` : ""} (mean over the run, loaded; ${(mean((t) => t.remoteShare) * 100).toFixed(0)}% of accesses to another node)`,
      `${(stalled * 100).toFixed(1)}% of the time stalled in migration entries`,
    ];
    if (lost > 0) parts.push(`${(lost * 100).toFixed(1)}% of its CPU lost to kernel work`);
    if (bound > 0) parts.push(`memory bandwidth bound it ${(bound * 100).toFixed(0)}% of the time`);
    return `${parts.join("; ")}.`;
  });
}

/** The run's CPU time by task kind and by cgroup, in ms, leaving out kinds that used none. */
function cpuUseLine(r: ScenarioResult): string {
  const list = (rec: Record<string, number>) =>
    Object.entries(rec)
      .filter(([, ns]) => ns > 0)
      .map(([name, ns]) => `${name} ${fmt(ns / 1e6, 3)}`)
      .join(", ");
  return `CPU time, ms: ${list(r.cpu.byKind)}; by cgroup: ${list(r.cpu.byCgroup)}`;
}

/** THP faults served, and what compaction cost: the faulting tasks' time, kcompactd's CPU. */
function compactionLine(c: CompactionResult): string {
  const faults = c.thpFaultAlloc + c.thpFaultFallback;
  return (
    `THP faults: ${c.thpFaultAlloc} of ${faults} got a THP (${(c.thpSuccess * 100).toFixed(1)}%), ${c.thpFaultFallback} fell back to 4K; ` +
    `direct compaction: ${c.directCompactions} stalls, ${fmt(c.directCompactNs / 1e6, 3)} ms; ` +
    `late processes' fault-in ${fmt(c.faultInNs / 1e6, 3)} ms; kcompactd CPU ${fmt(c.kcompactdCpuNs / 1e6, 3)} ms; ` +
    `compaction moved ${c.migratedFolios} folios (${fmt(c.migratedBytes / 2 ** 20, 1)} MiB)`
  );
}

/** "serial", "mtcopy 8 threads", "dcbm 2 channels": the copy engine as the scenario sets it. */
export function engineText(r: ScenarioResult): string {
  return [
    r.engine.migrator,
    r.engine.threads !== undefined ? `${r.engine.threads} threads` : "",
    r.engine.channels !== undefined ? `${r.engine.channels} channels` : "",
  ]
    .filter((x) => x !== "")
    .join(" ");
}

function formatRun(r: ScenarioResult): string {
  let out = `profile ${r.profile}, ${fmt(r.durationNs / 1e6, 1)} ms of virtual time, engine ${engineText(r)}, seed ${r.seed}\n\n`;
  out += `${formatTable(
    [
      "PROCESS",
      "CPU",
      "REGION",
      "MOPS/s",
      "STALLED-ms",
      "STALLS",
      "US/STALL",
      "CPU-LOST-ms",
      "REMOTE",
    ],
    r.threads.map((t) => [
      t.process,
      String(t.cpu),
      t.region,
      fmt(t.opsPerSec / 1e6, 3),
      fmt(t.stallNs / 1e6, 3),
      String(t.stalls),
      t.stalls === 0 ? "-" : fmt(t.stallNs / t.stalls / 1e3, 2),
      fmt(t.cpuLostNs / 1e6, 3),
      `${(t.remoteShare * 100).toFixed(0)}%`,
    ]),
  )}`;
  if (r.movers.length > 0) {
    out += `\n${formatTable(
      ["MOVER", "REGION", "CALLS", "FOLIOS", "BUSY-ms", "GB/s"],
      r.movers.map((m) => [
        m.process,
        m.region,
        String(m.calls),
        String(m.foliosMoved),
        fmt(m.busyNs / 1e6, 3),
        fmt(m.gbps),
      ]),
    )}`;
  }
  out += `\n${whySentences(r).join("\n")}\n`;
  out += `\n${cpuUseLine(r)}\n`;
  if (r.compaction !== undefined) out += `\n${compactionLine(r.compaction)}\n`;
  const counters = Object.entries(r.vmstat).map(([name, n]) => `${name} ${n}`);
  out += `\nvmstat: ${counters.join(", ")}\n`;
  return out;
}

function renderTable(input: RunReportInput): string {
  if (input.sweep.length === 0) return formatRun(input.runs[0].result);
  return `${input.runs.map((r) => `${r.settings.join(" ")}\n${formatRun(r.result)}`).join("\n")}\n${formatSweep(input.runs)}`;
}

export const reporter: Reporter<RunReportInput> = {
  name: "table",
  description:
    "aligned columns for a terminal: threads, movers, why, vmstat; a sweep adds its totals (the default)",
  needsRecording: false,
  binary: false,
  render: renderTable,
};

/**
 * The time series of `pagemig run` as charts: operations per second of each process, its
 * memory on each node, the migration rate by reason, one line per run of a sweep (and per
 * process or reason where there are several); CPU time by kind and the utilisation of the
 * busiest links, a colour per kind or link and a dash per run. A chart with nothing to show
 * (no interval ended, no migration) is left out.
 *
 * A run of many short intervals (the ping-pong's 2000 of 50 µs) has more points than the plot
 * has pixels, and its lines would fill the plot solid; so consecutive intervals are merged, k
 * at a time, until a line has at most MAX_POINTS points: a rate over a merged interval is the
 * mean of its intervals' rates (the rate over the longer interval, exactly), memory is the
 * level at its end.
 */

import type { Encoding } from "vega-lite/types_unstable/encoding.js";
import type { ScenarioSeries } from "../../workload/app/run-scenario.js";
import type { ChartPlan } from "../charts/render.js";
import { CHART_WIDTH, legendHeight, seriesColor, uniqueLabels } from "../charts/series.js";
import type { RunReportInput } from "./input.js";

const PLOT_HEIGHT = 300;
type LineEncoding = Encoding<string>;
const MIB = 1024 * 1024;
/** Points per line at most: about one per two pixels of the plot. */
export const MAX_POINTS = 400;

/** A series' intervals merged `k` at a time (the last group may be shorter). */
export function mergeIntervals(series: Pick<ScenarioSeries, "timeNs">) {
  const n = series.timeNs.length;
  const k = Math.max(1, Math.ceil(n / MAX_POINTS));
  const groups: number[][] = [];
  for (let i = 0; i < n; i += k) {
    groups.push(Array.from({ length: Math.min(k, n - i) }, (_, j) => i + j));
  }
  return {
    k,
    /** The end of each merged interval, ms. */
    ms: groups.map((g) => series.timeNs[g[g.length - 1]] / 1e6),
    rate: (values: readonly number[]) =>
      groups.map((g) => g.reduce((a, i) => a + values[i], 0) / g.length),
    level: (values: readonly number[]) => groups.map((g) => values[g[g.length - 1]]),
  };
}

/** The sentence a note adds where intervals were merged. */
function mergedNote(input: RunReportInput): string {
  const all = input.runs.map((r) => r.result.series);
  if (all.every((s) => mergeIntervals(s).k === 1)) return "";
  const spans = new Set(all.map((s) => `${(mergeIntervals(s).k * s.intervalNs) / 1e3} µs`));
  return ` Each point covers ${[...spans].join(", ")}: the run's intervals merged so that a line has at most ${MAX_POINTS} points.`;
}

/** The colour channel: a legend under the plot only when there is more than one line. */
function color(series: string[]) {
  return series.length > 1 ? seriesColor(series) : { ...seriesColor(series), legend: null };
}

const heightFor = (series: string[]) =>
  PLOT_HEIGHT + (series.length > 1 ? legendHeight(series.length) : 0);

/** Names of a run's process in legends: the run's settings with a sweep, the process where several. */
function namer(input: RunReportInput): (run: number, process: string) => string {
  const runs = uniqueLabels(input.runs.map((r) => r.settings.join(" ")));
  const names = new Set(input.runs.flatMap((r) => r.result.series.processes.map((p) => p.name)));
  const sweep = input.sweep.length > 0;
  const showProcess = names.size > 1 || !sweep;
  return (run, process) =>
    [sweep ? runs[run] : "", showProcess ? process : ""].filter((s) => s !== "").join(": ");
}

/** Time on the x axis, from 0 to the longest run's last interval. */
function timeAxis(input: RunReportInput) {
  const end = Math.max(...input.runs.map((r) => r.result.series.timeNs.at(-1) ?? 0)) / 1e6;
  return {
    field: "ms",
    type: "quantitative" as const,
    title: "virtual time (ms)",
    scale: { domain: [0, end], nice: false },
  };
}

/** A rate over time as step lines, one per series (a process, or a run of a sweep). */
function rateChart(
  input: RunReportInput,
  head: { id: string; title: string; note: string },
  values: { series: string }[],
  y: { field: string; title: string },
): ChartPlan {
  const series = [...new Set(values.map((v) => v.series))];
  return stepLines(input, head, values, y, { color: color(series) }, heightFor(series));
}

/** Step lines over time of `values`, drawn apart by `channels` (a colour, a dash). */
function stepLines(
  input: RunReportInput,
  head: { id: string; title: string; note: string },
  values: object[],
  y: { field: string; title: string },
  channels: Partial<Pick<LineEncoding, "color" | "strokeDash">>,
  height: number,
): ChartPlan {
  return {
    ...head,
    spec: {
      data: { values },
      mark: { type: "line", interpolate: "step-before" },
      encoding: {
        x: timeAxis(input),
        y: { field: y.field, type: "quantitative", title: y.title },
        ...channels,
      },
    },
    size: { width: CHART_WIDTH, height },
  };
}

function opsChart(input: RunReportInput, name: ReturnType<typeof namer>): ChartPlan {
  const values = input.runs.flatMap(({ result: { series } }, run) => {
    const merged = mergeIntervals(series);
    return series.processes.flatMap((p) => {
      const mops = merged.rate(p.opsPerSec);
      return merged.ms.map((ms, i) => ({ series: name(run, p.name), ms, mops: mops[i] / 1e6 }));
    });
  });
  const note =
    "Operations (accesses and the compute between them) per second of virtual time of all of a " +
    "process's threads, over each interval. Stalls in migration entries, remote or loaded " +
    `memory and CPU lost to kernel work all show as dips.${mergedNote(input)}`;
  return rateChart(input, { id: "ops", title: "Operations per second over time", note }, values, {
    field: "mops",
    title: "operations per second (millions)",
  });
}

function memoryChart(input: RunReportInput, name: ReturnType<typeof namer>): ChartPlan {
  const values = input.runs.flatMap(({ result: { series } }, run) => {
    const merged = mergeIntervals(series);
    return series.processes.flatMap((p) =>
      Object.entries(p.bytesByNode).flatMap(([node, bytes]) => {
        const level = merged.level(bytes);
        return merged.ms.map((ms, i) => ({
          series: name(run, p.name),
          node: `node ${node}`,
          ms,
          mib: level[i] / MIB,
        }));
      }),
    );
  });
  const series = [...new Set(values.map((v) => v.series))];
  const nodes = [...new Set(values.map((v) => v.node))];
  const byNode = { field: "node", type: "nominal" as const, title: null, sort: nodes };
  // One line per run and process in its colour, a dash per node; with one, a colour per node.
  const lines =
    series.length > 1
      ? {
          color: color(series),
          strokeDash: {
            ...byNode,
            legend: { orient: "top" as const, direction: "horizontal" as const },
          },
        }
      : {
          color: {
            ...byNode,
            legend: { orient: "top" as const, direction: "horizontal" as const },
          },
        };
  return {
    id: "memory",
    title: "Memory on each node over time",
    note:
      "Bytes of each process's regions on each node at the end of every interval, as numastat -p " +
      "shows them. A migration moves a process's memory from one node's line to another's." +
      mergedNote(input),
    spec: {
      data: { values },
      mark: { type: "line" },
      encoding: {
        x: timeAxis(input),
        y: { field: "mib", type: "quantitative", title: "memory (MiB)" },
        ...lines,
      },
    },
    size: { width: CHART_WIDTH, height: heightFor(series) + 30 },
  };
}

/** The runs' names for legends: their settings, or `fallback` without a sweep. */
const runLabels = (input: RunReportInput, fallback: string) =>
  uniqueLabels(input.runs.map((r) => r.settings.join(" ") || fallback));

function migrationChart(input: RunReportInput): ChartPlan {
  const runs = runLabels(input, "");
  const values = input.runs.flatMap(({ result: { series } }, run) => {
    const merged = mergeIntervals(series);
    return Object.entries(series.migrations).flatMap(([reason, r]) => {
      const gbps = merged.rate(r.gbps);
      const label = [runs[run], reason].filter((t) => t !== "").join(": ");
      return merged.ms.map((ms, i) => ({ series: label, ms, gbps: gbps[i] }));
    });
  });
  const note =
    "Bytes of the folios migrate_pages() moved to their destination per second of virtual " +
    "time over each interval, by the reason of the migration (enum migrate_reason: MR_SYSCALL " +
    "for move_pages(2) and migrate_pages(2)); a folio counts whole in the interval it is " +
    `remapped in (GB/s is 10^9 bytes per second). Folios per second are in the JSON and CSV reports.${mergedNote(input)}`;
  return rateChart(
    input,
    { id: "migration", title: "Migration rate by reason over time", note },
    values,
    { field: "gbps", title: "migration (GB/s)" },
  );
}

/**
 * Lines of one quantity over time: a colour per `line` (a kind of CPU work, a resource) and,
 * with a sweep, a dash per run.
 */
function dashedLines(
  input: RunReportInput,
  head: { id: string; title: string; note: string },
  values: { line: string; run: string; ms: number }[],
  y: { field: string; title: string },
): ChartPlan {
  const lines = [...new Set(values.map((v) => v.line))];
  const runs = [...new Set(values.map((v) => v.run))];
  const top = { orient: "top" as const, direction: "horizontal" as const };
  const dash =
    input.sweep.length > 0
      ? {
          strokeDash: {
            field: "run",
            type: "nominal" as const,
            title: null,
            sort: runs,
            legend: top,
          },
        }
      : {};
  const channels = { color: { ...seriesColor(lines), field: "line" }, ...dash };
  return stepLines(input, head, values, y, channels, PLOT_HEIGHT + legendHeight(lines.length) + 30);
}

const CPU_KIND_NAMES: Record<string, string> = {
  application: "application threads",
  migratingTasks: "migrating tasks",
  copyThreads: "copy threads (kworkers)",
  irq: "interrupts",
};

function cpuChart(input: RunReportInput): ChartPlan {
  const runs = runLabels(input, "run");
  // A kind no run used is left out of the legend.
  const used = new Set(
    input.runs.flatMap(({ result: { series } }) =>
      Object.entries(series.cpuNs)
        .filter(([, ns]) => ns.some((v) => v > 0))
        .map(([kind]) => kind),
    ),
  );
  const values = input.runs.flatMap(({ result: { series } }, run) => {
    const merged = mergeIntervals(series);
    return Object.entries(series.cpuNs)
      .filter(([kind]) => used.has(kind))
      .flatMap(([kind, ns]) => {
        const cpus = merged.rate(ns.map((v) => v / series.intervalNs));
        const line = CPU_KIND_NAMES[kind] ?? kind;
        return merged.ms.map((ms, i) => ({ line, run: runs[run], ms, cpus: cpus[i] }));
      });
  });
  const note =
    "CPU time of each kind of work over each interval, as CPUs busy on average: the " +
    "applications' threads (less the time they were stalled), the tasks in a migration " +
    "system call, mtcopy's copy threads and DMA completion interrupts. A migrating task's " +
    "work is charged a batch at a time; what exceeds its CPU in one interval counts in the " +
    `next.${mergedNote(input)}`;
  return dashedLines(input, { id: "cpu", title: "CPU time by kind over time", note }, values, {
    field: "cpus",
    title: "CPUs busy",
  });
}

/** Resources drawn in the utilisation chart at most: the busiest at their peak. */
export const MAX_LINKS = 6;

function linksChart(input: RunReportInput): ChartPlan {
  const runs = runLabels(input, "run");
  const peak = new Map<string, number>();
  for (const { result } of input.runs) {
    for (const [name, u] of Object.entries(result.series.utilisation)) {
      peak.set(name, Math.max(peak.get(name) ?? 0, ...u));
    }
  }
  const busiest = [...peak.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_LINKS)
    .map(([name]) => name);
  const values = input.runs.flatMap(({ result: { series } }, run) => {
    const merged = mergeIntervals(series);
    return busiest.flatMap((line) => {
      const u = merged.rate(series.utilisation[line] ?? series.timeNs.map(() => 0));
      return merged.ms.map((ms, i) => ({ line, run: runs[run], ms, percent: u[i] * 100 }));
    });
  });
  const left = peak.size - busiest.length;
  const note =
    "The share of each resource's capacity that the flows crossing it used over each interval " +
    "(a time average): memory controllers (memN), CCD read and write links (ccdN.rd, ccdN.wr), " +
    "the coherent cross-socket limits (.remote), the socket links (xgmiA->B) and DMA engines. " +
    `Application traffic and migration copies share them.${left > 0 ? ` The ${MAX_LINKS} busiest at their peak are drawn; ${left} more that carried less are in the JSON and CSV reports.` : ""}${mergedNote(input)}`;
  return dashedLines(
    input,
    { id: "links", title: "Link and memory utilisation over time", note },
    values,
    { field: "percent", title: "utilisation (%)" },
  );
}

/** What to draw for these runs, in page order. */
export function runChartPlans(input: RunReportInput): ChartPlan[] {
  if (!input.runs.some((r) => r.result.series.timeNs.length > 0)) return [];
  const name = namer(input);
  const plans = [opsChart(input, name), memoryChart(input, name)];
  if (input.runs.some((r) => Object.keys(r.result.series.migrations).length > 0)) {
    plans.push(migrationChart(input));
  }
  plans.push(cpuChart(input));
  if (input.runs.some((r) => Object.keys(r.result.series.utilisation).length > 0)) {
    plans.push(linksChart(input));
  }
  return plans;
}

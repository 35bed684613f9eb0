import { describe, expect, it } from "vitest";
import { expectGolden } from "../../test-support/golden.js";
import { renderChart } from "../charts/render.js";
import { MAX_LINKS, MAX_POINTS, mergeIntervals, runChartPlans } from "./charts.js";
import type { RunReportInput } from "./input.js";
import { pingPongInput, pingPongSweepInput } from "./run.case.js";

type Values = { series: string; node?: string; ms: number }[];
function values(input: RunReportInput, id: string): Values {
  const plan = runChartPlans(input).find((p) => p.id === id);
  if (plan === undefined) throw new Error(`no chart ${id}`);
  return (plan.spec as { data: { values: Values } }).data.values;
}

describe("run charts", () => {
  it("draws ops/s, memory per node, migration GB/s, CPU by kind and links of a sweep as their golden SVGs", () => {
    const charts = runChartPlans(pingPongSweepInput()).map(renderChart);
    expect(charts.map((c) => c.id)).toEqual(["ops", "memory", "migration", "cpu", "links"]);
    for (const c of charts) {
      expectGolden(`run/chart-${c.id}.svg`, c.svg);
      expect(c.title).not.toBe("");
      expect(c.note).not.toBe("");
    }
  });

  it("draws a line per run of a sweep, per process without one, per node for memory", () => {
    const sweep = pingPongSweepInput();
    const names = (input: RunReportInput, id: string) => [
      ...new Set(values(input, id).map((v) => v.series)),
    ];
    expect(names(sweep, "ops")).toEqual(["engine.migrator=serial", "engine.migrator=dcbm"]);
    expect(names(sweep, "migration")).toEqual(names(sweep, "ops").map((n) => `${n}: MR_SYSCALL`));
    expect([...new Set(values(sweep, "memory").map((v) => v.node))]).toEqual(["node 0", "node 1"]);
    const one = pingPongInput();
    expect(names(one, "ops")).toEqual(["selftest"]);
    expect(names(one, "migration")).toEqual(["MR_SYSCALL"]);
    // One point per interval, at its end, in ms.
    const ops = values(one, "ops");
    expect(ops).toHaveLength(100);
    expect(ops[0].ms).toBe(0.05);
    expect(ops[99].ms).toBe(5);
  });

  it("leaves out the migration chart without migrations, and every chart without intervals", () => {
    const input = pingPongInput();
    const run = input.runs[0];
    const moved = { ...run.result.series, migrations: {} };
    const still = { ...input, runs: [{ ...run, result: { ...run.result, series: moved } }] };
    expect(runChartPlans(still).map((p) => p.id)).toEqual(["ops", "memory", "cpu", "links"]);
    const series = { ...run.result.series, timeNs: [], migrationGBps: [] };
    const none = { ...input, runs: [{ ...run, result: { ...run.result, series } }] };
    expect(runChartPlans(none)).toEqual([]);
  });

  it("merges intervals where a line would have more points than the plot has room for", () => {
    const n = 2 * MAX_POINTS + 3;
    const series = {
      intervalNs: 50_000,
      timeNs: Array.from({ length: n }, (_, i) => (i + 1) * 50_000),
      processes: [],
      migrationGBps: [],
    };
    const merged = mergeIntervals(series);
    expect(merged.k).toBe(3);
    expect(merged.ms).toHaveLength(Math.ceil(n / 3));
    expect(merged.ms.slice(0, 2)).toEqual([0.15, 0.3]);
    expect(merged.ms.at(-1)).toBe((n * 50_000) / 1e6);
    const values = series.timeNs.map((_, i) => i);
    // A rate over three intervals is their mean; the last group holds the remaining two.
    expect(merged.rate(values).slice(0, 2)).toEqual([1, 4]);
    expect(merged.rate(values).at(-1)).toBe(n - 1.5);
    expect(merged.level(values).slice(0, 2)).toEqual([2, 5]);
    expect(mergeIntervals({ ...series, timeNs: series.timeNs.slice(0, MAX_POINTS) }).k).toBe(1);
  });

  it("says in the notes how long a merged point is", () => {
    const input = pingPongInput();
    const run = input.runs[0];
    const n = 1000;
    const long = {
      ...run.result.series,
      timeNs: Array.from({ length: n }, (_, i) => (i + 1) * 50_000),
      processes: run.result.series.processes.map((p) => ({
        ...p,
        opsPerSec: Array(n).fill(1e6),
        bytesByNode: { "0": Array(n).fill(4096), "1": Array(n).fill(0) },
      })),
      migrationGBps: Array(n).fill(0),
      migrations: { MR_SYSCALL: { foliosPerSec: Array(n).fill(1), gbps: Array(n).fill(1) } },
      cpuNs: {
        application: Array(n).fill(1),
        migratingTasks: Array(n).fill(1),
        copyThreads: Array(n).fill(0),
        irq: Array(n).fill(0),
      },
      utilisation: { mem0: Array(n).fill(0.5) },
    };
    const plans = runChartPlans({
      ...input,
      runs: [{ ...run, result: { ...run.result, series: long } }],
    });
    for (const p of plans)
      expect(p.note).toMatch(/Each point covers 150 µs: the run's intervals merged/);
    expect(runChartPlans(input)[0].note).not.toMatch(/merged/);
  });
});

describe("run charts of CPU and links", () => {
  it("draws CPU as CPUs busy per kind that ran, and the busiest resources' utilisation in percent", () => {
    const input = pingPongSweepInput();
    const cpu = values(input, "cpu") as unknown as { line: string; ms: number; cpus: number }[];
    // No copy threads and, for serial, no interrupts: only the kinds that ran are drawn.
    expect([...new Set(cpu.map((v) => v.line))]).toEqual([
      "application threads",
      "migrating tasks",
      "interrupts",
    ]);
    const { series } = input.runs[0].result;
    const first = cpu.find((v) => v.line === "application threads" && v.ms === 0.05);
    expect(first?.cpus).toBeCloseTo(series.cpuNs.application[0] / series.intervalNs, 12);
    const links = values(input, "links") as unknown as { line: string; percent: number }[];
    const drawn = [...new Set(links.map((v) => v.line))];
    expect(drawn.length).toBe(Math.min(MAX_LINKS, Object.keys(series.utilisation).length));
    for (const v of links) expect(v.percent).toBeGreaterThanOrEqual(0);
    for (const v of links) expect(v.percent).toBeLessThanOrEqual(100 + 1e-9);
  });
});

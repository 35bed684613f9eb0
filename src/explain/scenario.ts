/**
 * Where an application's time went in a scenario run (`pagemig explain SCENARIO`), and what
 * changed against a reference run (the vanilla kernel, or a sweep's first run).
 *
 * Each thread's run is split without remainder. A late process's threads had not started
 * before its start time and fault-in; from then on, its CPU went to other tasks (user tasks
 * sharing its CPU), to kernel work on its CPU (copy threads, a mover's calls, kthreads), or to
 * the thread itself; of the thread's own time, some was spent waiting in migration entries and
 * in NUMA hint faults, and the rest ran operations: compute, memory accesses at the idle local
 * latency, the part of the access latency above it (pages on a remote or far node, queueing
 * under load), and waiting for bandwidth when the memory system delivered fewer bytes than the
 * thread could use. A process's shares are its threads' time summed over the threads.
 */
import type { CallerResult, ScenarioResult, ThreadResult } from "../workload/app/run-scenario.js";

/** The parts of a thread's run, in the order they are printed. */
export const TIME_PARTS = [
  "compute",
  "memoryLocal",
  "memoryExtra",
  "bandwidth",
  "migrationStall",
  "hintFault",
  "kernelWork",
  "otherTasks",
  "notStarted",
] as const;
export type TimePart = (typeof TIME_PARTS)[number];

export const TIME_PART_TEXT: Record<TimePart, string> = {
  compute: "compute between accesses",
  memoryLocal: "memory accesses at the local idle latency",
  memoryExtra: "memory latency above it (remote or far pages, load)",
  bandwidth: "waiting for memory bandwidth",
  migrationStall: "waiting in migration entries (migration_entry_wait)",
  hintFault: "NUMA hint faults (entry and handler, misplaced migrations included)",
  kernelWork: "CPU taken by kernel work on its CPUs (copy threads, migrating tasks, kthreads)",
  otherTasks: "CPU taken by other tasks on its CPUs",
  notStarted: "before it started (its process's start time and fault-in)",
};

export interface ProcessTime {
  process: string;
  threads: number;
  opsPerSec: number;
  /** Share of the threads' run time in each part, 0..1; they sum to 1. */
  shares: Record<TimePart, number>;
  /** Migration-entry waits, and their mean length, ns. */
  stalls: number;
  nsPerStall: number;
  hintFaults: number;
}

export interface ScenarioExplanation {
  /** What the run is: its engine and, with a sweep, its settings. */
  name: string;
  durationNs: number;
  processes: ProcessTime[];
  /** migrate_pages() by reason: the batches each caller offered. */
  callers: (CallerResult & { meanBatch: number })[];
  /** CPU time by kind, ns (ScenarioResult.cpu.byKind), kinds that used none left out. */
  cpuByKind: Record<string, number>;
}

export interface ScenarioComparison {
  run: ScenarioExplanation;
  reference: ScenarioExplanation;
  /** Per process present in both: its ops/s over the reference's, less 1. */
  gain: { process: string; gain: number }[];
}

/** One thread's run split into the parts, ns; they sum to the run's duration. */
export function threadTime(t: ThreadResult, durationNs: number): Record<TimePart, number> {
  const ops = (t.opsPerSec * durationNs) / 1e9;
  const own = Math.max(0, t.cpuNs - t.stallNs - t.hintFaultNs);
  const compute = Math.min(own, ops * t.computeNs);
  const memoryLocal = Math.min(own - compute, (ops * t.localAccessNs) / t.mlp);
  const memoryExtra = Math.min(
    own - compute - memoryLocal,
    (ops * Math.max(0, t.meanAccessNs - t.localAccessNs)) / t.mlp,
  );
  return {
    compute,
    memoryLocal,
    memoryExtra,
    bandwidth: own - compute - memoryLocal - memoryExtra,
    migrationStall: Math.min(t.stallNs, t.cpuNs),
    hintFault: Math.min(t.hintFaultNs, Math.max(0, t.cpuNs - t.stallNs)),
    kernelWork: t.cpuLostNs,
    otherTasks: Math.max(0, t.runNs - t.cpuNs - t.cpuLostNs),
    notStarted: durationNs - t.runNs,
  };
}

function processTimes(r: ScenarioResult): ProcessTime[] {
  const names = [...new Set(r.threads.map((t) => t.process))];
  return names.map((process) => {
    const ts = r.threads.filter((t) => t.process === process);
    const sums = Object.fromEntries(TIME_PARTS.map((p) => [p, 0])) as Record<TimePart, number>;
    for (const t of ts) {
      const parts = threadTime(t, r.durationNs);
      for (const p of TIME_PARTS) sums[p] += parts[p];
    }
    const all = TIME_PARTS.reduce((a, p) => a + sums[p], 0);
    const stalls = ts.reduce((a, t) => a + t.stalls, 0);
    const stallNs = ts.reduce((a, t) => a + t.stallNs, 0);
    return {
      process,
      threads: ts.length,
      opsPerSec: ts.reduce((a, t) => a + t.opsPerSec, 0),
      shares: Object.fromEntries(
        TIME_PARTS.map((p) => [p, all === 0 ? 0 : sums[p] / all]),
      ) as Record<TimePart, number>,
      stalls,
      nsPerStall: stalls === 0 ? 0 : stallNs / stalls,
      hintFaults: ts.reduce((a, t) => a + t.hintFaults, 0),
    };
  });
}

/** Where `r`'s applications' time went; `name` says which run it is. */
export function explainScenario(r: ScenarioResult, name: string): ScenarioExplanation {
  return {
    name,
    durationNs: r.durationNs,
    processes: processTimes(r),
    callers: r.callers.map((c) => ({ ...c, meanBatch: c.calls === 0 ? 0 : c.folios / c.calls })),
    cpuByKind: Object.fromEntries(Object.entries(r.cpu.byKind).filter(([, ns]) => ns > 0)),
  };
}

/** `run` against `reference`: each process's gain in ops/s. */
export function compareScenario(
  run: ScenarioExplanation,
  reference: ScenarioExplanation,
): ScenarioComparison {
  const gain = run.processes.flatMap((p) => {
    const ref = reference.processes.find((q) => q.process === p.process);
    return ref === undefined || ref.opsPerSec === 0
      ? []
      : [{ process: p.process, gain: p.opsPerSec / ref.opsPerSec - 1 }];
  });
  return { run, reference, gain };
}

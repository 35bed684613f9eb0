/**
 * CPU time by kind of work, read from where the model accounts it today: application threads
 * (AppThread.cpuNs, at the end of each quantum), the movers' migrating tasks and the completion
 * interrupts they take (their Exec, as the calls charge it), and copy threads (the migrator's
 * kworker CpuTime, as each work item returns). One function, so that a scheduler that keeps
 * CPU time per task kind replaces only this.
 *
 * Those places charge CPU time in lumps: a migrating task's work when it charges it, before the
 * virtual time it takes has passed (Exec's lazy charging, a batch at a time), a copy thread's
 * when its work item returns. `spreadCpu` turns the lumps into CPU time per interval that no
 * kind's CPUs could exceed.
 */
import type { CpuTime } from "../../copy/workqueue.js";
import type { App } from "./app.js";
import { type MoverStats, moverCpuNs } from "./movers.js";

/** CPU time of each kind so far, ns. */
export interface CpuByKind {
  /** Application threads, on their CPUs. */
  application: number;
  /** Tasks in a migration system call (the movers), on their CPUs, without interrupts. */
  migratingTasks: number;
  /** Copy threads: mtcopy's kworkers. */
  copyThreads: number;
  /** DMA completion interrupts, handled on the waiting task's CPU. */
  irq: number;
}

export const CPU_KINDS = ["application", "migratingTasks", "copyThreads", "irq"] as const;

/**
 * The CPU time of each kind so far into `out`, ns, in CPU_KINDS order: arrays rather than a
 * CpuByKind, as the series reads them every interval of a run.
 */
export function cpuTimeByKind(
  apps: readonly App[],
  movers: readonly MoverStats[],
  copyThreads: CpuTime | undefined,
  out: Float64Array,
): void {
  let application = 0;
  for (const app of apps) for (const t of app.threads) application += t.cpuNs;
  let migratingTasks = 0;
  let irq = 0;
  for (const m of movers) {
    const ns = moverCpuNs(m);
    migratingTasks += ns.task;
    irq += ns.irq;
  }
  out[0] = application;
  out[1] = migratingTasks;
  out[2] = copyThreads?.totalNs ?? 0;
  out[3] = irq;
}

/**
 * CPUs each kind can occupy at once, into `out` in CPU_KINDS order: its threads, its tasks,
 * the CPUs its kworkers ran on.
 */
export function cpuLanes(
  apps: readonly App[],
  movers: readonly MoverStats[],
  copyThreads: CpuTime | undefined,
  out: Float64Array,
): void {
  let threads = 0;
  for (const app of apps) threads += app.threads.length;
  out[0] = threads;
  out[1] = movers.length;
  out[2] = copyThreads?.busyCpus().length ?? 0;
  out[3] = movers.length;
}

/**
 * CPU time per interval from the time charged in it (all in CPU_KINDS order): each kind gets
 * what was charged, up to what its lanes could run in `intervalNs`, into `out`; the rest
 * carries over to the next interval (a lump charged ahead runs on after it). Updates `carry`,
 * the time not yet given out.
 */
export function spreadCpu(
  charged: Float64Array,
  lanes: Float64Array,
  intervalNs: number,
  carry: Float64Array,
  out: Float64Array,
): void {
  for (let j = 0; j < CPU_KINDS.length; j++) {
    const due = carry[j] + charged[j];
    out[j] = Math.min(due, lanes[j] * intervalNs);
    carry[j] = due - out[j];
  }
}

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

export function cpuTimeByKind(
  apps: readonly App[],
  movers: readonly MoverStats[],
  copyThreads: CpuTime | undefined,
): CpuByKind {
  let application = 0;
  for (const app of apps) for (const t of app.threads) application += t.cpuNs;
  let migratingTasks = 0;
  let irq = 0;
  for (const m of movers) {
    const ns = moverCpuNs(m);
    migratingTasks += ns.task;
    irq += ns.irq;
  }
  return { application, migratingTasks, copyThreads: copyThreads?.totalNs ?? 0, irq };
}

/** CPUs each kind can occupy at once: its threads, its tasks, the CPUs its kworkers ran on. */
export function cpuLanes(
  apps: readonly App[],
  movers: readonly MoverStats[],
  copyThreads: CpuTime | undefined,
): CpuByKind {
  return {
    application: apps.reduce((a, app) => a + app.threads.length, 0),
    migratingTasks: movers.length,
    copyThreads: copyThreads?.busyCpus().length ?? 0,
    irq: movers.length,
  };
}

/**
 * CPU time per interval from the time charged in it: each kind gets what was charged, up to
 * what its lanes could run in `intervalNs`; the rest carries over to the next interval (a
 * lump charged ahead runs on after it). Updates `carry`, the time not yet given out.
 */
export function spreadCpu(
  charged: CpuByKind,
  lanes: CpuByKind,
  intervalNs: number,
  carry: CpuByKind,
): CpuByKind {
  const out = { ...charged };
  for (const kind of CPU_KINDS) {
    const due = carry[kind] + charged[kind];
    out[kind] = Math.min(due, lanes[kind] * intervalNs);
    carry[kind] = due - out[kind];
  }
  return out;
}

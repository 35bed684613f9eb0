/**
 * The CPU scheduler: every task that wants a CPU (application threads, a busy machine's other
 * tasks, migrating tasks, kworkers and later kswapd and kcompactd) is runnable on one CPU's
 * runqueue or sleeping, and each CPU is shared among its runnable tasks as CFS shares it.
 *
 * A fluid model of CFS (kernel/sched/fair.c) rather than its time slices: a CPU's capacity is
 * divided among its runnable tasks in proportion to their load weights (nice levels through
 * sched_prio_to_weight), and re-divided whenever a task wakes, blocks or ends. Over any stretch
 * in which the runqueue does not change, a task of weight w on a runqueue of total weight W
 * gets w/W of the CPU, which is what CFS's vruntime ordering converges to over a few
 * scheduling periods (a few ms); shorter-term effects (wakeup preemption, slices, latency
 * nice) are not modelled.
 *
 * Accounting is lazy: a runqueue settles its tasks' CPU time only when it changes or is asked,
 * so a task alone on its CPU costs two settles per run, whatever it does in between.
 *
 * A task that needs `ns` of CPU (`runFor`) yields the delay that takes at its present share;
 * when its runqueue changes before then, the scheduler moves the waiting process's wakeup to
 * match the new share. The task must call `workDone`, `block` or `runFor` again as soon as it
 * resumes, which ends that piece of work.
 *
 * Interrupts (`irq`) preempt whatever runs on their CPU: while one runs, no task there gets CPU
 * time, and tasks' work completes that much later.
 *
 * Simplifications (docs/model.md): no periodic or idle load balancing (a task stays on the CPU
 * it was placed on; placement happens when a task is made, `selectIdleSibling`); cgroups are
 * for accounting only (no cpu.weight: a group's tasks compete as tasks); no real-time classes;
 * SMT siblings are independent CPUs.
 */
import type { Process, Simulator } from "../sim/simulator.js";
import { niceToWeight } from "./weights.js";

/** Who uses a CPU, for accounting. `kernel` kinds are kernel work application threads lose CPU to. */
export const TASK_KINDS = {
  /** Application threads. */
  app: { kernel: false },
  /** A busy machine's other always-runnable tasks (cpuLoad, --cpu-load). */
  load: { kernel: false },
  /** A task inside a migration syscall (move_pages(2), migrate_pages(2)). */
  migrate: { kernel: true },
  /** Workqueue workers: mtcopy's copy threads. */
  kworker: { kernel: true },
  /** Per-node reclaim threads (kswapd0, kswapd1, ...): demotion in memory tiering. */
  kswapd: { kernel: true },
  /** kcompactd, one per node: compaction woken by kswapd, and proactive compaction. */
  kcompactd: { kernel: true },
  /** Per-node batched promotion threads (the kpromoted proposal). */
  kpromoted: { kernel: true },
} as const;
export type TaskKind = keyof typeof TASK_KINDS;

/** CPU time of interrupts is reported under this kind, and in the root cgroup. */
export const IRQ_KIND = "irq";
export const ROOT_CGROUP = "/";

export interface TaskSpec {
  name: string;
  kind: TaskKind;
  cpu: number;
  /** -20..19; 0 by default. */
  nice?: number;
  /** The task's cgroup; the root by default. */
  cgroup?: string;
  /**
   * Instead of a nice level: a load weight (the busy machine's N tasks on a CPU are one task
   * of N times a nice-0 weight, which shares the CPU exactly as the N would).
   */
  weight?: number;
}

/** A schedulable entity (task_struct's sched_entity) and its CPU time. */
export class SchedTask {
  runnable = false;
  /** CPU time settled so far, ns. */
  cpuNs = 0;
  readonly kernel: boolean;
  /** Work in flight: CPU ns still needed, and the process waiting for it (null: none). */
  remaining = 0;
  waiter: Process<unknown> | null = null;
  /** Told the task's new `stretch` when its share changes (a copy capped by it); or null. */
  onShare: ((stretch: number) => void) | null = null;
  /** Whether another task or an interrupt had part of the CPU during the last work. */
  contended = false;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly kind: TaskKind,
    readonly cgroup: string,
    readonly cpu: number,
    readonly nice: number,
    readonly weight: number,
  ) {
    this.kernel = TASK_KINDS[kind].kernel;
  }
}

/** One CPU's runqueue (struct rq with its cfs_rq). */
class RunQueue {
  /** Sum of the runnable tasks' weights (cfs_rq load). */
  load = 0;
  /** Weight of the runnable tasks that are not kernel work. */
  userLoad = 0;
  /**
   * The runnable tasks, in the order they woke: the first `nr` entries. The array never
   * shrinks (the entries past `nr` are stale), so that a task waking and blocking in turn, as
   * kswapd does for each piece of its work, makes V8 neither grow nor trim its storage.
   */
  readonly tasks: SchedTask[] = [];
  nr = 0;
  /** Time settled up to, ns. */
  last = 0;
  /** An interrupt runs until then. */
  irqUntil = 0;
  irqNs = 0;
  idleNs = 0;
  /** CPU time of kernel-work tasks here, ns. */
  kernelNs = 0;
  /** Runnable tasks waiting for work to complete. */
  workers = 0;
  /** Tasks here with an `onShare` listener. */
  listeners = 0;
}

/** Take `task` off `rq`'s runnable tasks, keeping the others' order. */
function removeTask(rq: RunQueue, task: SchedTask): void {
  const tasks = rq.tasks;
  let i = tasks.indexOf(task);
  for (rq.nr--; i < rq.nr; i++) tasks[i] = tasks[i + 1];
}

export class Scheduler {
  private readonly rqs: RunQueue[];
  private readonly all: SchedTask[] = [];
  private readonly kthreads = new Map<string, SchedTask>();
  /**
   * Bumped whenever a task wakes or blocks, the only changes of a runqueue's load: a share
   * computed since (`stretch`) still holds while it stays the same.
   */
  loadChanges = 0;

  constructor(
    readonly sim: Simulator,
    readonly nrCpus: number,
    /** The last-level cache (CCD) of a CPU, for wakeup placement. */
    private readonly llcOf: (cpu: number) => number = () => 0,
  ) {
    this.rqs = Array.from({ length: nrCpus }, () => new RunQueue());
  }

  /** A new task, sleeping until woken. */
  addTask(spec: TaskSpec): SchedTask {
    this.rq(spec.cpu);
    const nice = spec.nice ?? 0;
    const weight = spec.weight ?? niceToWeight(nice);
    if (!(weight > 0)) throw new RangeError(`Scheduler: task ${spec.name} has weight ${weight}`);
    const t = new SchedTask(
      this.all.length,
      spec.name,
      spec.kind,
      spec.cgroup ?? ROOT_CGROUP,
      spec.cpu,
      nice,
      weight,
    );
    this.all.push(t);
    return t;
  }

  /** The per-CPU kernel thread `kind/cpu` (kworker/3), made on first use, in the root cgroup. */
  kthread(kind: TaskKind, cpu: number): SchedTask {
    const name = `${kind}/${cpu}`;
    let t = this.kthreads.get(name);
    if (t === undefined) {
      t = this.addTask({ name, kind, cpu });
      this.kthreads.set(name, t);
    }
    return t;
  }

  /** Every task made so far, in order. */
  tasks(): readonly SchedTask[] {
    return this.all;
  }

  /** try_to_wake_up(): `task` becomes runnable on its CPU. */
  wake(task: SchedTask): void {
    if (task.runnable) throw new Error(`Scheduler: ${task.name} is already runnable`);
    const rq = this.settled(task.cpu);
    task.runnable = true;
    this.loadChanges++;
    rq.tasks[rq.nr++] = task;
    rq.load += task.weight;
    if (!task.kernel) rq.userLoad += task.weight;
    this.rescheduleWork(rq);
    this.tellShares(rq);
  }

  /** The task sleeps (or ends): it leaves its runqueue, and ends any work it was given. */
  block(task: SchedTask): void {
    if (!task.runnable) throw new Error(`Scheduler: ${task.name} is not runnable`);
    const rq = this.settled(task.cpu);
    this.endWork(rq, task);
    if (task.onShare !== null) this.listenShare(task, null);
    task.runnable = false;
    this.loadChanges++;
    removeTask(rq, task);
    rq.load -= task.weight;
    if (!task.kernel) rq.userLoad -= task.weight;
    // Exact zero once empty, whatever rounding the sums picked up.
    if (rq.nr === 0) rq.load = rq.userLoad = 0;
    this.rescheduleWork(rq);
    this.tellShares(rq);
  }

  /**
   * While `task` runs something its share caps (a copy), tell `listener` its new stretch
   * whenever the share changes; null stops it. The task must be runnable.
   */
  listenShare(task: SchedTask, listener: ((stretch: number) => void) | null): void {
    const rq = this.rq(task.cpu);
    if (task.onShare !== null) rq.listeners--;
    if (listener !== null) {
      if (!task.runnable) throw new Error(`Scheduler: ${task.name} listens while not runnable`);
      rq.listeners++;
    }
    task.onShare = listener;
  }

  /**
   * The calling process (the task's own) needs `cpuNs` of CPU time: returns the delay to
   * yield, at the task's present share; the scheduler moves the wakeup if the share changes.
   */
  runFor(task: SchedTask, cpuNs: number): number {
    if (!task.runnable) throw new Error(`Scheduler: ${task.name} runs work while not runnable`);
    const waiter = this.sim.active;
    if (waiter === null) throw new Error("Scheduler.runFor: not called from a process");
    const rq = this.settled(task.cpu);
    this.endWork(rq, task);
    task.remaining = cpuNs;
    task.waiter = waiter;
    task.contended = rq.load !== task.weight || rq.irqUntil > this.sim.now;
    rq.workers++;
    return this.completionIn(rq, task);
  }

  /** The process `runFor` woke has resumed: its task's work is over. */
  workDone(task: SchedTask): void {
    this.endWork(this.settled(task.cpu), task);
  }

  /** An interrupt handler runs `ns` on `cpu` now, ahead of every task there. */
  irq(cpu: number, ns: number): void {
    const rq = this.settled(cpu);
    rq.irqUntil = Math.max(rq.irqUntil, this.sim.now) + ns;
    for (let i = 0; i < rq.nr; i++) {
      const t = rq.tasks[i];
      if (t.waiter !== null) t.contended = true;
    }
    this.rescheduleWork(rq);
  }

  /** The task's CPU time so far, ns. */
  cpuTimeNs(task: SchedTask): number {
    this.settled(task.cpu);
    return task.cpuNs;
  }

  /** CPU time of kernel work (TASK_KINDS' kernel kinds) on `cpu` so far, ns. */
  kernelCpuNs(cpu: number): number {
    return this.settled(cpu).kernelNs;
  }

  /**
   * cpuTimeNs(task) and kernelCpuNs(task.cpu) into out[0] and out[1], for a caller that asks
   * every quantum of every thread: numbers a call returns may each be boxed, an array's are not.
   */
  cpuTimes(task: SchedTask, out: Float64Array): void {
    const rq = this.settled(task.cpu);
    out[0] = task.cpuNs;
    out[1] = rq.kernelNs;
  }

  /** Weight of the runnable tasks on `cpu` that are not kernel work. */
  userLoad(cpu: number): number {
    return this.rq(cpu).userLoad;
  }

  /**
   * Elapsed ns per ns of CPU time for `task` at its present share (1 alone on its CPU): its
   * runqueue's load over its weight, counting the task as runnable.
   */
  stretch(task: SchedTask): number {
    const rq = this.rq(task.cpu);
    return (task.runnable ? rq.load : rq.load + task.weight) / task.weight;
  }

  /** Per CPU: its tasks' CPU time, its interrupts' and its idle time, ns (they sum to now). */
  cpuAccount(cpu: number): { tasksNs: number; irqNs: number; idleNs: number } {
    const rq = this.settled(cpu);
    let tasksNs = 0;
    for (const t of this.all) if (t.cpu === cpu) tasksNs += t.cpuNs;
    return { tasksNs, irqNs: rq.irqNs, idleNs: rq.idleNs };
  }

  /** CPU time by task kind, with interrupts as `irq`, ns; kinds in TASK_KINDS order. */
  cpuTimeByKind(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const kind of Object.keys(TASK_KINDS)) out[kind] = 0;
    for (const t of this.settledTasks()) out[t.kind] += t.cpuNs;
    out[IRQ_KIND] = this.rqs.reduce((a, rq) => a + rq.irqNs, 0);
    return out;
  }

  /** CPU time by cgroup, ns; interrupts in the root cgroup; groups in order of first task. */
  cpuTimeByCgroup(): Record<string, number> {
    const out: Record<string, number> = { [ROOT_CGROUP]: 0 };
    for (const t of this.settledTasks()) out[t.cgroup] = (out[t.cgroup] ?? 0) + t.cpuNs;
    out[ROOT_CGROUP] += this.rqs.reduce((a, rq) => a + rq.irqNs, 0);
    return out;
  }

  /**
   * select_idle_sibling(), for a task allowed on `allowed` CPUs that last ran near `target`:
   * the target if it is idle, else an idle CPU sharing its last-level cache, else any idle
   * allowed CPU, else the allowed CPU with the least load (the lowest-numbered on ties).
   */
  selectIdleSibling(allowed: readonly number[], target: number): number {
    if (allowed.length === 0) throw new RangeError("selectIdleSibling: no allowed CPU");
    const idle = (cpu: number) => this.rq(cpu).load === 0;
    if (allowed.includes(target) && idle(target)) return target;
    const llc = this.llcOf(target);
    const sibling = allowed.find((cpu) => idle(cpu) && this.llcOf(cpu) === llc);
    if (sibling !== undefined) return sibling;
    const any = allowed.find(idle);
    if (any !== undefined) return any;
    let best = allowed[0];
    for (const cpu of allowed) if (this.rq(cpu).load < this.rq(best).load) best = cpu;
    return best;
  }

  private rq(cpu: number): RunQueue {
    const rq = this.rqs[cpu];
    if (rq === undefined) throw new RangeError(`Scheduler: no CPU ${cpu}`);
    return rq;
  }

  private settledTasks(): readonly SchedTask[] {
    for (let cpu = 0; cpu < this.rqs.length; cpu++) this.settled(cpu);
    return this.all;
  }

  /** `cpu`'s runqueue with its tasks' CPU time brought up to now. */
  private settled(cpu: number): RunQueue {
    const rq = this.rq(cpu);
    const now = this.sim.now;
    let from = rq.last;
    if (now <= from) return rq;
    if (rq.irqUntil > from) {
      const end = Math.min(now, rq.irqUntil);
      rq.irqNs += end - from;
      from = end;
    }
    const dt = now - from;
    rq.last = now;
    if (dt === 0) return rq;
    if (rq.load === 0) {
      rq.idleNs += dt;
      return rq;
    }
    for (let i = 0; i < rq.nr; i++) {
      const t = rq.tasks[i];
      // A task alone gets dt exactly (weight / weight), so an idle machine's times are exact.
      const got = (dt * t.weight) / rq.load;
      t.cpuNs += got;
      if (t.kernel) rq.kernelNs += got;
      if (t.waiter !== null) {
        t.remaining -= got;
        if (t.weight !== rq.load) t.contended = true;
      }
    }
    return rq;
  }

  private endWork(rq: RunQueue, task: SchedTask): void {
    if (task.waiter === null) return;
    task.waiter = null;
    task.remaining = 0;
    rq.workers--;
  }

  /** Delay until `task`'s work completes at the runqueue's present shares. */
  private completionIn(rq: RunQueue, task: SchedTask): number {
    const irq = Math.max(0, rq.irqUntil - this.sim.now);
    const left = Math.max(0, task.remaining);
    // Alone on the CPU the work takes exactly its CPU time.
    return irq + (rq.load === task.weight ? left : (left * rq.load) / task.weight);
  }

  /** The runqueue changed: tell the listening tasks their shares. */
  private tellShares(rq: RunQueue): void {
    if (rq.listeners === 0) return;
    for (let i = 0; i < rq.nr; i++) {
      const t = rq.tasks[i];
      t.onShare?.(rq.load / t.weight);
    }
  }

  /** The runqueue changed: move each waiting task's wakeup to its new completion. */
  private rescheduleWork(rq: RunQueue): void {
    if (rq.workers === 0) return;
    for (let i = 0; i < rq.nr; i++) {
      const t = rq.tasks[i];
      const w = t.waiter;
      // A waiter that is not queued has already resumed and will end its work itself.
      if (w === null || !w.queued) continue;
      this.sim.reschedule(w, this.sim.now + this.completionIn(rq, t));
    }
  }
}

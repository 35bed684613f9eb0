/**
 * Kernel worker threads for work a migrating task hands off (queue_work_on() / flush_work()),
 * and the CPU time they spend.
 *
 * Work items queued on one CPU run one after another, in queue order, on that CPU's kworker (a
 * kthread of the scheduler, `kworker/24`): a copy worker never sleeps, so a CPU runs one of
 * them at a time however many are queued there. The kworker is runnable from when an item
 * starts to when it returns (a core stalled on memory bandwidth in the middle of a copy is
 * still busy), sharing the CPU with whatever else is runnable there; the CPU time the
 * scheduler gives it is charged to its CPU. On a recording timeline, each CPU's kworker is a
 * track with a slice per work item.
 */
import type { Scheduler } from "../sched/scheduler.js";
import type { Process, Yieldable } from "../sim/simulator.js";
import type { Timeline } from "../sim/timeline.js";

/** CPU time per CPU of work that is not a task's own (kworkers); a task's is in its Exec. */
export class CpuTime {
  /** ns by CPU; grows to the highest CPU charged. */
  private readonly ns: number[] = [];

  charge(cpu: number, ns: number): void {
    if (!Number.isInteger(cpu) || cpu < 0) throw new RangeError(`CpuTime: bad cpu ${cpu}`);
    if (!(ns >= 0)) throw new RangeError(`CpuTime: bad time ${ns} ns on cpu ${cpu}`);
    const t = this.ns;
    while (t.length <= cpu) t.push(0);
    t[cpu] += ns;
  }

  /** ns charged to `cpu` (0 for a CPU never charged). */
  cpuTimeNs(cpu: number): number {
    return this.ns[cpu] ?? 0;
  }

  /** ns charged over all CPUs. */
  get totalNs(): number {
    let sum = 0;
    for (const ns of this.ns) sum += ns;
    return sum;
  }

  /** ns by CPU (index), a copy: subtract an earlier one for the time charged in between. */
  snapshot(): number[] {
    return this.ns.slice();
  }

  /** CPUs with time charged, ascending. */
  busyCpus(): number[] {
    const out: number[] = [];
    for (let cpu = 0; cpu < this.ns.length; cpu++) if (this.ns[cpu] > 0) out.push(cpu);
    return out;
  }
}

/** What a work item is called on the timeline. */
export interface WorkLabel {
  name: string;
  args?: Record<string, number | string>;
}

/** A workqueue whose items are pinned to CPUs (the "spread threads across die" testing setup). */
export class Workqueue {
  /** The item queued last on each CPU, which the next one there waits for. */
  private readonly tails: (Process<unknown> | undefined)[] = [];

  constructor(
    /** Whose kworkers run the items. */
    readonly sched: Scheduler,
    readonly cpuTime: CpuTime,
    /** Where work items are recorded when it is enabled. */
    private readonly timeline: Timeline | null = null,
  ) {}

  /**
   * queue_work_on(): run `work` on `cpu` after what is queued there; join the Process to
   * flush. `label` names the item on the timeline.
   */
  queueWorkOn<T>(
    cpu: number,
    work: Generator<Yieldable, T, unknown>,
    label: WorkLabel = WORK,
  ): Process<T> {
    const prev = this.tails[cpu];
    const p = this.sched.sim.spawn(
      this.runOn(cpu, prev?.done.triggered ? undefined : prev, work, label),
    );
    this.tails[cpu] = p;
    return p;
  }

  private *runOn<T>(
    cpu: number,
    prev: Process<unknown> | undefined,
    work: Generator<Yieldable, T, unknown>,
    label: WorkLabel,
  ): Generator<Yieldable, T, unknown> {
    if (prev !== undefined && !prev.done.triggered) yield prev;
    const sched = this.sched;
    const kworker = sched.kthread("kworker", cpu);
    const start = sched.sim.now;
    sched.wake(kworker);
    const cpuBefore = sched.cpuTimeNs(kworker);
    const ret = yield* work;
    const end = sched.sim.now;
    sched.block(kworker);
    this.cpuTime.charge(cpu, sched.cpuTimeNs(kworker) - cpuBefore);
    const tl = this.timeline;
    if (tl?.enabled)
      tl.slice(tl.track("kworker", `kworker/${cpu}`, cpu), label.name, start, end, label.args);
    return ret;
  }
}

const WORK: WorkLabel = { name: "work" };

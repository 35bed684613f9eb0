/**
 * Kernel worker threads for work a migrating task hands off (queue_work_on() / flush_work()),
 * and the CPU time they spend.
 *
 * Work items queued on one CPU run one after another, in queue order: a copy worker never
 * sleeps, so a CPU runs one of them at a time however many are queued there. The time from
 * when an item starts running to when it returns is charged to its CPU: a core stalled on
 * memory bandwidth in the middle of a copy is still busy. On a busy machine (the kernel's
 * cpuLoad) the kworker has only its fair share of that time; the work item itself slows down
 * accordingly (see mtcopy's copy thread). Application threads pinned to a CPU count as such
 * tasks, and see when kworkers ran there (Kernel.cpuBusy). On a recording timeline, each CPU's
 * kworker is a track (`kworker/24`) with a slice per work item.
 */
import type { BusyLog } from "../sim/busy-log.js";
import type { Process, Simulator, Yieldable } from "../sim/simulator.js";
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
    readonly sim: Simulator,
    readonly cpuTime: CpuTime,
    /** Where work items are recorded when it is enabled. */
    private readonly timeline: Timeline | null = null,
    /** Other tasks always runnable on a CPU: a kworker there runs 1/(that + 1) of the time. */
    private readonly runnableOn: (cpu: number) => number = () => 0,
    /** Where to log when each CPU ran kernel work, if anyone shares the CPUs. */
    private readonly busy: () => BusyLog | null = () => null,
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
    const p = this.sim.spawn(this.runOn(cpu, prev?.done.triggered ? undefined : prev, work, label));
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
    const start = this.sim.now;
    const log = this.busy();
    const handle = log?.open(cpu, start) ?? -1;
    const ret = yield* work;
    const end = this.sim.now;
    log?.close(cpu, handle, end);
    this.cpuTime.charge(cpu, (end - start) / (this.runnableOn(cpu) + 1));
    const tl = this.timeline;
    if (tl?.enabled)
      tl.slice(tl.track("kworker", `kworker/${cpu}`, cpu), label.name, start, end, label.args);
    return ret;
  }
}

const WORK: WorkLabel = { name: "work" };

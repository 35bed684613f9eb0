/**
 * Kernel worker threads for work a migrating task hands off (queue_work_on() / flush_work()),
 * and the CPU time they spend.
 *
 * Work items queued on one CPU run one after another, in queue order: a copy worker never
 * sleeps, so a CPU runs one of them at a time however many are queued there. The time from
 * when an item starts running to when it returns is charged to its CPU: a core stalled on
 * memory bandwidth in the middle of a copy is still busy.
 */
import type { Process, Simulator, Yieldable } from "../sim/simulator.js";

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

  /** CPUs with time charged, ascending. */
  busyCpus(): number[] {
    const out: number[] = [];
    for (let cpu = 0; cpu < this.ns.length; cpu++) if (this.ns[cpu] > 0) out.push(cpu);
    return out;
  }
}

/** A workqueue whose items are pinned to CPUs (the "spread threads across die" testing setup). */
export class Workqueue {
  /** The item queued last on each CPU, which the next one there waits for. */
  private readonly tails: (Process<unknown> | undefined)[] = [];

  constructor(
    readonly sim: Simulator,
    readonly cpuTime: CpuTime,
  ) {}

  /** queue_work_on(): run `work` on `cpu` after what is queued there; join the Process to flush. */
  queueWorkOn<T>(cpu: number, work: Generator<Yieldable, T, unknown>): Process<T> {
    const prev = this.tails[cpu];
    const p = this.sim.spawn(this.runOn(cpu, prev?.done.triggered ? undefined : prev, work));
    this.tails[cpu] = p;
    return p;
  }

  private *runOn<T>(
    cpu: number,
    prev: Process<unknown> | undefined,
    work: Generator<Yieldable, T, unknown>,
  ): Generator<Yieldable, T, unknown> {
    if (prev !== undefined && !prev.done.triggered) yield prev;
    const start = this.sim.now;
    const ret = yield* work;
    this.cpuTime.charge(cpu, this.sim.now - start);
    return ret;
  }
}

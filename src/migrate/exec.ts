import type { Folio } from "../mm/folio.js";
import type { Task } from "../mm/task.js";
import type { SchedTask, Scheduler } from "../sched/scheduler.js";

/** The phases of a migration, in the order a folio goes through them. */
export const PHASES = ["isolate", "unmap", "flush", "copy", "move", "putback"] as const;
export type PhaseName = (typeof PHASES)[number];
export const PH_ISOLATE = 0;
export const PH_UNMAP = 1;
export const PH_FLUSH = 2;
export const PH_COPY = 3;
export const PH_MOVE = 4;
export const PH_PUTBACK = 5;

/** Per-folio events of a recorded call (see workload/measurements.ts). */
export interface FolioEvents {
  /** The folio's last mapping became a migration entry, at `ns` (the task's time). */
  unmapped(folio: Folio, ns: number): void;
  /** The source folio's mappings now point at its destination, at `ns`. */
  remapped(folio: Folio, ns: number): void;
}

/**
 * One task running a kernel path on its CPU: the CPU time it spends, by phase, the time it
 * sleeps, by phase, and the time it is runnable but waits for its CPU (the scheduler's share).
 *
 * Work that only burns the task's own CPU is charged lazily (`charge`) and turned into
 * simulated time at the next `sync`, where the task runs it through the scheduler, so a serial
 * migration of a million folios costs a few events rather than millions. Anything another
 * process could observe (a shared flow, a wait) must `sync` first, which is what keeps the
 * lazy charging exact. Between syncs the task does not hold a place on its runqueue: it is
 * either running its charged work (inside `sync`), copying (`running` .. `ran`) or asleep.
 *
 * The task's virtual time is its CPU time plus its sleeps and waits: the elapsed time of a
 * call is the sum of `phaseNs`, `sleepNs` and `waitNs`.
 */
export class Exec {
  /** CPU time by phase (ns), indexed by PH_*; includes `irqNs`. */
  readonly phaseNs = new Float64Array(PHASES.length);
  /** Time the task slept by phase (ns): waiting for copy threads or DMA interrupts. */
  readonly sleepNs = new Float64Array(PHASES.length);
  /**
   * Time the task was runnable but other tasks had its CPU, by phase (ns): CFS gave it its
   * weight's share of the CPU, so each ns of its work took longer.
   */
  readonly waitNs = new Float64Array(PHASES.length);
  /** CPU time of completion interrupts, which the model runs on this task's CPU and time. */
  irqNs = 0;
  /** CPU time charged but not yet turned into simulated time. */
  pending = 0;
  /** Interrupt time charged but not yet run. */
  private pendingIrq = 0;
  /** `pending` by phase, to share out the wait for the CPU. */
  private readonly pendingPhase = new Float64Array(PHASES.length);
  /** `running` found the task runnable already (inContext): `ran` leaves it so. */
  private borrowed = false;
  /** The task's CPU time when it started running a copy (`running`). */
  private runMark = 0;
  /** The sync in progress (beginSync .. endSync): its start, CPU and interrupt time. */
  private syncStart = 0;
  private syncCpu = 0;
  private syncIrq = 0;
  /** beginSync() woke the task (it was not runnable in its own context already). */
  private syncWoke = false;
  /** TLB shootdown IPIs sent, and TLB flushes done (local or remote). */
  ipis = 0;
  tlbFlushes = 0;
  /**
   * When each folio was mapped again (absolute ns), in the order of the remaps, or null when
   * not wanted. The first `nrRemaps` entries are set; a full array is replaced by one twice
   * its size, so give it the capacity the call needs.
   */
  remapTimes: Float64Array | null = null;
  nrRemaps = 0;
  /** Receives every unmap and remap of a recorded call; null otherwise. */
  folioEvents: FolioEvents | null = null;
  /**
   * now()'s stretch, and the scheduler's loadChanges when it was computed: the share holds
   * until a task wakes or blocks, and now() runs once per folio remapped.
   */
  private stretchNow = 1;
  private stretchAt = -1;
  /** The task's track on the kernel's timeline once a slice was recorded on it, or -1. */
  track = -1;

  constructor(
    readonly task: Task,
    /** The machine's scheduler, through which the task gets its CPU. */
    readonly sched: Scheduler,
    /** The task's schedulable entity (on the CPU the task runs on). */
    readonly se: SchedTask,
    /**
     * The path runs in the context of a task that is runnable anyway (an application thread's
     * fault handler): its work is the thread's CPU time, and it neither wakes nor blocks it.
     */
    readonly inContext = false,
  ) {}

  charge(phase: number, ns: number): void {
    // The hot path of every simulated folio.
    this.phaseNs[phase] += ns;
    this.pendingPhase[phase] += ns;
    this.pending += ns;
  }

  /**
   * The task starts running on its CPU for something that is not charged work (a copy it does
   * as a flow); `ran` ends it. Returns the elapsed ns per ns of CPU at its share now;
   * `onShare`, if given, hears the new value whenever the share changes until then.
   */
  running(onShare: ((stretch: number) => void) | null = null): number {
    this.borrowed = this.inContext && this.se.runnable;
    if (!this.borrowed) this.sched.wake(this.se);
    this.runMark = this.sched.cpuTimeNs(this.se);
    this.sched.listenShare(this.se, onShare);
    return this.sched.stretch(this.se);
  }

  /**
   * The task ran `phase` for `elapsedNs` since `running`: its CPU time from the scheduler, the
   * rest of the elapsed time waiting for the CPU.
   */
  ran(phase: number, elapsedNs: number): void {
    if (!this.borrowed) this.sched.block(this.se);
    // The thread may have ended meanwhile (its block stopped the listener).
    else if (this.se.runnable) this.sched.listenShare(this.se, null);
    const cpu = this.sched.cpuTimeNs(this.se) - this.runMark;
    this.phaseNs[phase] += cpu;
    this.waitNs[phase] += Math.max(0, elapsedNs - cpu);
  }

  /**
   * Charge a completion interrupt handled on the task's CPU while it runs `phase`. Interrupts
   * preempt whatever runs there, so they never wait for the CPU.
   */
  chargeIrq(phase: number, ns: number): void {
    this.pendingIrq += ns;
    this.phaseNs[phase] += ns;
    this.irqNs += ns;
  }

  /** Count `ns` of the task's elapsed time as a sleep in `phase`. */
  slept(phase: number, ns: number): void {
    this.sleepNs[phase] += ns;
  }

  /**
   * The task's own notion of now: simulated time plus what it has charged since, at its
   * present share of its CPU.
   */
  now(): number {
    const sched = this.sched;
    const now = sched.sim.now + this.pendingIrq;
    if (this.pending === 0) return now;
    if (this.stretchAt !== sched.loadChanges) {
      this.stretchNow = sched.stretch(this.se);
      this.stretchAt = sched.loadChanges;
    }
    return now + this.pending * this.stretchNow;
  }

  /** The task unmapped `folio` (it is no longer accessible) at the current time. */
  noteUnmap(folio: Folio): void {
    if (this.folioEvents !== null) this.folioEvents.unmapped(folio, this.now());
  }

  /** `folio` (the source) became accessible again, at its destination, at the current time. */
  noteRemap(folio: Folio): void {
    if (this.remapTimes !== null || this.folioEvents !== null) this.recordRemap(folio);
  }

  /**
   * noteRemap() when someone wants to know. Apart from it so that the check inlines wherever
   * it is called, and this is compiled with now() inlined: a call to now() left out of line
   * returns its time boxed on the heap.
   */
  private recordRemap(folio: Folio): void {
    let times = this.remapTimes;
    const t = this.now();
    if (times !== null) {
      if (this.nrRemaps === times.length) {
        const more = new Float64Array(Math.max(16, times.length * 2));
        more.set(times);
        this.remapTimes = times = more;
      }
      times[this.nrRemaps++] = t;
    }
    this.folioEvents?.remapped(folio, t);
  }

  /**
   * Run the pending CPU time through the scheduler (use as `yield* exec.sync()`): the task is
   * runnable until it has had that much CPU, after the pending interrupts.
   */
  *sync(): Generator<number, void, unknown> {
    const delay = this.beginSync();
    if (delay < 0) return;
    yield delay;
    this.endSync();
  }

  /**
   * sync() in two halves, for a path that syncs after every few folios (kswapd's shrink
   * lists) and would make a generator each time: returns the delay to yield, or -1 when
   * nothing is pending; once the yield returns, call endSync().
   */
  beginSync(): number {
    const cpu = this.pending;
    const irq = this.pendingIrq;
    if (cpu === 0 && irq === 0) return -1;
    this.pending = 0;
    this.pendingIrq = 0;
    const { sched, se } = this;
    if (irq > 0) sched.irq(se.cpu, irq);
    this.syncStart = sched.sim.now;
    this.syncCpu = cpu;
    this.syncIrq = irq;
    // A thread that has ended (its task blocked for good) runs its last kernel work as its own.
    this.syncWoke = !(this.inContext && se.runnable);
    if (this.syncWoke) sched.wake(se);
    return sched.runFor(se, cpu);
  }

  /** The task has had the CPU time beginSync() ran: it sleeps again, and counts its wait. */
  endSync(): void {
    const { sched, se } = this;
    if (this.syncWoke) sched.block(se);
    else sched.workDone(se);
    const cpu = this.syncCpu;
    const pp = this.pendingPhase;
    const waited = sched.sim.now - this.syncStart - this.syncIrq - cpu;
    // Waits go to the phases in proportion to the work each charged.
    if (se.contended && waited > 0 && cpu > 0) {
      const perNs = waited / cpu;
      for (let p = 0; p < pp.length; p++) this.waitNs[p] += pp[p] * perNs;
    }
    pp.fill(0);
  }

  cpuTimeNs(): number {
    let sum = 0;
    for (const ns of this.phaseNs) sum += ns;
    return sum;
  }

  /** Elapsed time the task's own work took: its CPU time and its waits for the CPU. */
  workNs(): number {
    let sum = this.cpuTimeNs();
    for (const ns of this.waitNs) sum += ns;
    return sum;
  }

  /** Elapsed time the task spent in `phase`: its CPU time there, its sleeps and its waits. */
  wallNs(phase: number): number {
    return this.phaseNs[phase] + this.sleepNs[phase] + this.waitNs[phase];
  }
}

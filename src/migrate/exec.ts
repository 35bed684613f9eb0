import type { Folio } from "../mm/folio.js";
import type { Task } from "../mm/task.js";

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
 * sleeps, by phase, and on a busy CPU the time it waits to run.
 *
 * Work that only burns the task's own CPU is charged lazily (`charge`) and turned into
 * simulated time at the next `sync`, so a serial migration of a million folios costs a few
 * events rather than millions. Anything another process could observe (a shared flow, a
 * wait) must `sync` first, which is what keeps the lazy charging exact.
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
   * Time the task was runnable but another task had its CPU, by phase (ns): with `runnable`
   * other tasks of equal weight always ready there, CFS gives it 1/(runnable + 1) of the CPU,
   * so each ns of its work takes runnable + 1 ns.
   */
  readonly waitNs = new Float64Array(PHASES.length);
  /** CPU time of completion interrupts, which the model runs on this task's CPU and time. */
  irqNs = 0;
  /** CPU time charged but not yet turned into simulated time. */
  pending = 0;
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
  /** The task's track on the kernel's timeline once a slice was recorded on it, or -1. */
  track = -1;

  constructor(
    readonly task: Task,
    /** The simulated time the task's CPU has reached, before `pending`. */
    private readonly clock: () => number,
    /** Other tasks always runnable on the task's CPU: the kernel's cpuLoad (0 when idle). */
    readonly runnable: number,
  ) {}

  charge(phase: number, ns: number): void {
    this.phaseNs[phase] += ns;
    // The hot path of every simulated folio: an idle CPU touches nothing more.
    if (this.runnable === 0) {
      this.pending += ns;
      return;
    }
    const waited = ns * this.runnable;
    this.pending += ns + waited;
    this.waitNs[phase] += waited;
  }

  /**
   * `elapsedNs` of simulated time the task spent running `phase` (already passed, not pending):
   * on a busy CPU its share of it is CPU time and the rest waiting for the CPU.
   */
  ran(phase: number, elapsedNs: number): void {
    const cpu = elapsedNs / (this.runnable + 1);
    this.phaseNs[phase] += cpu;
    this.waitNs[phase] += elapsedNs - cpu;
  }

  /**
   * Charge a completion interrupt handled on the task's CPU while it runs `phase`. Interrupts
   * preempt whatever runs there, so they never wait for the CPU.
   */
  chargeIrq(phase: number, ns: number): void {
    this.pending += ns;
    this.phaseNs[phase] += ns;
    this.irqNs += ns;
  }

  /** Count `ns` of the task's elapsed time as a sleep in `phase`. */
  slept(phase: number, ns: number): void {
    this.sleepNs[phase] += ns;
  }

  /** The task's own notion of now: simulated time plus what it has charged since. */
  now(): number {
    return this.clock() + this.pending;
  }

  /** The task unmapped `folio` (it is no longer accessible) at the current time. */
  noteUnmap(folio: Folio): void {
    this.folioEvents?.unmapped(folio, this.now());
  }

  /** `folio` (the source) became accessible again, at its destination, at the current time. */
  noteRemap(folio: Folio): void {
    const t = this.now();
    let times = this.remapTimes;
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

  /** Yield the pending CPU time to the simulator (use as `yield* exec.sync()`). */
  *sync(): Generator<number, void, unknown> {
    if (this.pending > 0) {
      const ns = this.pending;
      this.pending = 0;
      yield ns;
    }
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

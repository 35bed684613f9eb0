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

/**
 * One task running a kernel path on its CPU: the CPU time it spends, by phase.
 *
 * Work that only burns the task's own CPU is charged lazily (`charge`) and turned into
 * simulated time at the next `sync`, so a serial migration of a million folios costs a few
 * events rather than millions. Anything another process could observe (a shared flow, a
 * wait) must `sync` first, which is what keeps the lazy charging exact.
 */
export class Exec {
  /** CPU time by phase (ns), indexed by PH_*. */
  readonly phaseNs = new Float64Array(PHASES.length);
  /** CPU time charged but not yet turned into simulated time. */
  pending = 0;
  /** TLB shootdown IPIs sent, and TLB flushes done (local or remote). */
  ipis = 0;
  tlbFlushes = 0;
  /** When the first folio was mapped again at its destination (absolute ns), or -1. */
  firstRemapAt = -1;

  constructor(
    readonly task: Task,
    /** The simulated time the task's CPU has reached, before `pending`. */
    private readonly clock: () => number,
  ) {}

  charge(phase: number, ns: number): void {
    this.pending += ns;
    this.phaseNs[phase] += ns;
  }

  /** The task's own notion of now: simulated time plus what it has charged since. */
  now(): number {
    return this.clock() + this.pending;
  }

  /** A folio became accessible again at the current time. */
  noteRemap(): void {
    if (this.firstRemapAt < 0) this.firstRemapAt = this.now();
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
}

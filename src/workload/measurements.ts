/**
 * What a benchmark measures of its calls besides throughput: where the time went (per phase,
 * per CPU, per kind of CPU work), what the hardware was asked to do (IPIs, DMA descriptors and
 * interrupts), when each folio became accessible again, and the vmstat deltas. Values are
 * means over the timed runs. Reporters, `explain` and `tune` read these.
 */

import type { PhaseName } from "../migrate/exec.js";
import type { TraceEvent } from "../mm/trace.js";
import type { Slice, Track } from "../sim/timeline.js";

export interface PhaseTimes {
  /** Virtual time the syscall task spent in the phase: its own CPU work plus its sleeps
   * (waiting for copy threads or DMA). The phases' wallUs add up to callTimeUs. */
  wallUs: number;
  /** CPU time spent on the phase on all CPUs (the task's, copy threads', interrupts'). */
  cpuUs: number;
}

/** CPU time by kind of work, µs. */
export interface CpuByKind {
  /** The task that made the system call, on its own CPU. */
  syscall: number;
  /** Copy threads (mtcopy's kworkers). */
  copyThreads: number;
  /** DMA completion interrupt handling. */
  irq: number;
}

/** When folios became accessible again, µs from the start of the call. */
export interface FolioLatency {
  first: number;
  median: number;
  p99: number;
  last: number;
}

export interface RunMeasurements {
  /** Virtual time of the call, µs. */
  callTimeUs: number;
  phases: Record<PhaseName, PhaseTimes>;
  cpuByKind: CpuByKind;
  /** CPU time per CPU number (as a string key), µs. */
  cpuByCpu: Record<string, number>;
  dmaDescriptors: number;
  dmaInterrupts: number;
  folioLatencyUs: FolioLatency;
  /** /proc/vmstat deltas of a call (counters that moved). */
  vmstat: Record<string, number>;
}

/** Everything recorded of one call (the last timed run), for traces and timelines. */
export interface Recording {
  /** Virtual time at which the call started, ns; every time below is absolute. */
  startNs: number;
  endNs: number;
  folioSizeBytes: number;
  /** The tracepoint stream, in time order. */
  trace: TraceEvent[];
  tracks: Track[];
  slices: Slice[];
  /** Per folio, in the order of the call's pages: when it was unmapped and when it was mapped
   * again at its destination (ns; -1 if it never was). */
  unmapNs: number[];
  remapNs: number[];
}

/**
 * What a benchmark measures of its calls besides throughput: where the time went (per phase,
 * per CPU, per kind of CPU work), what the hardware was asked to do (IPIs, DMA descriptors and
 * interrupts), when each folio became accessible again, and the vmstat deltas. Values are
 * means over the timed runs. Reporters, `explain` and `tune` read these.
 */

import { DmaEngines } from "../copy/dma-device.js";
import type { CpuTime } from "../copy/workqueue.js";
import { type Exec, type FolioEvents, PH_COPY, PHASES, type PhaseName } from "../migrate/exec.js";
import type { Kernel } from "../migrate/kernel.js";
import type { Folio } from "../mm/folio.js";
import type { TraceEvent } from "../mm/trace.js";
import type { MmStruct } from "../mm/vm.js";
import { VMSTAT_NAMES } from "../mm/vmstat.js";
import type { Slice, Track } from "../sim/timeline.js";

export interface PhaseTimes {
  /**
   * Virtual time the syscall task spent in the phase, µs: its own CPU work, its sleeps
   * (waiting for copy threads or DMA interrupts) and, with a CPU load, its waits for its CPU.
   * The phases' wallUs add up to callTimeUs.
   */
  wallUs: number;
  /** CPU time spent on the phase on all CPUs (the task's, copy threads', interrupts'), µs. */
  cpuUs: number;
}

/** CPU time by kind of work, µs; the kinds add up to the call's CPU time. */
export interface CpuByKind {
  /** The task that made the system call, on its own CPU (without interrupts). */
  syscall: number;
  /** Copy threads (mtcopy's kworkers), on their CPUs. */
  copyThreads: number;
  /**
   * DMA completion interrupts: the profile's `dma.cpu.interruptNs` per interrupt the driver
   * takes. The model handles them on the waiting task's CPU, in its time line.
   */
  irq: number;
}

/**
 * When folios became accessible again (mapped at their destination), µs from the start of the
 * call; median and p99 by nearest rank. All 0 when no folio was.
 */
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
  /** CPU time per CPU number (as a string key) of the CPUs that did any, µs. */
  cpuByCpu: Record<string, number>;
  /** DMA descriptors submitted and completion interrupts raised by a call, all channels. */
  dmaDescriptors: number;
  dmaInterrupts: number;
  folioLatencyUs: FolioLatency;
  /** /proc/vmstat deltas of a call (counters that moved). */
  vmstat: Record<string, number>;
}

/** The benchmark's long-standing summary of a call (means over the timed calls). */
export interface CallSummary {
  /** Share of the call's CPU time spent copying data. */
  copyFraction: number;
  /** From the start of the call until the first folio is mapped again. */
  firstFolioLatencyUs: number;
  /** CPU time of the call, all CPUs. */
  cpuTimeUs: number;
  tlbFlushIpis: number;
  /** TLB flushes of the call (per-PTE flushes and batched flushes). */
  tlbFlushes: number;
  /** CPU time by phase, all CPUs (the `cpuUs` of `phases`). */
  phasesUs: Record<string, number>;
}

/** Everything recorded of one call (the last timed run), for traces and timelines. */
export interface Recording {
  /** Virtual time at which the call started, ns; every time below is absolute. */
  startNs: number;
  endNs: number;
  folioSizeBytes: number;
  /** The tracepoint stream, in time order (the task's time, which runs ahead of the simulator's). */
  trace: TraceEvent[];
  tracks: Track[];
  slices: Slice[];
  /**
   * Per folio, in the order of the call's pages: when it was last unmapped and when it was
   * mapped again at its destination (ns; -1 if it never was). A split folio is followed
   * through its first piece.
   */
  unmapNs: number[];
  remapNs: number[];
}

/** The machine's counters before a timed call, to take the call's deltas from. */
interface Before {
  startNs: number;
  kworkerNs: number[];
  kworkerTotalNs: number;
  descriptors: number;
  interrupts: number;
}

/** Nearest-rank quantile q of the first n entries of `sorted`. */
function quantile(sorted: Float64Array, n: number, q: number): number {
  return sorted[Math.max(0, Math.ceil(q * n) - 1)];
}

/**
 * Sums the measurements of timed calls (`begin` before each, `end` after) and gives their
 * means. Per-folio remap times go to one array reused from call to call.
 */
export class MeasurementSums {
  private calls = 0;
  private callNs = 0;
  private readonly wallNs = new Float64Array(PHASES.length);
  private readonly cpuNs = new Float64Array(PHASES.length);
  /** All CPU time, summed per call as the task's then the copy threads'. */
  private cpuTotalNs = 0;
  private syscallNs = 0;
  private copyThreadsNs = 0;
  private ipis = 0;
  private tlbFlushes = 0;
  private irqNs = 0;
  /** ns by CPU number. */
  private readonly byCpu: number[] = [];
  private descriptors = 0;
  private interrupts = 0;
  /** Sums of first, median, p99 and last, over the calls that remapped a folio. */
  private readonly latencyNs = new Float64Array(4);
  private latencyCalls = 0;
  /** Sums of the counters that moved, by name, in the order each first moved. */
  private readonly vmstat: Record<string, number> = {};
  /** The counters before and after a call (VMSTAT_NAMES), read into the same two arrays. */
  private readonly vmBefore = new Float64Array(VMSTAT_NAMES.length);
  private readonly vmAfter = new Float64Array(VMSTAT_NAMES.length);
  private remapTimes: Float64Array;
  private before: Before | null = null;

  constructor(
    private readonly k: Kernel,
    /** The copy threads' CPU time, if the migrator has threads. */
    private readonly cpuTime: CpuTime | undefined,
    /** Folios per call: the capacity of the remap times. */
    folios: number,
  ) {
    this.remapTimes = new Float64Array(Math.max(1, folios));
  }

  /** Just before a timed call made with `exec`. */
  begin(exec: Exec): void {
    const k = this.k;
    const dma = DmaEngines.existing(k);
    exec.remapTimes = this.remapTimes;
    exec.nrRemaps = 0;
    this.before = {
      startNs: k.sim.now,
      kworkerNs: this.cpuTime?.snapshot() ?? [],
      kworkerTotalNs: this.cpuTime?.totalNs ?? 0,
      descriptors: dma?.descriptors ?? 0,
      interrupts: dma?.interrupts ?? 0,
    };
    k.ctx.vmstat.read(this.vmBefore);
  }

  /** Just after the call `exec` made (its CPU time all turned into simulated time). */
  end(exec: Exec): void {
    const b = this.before;
    if (b === null) throw new Error("MeasurementSums.end without begin");
    this.before = null;
    const k = this.k;
    this.calls++;
    this.callNs += k.sim.now - b.startNs;

    const kworkerNs = this.cpuTime?.snapshot() ?? [];
    for (let cpu = 0; cpu < kworkerNs.length; cpu++) {
      const ns = kworkerNs[cpu] - (b.kworkerNs[cpu] ?? 0);
      if (ns > 0) this.addCpu(cpu, ns);
    }
    const threadsNs = (this.cpuTime?.totalNs ?? 0) - b.kworkerTotalNs;
    const taskNs = exec.cpuTimeNs();
    this.addCpu(exec.task.cpu, taskNs);
    this.cpuTotalNs += taskNs + threadsNs;
    this.ipis += exec.ipis;
    this.tlbFlushes += exec.tlbFlushes;
    this.syscallNs += taskNs - exec.irqNs;
    this.irqNs += exec.irqNs;
    this.copyThreadsNs += threadsNs;
    for (let p = 0; p < PHASES.length; p++) {
      this.wallNs[p] += exec.wallNs(p);
      this.cpuNs[p] += exec.phaseNs[p];
    }
    // Copy threads' CPU time is copy time, on their own CPUs.
    this.cpuNs[PH_COPY] += threadsNs;

    const dma = DmaEngines.existing(k);
    this.descriptors += (dma?.descriptors ?? 0) - b.descriptors;
    this.interrupts += (dma?.interrupts ?? 0) - b.interrupts;

    const n = exec.nrRemaps;
    if (exec.remapTimes !== null) this.remapTimes = exec.remapTimes;
    if (n > 0) {
      const t = this.remapTimes.subarray(0, n).sort();
      const l = this.latencyNs;
      l[0] += t[0] - b.startNs;
      l[1] += quantile(t, n, 0.5) - b.startNs;
      l[2] += quantile(t, n, 0.99) - b.startNs;
      l[3] += t[n - 1] - b.startNs;
      this.latencyCalls++;
    }

    k.ctx.vmstat.read(this.vmAfter);
    for (let j = 0; j < VMSTAT_NAMES.length; j++) {
      const d = this.vmAfter[j] - this.vmBefore[j];
      if (d !== 0) this.vmstat[VMSTAT_NAMES[j]] = (this.vmstat[VMSTAT_NAMES[j]] ?? 0) + d;
    }
  }

  private addCpu(cpu: number, ns: number): void {
    while (this.byCpu.length <= cpu) this.byCpu.push(0);
    this.byCpu[cpu] += ns;
  }

  private callsMeasured(): number {
    if (this.calls === 0) throw new Error("MeasurementSums: no call measured");
    return this.calls;
  }

  /** Mean of latency i (first, median, p99, last) over the calls that remapped a folio, µs. */
  private latencyUs(i: number): number {
    return this.latencyCalls > 0 ? this.latencyNs[i] / this.latencyCalls / 1000 : 0;
  }

  /** The benchmark's summary: means over the calls measured, in µs where a time. */
  summary(): CallSummary {
    const n = this.callsMeasured();
    const us = (ns: number) => ns / n / 1000;
    const phasesUs: Record<string, number> = {};
    PHASES.forEach((name, p) => {
      phasesUs[name] = us(this.cpuNs[p]);
    });
    return {
      copyFraction: this.cpuNs[PH_COPY] / this.cpuTotalNs,
      firstFolioLatencyUs: this.latencyUs(0),
      cpuTimeUs: us(this.cpuTotalNs),
      tlbFlushIpis: this.ipis / n,
      tlbFlushes: this.tlbFlushes / n,
      phasesUs,
    };
  }

  /** The means over the calls measured, in µs where a time. */
  means(): RunMeasurements {
    const n = this.callsMeasured();
    const us = (ns: number) => ns / n / 1000;
    const phases = {} as Record<PhaseName, PhaseTimes>;
    PHASES.forEach((name, p) => {
      phases[name] = { wallUs: us(this.wallNs[p]), cpuUs: us(this.cpuNs[p]) };
    });
    const cpuByCpu: Record<string, number> = {};
    this.byCpu.forEach((ns, cpu) => {
      if (ns > 0) cpuByCpu[String(cpu)] = us(ns);
    });
    const vmstat: Record<string, number> = {};
    for (const name of Object.keys(this.vmstat)) {
      if (this.vmstat[name] !== 0) vmstat[name] = this.vmstat[name] / n;
    }
    return {
      callTimeUs: us(this.callNs),
      phases,
      cpuByKind: {
        syscall: us(this.syscallNs),
        copyThreads: us(this.copyThreadsNs),
        irq: us(this.irqNs),
      },
      cpuByCpu,
      dmaDescriptors: this.descriptors / n,
      dmaInterrupts: this.interrupts / n,
      folioLatencyUs: {
        first: this.latencyUs(0),
        median: this.latencyUs(1),
        p99: this.latencyUs(2),
        last: this.latencyUs(3),
      },
      vmstat,
    };
  }
}

/**
 * Records one call: its tracepoints, its timeline, and when each folio of its pages was
 * unmapped and mapped again. Tracing and the timeline are on from `begin` to `end` only.
 */
export class CallRecorder implements FolioEvents {
  /** Source pfn -> position in the call's pages. */
  private readonly index = new Map<number, number>();
  private unmapNs = new Float64Array(0);
  private remapNs = new Float64Array(0);
  private startNs = 0;

  constructor(
    private readonly k: Kernel,
    private readonly folioSizeBytes: number,
  ) {}

  /** Just before the call `exec` makes on `pages` of `mm`. */
  begin(exec: Exec, mm: MmStruct, pages: ArrayLike<number>): void {
    const k = this.k;
    this.index.clear();
    for (let i = 0; i < pages.length; i++) {
      const folio = mm.presentFolioAt(pages[i]);
      if (folio !== null) this.index.set(folio.pfn, i);
    }
    this.unmapNs = new Float64Array(pages.length).fill(-1);
    this.remapNs = new Float64Array(pages.length).fill(-1);
    exec.folioEvents = this;
    this.startNs = k.sim.now;
    k.timeline.clear();
    k.timeline.enabled = true;
    k.ctx.trace.events.length = 0;
    k.ctx.trace.enabled = true;
  }

  unmapped(folio: Folio, ns: number): void {
    const i = this.index.get(folio.pfn);
    if (i !== undefined) this.unmapNs[i] = ns;
  }

  remapped(folio: Folio, ns: number): void {
    const i = this.index.get(folio.pfn);
    if (i !== undefined) this.remapNs[i] = ns;
  }

  /** Just after the call: stop recording and hand over what was recorded. */
  end(): Recording {
    const k = this.k;
    k.timeline.enabled = false;
    k.ctx.trace.enabled = false;
    return {
      startNs: this.startNs,
      endNs: k.sim.now,
      folioSizeBytes: this.folioSizeBytes,
      trace: k.ctx.trace.events.splice(0),
      tracks: [...k.timeline.tracks],
      slices: [...k.timeline.slices],
      unmapNs: Array.from(this.unmapNs),
      remapNs: Array.from(this.remapNs),
    };
  }
}

/**
 * Hand-made benchmark results for the chart and HTML tests: plausible numbers from simple
 * formulas, so goldens do not move when the model's costs do.
 */

import { PHASES, type PhaseName } from "../../migrate/exec.js";
import type { Slice, Track } from "../../sim/timeline.js";
import type { PhaseTimes, Recording } from "../../workload/measurements.js";
import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";

export interface FixtureOptions {
  migrator: string;
  workers?: number;
  folioSizeBytes: number;
  batchPages?: number;
  /** Throughput, GB/s. */
  gbps: number;
  recording?: Recording;
}

const TOTAL_BYTES = 64 << 20;
/** Shares of the call's wall time per phase. */
const WALL_SHARE: Record<PhaseName, number> = {
  isolate: 0.08,
  unmap: 0.12,
  flush: 0.05,
  copy: 0.6,
  move: 0.1,
  putback: 0.05,
};

export function fixtureResult(o: FixtureOptions): MovePagesBenchResult {
  const workers = o.workers ?? 1;
  const batchPages = o.batchPages ?? 512;
  const callTimeUs = TOTAL_BYTES / o.gbps / 1000;
  const phases = {} as Record<PhaseName, PhaseTimes>;
  const phasesUs: Record<string, number> = {};
  for (const p of PHASES) {
    const wallUs = callTimeUs * WALL_SHARE[p];
    const cpuUs = p === "copy" ? wallUs * workers : wallUs;
    phases[p] = { wallUs, cpuUs };
    phasesUs[p] = cpuUs;
  }
  const cpuTimeUs = PHASES.reduce((a, p) => a + phases[p].cpuUs, 0);
  // The first folio is back after the first batch; smaller batches return it sooner.
  const batches = Math.max(1, TOTAL_BYTES / 4096 / batchPages);
  const first = callTimeUs / batches;
  return {
    migrator: o.migrator,
    workers,
    folioSizeBytes: o.folioSizeBytes,
    folioCount: TOTAL_BYTES / o.folioSizeBytes,
    fromNode: 0,
    toNode: 1,
    batchPages,
    cpuLoad: 0,
    runs: 3,
    throughputGBps: { mean: o.gbps, sd: o.gbps * 0.02 },
    copyFraction: phases.copy.cpuUs / cpuTimeUs,
    firstFolioLatencyUs: first,
    cpuTimeUs,
    tlbFlushIpis: 0,
    tlbFlushes: batches,
    phasesUs,
    callTimeUs,
    phases,
    cpuByKind: { syscall: cpuTimeUs - phases.copy.cpuUs, copyThreads: phases.copy.cpuUs, irq: 0 },
    cpuByCpu: { "0": cpuTimeUs },
    dmaDescriptors: o.migrator.startsWith("dcbm") ? batches * 4 : 0,
    dmaInterrupts: o.migrator.startsWith("dcbm") ? batches : 0,
    folioLatencyUs: { first, median: callTimeUs * 0.5, p99: callTimeUs * 0.99, last: callTimeUs },
    vmstat: { pgmigrate_success: TOTAL_BYTES / 4096 },
    ...(o.recording === undefined ? {} : { recording: o.recording }),
  };
}

const SIZES = [4096, 65536, 2 << 20];

/** Three engines over three folio sizes, and two of them over four batch sizes. */
export function sweepFixture(): MovePagesBenchResult[] {
  const out: MovePagesBenchResult[] = [];
  const engines = [
    { migrator: "serial", workers: 1, base: 3.7 },
    { migrator: "mtcopy", workers: 4, base: 5.1 },
    { migrator: "dcbm", workers: 2, base: 4.2 },
  ];
  for (const e of engines) {
    SIZES.forEach((folioSizeBytes, i) => {
      out.push(fixtureResult({ ...e, folioSizeBytes, gbps: e.base * (1 + i * 0.9) }));
    });
  }
  for (const batchPages of [64, 128, 256]) {
    for (const e of engines.slice(1)) {
      out.push(
        fixtureResult({
          ...e,
          folioSizeBytes: 2 << 20,
          batchPages,
          gbps: e.base * 2.8 * (0.5 + batchPages / 1024),
        }),
      );
    }
  }
  return out;
}

/**
 * A call of 16 folios in two batches on a syscall task, two copy threads and a DMA channel:
 * nested slices (a batch holding its phases), a run of tiny descriptor slices, and one folio
 * that was never mapped again.
 */
export function recordingFixture(): Recording {
  const startNs = 1_000_000;
  const tracks: Track[] = [
    { id: 0, kind: "cpu", name: "cpu0 move_pages", cpu: 0 },
    { id: 1, kind: "kworker", name: "kworker/u64:1 (cpu24)", cpu: 24 },
    { id: 2, kind: "kworker", name: "kworker/u64:2 (cpu25)", cpu: 25 },
    { id: 3, kind: "dma", name: "ptdma0 chan0" },
    { id: 4, kind: "dma", name: "ptdma1 chan0 (idle)" },
  ];
  const slices: Slice[] = [];
  const at = (us: number) => startNs + us * 1000;
  for (let b = 0; b < 2; b++) {
    const t0 = b * 50;
    slices.push({ track: 0, name: "batch", startNs: at(t0), endNs: at(t0 + 48) });
    let t = t0;
    for (const [phase, us] of [
      ["isolate", 4],
      ["unmap", 6],
      ["flush", 2],
      ["copy", 30],
      ["move", 4],
      ["putback", 2],
    ] as const) {
      slices.push({ track: 0, name: phase, startNs: at(t), endNs: at(t + us) });
      t += us;
    }
    for (const track of [1, 2]) {
      slices.push({ track, name: "copy", startNs: at(t0 + 12), endNs: at(t0 + 40 + track) });
    }
    // 200 descriptors of 0.1 µs with 0.02 µs gaps: far below a pixel, merged into one bar.
    for (let d = 0; d < 200; d++) {
      const s = at(t0 + 12) + d * 120;
      slices.push({
        track: 3,
        name: "descriptor",
        startNs: s,
        endNs: s + 100,
        args: { bytes: 65536 },
      });
    }
  }
  const unmapNs: number[] = [];
  const remapNs: number[] = [];
  for (let i = 0; i < 16; i++) {
    const b = i < 8 ? 0 : 1;
    unmapNs.push(at(b * 50 + 4 + (i % 8) * 0.5));
    remapNs.push(i === 15 ? -1 : at(b * 50 + 42 + (i % 8) * 0.5));
  }
  return {
    startNs,
    endNs: at(100),
    folioSizeBytes: 2 << 20,
    trace: [],
    tracks,
    slices,
    unmapNs,
    remapNs,
  };
}

/** A dcbm result at 2M carrying recordingFixture(): with sweepFixture(), every kind of chart. */
export function recordedFixture(): MovePagesBenchResult {
  return fixtureResult({
    migrator: "dcbm",
    workers: 2,
    folioSizeBytes: 2 << 20,
    gbps: 11,
    recording: recordingFixture(),
  });
}

/**
 * Measurements of typed fixture runs for the explain tests, zen3-2s-ptdma, 1 GiB, node 0 -> 1,
 * the profile's batch of 512 pages. The CPU time of each phase is what `bench move-pages`
 * reports for the configuration; the copy phase's wall time is the call time (from its
 * throughput) less the other phases, which run on the syscall task alone.
 */

import type { PhaseName } from "../migrate/exec.js";
import type { CpuByKind, RunMeasurements } from "../workload/measurements.js";
import type { ExplainConfig } from "./explain.js";

type Phases = Record<PhaseName, number>;

interface FixtureSpec {
  wallUs: Phases;
  /** CPU time of phases whose CPU differs from their wall time. */
  cpuUs?: Partial<Phases>;
  cpuByKind?: Partial<CpuByKind>;
  cpuByCpu?: Record<string, number>;
  dmaDescriptors?: number;
  dmaInterrupts?: number;
  firstFolioUs: number;
}

export function measurements(f: FixtureSpec): RunMeasurements {
  const callTimeUs = Object.values(f.wallUs).reduce((a, b) => a + b, 0);
  const phases = {} as RunMeasurements["phases"];
  for (const [p, wallUs] of Object.entries(f.wallUs) as [PhaseName, number][]) {
    phases[p] = { wallUs, cpuUs: f.cpuUs?.[p] ?? wallUs };
  }
  const cpuTotal = Object.values(phases).reduce((a, p) => a + p.cpuUs, 0);
  const cpuByKind = { syscall: cpuTotal, copyThreads: 0, irq: 0, ...f.cpuByKind };
  return {
    callTimeUs,
    phases,
    cpuByKind,
    cpuByCpu: f.cpuByCpu ?? { "0": cpuTotal },
    dmaDescriptors: f.dmaDescriptors ?? 0,
    dmaInterrupts: f.dmaInterrupts ?? 0,
    folioLatencyUs: {
      first: f.firstFolioUs,
      median: (f.firstFolioUs + callTimeUs) / 2,
      p99: callTimeUs * 0.99,
      last: callTimeUs,
    },
    vmstat: {},
  };
}

const GIB = 1 << 30;

export function config(
  o: Pick<ExplainConfig, "migrator" | "folioSizeBytes"> & Partial<ExplainConfig>,
): ExplainConfig {
  return {
    workers: 1,
    placement: "spread",
    folioCount: GIB / o.folioSizeBytes,
    batchPages: 512,
    fromNode: 0,
    toNode: 1,
    taskCpu: 0,
    cpuLoad: 0,
    minBatchFolios: 0,
    ...o,
  };
}

/** Phases around the copy: 150 ns walk, 340 + 140/2 + 100 ns unmap, 70 ns remap per 4K folio. */
export const AROUND_4K = {
  isolate: 39322.6,
  unmap: 133693.44,
  flush: 256,
  move: 18350.08,
  putback: 0,
};
/** The same for 512 THPs: 600/2 ns per PMD instead of the PTEs. */
export const AROUND_2M = { isolate: 77.8, unmap: 378.88, flush: 256, move: 153.6, putback: 0 };

export const serial4K = {
  config: config({ migrator: "serial", folioSizeBytes: 4096 }),
  run: measurements({ wallUs: { ...AROUND_4K, copy: 99420.53925926 }, firstFolioUs: 39584.67 }),
};

export const serial2M = {
  config: config({ migrator: "serial", folioSizeBytes: 2 << 20 }),
  run: measurements({ wallUs: { ...AROUND_2M, copy: 99420.53925926 }, firstFolioUs: 273.52 }),
};

/** 16384 descriptors of 64 KiB (16 contiguous folios merged), one interrupt per batch. */
export const dcbm1ch4K = {
  config: config({ migrator: "dcbm", workers: 1, folioSizeBytes: 4096 }),
  run: measurements({
    wallUs: { ...AROUND_4K, copy: 223324.48507934 },
    cpuUs: { copy: 34887.68 },
    cpuByKind: { syscall: 226509.8 - 768, irq: 768 },
    dmaDescriptors: 16384,
    dmaInterrupts: 512,
    firstFolioUs: 40020.47,
  }),
};

/** One 2M folio per batch, so one channel per batch: 512 descriptors and interrupts. */
export const dcbm2ch2M = {
  config: config({ migrator: "dcbm", workers: 2, folioSizeBytes: 2 << 20 }),
  run: measurements({
    wallUs: { ...AROUND_2M, copy: 88043.84507937 },
    cpuUs: { copy: 1904.64 },
    cpuByKind: { syscall: 2770.92 - 768, irq: 768 },
    dmaDescriptors: 512,
    dmaInterrupts: 512,
    firstFolioUs: 251.3,
  }),
};

/** 16 threads on CCDs 0 and 1 (CPUs 0-15); one 2M folio per batch, cut in 16 parts. */
export const mtcopyFill16 = {
  config: config({ migrator: "mtcopy", workers: 16, placement: "fill", folioSizeBytes: 2 << 20 }),
  run: measurements({
    wallUs: { ...AROUND_2M, copy: 67043.90650683 },
    cpuUs: { copy: 840004.48 },
    cpuByKind: { syscall: 866.28 + 16384, copyThreads: 840004.48 - 16384 },
    cpuByCpu: Object.fromEntries(
      Array.from({ length: 16 }, (_, cpu) => [
        String(cpu),
        (840004.48 - 16384) / 16 + (cpu === 0 ? 866.28 + 16384 : 0),
      ]),
    ),
    firstFolioUs: 210.29,
  }),
};

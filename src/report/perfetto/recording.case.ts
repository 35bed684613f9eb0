/**
 * A hand-made result with a recording, for the perfetto and ftrace reporter tests: one
 * move_pages call of 8 folios of 2M with mtcopy's two copy threads and two DMA channels, the
 * last folio failing (never mapped at its destination).
 */

import type { Recording } from "../../workload/measurements.js";
import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";

const M2 = 2 * 1024 * 1024;
const START = 5_000_000;

export function recordingCase(): Recording {
  return {
    startNs: START,
    endNs: START + 10_000,
    folioSizeBytes: M2,
    tracks: [
      { id: 0, kind: "cpu", name: "cpu0 move_pages", cpu: 0 },
      { id: 1, kind: "kworker", name: "kworker/u64:1 (cpu2)", cpu: 2 },
      { id: 2, kind: "kworker", name: "kworker/u64:2 (cpu3)", cpu: 3 },
      { id: 3, kind: "dma", name: "ptdma0 chan0" },
      { id: 4, kind: "dma", name: "ptdma0 chan1" },
    ],
    slices: [
      { track: 0, name: "move_pages", startNs: START, endNs: START + 10_000 },
      { track: 0, name: "isolate", startNs: START, endNs: START + 1_000 },
      { track: 0, name: "unmap", startNs: START + 1_000, endNs: START + 2_000 },
      { track: 0, name: "flush", startNs: START + 2_000, endNs: START + 2_500 },
      { track: 0, name: "copy", startNs: START + 2_500, endNs: START + 6_000 },
      { track: 0, name: "move", startNs: START + 6_000, endNs: START + 9_500 },
      // Nested twice, and zero-length, to exercise the nesting order.
      { track: 0, name: "remove_migration_ptes", startNs: START + 6_000, endNs: START + 6_000 },
      { track: 0, name: "putback", startNs: START + 9_500, endNs: START + 10_000 },
      {
        track: 1,
        name: "copy batch",
        startNs: START + 2_600,
        endNs: START + 5_000,
        args: { folios: 4, bytes: 4 * M2 },
      },
      {
        track: 2,
        name: "copy batch",
        startNs: START + 2_600,
        endNs: START + 5_900.5,
        args: { folios: 3, bytes: 3 * M2, node: "1", gbps: 7.25 },
      },
      { track: 3, name: "descriptor", startNs: START + 2_550, endNs: START + 4_000 },
      { track: 3, name: "descriptor", startNs: START + 4_000, endNs: START + 5_500 },
      { track: 4, name: "descriptor", startNs: START + 2_550, endNs: START + 5_800 },
    ],
    unmapNs: [1_100, 1_200, 1_300, 1_400, 1_500, 1_600, 1_700, 1_800].map((t) => START + t),
    remapNs: [6_100, 6_100, 6_500, 7_000, 7_900, 8_000, 9_000, -1].map((t) =>
      t < 0 ? t : START + t,
    ),
    trace: [
      {
        ts: START + 1_000,
        cpu: 0,
        name: "mm_migrate_pages_start",
        fields: { mode: "MIGRATE_SYNC", reason: "syscall_or_cpuset" },
      },
      {
        ts: START + 1_100,
        cpu: 0,
        name: "set_migration_pmd",
        fields: { addr: 0x7f0000000000, pmd: 0x1234567e7 },
      },
      {
        ts: START + 1_150,
        cpu: 0,
        name: "set_migration_pte",
        fields: { addr: 0x7f0000200000, pte: 0x1234568000 + 0x25, order: 9 },
      },
      { ts: START + 2_000, cpu: 0, name: "tlb_flush", fields: { reason: 4, pages: -1 } },
      { ts: START + 2_100, cpu: 0, name: "tlb_flush", fields: { reason: 2, pages: -1 } },
      { ts: START + 2_200, cpu: 0, name: "tlb_flush", fields: { reason: 3, pages: 1 } },
      {
        ts: START + 6_100,
        cpu: 0,
        name: "remove_migration_pmd",
        fields: { addr: 0x7f0000000000, pmd: 0x2234567e7 },
      },
      {
        ts: START + 6_500,
        cpu: 0,
        name: "remove_migration_pte",
        fields: { addr: 0x7f0000200000, pte: 0x2234568067, order: 0 },
      },
      {
        ts: START + 9_999.6,
        cpu: 0,
        name: "mm_migrate_pages",
        fields: {
          succeeded: 3584,
          failed: 512,
          thp_succeeded: 7,
          thp_failed: 1,
          thp_split: 0,
          large_folio_split: 0,
          mode: "MIGRATE_SYNC",
          reason: "syscall_or_cpuset",
        },
      },
    ],
  };
}

/** A result of `migrator` carrying `recording`; measurements are plausible but unchecked. */
export function resultCase(migrator: string, recording: Recording): MovePagesBenchResult {
  const us = (recording.endNs - recording.startNs) / 1000;
  return {
    migrator,
    workers: 2,
    folioSizeBytes: recording.folioSizeBytes,
    folioCount: recording.unmapNs.length,
    fromNode: 0,
    toNode: 1,
    batchPages: 512,
    cpuLoad: 0,
    runs: 1,
    throughputGBps: { mean: 1.5, sd: 0 },
    copyFraction: 0.5,
    firstFolioLatencyUs: 6.1,
    cpuTimeUs: us,
    tlbFlushIpis: 1,
    tlbFlushes: 3,
    phasesUs: { isolate: 1, unmap: 1, flush: 0.5, copy: 3.5, move: 3.5, putback: 0.5 },
    callTimeUs: us,
    phases: {
      isolate: { wallUs: 1, cpuUs: 1 },
      unmap: { wallUs: 1, cpuUs: 1 },
      flush: { wallUs: 0.5, cpuUs: 0.5 },
      copy: { wallUs: 3.5, cpuUs: 7 },
      move: { wallUs: 3.5, cpuUs: 3.5 },
      putback: { wallUs: 0.5, cpuUs: 0.5 },
    },
    cpuByKind: { syscall: 10, copyThreads: 5.7, irq: 0.2 },
    cpuByCpu: { "0": 10, "2": 2.4, "3": 3.3 },
    dmaDescriptors: 3,
    dmaInterrupts: 3,
    folioLatencyUs: { first: 1.1, median: 6.5, p99: 9, last: 9 },
    vmstat: { pgmigrate_success: 3584, pgmigrate_fail: 512 },
    recording,
  };
}

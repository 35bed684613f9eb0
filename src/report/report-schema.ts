/**
 * The `pagemig-report` document (bench's --json, docs/report-json.md) as a zod schema, for
 * `pagemig schema report`: tools reading reports validate them against its JSON Schema. Objects
 * are open (readers must ignore fields they do not know: adding one keeps the version).
 */
import { z } from "zod";
import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION } from "./json.js";

const us = (what: string) => z.number().describe(`${what}, µs of virtual time`);
const count = (what: string) => z.number().min(0).describe(what);
const PHASES = ["isolate", "unmap", "flush", "copy", "move", "putback"] as const;
const perPhase = <T extends z.ZodType>(value: T) =>
  z.looseObject(
    Object.fromEntries(PHASES.map((p) => [p, value])) as Record<(typeof PHASES)[number], T>,
  );

const resultSchema = z.looseObject({
  migrator: z.string().describe("copy engine: serial, batch-cpu, mtcopy, dcbm, dcbm-v2"),
  workers: z.int().min(1).describe("mtcopy's copy threads or dcbm's DMA channels; 1 otherwise"),
  channelsUsed: z.int().min(0).optional().describe("dcbm only: most channels one batch got"),
  folioSizeBytes: z.int().min(4096).max(2097152),
  folioCount: z.int().min(1),
  fromNode: z.int().min(0).describe("node the timed calls moved the region from"),
  toNode: z.int().min(0).describe("node the timed calls moved the region to"),
  batchPages: z.int().min(1).describe("NR_MAX_BATCHED_MIGRATION in base pages"),
  cpuLoad: z.int().min(0).describe("other tasks always runnable on every CPU"),
  runs: z.int().min(1).describe("timed calls the values are means over"),
  throughputGBps: z
    .looseObject({ mean: z.number(), sd: z.number().min(0) })
    .describe("GB/s (1e9 bytes per second of virtual time) per timed call"),
  copyFraction: z.number().min(0).max(1).nullable(),
  firstFolioLatencyUs: us("from the call's start until the first folio is mapped again"),
  cpuTimeUs: us("CPU time of the call, all CPUs"),
  tlbFlushIpis: count("TLB shootdown IPIs per call"),
  tlbFlushes: count("TLB flushes per call"),
  phasesUs: perPhase(z.number()).describe("CPU time per phase, all CPUs, µs"),
  callTimeUs: us("the call"),
  phases: perPhase(z.looseObject({ wallUs: z.number(), cpuUs: z.number() })),
  cpuByKind: z.looseObject({ syscall: z.number(), copyThreads: z.number(), irq: z.number() }),
  cpuByCpu: z.record(z.string().regex(/^\d+$/), z.number()).describe("µs per CPU number"),
  dmaDescriptors: count("DMA descriptors per call"),
  dmaInterrupts: count("DMA completion interrupts per call"),
  folioLatencyUs: z.looseObject({
    first: z.number(),
    median: z.number(),
    p99: z.number(),
    last: z.number(),
  }),
  vmstat: z.record(z.string(), z.number()).describe("/proc/vmstat deltas per call"),
  foliosNotMigrated: count("with --inject: folios left behind, all calls").optional(),
  faultsFired: z.record(z.string(), z.number()).optional().describe("with --inject"),
  hostCopyGBps: z.number().optional().describe("with --verify: the host's copy rate"),
  pagesVerified: count("with --verify: base pages checked").optional(),
});

export const ReportDocumentSchema = z
  .looseObject({
    schema: z.literal(REPORT_SCHEMA),
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    tool: z.literal("pagemig"),
    version: z.string().describe("pagemig's version"),
    command: z.string().describe("the command that ran, e.g. bench move-pages"),
    profile: z.string(),
    seed: z.int(),
    results: z.array(resultSchema),
  })
  .describe("pagemig bench --json (docs/report-json.md)");

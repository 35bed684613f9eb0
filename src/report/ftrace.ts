/**
 * The ftrace reporter: each result's recorded tracepoints as `cat /sys/kernel/tracing/trace`
 * prints them with the nop tracer (the 5-flag header of Linux 5.17 and later), each event in
 * its TP_printk format (include/trace/events/migrate.h, thp.h, tlb.h) with __print_symbolic's
 * names, so that whatever parses real trace text parses it.
 *
 * Every tracepoint fires in the task that called move_pages(), shown as move_pages with pid
 * = result index + 1 (the perfetto reporter's pids). Times are from the start of each call;
 * the results follow one another, each from the next whole second after the previous one
 * ended. The model keeps no irq or preemption state, so the flags read "....." throughout.
 *
 * As in the kernel's overwrite mode, each CPU's ring buffer keeps the newest events that fit
 * its buffer_size_kb, and the header's entries-in-buffer/entries-written says how many were
 * kept of how many fired. The buffer holds KiB of the printed text, which bounds the file (the
 * kernel's holds binary records, which are smaller, so it keeps more events). The default is
 * the kernel's, TRACE_BUF_SIZE_DEFAULT of kernel/trace/trace.c (1441792 bytes per CPU); every
 * event fires on the migrating task's CPU, so a trace is at most that plus its header.
 */

import { RunFailure } from "../errors.js";
import { MIGRATE_MODE_NAMES, MIGRATE_REASON_NAMES } from "../migrate/modes.js";
import type { TraceEvent, TraceEventName } from "../mm/trace.js";
import type { Recording } from "../workload/measurements.js";
import type { MovePagesBenchResult } from "../workload/move-pages-bench.js";
import type { Reporter, ReportInput } from "./reporter.js";

/** buffer_size_kb's default: the kernel's TRACE_BUF_SIZE_DEFAULT, 1441792 bytes per CPU. */
export const DEFAULT_BUFFER_SIZE_KB = 1408;
/** The largest buffer taken: the trace is built as one string, and a V8 string holds 512 MiB. */
export const MAX_BUFFER_SIZE_KB = 256 * 1024;

export interface FtraceOptions {
  /** KiB of event text each CPU's ring buffer holds (buffer_size_kb). */
  bufferSizeKb: number;
}

/** The comm of the task every event fires in. */
const COMM = "move_pages";

/** enum tlb_flush_reason names of include/trace/events/tlb.h, indexed by value. */
export const TLB_FLUSH_REASON_NAMES = [
  "flush on task switch",
  "remote shootdown",
  "local shootdown",
  "local mm shootdown",
  "remote ipi send",
] as const;

type Fields = TraceEvent["fields"];

/** TP_printk of each tracepoint. */
const PRINTK: Record<TraceEventName, (e: TraceEvent) => string> = {
  mm_migrate_pages: (e) =>
    `nr_succeeded=${lu(e, "succeeded")} nr_failed=${lu(e, "failed")} ` +
    `nr_thp_succeeded=${lu(e, "thp_succeeded")} nr_thp_failed=${lu(e, "thp_failed")} ` +
    `nr_thp_split=${lu(e, "thp_split")} nr_split=${lu(e, "large_folio_split")} ` +
    `mode=${symbolic(e, "mode", MIGRATE_MODE_NAMES)} reason=${symbolic(e, "reason", MIGRATE_REASON_NAMES)}`,
  mm_migrate_pages_start: (e) =>
    `mode=${symbolic(e, "mode", MIGRATE_MODE_NAMES)} reason=${symbolic(e, "reason", MIGRATE_REASON_NAMES)}`,
  set_migration_pte: migrationPte,
  remove_migration_pte: migrationPte,
  set_migration_pmd: migrationPmd,
  remove_migration_pmd: migrationPmd,
  tlb_flush: (e) =>
    `pages:${ld(e, "pages")} reason:${symbolic(e, "reason", TLB_FLUSH_REASON_NAMES)} (${d(e, "reason")})`,
};

function migrationPte(e: TraceEvent): string {
  return `addr=${lx(e, "addr")}, pte=${lx(e, "pte")} order=${d(e, "order")}`;
}

function migrationPmd(e: TraceEvent): string {
  return `addr=${lx(e, "addr")}, pmd=${lx(e, "pmd")}`;
}

function field(e: TraceEvent, name: string): Fields[string] {
  const v = e.fields[name];
  if (v === undefined) throw new RunFailure(`ftrace: ${e.name} at ${e.ts} ns has no ${name}`);
  return v;
}

function integer(e: TraceEvent, name: string): bigint {
  const v = field(e, name);
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new RunFailure(`ftrace: ${e.name} at ${e.ts} ns: ${name} ${v} is not an integer`);
  }
  return BigInt(v);
}

/** %lu and %lx print an unsigned long: negative values wrap as in C. */
function lu(e: TraceEvent, name: string): string {
  return BigInt.asUintN(64, integer(e, name)).toString();
}

function lx(e: TraceEvent, name: string): string {
  return BigInt.asUintN(64, integer(e, name)).toString(16);
}

function ld(e: TraceEvent, name: string): string {
  return BigInt.asIntN(64, integer(e, name)).toString();
}

function d(e: TraceEvent, name: string): string {
  return BigInt.asIntN(32, integer(e, name)).toString();
}

/** __print_symbolic(): the value's name, or the value in hex when it has none. */
function symbolic(e: TraceEvent, name: string, names: readonly string[]): string {
  const v = field(e, name);
  if (typeof v === "string") return v;
  return names[v] ?? `0x${lx(e, name)}`;
}

/** The context columns of trace_print_context(): comm, pid, CPU, flags, time in µs. */
function context(pid: number, cpu: number, ns: number): string {
  // ns2usecs() rounds to the nearest µs.
  const us = Math.floor((Math.round(ns) + 500) / 1000);
  const secs = Math.floor(us / 1e6);
  const usRem = us - secs * 1e6;
  return (
    `${COMM.padStart(16)}-${String(pid).padEnd(7)} [${String(cpu).padStart(3, "0")}] ..... ` +
    `${String(secs).padStart(5)}.${String(usRem).padStart(6, "0")}: `
  );
}

/** print_func_help_header_irq() without the TGID column. */
function header(entries: number, written: number, cpus: number): string[] {
  const pad = " ".repeat(30);
  return [
    "# tracer: nop",
    "#",
    `# entries-in-buffer/entries-written: ${entries}/${written}   #P:${cpus}`,
    "#",
    `#${pad}  _-----=> irqs-off/BH-disabled`,
    `#${pad} / _----=> need-resched`,
    `#${pad}| / _---=> hardirq/softirq`,
    `#${pad}|| / _--=> preempt-depth`,
    `#${pad}||| / _-=> migrate-disable`,
    `#${pad}|||| /     delay`,
    "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
    "#              | |         |   |||||     |         |",
  ];
}

function recordingOf(r: MovePagesBenchResult, index: number): Recording {
  if (r.recording === undefined) {
    throw new RunFailure(`ftrace: result ${index + 1} has no recording`);
  }
  return r.recording;
}

/** Where each result's call starts in the trace: the next whole second after the last ended. */
function callOffsetsNs(recordings: readonly Recording[]): number[] {
  let baseNs = 0;
  return recordings.map((rec) => {
    const at = baseNs;
    baseNs = (Math.floor((baseNs + rec.endNs - rec.startNs) / 1e9) + 1) * 1e9;
    return at;
  });
}

function renderFtrace(input: ReportInput, o: FtraceOptions): string {
  const recordings = input.results.map(recordingOf);
  const offsetsNs = callOffsetsNs(recordings);
  /** Bytes left in each CPU's buffer; 0 once an event did not fit (older ones are lost). */
  const room = new Map<number, number>();
  const kept: string[] = [];
  let written = 0;
  // Newest first, so only the events that stay in a buffer are printed.
  for (let index = recordings.length - 1; index >= 0; index--) {
    const rec = recordings[index];
    for (let i = rec.trace.length - 1; i >= 0; i--) {
      const e = rec.trace[i];
      if (!(e.ts >= rec.startNs)) {
        throw new RunFailure(
          `ftrace: ${e.name} at ${e.ts} ns is before the call (${rec.startNs} ns)`,
        );
      }
      written++;
      const left = room.get(e.cpu) ?? o.bufferSizeKb * 1024;
      if (left === 0) continue;
      const ns = offsetsNs[index] + e.ts - rec.startNs;
      const line = `${context(index + 1, e.cpu, ns)}${e.name}: ${PRINTK[e.name](e)}`;
      // The text is ASCII: a character is a byte, and the line ends with one more.
      const fits = line.length + 1 <= left;
      room.set(e.cpu, fits ? left - line.length - 1 : 0);
      if (fits) kept.push(line);
    }
  }
  kept.reverse();
  return `${[...header(kept.length, written, input.cpus), ...kept].join("\n")}\n`;
}

/** The ftrace reporter with a ring buffer of `o.bufferSizeKb` per CPU. */
export function ftraceReporter(o: FtraceOptions): Reporter {
  return {
    name: "ftrace",
    description:
      "the migrate and tlb_flush tracepoints of each result's last call, as /sys/kernel/tracing/trace prints them",
    needsRecording: true,
    binary: false,
    render: (input) => renderFtrace(input, o),
  };
}

export const reporter: Reporter = ftraceReporter({ bufferSizeKb: DEFAULT_BUFFER_SIZE_KB });

/**
 * `pagemig host bench move-pages`: the benchmark of workload/move-pages-bench.ts on the
 * running kernel. An anonymous region is mapped, asked for folios of the size wanted
 * (madvise MADV_HUGEPAGE, with the mTHP size enabled in sysfs; MADV_NOHUGEPAGE for 4K), bound
 * to the source node with mbind(2) and written, then moved to the target node by one timed
 * move_pages(2) call per run (one address per folio); between runs an untimed call moves it
 * back. Times are the host's wall clock; what the host gave (THP, large folios) and the
 * /proc/vmstat deltas of each call are read from procfs.
 */
import { readFileSync } from "node:fs";
import { RunFailure, UsageError } from "../errors.js";
import { formatSize } from "../machine/units.js";
import { errnoName } from "../mm/errno.js";
import { HPAGE_PMD_NR, PAGE_SIZE } from "../mm/folio.js";
import { type MovePagesBenchResult, meanSd } from "../workload/move-pages-bench.js";
import type { HostContext } from "./host-context.js";
import { type Libc, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MPOL_BIND, MPOL_MF_MOVE } from "./libc.js";
import { anonHugeBytes, largeFoliosAt, readVmstat, vmstatDelta } from "./procfs.js";

const THP_DIR = "/sys/kernel/mm/transparent_hugepage";
const PMD_BYTES = PAGE_SIZE * HPAGE_PMD_NR;

export interface HostBenchOptions {
  /** `serial` on a vanilla kernel; the offload module's name where one is loaded. */
  migrator: string;
  folioSizeBytes: number;
  folioCount: number;
  runs: number;
  /** Host node ids. */
  from: number;
  to: number;
}

/**
 * One configuration measured on the host (docs/report-json.md, "A host's report"): the
 * model's result fields a host can measure, with the same names and units except that times
 * are wall-clock (throughput: bytes pgmigrate_success counted over a call's wall time;
 * cpuTimeUs: this process's user + system time; vmstat: whole-machine deltas), and what the
 * host gave for the folios asked.
 */
export type HostBenchResult = Pick<
  MovePagesBenchResult,
  | "migrator"
  | "workers"
  | "folioSizeBytes"
  | "folioCount"
  | "batchPages"
  | "cpuLoad"
  | "runs"
  | "throughputGBps"
  | "callTimeUs"
  | "cpuTimeUs"
  | "vmstat"
> & {
  /** Wall time of each timed call, µs, in order. */
  callsUs: number[];
  /** Large folios of the size asked (THP for 2M) the host gave; null where unreadable. */
  foliosObtained: number | null;
  /** AnonHugePages of the region, bytes. */
  anonHugeBytes: number;
};

/** Checks the host can run the benchmark at all; one line naming what it lacks otherwise. */
export function checkHostCanBench(ctx: HostContext, from: number, to: number): void {
  const mem = ctx.memoryNodes;
  if (mem.length < 2) {
    throw new UsageError(
      `host bench move-pages: this host has ${mem.length === 1 ? `one memory node (node ${mem[0]})` : "no memory node"}; moving pages needs two`,
    );
  }
  for (const n of [from, to]) {
    if (!mem.includes(n)) {
      throw new UsageError(
        `--nodes: node ${n} is not a memory node of this host (${mem.join(",")})`,
      );
    }
  }
  if (from === to) throw new UsageError(`--nodes ${from},${to}: the same node twice`);
}

/** Checks the host offers folios of `bytes` (THP for 2M, an mTHP size enabled below it). */
export function checkFolioSize(bytes: number): void {
  if (bytes === PAGE_SIZE) return;
  const global = bracketed(`${THP_DIR}/enabled`);
  if (global === null) {
    throw new UsageError(
      `--folio-size ${formatSize(bytes)}: this kernel has no THP (no ${THP_DIR})`,
    );
  }
  const dir = `${THP_DIR}/hugepages-${bytes / 1024}kB`;
  const own = bracketed(`${dir}/enabled`);
  if (own === null && bytes !== PMD_BYTES) {
    throw new UsageError(
      `--folio-size ${formatSize(bytes)}: this kernel offers no such mTHP size (no ${dir})`,
    );
  }
  const setting = own === null || own === "inherit" ? global : own;
  if (setting === "never") {
    throw new UsageError(
      `--folio-size ${formatSize(bytes)}: THP of this size is off (${own === null || own === "inherit" ? `${THP_DIR}/enabled` : `${dir}/enabled`} is [never])`,
    );
  }
}

function bracketed(path: string): string | null {
  try {
    return /\[(\w+)\]/.exec(readFileSync(path, "utf8"))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Checks move_pages(2) is allowed here (a seccomp filter may refuse it: EPERM or ENOSYS). */
export function checkMovePagesAllowed(libc: Libc): void {
  const rc = libc.movePages({ pid: 0, count: 0, pages: null, nodes: null, status: null, flags: 0 });
  if (rc < 0) {
    throw new UsageError(
      `host: move_pages(2) is refused here (${errnoName(rc)}): a seccomp filter or a kernel without NUMA`,
    );
  }
}

export async function runHostBench(
  libc: Libc,
  o: HostBenchOptions,
  interrupted: () => boolean,
): Promise<HostBenchResult> {
  const size = o.folioSizeBytes;
  const bytes = size * o.folioCount;
  // Room to align the region to its folio size, which a large folio needs.
  const len = bytes + size;
  const raw = libc.mmapAnon(len);
  // Every way out, an interrupt too (the caller's SIGINT handler sets `interrupted`), unmaps.
  try {
    const addr = Math.ceil(raw / size) * size;
    const advice = size === PAGE_SIZE ? MADV_NOHUGEPAGE : MADV_HUGEPAGE;
    const madv = libc.madvise(addr, bytes, advice);
    if (madv < 0) throw new UsageError(`host: madvise refused (${errnoName(madv)})`);
    const bind = libc.mbind(addr, bytes, MPOL_BIND, [o.from]);
    if (bind < 0)
      throw new UsageError(`host: mbind to node ${o.from} refused (${errnoName(bind)})`);
    libc.fill(addr, bytes, 1);
    const pages = Array.from({ length: o.folioCount }, (_, i) => addr + i * size);
    const huge = anonHugeBytes(addr, addr + bytes);
    const obtained =
      size === PAGE_SIZE
        ? o.folioCount
        : size === PMD_BYTES
          ? huge / PMD_BYTES
          : largeFoliosAt(addr, size, o.folioCount);
    const callsUs: number[] = [];
    const gbps: number[] = [];
    const cpuUs: number[] = [];
    const deltas: Record<string, number>[] = [];
    const move = (node: number) => {
      const status = new Int32Array(o.folioCount);
      const rc = libc.movePages({
        pid: 0,
        count: o.folioCount,
        pages,
        nodes: pages.map(() => node),
        status,
        flags: MPOL_MF_MOVE,
      });
      if (rc < 0) throw new RunFailure(`move_pages to node ${node} returned -${errnoName(rc)}`);
      return rc;
    };
    for (let r = 0; r < o.runs; r++) {
      // Let a SIGINT handler run between calls.
      await new Promise((done) => setImmediate(done));
      if (interrupted()) throw new RunFailure("interrupted");
      if (r > 0) move(o.from);
      const before = readVmstat();
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      move(o.to);
      const ns = Number(process.hrtime.bigint() - t0);
      const cpu = process.cpuUsage(cpu0);
      const delta = vmstatDelta(before, readVmstat());
      // The bytes this call really moved: a folio the host gave smaller moves only its page.
      const moved = (delta.pgmigrate_success ?? 0) * PAGE_SIZE;
      callsUs.push(ns / 1000);
      gbps.push(moved / ns);
      cpuUs.push(cpu.user + cpu.system);
      deltas.push(delta);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      migrator: o.migrator,
      workers: 1,
      folioSizeBytes: size,
      folioCount: o.folioCount,
      batchPages: nrMaxBatchedMigration(),
      cpuLoad: 0,
      runs: o.runs,
      throughputGBps: meanSd(gbps),
      callsUs,
      callTimeUs: mean(callsUs),
      cpuTimeUs: mean(cpuUs),
      vmstat: meanCounters(deltas),
      foliosObtained: obtained,
      anonHugeBytes: huge,
    };
  } finally {
    libc.munmap(raw, len);
  }
}

/** The kernel's NR_MAX_BATCHED_MIGRATION: HPAGE_PMD_NR, hpage_pmd_size in base pages. */
function nrMaxBatchedMigration(): number {
  try {
    return Number(readFileSync(`${THP_DIR}/hpage_pmd_size`, "utf8")) / PAGE_SIZE;
  } catch {
    return HPAGE_PMD_NR;
  }
}

/** What copies on this host's move_pages: an offload module where one is loaded. */
export function hostMigrator(ctx: HostContext): string {
  if (ctx.facts.modules.dcbm !== null) return "dcbm";
  if (ctx.facts.modules.mtcopy !== null) return "mtcopy";
  return "serial";
}

function meanCounters(deltas: readonly Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const d of deltas) for (const [k, v] of Object.entries(d)) sum[k] = (sum[k] ?? 0) + v;
  for (const k of Object.keys(sum)) sum[k] /= deltas.length;
  return sum;
}

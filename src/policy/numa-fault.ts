/**
 * NUMA balancing's hint-fault side (mm/memory.c do_numa_page(), numa_migrate_check();
 * mm/mempolicy.c mpol_misplaced(); kernel/sched/fair.c should_numa_migrate_memory();
 * mm/migrate.c migrate_misplaced_folio_prepare(), migrate_misplaced_folio()): decide whether
 * the faulting folio belongs on the faulting CPU's node and, if so, migrate it there, one
 * folio per fault, in the faulting thread's context.
 *
 * The MEMORY_TIERING branch (kernel.numa_balancing & 2) is one place: NumaTieringHooks, which
 * policy/tiering installs on NumaBalancing.tiering; without it only the NORMAL path runs.
 */

import { migratePages } from "../migrate/core.js";
import { Exec, PH_ISOLATE } from "../migrate/exec.js";
import { folioIsolateLru, putbackMovablePages } from "../migrate/isolate.js";
import type { Kernel } from "../migrate/kernel.js";
import { MIGRATE_ASYNC, MR_NUMA_MISPLACED } from "../migrate/modes.js";
import { nodeTarget } from "../migrate/move-pages.js";
import { MigrationRun } from "../migrate/run.js";
import type { Folio } from "../mm/folio.js";
import { DEFAULT_POLICY, getVmaPolicy } from "../mm/mempolicy.js";
import { countNumaHintFault, type NumaHintFault, numaRebuildMapping } from "../mm/numa-hint.js";
import type { Task } from "../mm/task.js";
import type { Vma } from "../mm/vm.js";
import {
  DEFAULT_WATERMARK_SCALE_FACTOR,
  setupPerZoneWmarks,
  type Watermarks,
} from "../mm/watermarks.js";
import type { Yieldable } from "../sim/simulator.js";
import type { NumaBalancing, NumaTask } from "./numa-balancing.js";
import { reclaimOf } from "./reclaim.js";
import { NUMA_BALANCING_MEMORY_TIERING, NUMA_BALANCING_NORMAL } from "./sysctl.js";

export const NUMA_NO_NODE = -1;

/** task_numa_fault() flags (include/linux/sched/numa_balancing.h). */
export const TNF_MIGRATED = 0x01;
export const TNF_NO_GROUP = 0x02;
export const TNF_SHARED = 0x04;
export const TNF_FAULT_LOCAL = 0x08;
export const TNF_MIGRATE_FAIL = 0x10;

/** LAST__PID_SHIFT: a cpupid keeps the CPU and the low 8 bits of the pid. */
const LAST_PID_BITS = 8;
const LAST_PID_MASK = (1 << LAST_PID_BITS) - 1;

/** cpu_pid_to_cpupid() */
export function cpuPidToCpupid(cpu: number, pid: number): number {
  return cpu * (LAST_PID_MASK + 1) + (pid & LAST_PID_MASK);
}
/** cpupid_pid_unset(): the folio has had no hint fault (or was reset on free). */
export function cpupidPidUnset(cpupid: number): boolean {
  return cpupid === -1;
}
function cpupidToCpu(cpupid: number): number {
  return Math.floor(cpupid / (LAST_PID_MASK + 1));
}
function cpupidMatchPid(pid: number, cpupid: number): boolean {
  return cpupid !== -1 && (pid & LAST_PID_MASK) === (cpupid & LAST_PID_MASK);
}

/**
 * What memory tiering adds to NUMA balancing; policy/tiering implements it. Each member is the
 * kernel's tiering branch of the function named.
 */
export interface NumaTieringHooks {
  /** node_is_toptier() */
  isTopTier(nid: number): boolean;
  /**
   * should_numa_migrate_memory() for a folio on a node that is not top-tier: the hot
   * threshold on the hint-fault latency and the promotion rate limit. True: promote it.
   */
  shouldPromote(fault: NumaHintFault, dstNid: number): boolean;
  /** change_pte_range()'s tiering skips (and its record of the scan time): true skips `folio`. */
  scanSkip?(folio: Folio): boolean;
  /** migrate_misplaced_folio_prepare() found `nid` short of free pages for an `order` folio: wake its kswapd. */
  wakeupKswapd?(nid: number, order: number): void;
  /** migrate_misplaced_folio() moved `nr` pages from `srcNid` to `dstNid` (pgpromote_success). */
  migrated?(srcNid: number, dstNid: number, nr: number): void;
}

/**
 * A thread's pid for the cpupid bits: the model's threads have no pid of their own and run
 * one per CPU, so the process's pid times 4096 plus the CPU stands for it.
 */
export function threadPid(task: Task, cpu: number): number {
  return task.pid * 4096 + cpu;
}

/**
 * vma_policy_mof(): whether the policy a fault of `task` in the VMA takes (get_vma_policy())
 * migrates on fault. Only the system default does: an mbind(2) or set_mempolicy(2) policy
 * has no MPOL_F_MOF without MPOL_F_NUMA_BALANCING, which the model does not have.
 */
export function vmaPolicyMof(vma: Vma, task: Task): boolean {
  return getVmaPolicy(vma, task) === DEFAULT_POLICY;
}

/**
 * should_numa_migrate_memory(p, folio, src_nid, dst_cpu): the tiering branch (NumaTieringHooks)
 * for a folio below the top tier, else the two-stage filter on the folio's last cpupid. The
 * numa_group heuristics that follow it in the kernel are not modelled (no numa_group: a
 * shared fault migrates, as the kernel does before a group forms).
 */
export function shouldNumaMigrateMemory(
  nb: NumaBalancing,
  t: NumaTask,
  fault: NumaHintFault,
  srcNid: number,
): boolean {
  const dstNid = fault.nid;
  if (!nb.k.nodeHasMemory(dstNid)) return false;
  const tiering = nb.tiering;
  if (nb.mode & NUMA_BALANCING_MEMORY_TIERING && tiering !== null && !tiering.isTopTier(srcNid)) {
    return tiering.shouldPromote(fault, dstNid);
  }
  // Tiering alone scans only the slower tiers; without its hooks nothing is promoted.
  if (!(nb.mode & NUMA_BALANCING_NORMAL)) return false;
  const pid = threadPid(fault.task, fault.cpu);
  const last = fault.folio.lastCpupid;
  fault.folio.lastCpupid = cpuPidToCpupid(fault.cpu, pid);
  // Early in the task's life a first or private fault migrates at once.
  if (
    (t.preferredNid === NUMA_NO_NODE || t.scanSeq <= 4) &&
    (cpupidPidUnset(last) || cpupidMatchPid(pid, last))
  ) {
    return true;
  }
  // The two-stage filter: the last fault must have come from the destination node too.
  if (!cpupidPidUnset(last) && nb.k.profile.nodeOfCpu(cpupidToCpu(last)) !== dstNid) return false;
  return true;
}

/**
 * mpol_misplaced(): the node the folio should move to, or NUMA_NO_NODE. Only the default
 * policy (MPOL_LOCAL with MPOL_F_MOF | MPOL_F_MORON) migrates on fault in the model: the
 * scanner skips every other VMA (vma_policy_mof()), as the kernel does without
 * MPOL_F_NUMA_BALANCING.
 */
export function mpolMisplaced(nb: NumaBalancing, t: NumaTask, fault: NumaHintFault): number {
  if (!vmaPolicyMof(fault.vma, fault.task)) return NUMA_NO_NODE;
  const curNid = fault.folio.nid;
  if (!shouldNumaMigrateMemory(nb, t, fault, curNid)) return NUMA_NO_NODE;
  return curNid === fault.nid ? NUMA_NO_NODE : fault.nid;
}

/**
 * migrate_balanced_pgdat(): the node has free pages above its high watermark plus the folio.
 * The model has one zone per node; its watermarks are the scenario's when reclaim runs
 * (policy/reclaim.ts), else the kernel's defaults.
 */
export function migrateBalancedPgdat(k: Kernel, nid: number, nrPages: number): boolean {
  return k.phys.freePages(nid) > highWmarkPages(k, nid) + nrPages;
}

/** The kernel's default watermarks of each machine without reclaim, set up once per machine. */
const defaultWmarks = new WeakMap<Kernel, Map<number, Watermarks>>();

/** The node's high watermark (mm/watermarks.ts), with vm.* as the scenario sets them. */
function highWmarkPages(k: Kernel, nid: number): number {
  const r = reclaimOf(k);
  if (r !== null) return r.wmark(nid).high;
  let wmarks = defaultWmarks.get(k);
  if (wmarks === undefined) {
    const nodes = new Map(k.profile.topology.nodes.map((n) => [n.id, k.phys.nodePages(n.id)]));
    wmarks = setupPerZoneWmarks(nodes, undefined, DEFAULT_WATERMARK_SCALE_FACTOR);
    defaultWmarks.set(k, wmarks);
  }
  return (wmarks.get(nid) as Watermarks).high;
}

/**
 * migrate_misplaced_folio_prepare(): refuse a target short of free pages (in tiering mode
 * waking its kswapd first), else isolate the folio from the LRU. False: -EAGAIN.
 */
function migrateMisplacedFolioPrepare(
  nb: NumaBalancing,
  exec: Exec,
  folio: Folio,
  nid: number,
): boolean {
  const k = nb.k;
  if (!migrateBalancedPgdat(k, nid, folio.nrPages)) {
    if (nb.mode & NUMA_BALANCING_MEMORY_TIERING) nb.tiering?.wakeupKswapd?.(nid, folio.order);
    return false;
  }
  exec.charge(PH_ISOLATE, k.costs.pageWalkNs);
  return folioIsolateLru(folio, k.ctx);
}

/**
 * migrate_misplaced_folio(): migrate_pages() of the one isolated folio to `nid`, MIGRATE_ASYNC,
 * MR_NUMA_MISPLACED (__GFP_THISNODE: a full node fails, a large folio is not split); what was
 * not moved goes back to the LRU. Counts numa_pages_migrated. Returns whether it moved.
 */
function* migrateMisplacedFolio(
  nb: NumaBalancing,
  run: MigrationRun,
  folio: Folio,
  nid: number,
): Generator<Yieldable, boolean, unknown> {
  const k = nb.k;
  const srcNid = folio.nid;
  const list = [folio];
  const r = yield* migratePages(run, list, MIGRATE_ASYNC, MR_NUMA_MISPLACED);
  if (r.rc !== 0 && list.length > 0) putbackMovablePages(list, k.ctx);
  if (r.nrSucceeded > 0) {
    k.ctx.vmstat.count("numa_pages_migrated", r.nrSucceeded);
    if (nb.mode & NUMA_BALANCING_MEMORY_TIERING) nb.tiering?.migrated?.(srcNid, nid, r.nrSucceeded);
  }
  return r.rc === 0;
}

/**
 * The faulting thread's migration to `nid` (alloc_misplaced_dst_folio(): __GFP_THISNODE),
 * made once per thread and node: a thread takes one fault at a time, so its CPU meter and
 * run are reused rather than allocated per fault.
 */
function faultRun(nb: NumaBalancing, t: NumaTask, fault: NumaHintFault, nid: number): MigrationRun {
  let runs = t.faultRuns.get(fault.cpu);
  if (runs === undefined) {
    runs = [];
    t.faultRuns.set(fault.cpu, runs);
  }
  let run = runs[nid];
  if (run === undefined) {
    const k = nb.k;
    const thread = nb.threadTask(t, fault.cpu);
    const exec =
      fault.se === undefined ? k.newExec(thread) : new Exec(thread, k.sched, fault.se, true);
    run = new MigrationRun(k, runs.find((r) => r !== undefined)?.exec ?? exec, nodeTarget(k, nid));
    runs[nid] = run;
  }
  return run;
}

/**
 * do_numa_page() / do_huge_pmd_numa_page(): count the fault (numa_migrate_check()), ask
 * mpol_misplaced() where the folio belongs, and either restore its entries or migrate it, then
 * tell task_numa_fault(). A fault that does not migrate is done at once (its cost is the entry
 * cost, memory.hintFaultNs); one that migrates runs migrate_pages() in the faulting thread's
 * context, which the thread waits for.
 */
export function doNumaPage(
  nb: NumaBalancing,
  fault: NumaHintFault,
): Generator<Yieldable, void, unknown> | undefined {
  const k = nb.k;
  const t = nb.taskOf(fault.vma.mm);
  const folio = fault.folio;
  const nid = folio.nid;
  countNumaHintFault(k.ctx, nid, fault.nid);
  if (t === undefined) {
    numaRebuildMapping(fault);
    return undefined;
  }
  let flags = nid === fault.nid ? TNF_FAULT_LOCAL : 0;
  // The folio's last cpupid before this fault swaps in its own (should_numa_migrate_memory()).
  const lastCpupid = folio.lastCpupid;
  const target = mpolMisplaced(nb, t, fault);
  if (target === NUMA_NO_NODE) {
    numaRebuildMapping(fault);
    nb.taskNumaFault(t, fault, lastCpupid, nid, fault.nrPages, flags);
    return undefined;
  }
  const run = faultRun(nb, t, fault, target);
  const exec = run.exec;
  exec.folioEvents = fault.events ?? null;
  if (!migrateMisplacedFolioPrepare(nb, exec, folio, target)) {
    numaRebuildMapping(fault);
    nb.taskNumaFault(t, fault, lastCpupid, nid, fault.nrPages, flags | TNF_MIGRATE_FAIL);
    return exec.pending > 0 ? exec.sync() : undefined;
  }
  return (function* () {
    const moved = yield* migrateMisplacedFolio(nb, run, folio, target);
    yield* exec.sync();
    if (moved) {
      flags |= TNF_MIGRATED;
    } else {
      flags |= TNF_MIGRATE_FAIL;
      // A failed migration put the source's entries back; whatever is still PROT_NONE is made
      // accessible, as out_map does.
      numaRebuildMapping(fault);
    }
    nb.taskNumaFault(t, fault, lastCpupid, moved ? target : nid, fault.nrPages, flags);
  })();
}

/**
 * move_pages(2) (mm/migrate.c: kernel_move_pages, do_pages_move, do_pages_stat) as the
 * semantics reference §15 describes it.
 *
 * User memory: `pages`, `nodes` and `status` stand for the user's arrays; an index at or past
 * an array's length is an address that faults, so a short array gives EFAULT exactly where a
 * too-short user buffer would. Addresses are not untagged (no LAM/TBI in the model).
 */
import { EACCES, EBUSY, EFAULT, EINVAL, ENODEV, ENOENT, EPERM, ESRCH } from "../mm/errno.js";
import type { Folio } from "../mm/folio.js";
import type { Task } from "../mm/task.js";
import { folioMaybeMappedShared, type MmStruct, type Vma } from "../mm/vm.js";
import type { MigGen } from "./core.js";
import { migratePages } from "./core.js";
import { type Exec, PH_ISOLATE } from "./exec.js";
import { folioIsolateLru, lruCacheDisable, putbackMovablePages } from "./isolate.js";
import type { Kernel } from "./kernel.js";
import {
  DO_PAGES_STAT_CHUNK_NR,
  MAX_NUMNODES,
  MIGRATE_SYNC,
  MPOL_MF_MOVE,
  MPOL_MF_MOVE_ALL,
  MR_SYSCALL,
} from "./modes.js";
import { MigrationRun, type MigrationTarget } from "./run.js";
import { vmaMigratable } from "./vma.js";

export interface MovePagesArgs {
  /** 0 for the calling task. */
  pid: number;
  count: number;
  pages: ArrayLike<number>;
  /** null: query mode. */
  nodes: ArrayLike<number> | null;
  status: Int32Array;
  flags: number;
}

const NUMA_NO_NODE = -1;

/** ptrace_may_access(PTRACE_MODE_READ_REALCREDS), modelled as: same uid, or a root caller. */
export function ptraceMayAccess(caller: Task, target: Task): boolean {
  return caller === target || caller.uid === 0 || caller.uid === target.uid;
}

/** The nodes a task may use: its cpuset's mems_allowed, or every node with memory. */
export function memsAllowed(k: Kernel, task: Task): ReadonlySet<number> {
  return task.memsAllowed ?? new Set(k.profile.topology.nodes.map((n) => n.id));
}

/** alloc_migration_target() with __GFP_THISNODE on one node, at the source's order. */
export function nodeTarget(k: Kernel, nid: number): MigrationTarget {
  return {
    // An injected allocation failure looks like a full node to the caller.
    alloc: (src) => (k.faults.hit("alloc-fail") ? null : k.phys.allocFolio(nid, src.order)),
    free: (dst) => {
      dst.refcount = 0;
      k.phys.freeFolio(dst);
    },
  };
}

/** move_pages(2): returns 0, the number of entries not migrated, or a negative errno. */
export function* sysMovePages(k: Kernel, exec: Exec, args: MovePagesArgs): MigGen<number> {
  const caller = exec.task;
  const isolating: IsolateStretch = k.timeline.enabled ? { sinceNs: exec.now() } : null;
  if (isolating !== null) {
    exec.track = k.timeline.track("cpu", `cpu${caller.cpu} move_pages`, caller.cpu);
  }
  // Folios freed by earlier calls are no longer held by anyone: their objects may be reused.
  k.phys.recycleFreedFolios();
  exec.charge(PH_ISOLATE, k.costs.syscallNs);
  if (args.flags & ~(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) return -EINVAL;
  if (args.flags & MPOL_MF_MOVE_ALL && !caller.capSysNice) return -EPERM;
  const target = args.pid === 0 ? caller : k.tasks.get(args.pid);
  if (target === undefined) return -ESRCH;
  if (!ptraceMayAccess(caller, target)) return -EPERM;
  const mm = target.mm;
  if (mm === null) return -EINVAL;
  const allowed = memsAllowed(k, target);
  if (args.nodes === null) return doPagesStat(k, exec, mm, args);
  return yield* doPagesMove(k, exec, mm, allowed, args, args.nodes, isolating);
}

/**
 * Timeline: where the stretch of the call that walks and isolates pages began (the call's
 * start, or the end of the last migrate_pages()); null when not recording.
 */
type IsolateStretch = { sinceNs: number } | null;

/** Query mode: report each page's node, 16 entries at a time. */
function doPagesStat(k: Kernel, exec: Exec, mm: MmStruct, args: MovePagesArgs): number {
  const chunk = new Int32Array(DO_PAGES_STAT_CHUNK_NR);
  for (let i = 0; i < args.count; i += DO_PAGES_STAT_CHUNK_NR) {
    const n = Math.min(DO_PAGES_STAT_CHUNK_NR, args.count - i);
    if (i + n > args.pages.length) return -EFAULT;
    for (let j = 0; j < n; j++) {
      exec.charge(PH_ISOLATE, k.costs.pageWalkNs);
      chunk[j] = pageStatus(mm, args.pages[i + j]);
    }
    if (i + n > args.status.length) return -EFAULT;
    args.status.set(chunk.subarray(0, n), i);
  }
  return 0;
}

function pageStatus(mm: MmStruct, addr: number): number {
  const l = mm.lookup(addr);
  // The zero page is no memory of the task's: -EFAULT, as for an address without a VMA.
  if (l.kind === "novma" || l.kind === "zero") return -EFAULT;
  if (l.kind === "present") return l.folio.nid;
  return -ENOENT;
}

function* doPagesMove(
  k: Kernel,
  exec: Exec,
  mm: MmStruct,
  allowed: ReadonlySet<number>,
  args: MovePagesArgs,
  nodes: ArrayLike<number>,
  isolating: IsolateStretch,
): MigGen<number> {
  const { count, pages, status } = args;
  const migrateAll = (args.flags & MPOL_MF_MOVE_ALL) !== 0;
  lruCacheDisable(k, exec);
  // Sized for the call up front: grown by push, a list of a million folios is copied often.
  const run: Pagelist = { folios: new Array(Math.min(count, pages.length)), n: 0, vma: undefined };
  let currentNode = NUMA_NO_NODE;
  let start = 0;
  let err = 0;
  let i = 0;
  for (; i < count; i++) {
    if (i >= pages.length || i >= nodes.length) {
      err = -EFAULT;
      break;
    }
    const node = nodes[i];
    // The node of the run being built passed these checks at the run's first entry.
    if (currentNode === NUMA_NO_NODE || node !== currentNode) {
      if (!Number.isInteger(node) || node < 0 || node >= MAX_NUMNODES || !k.nodeHasMemory(node)) {
        err = -ENODEV;
        break;
      }
      if (!allowed.has(node)) {
        err = -EACCES;
        break;
      }
    }
    if (currentNode === NUMA_NO_NODE) {
      start = i;
      currentNode = node;
    } else if (node !== currentNode) {
      err = yield* movePagesAndStore(k, exec, run, currentNode, start, i, args, isolating);
      if (err !== 0) return err;
      start = i;
      currentNode = node;
    }
    exec.charge(PH_ISOLATE, k.costs.pageWalkNs);
    const queued = addFolioForMigration(k, mm, pages, i, node, migrateAll, run);
    if (queued > 0) continue;
    // Not queued: this entry gets its status now, and it ends the run before it.
    if (i >= status.length) {
      err = -EFAULT;
      break;
    }
    status[i] = queued === 0 ? currentNode : queued;
    err = yield* movePagesAndStore(k, exec, run, currentNode, start, i, args, isolating);
    if (err > 0) return err - 1;
    if (err < 0) return err;
    currentNode = NUMA_NO_NODE;
  }
  const err1 = yield* movePagesAndStore(k, exec, run, currentNode, start, i, args, isolating);
  return err >= 0 ? err1 : err;
}

/**
 * The folios isolated for the run being built: the first `n` of `folios`; and the VMA the last
 * entry was in, the first one tried for the next (the address space can change only while a
 * run migrates, which forgets it).
 */
interface Pagelist {
  folios: Folio[];
  n: number;
  vma: Vma | undefined;
}

/**
 * add_folio_for_migration() of entry i: 1 queued, 0 already on the node, or a negative status.
 * It reads the address itself: passed to a call V8 did not inline, a double is boxed on the heap.
 */
function addFolioForMigration(
  k: Kernel,
  mm: MmStruct,
  pages: ArrayLike<number>,
  i: number,
  node: number,
  migrateAll: boolean,
  run: Pagelist,
): number {
  const addr = pages[i];
  let vma = run.vma;
  if (vma === undefined || addr < vma.start || addr >= vma.end) {
    vma = mm.findVma(addr);
    run.vma = vma;
  }
  if (vma === undefined || !vmaMigratable(vma)) return -EFAULT;
  const folio = mm.presentFolioAt(addr);
  if (folio === null) return mm.zeroPageAt(addr) ? -EFAULT : -ENOENT;
  if (folio.nid === node) return 0;
  if (!migrateAll && folioMaybeMappedShared(folio)) return -EACCES;
  if (!folioIsolateLru(folio, k.ctx)) return -EBUSY;
  run.folios[run.n++] = folio;
  return 1;
}

/** do_move_pages_to_node() + store_status() for the run [start, i). */
function* movePagesAndStore(
  k: Kernel,
  exec: Exec,
  list: Pagelist,
  node: number,
  start: number,
  i: number,
  args: MovePagesArgs,
  isolating: IsolateStretch,
): MigGen<number> {
  if (list.n === 0) return 0;
  // migrate_pages() takes the list as an array of its folios, and leaves the failures in it.
  const run = list.folios;
  run.length = list.n;
  list.n = 0;
  list.vma = undefined;
  if (isolating !== null) {
    const now = exec.now();
    k.timeline.slice(exec.track, "isolate", isolating.sinceNs, now, { folios: run.length });
  }
  const r = yield* migratePages(
    new MigrationRun(k, exec, nodeTarget(k, node), true),
    run,
    MIGRATE_SYNC,
    MR_SYSCALL,
  );
  if (isolating !== null) isolating.sinceNs = exec.now();
  if (r.rc !== 0) {
    putbackMovablePages(run, k.ctx);
    run.length = 0;
    return r.rc > 0 ? r.rc + (args.count - i) : r.rc;
  }
  run.length = 0;
  for (let j = start; j < i; j++) {
    if (j >= args.status.length) return -EFAULT;
    args.status[j] = node;
  }
  return 0;
}

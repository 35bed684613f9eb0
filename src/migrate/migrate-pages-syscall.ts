/**
 * migrate_pages(2) (mm/mempolicy.c: kernel_migrate_pages, do_migrate_pages) as the semantics
 * reference §16 describes it. Node masks are given as the list of set bits; null stands for a
 * mask whose user memory faults.
 */
import { EFAULT, EINVAL, EPERM, ESRCH } from "../mm/errno.js";
import { type Folio, PAGE_SIZE } from "../mm/folio.js";
import { folioMaybeMappedShared, type MmStruct } from "../mm/vm.js";
import type { MigGen } from "./core.js";
import { migratePages } from "./core.js";
import { type Exec, PH_ISOLATE } from "./exec.js";
import { folioIsolateLru, lruCacheDisable, putbackMovablePages } from "./isolate.js";
import type { Kernel } from "./kernel.js";
import { MAX_NUMNODES, MIGRATE_SYNC, MR_SYSCALL } from "./modes.js";
import { memsAllowed, nodeTarget, ptraceMayAccess } from "./move-pages.js";
import { MigrationRun } from "./run.js";
import { vmaMigratable } from "./vma.js";

export interface MigratePagesArgs {
  pid: number;
  /** Bits the kernel reads from each mask: maxnode - 1. */
  maxnode: number;
  oldNodes: readonly number[] | null;
  newNodes: readonly number[] | null;
}

/** get_nodes(): the mask's bits below maxnode - 1, or an errno. */
function getNodes(bits: readonly number[] | null, maxnode: number): number[] | number {
  if (bits === null) return -EFAULT;
  const nbits = maxnode - 1;
  // maxnode is unsigned: 0 wraps around to a huge bit count.
  if (nbits < 0 || nbits > PAGE_SIZE * 8) return -EINVAL;
  const nodes = bits.filter((b) => b >= 0 && b < nbits);
  if (nodes.some((b) => b >= MAX_NUMNODES)) return -EINVAL;
  return [...new Set(nodes)].sort((a, b) => a - b);
}

/** migrate_pages(2): the number of pages not moved, or a negative errno. */
export function* sysMigratePages(k: Kernel, exec: Exec, args: MigratePagesArgs): MigGen<number> {
  const caller = exec.task;
  exec.charge(PH_ISOLATE, k.costs.syscallNs);
  // Folios freed by earlier calls are no longer held by anyone: their objects may be reused.
  k.phys.recycleFreedFolios();
  const from = getNodes(args.oldNodes, args.maxnode);
  if (typeof from === "number") return from;
  const to = getNodes(args.newNodes, args.maxnode);
  if (typeof to === "number") return to;
  const target = args.pid === 0 ? caller : k.tasks.get(args.pid);
  if (target === undefined) return -ESRCH;
  if (!ptraceMayAccess(caller, target)) return -EPERM;
  const targetMems = memsAllowed(k, target);
  if (!to.every((n) => targetMems.has(n)) && !caller.capSysNice) return -EPERM;
  const callerMems = memsAllowed(k, caller);
  const newNodes = to.filter((n) => callerMems.has(n));
  if (newNodes.length === 0) return -EINVAL;
  if (target.mm === null) return -EINVAL;
  return yield* doMigratePages(k, exec, target.mm, from, newNodes, caller.capSysNice);
}

/** bitmap_bitremap(): the n-th set bit of `from` maps to the (n mod |to|)-th set bit of `to`. */
function nodeRemap(s: number, from: readonly number[], to: readonly number[]): number {
  const n = from.indexOf(s);
  if (n < 0 || to.length === 0) return s;
  return to[n % to.length];
}

/** do_migrate_pages(): pick (source, dest) pairs that keep the relative topology, in order. */
function* doMigratePages(
  k: Kernel,
  exec: Exec,
  mm: MmStruct,
  from: readonly number[],
  to: readonly number[],
  migrateAll: boolean,
): MigGen<number> {
  lruCacheDisable(k, exec);
  const remaining = new Set(from);
  let busy = 0;
  for (;;) {
    let source = -1;
    let dest = -1;
    for (const s of [...remaining].sort((a, b) => a - b)) {
      if (from.length !== to.length && to.includes(s)) continue;
      const d = nodeRemap(s, from, to);
      if (s === d) continue;
      source = s;
      dest = d;
      // Prefer a dest with nothing left to move out; else take the last pair that moves.
      if (!remaining.has(d)) break;
    }
    if (source < 0) break;
    remaining.delete(source);
    const err = yield* migrateToNode(k, exec, mm, source, dest, migrateAll);
    if (err < 0) return err;
    busy += err;
  }
  return busy;
}

/** migrate_to_node(): every folio of the mm on `source`, to `dest`. */
function* migrateToNode(
  k: Kernel,
  exec: Exec,
  mm: MmStruct,
  source: number,
  dest: number,
  migrateAll: boolean,
): MigGen<number> {
  const list: Folio[] = [];
  let nrFailed = 0;
  mm.forEachFolio((vma, _addr, folio) => {
    exec.charge(PH_ISOLATE, k.costs.pageWalkNs);
    if (folio.nid !== source || !vmaMigratable(vma)) return;
    // Shared folios are skipped, uncounted, unless MPOL_MF_MOVE_ALL.
    if (!migrateAll && folioMaybeMappedShared(folio)) return;
    if (folioIsolateLru(folio, k.ctx)) list.push(folio);
    else nrFailed++;
  });
  if (list.length === 0) return nrFailed;
  const r = yield* migratePages(
    new MigrationRun(k, exec, nodeTarget(k, dest), true),
    list,
    MIGRATE_SYNC,
    MR_SYSCALL,
  );
  if (r.rc !== 0) putbackMovablePages(list, k.ctx);
  return r.rc < 0 ? r.rc : nrFailed + r.rc;
}

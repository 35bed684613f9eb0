/**
 * mbind(2) (mm/mempolicy.c: kernel_mbind, do_mbind): a memory policy for a range of the
 * caller's own address space, and with MPOL_MF_MOVE the folios already there that the new
 * policy's nodemask does not hold, migrated by the policy (MR_MEMPOLICY_MBIND, MIGRATE_SYNC).
 *
 * do_mbind() queues with MPOL_MF_INVERT: queue_folio_required() keeps a folio only when its node
 * is OUTSIDE the nodemask. A region wholly on node 0 given interleave over nodes [0, 1] therefore
 * moves nothing; the policy only places later faults. Folios that do move go where
 * alloc_migration_target_by_mpol() puts them: the new policy at each folio's interleave index,
 * so a region moved by an interleave policy spreads over the mask's nodes.
 *
 * Simplifications: the range must cover whole VMAs (mbind_range() would split them; the model's
 * callers bind whole regions); no MPOL_MF_STRICT check of folios left behind, no
 * MPOL_MF_LAZY, no mode flags (MPOL_F_STATIC_NODES, ...), no shared (shmem) policies.
 */
import { EFAULT, EINVAL, EIO, EPERM } from "../mm/errno.js";
import { type Folio, PAGE_SIZE } from "../mm/folio.js";
import {
  checkPolicy,
  interleaveIndex,
  type Mempolicy,
  MPOL_DEFAULT,
  policyNodes,
} from "../mm/mempolicy.js";
import { folioMaybeMappedShared, type Vma } from "../mm/vm.js";
import type { MigGen } from "./core.js";
import { migratePages } from "./core.js";
import { type Exec, PH_ISOLATE } from "./exec.js";
import { folioIsolateLru, lruCacheDisable, putbackMovablePages } from "./isolate.js";
import type { Kernel } from "./kernel.js";
import {
  MIGRATE_SYNC,
  MPOL_MF_MOVE,
  MPOL_MF_MOVE_ALL,
  MPOL_MF_STRICT,
  MR_MEMPOLICY_MBIND,
} from "./modes.js";
import { MigrationRun, type MigrationTarget } from "./run.js";
import { vmaMigratable } from "./vma.js";

export interface MbindArgs {
  start: number;
  len: number;
  policy: Mempolicy;
  flags: number;
}

/** mbind(2) on the caller's mm: 0, or a negative errno. */
export function* sysMbind(k: Kernel, exec: Exec, args: MbindArgs): MigGen<number> {
  exec.charge(PH_ISOLATE, k.costs.syscallNs);
  k.phys.recycleFreedFolios();
  const { start, policy, flags } = args;
  if (flags & ~(MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) return -EINVAL;
  if (flags & MPOL_MF_MOVE_ALL && !exec.task.capSysNice) return -EPERM;
  if (start % PAGE_SIZE !== 0) return -EINVAL;
  if (checkPolicy(k.profile, policy) !== null) return -EINVAL;
  const end = start + Math.ceil(args.len / PAGE_SIZE) * PAGE_SIZE;
  if (end === start) return 0;
  const mm = exec.task.mm;
  if (mm === null) return -EINVAL;
  const vmas = mm.vmas.filter((v) => v.start < end && v.end > start);
  // queue_pages_range() without MPOL_MF_DISCONTIG_OK: a hole in the range is -EFAULT.
  let covered = start;
  for (const v of vmas) {
    if (v.start > covered) return -EFAULT;
    covered = v.end;
  }
  if (covered < end) return -EFAULT;
  if (vmas[0].start < start || vmas[vmas.length - 1].end > end) {
    throw new Error("mbind: a range that splits a VMA is not modelled");
  }
  const moving = (flags & (MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) !== 0;
  if (moving) lruCacheDisable(k, exec);
  const { list, ilx, nrFailed } = moving
    ? queuePagesRange(k, exec, vmas, policy, flags)
    : { list: [], ilx: new Map<Folio, number>(), nrFailed: 0 };
  // mbind_range(): the VMAs take the new policy before anything moves.
  for (const v of vmas) v.policy = policy.mode === MPOL_DEFAULT ? null : policy;
  let failed = nrFailed;
  if (list.length > 0) {
    const target = allocMigrationTargetByMpol(k, policy, k.profile.nodeOfCpu(exec.task.cpu), ilx);
    const r = yield* migratePages(
      new MigrationRun(k, exec, target),
      list,
      MIGRATE_SYNC,
      MR_MEMPOLICY_MBIND,
    );
    if (r.rc !== 0) {
      putbackMovablePages(list, k.ctx);
      failed += r.rc < 0 ? 1 : r.rc;
    }
  }
  // do_mbind() drops MPOL_MF_STRICT for MPOL_DEFAULT.
  const strict = flags & MPOL_MF_STRICT && policy.mode !== MPOL_DEFAULT;
  return failed > 0 && strict ? -EIO : 0;
}

/**
 * queue_pages_range() with MPOL_MF_INVERT: isolate every mapped folio of the VMAs whose node is
 * not in the policy's nodes (a default policy's empty mask holds none: all of them), shared
 * ones only with MPOL_MF_MOVE_ALL; each with the interleave index of its address.
 */
function queuePagesRange(
  k: Kernel,
  exec: Exec,
  vmas: readonly Vma[],
  pol: Mempolicy,
  flags: number,
): { list: Folio[]; ilx: Map<Folio, number>; nrFailed: number } {
  const list: Folio[] = [];
  const ilx = new Map<Folio, number>();
  let nrFailed = 0;
  const mask = new Set(pol.nodes);
  const inRange = new Set(vmas);
  exec.task.mm?.forEachFolio((vma, addr, folio) => {
    if (!inRange.has(vma)) return;
    exec.charge(PH_ISOLATE, k.costs.pageWalkNs);
    if (!vmaMigratable(vma) || ilx.has(folio)) return;
    // queue_folio_required(): node_isset(nid, nmask) == !(flags & MPOL_MF_INVERT).
    if (mask.has(folio.nid)) return;
    if (!(flags & MPOL_MF_MOVE_ALL) && folioMaybeMappedShared(folio)) return;
    if (folioIsolateLru(folio, k.ctx)) {
      list.push(folio);
      ilx.set(folio, interleaveIndex(vma, addr, folio.order));
    } else nrFailed++;
  });
  return { list, ilx, nrFailed };
}

/**
 * alloc_migration_target_by_mpol(): a destination by the new policy at the folio's interleave
 * index, trying its nodes in fallback order (bind never leaves its nodes).
 */
function allocMigrationTargetByMpol(
  k: Kernel,
  pol: Mempolicy,
  localNid: number,
  ilx: ReadonlyMap<Folio, number>,
): MigrationTarget {
  return {
    alloc: (src) => {
      // An injected allocation failure looks like full nodes to the caller.
      if (k.faults.hit("alloc-fail")) return null;
      for (const nid of policyNodes(k.profile, pol, localNid, ilx.get(src) ?? 0)) {
        const dst = k.phys.allocFolio(nid, src.order);
        if (dst !== null) return dst;
      }
      return null;
    },
    free: (dst) => {
      dst.refcount = 0;
      k.phys.freeFolio(dst);
    },
  };
}

/**
 * mbind(2) (mm/mempolicy.c: kernel_mbind, do_mbind): a memory policy for a range of the
 * caller's own address space, and with MPOL_MF_MOVE the folios already there that the new
 * policy's nodemask does not hold, migrated by the policy (MR_MEMPOLICY_MBIND, MIGRATE_SYNC).
 *
 * do_mbind() queues with MPOL_MF_INVERT: queue_folio_required() keeps a folio only when its node
 * is OUTSIDE the nodemask. A region wholly on node 0 given interleave over nodes [0, 1] therefore
 * moves nothing; the policy only places later faults. Folios that do move go where
 * alloc_migration_target_by_mpol() puts them: the new policy at each folio's interleave index,
 * so a region moved by an interleave policy spreads over the mask's nodes. MPOL_DEFAULT removes
 * the VMAs' policies, and what it moves goes by the caller's task policy.
 *
 * The range may cover part of a VMA: mbind_range() splits the VMA at the range's edges
 * (vma_modify_policy() -> split_vma()) so that only the range takes the policy. The folios are
 * queued before the split, by a page walk of the range alone: a folio with any page mapped in
 * the range is queued whole, so a THP (or mTHP) across an edge moves whole, its pages outside
 * the range with it (the split that follows maps it by PTEs on both sides, and it stays one
 * folio). VMAs are not merged back with their neighbours (vma_merge_existing_range()).
 *
 * Simplifications: no MPOL_MF_LAZY, no shared (shmem) policies, nr_failed counted in folios.
 */
import { EFAULT, EINVAL, EIO, EPERM } from "../mm/errno.js";
import { type Folio, HPAGE_PMD_SIZE, PAGE_SIZE } from "../mm/folio.js";
import {
  getTaskPolicy,
  type Mempolicy,
  MPOL_DEFAULT,
  mpolEqual,
  mpolNew,
  policyNodes,
  sanitizeMpolFlags,
} from "../mm/mempolicy.js";
import {
  folioMaybeMappedShared,
  HugePmd,
  type MmStruct,
  PTE_MIGRATION,
  PTE_PRESENT,
  pmdIndex,
  pteIndex,
  type Vma,
} from "../mm/vm.js";
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
  /** The mode (with any MPOL_F_* mode flags), nodes and the model's weights. */
  policy: Mempolicy;
  flags: number;
}

/** mbind(2) on the caller's mm: 0, or a negative errno. */
export function* sysMbind(k: Kernel, exec: Exec, args: MbindArgs): MigGen<number> {
  exec.charge(PH_ISOLATE, k.costs.syscallNs);
  k.phys.recycleFreedFolios();
  const { start, policy } = args;
  let flags = args.flags;
  const sane = sanitizeMpolFlags(policy.mode);
  if (typeof sane === "number") return sane;
  if (flags & ~(MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) return -EINVAL;
  if (flags & MPOL_MF_MOVE_ALL && !exec.task.capSysNice) return -EPERM;
  if (start % PAGE_SIZE !== 0) return -EINVAL;
  if (sane.mode === MPOL_DEFAULT) flags &= ~MPOL_MF_STRICT;
  const end = start + Math.ceil(args.len / PAGE_SIZE) * PAGE_SIZE;
  if (end === start) return 0;
  const pol = mpolNew(k.profile, exec.task, policy);
  if (typeof pol === "number") return pol;
  const mm = exec.task.mm;
  if (mm === null) return -EINVAL;
  const moving = (flags & (MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) !== 0;
  if (moving) lruCacheDisable(k, exec);
  // With the default policy, holes in the range are fine (MPOL_MF_DISCONTIG_OK).
  const q = queuePagesRange(k, exec, mm, start, end, pol?.nodes ?? [], flags, pol === null);
  if (typeof q === "number") return q;
  for (const vma of mm.vmas.filter((v) => v.start < end && v.end > start)) {
    mbindRange(mm, vma, start, end, pol);
  }
  let failed = q.nrFailed;
  if (q.list.length > 0) {
    const target = allocMigrationTargetByMpol(
      k,
      pol ?? getTaskPolicy(exec.task),
      k.profile.nodeOfCpu(exec.task.cpu),
    );
    const r = yield* migratePages(
      new MigrationRun(k, exec, target),
      q.list,
      MIGRATE_SYNC,
      MR_MEMPOLICY_MBIND,
    );
    if (r.rc !== 0) {
      putbackMovablePages(q.list, k.ctx);
      failed += r.rc < 0 ? 1 : r.rc;
    }
  }
  return failed > 0 && flags & MPOL_MF_STRICT ? -EIO : 0;
}

/**
 * mbind_range() -> vma_modify_policy(): the part of `vma` inside [start, end) takes `pol`
 * (null: none, the task's applies), split off at the range's edges; a VMA whose policy is
 * already equal is left whole.
 */
function mbindRange(
  mm: MmStruct,
  vma: Vma,
  start: number,
  end: number,
  pol: Mempolicy | null,
): void {
  if (mpolEqual(vma.policy, pol)) return;
  if (vma.start < start) mm.splitVma(vma, start, true);
  if (vma.end > end) mm.splitVma(vma, end, false);
  vma.policy = pol;
}

interface Queued {
  list: Folio[];
  /** Misplaced folios that could not be queued (migration entries, isolation failures). */
  nrFailed: number;
}

/**
 * queue_pages_range() with MPOL_MF_INVERT over [start, end): -EFAULT for a hole (unless
 * `discontigOk`), else isolate every folio mapped in the range whose node is not in `nodes`
 * (the default policy's empty mask holds none: all of them), shared ones only with
 * MPOL_MF_MOVE_ALL. MPOL_MF_STRICT without a
 * move flag stops at the first such folio with -EIO.
 */
function queuePagesRange(
  k: Kernel,
  exec: Exec,
  mm: MmStruct,
  start: number,
  end: number,
  nodes: readonly number[],
  flags: number,
  discontigOk: boolean,
): Queued | number {
  const vmas = mm.vmas.filter((v) => v.start < end && v.end > start);
  if (vmas.length === 0) return -EFAULT;
  if (!discontigOk) {
    // queue_pages_test_walk(): a hole at the head, in the middle or at the tail.
    let covered = start;
    for (const v of vmas) {
      if (v.start > covered) return -EFAULT;
      covered = v.end;
    }
    if (covered < end) return -EFAULT;
  }
  const q: Queued = { list: [], nrFailed: 0 };
  const moving = (flags & (MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) !== 0;
  // Moving nothing and checking nothing, the walk has nothing to look at.
  if (!moving && !(flags & MPOL_MF_STRICT)) return q;
  const strictlyUnmovable = !moving;
  const mask = new Set(nodes);
  let large: Folio | null = null;
  /** One present folio met at addr: false to stop the walk. */
  const queueFolio = (vma: Vma, folio: Folio): boolean => {
    exec.charge(PH_ISOLATE, k.costs.pageWalkNs);
    // queue_folio_required(): node_isset(nid, nmask) == !(flags & MPOL_MF_INVERT).
    if (mask.has(folio.nid)) return true;
    if (folio.isLarge) {
      // A large folio is isolated once, however many of its PTEs the walk meets.
      if (folio === large) return true;
      large = folio;
    }
    if (!moving || !vmaMigratable(vma) || !migrateFolioAdd(k, q, folio, flags)) {
      q.nrFailed++;
      if (strictlyUnmovable) return false;
    }
    return true;
  };
  walk: for (const vma of vmas) {
    if (!vmaMigratable(vma) && !(flags & MPOL_MF_STRICT)) continue;
    const vEnd = Math.min(vma.end, end);
    for (let addr = Math.max(vma.start, start); addr < vEnd; ) {
      const idx = pmdIndex(addr);
      const next = Math.min((idx + 1) * HPAGE_PMD_SIZE, vEnd);
      const slot = mm.pmds.get(idx);
      if (slot instanceof HugePmd) {
        // queue_folios_pmd(): the whole THP, whatever part of it the range covers.
        if (slot.flags & PTE_PRESENT) {
          if (!queueFolio(vma, mm.folioAt(slot.pfn))) break walk;
        } else if (slot.flags & PTE_MIGRATION) q.nrFailed++;
      } else if (slot !== undefined) {
        for (let i = pteIndex(addr), a = addr; a < next; i++, a += PAGE_SIZE) {
          const f = slot.flags[i];
          if (f & PTE_PRESENT) {
            if (!queueFolio(vma, mm.folioAt(slot.pfn[i]))) break walk;
          } else if (f & PTE_MIGRATION) q.nrFailed++;
        }
      }
      addr = next;
    }
  }
  if (q.nrFailed > 0 && strictlyUnmovable) return -EIO;
  return q;
}

/**
 * migrate_folio_add(): isolate the folio onto the list, unless it is shared and the caller
 * did not ask for MPOL_MF_MOVE_ALL (left alone, and no failure). False: it could not be isolated.
 */
function migrateFolioAdd(k: Kernel, q: Queued, folio: Folio, flags: number): boolean {
  if (!(flags & MPOL_MF_MOVE_ALL) && folioMaybeMappedShared(folio)) return true;
  if (!folioIsolateLru(folio, k.ctx)) return false;
  q.list.push(folio);
  return true;
}

/**
 * alloc_migration_target_by_mpol(): a destination by the policy at the folio's interleave
 * index (its index in the mapping, in folios of its order: what get_vma_policy() gives an
 * anonymous VMA's fault there), trying its nodes in fallback order (bind never leaves its nodes).
 */
function allocMigrationTargetByMpol(k: Kernel, pol: Mempolicy, localNid: number): MigrationTarget {
  return {
    alloc: (src) => {
      // An injected allocation failure looks like full nodes to the caller.
      if (k.faults.hit("alloc-fail")) return null;
      const ilx = Math.floor(src.index / src.nrPages);
      for (const nid of policyNodes(k.profile, pol, localNid, ilx)) {
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

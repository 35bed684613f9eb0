/**
 * A page fault's allocation (mm/page_alloc.c: __alloc_pages() and __alloc_pages_slowpath()):
 * the fast path at the low watermark, then what the allocation's gfp flags allow: waking the
 * nodes' kswapd, the min watermark, direct compaction first for a costly order, then direct
 * reclaim and direct compaction again, retried for small orders while reclaim makes progress.
 * 4K faults and THP faults take the same path; a THP's flags come from the THP defrag setting
 * (vma_thp_gfp_mask()).
 *
 * Watermarks, kswapd and direct reclaim exist when the machine booted them (policy/reclaim.ts:
 * demotion or memory tiering on); without, anonymous memory cannot be reclaimed in the model
 * (no swap), so an allocation takes whatever the buddy allocator has, and only compaction can
 * help a high order.
 */
import type { Exec } from "../migrate/exec.js";
import type { Kernel } from "../migrate/kernel.js";
import { MIGRATE_ASYNC, MIGRATE_SYNC_LIGHT } from "../migrate/modes.js";
import type { Folio } from "../mm/folio.js";
import type { Task } from "../mm/task.js";
import type { Yieldable } from "../sim/simulator.js";
import { PAGE_ALLOC_COSTLY_ORDER } from "./compaction.js";
import { compactionOf } from "./kcompactd.js";
import { MAX_RECLAIM_RETRIES, reclaimOf } from "./reclaim.js";
import type { ThpDefrag } from "./sysctl.js";
import { tryToFreePages } from "./vmscan.js";

/** The reclaim bits of an allocation's gfp flags. */
export interface Gfp {
  /** __GFP_KSWAPD_RECLAIM: wake the nodes' kswapd when the fast path fails. */
  kswapdReclaim: boolean;
  /** __GFP_DIRECT_RECLAIM: the task may reclaim and compact itself. */
  directReclaim: boolean;
}

/** GFP_HIGHUSER_MOVABLE: an ordinary page fault's. */
export const GFP_HIGHUSER_MOVABLE: Gfp = { kswapdReclaim: true, directReclaim: true };

/**
 * vma_thp_gfp_mask() for a VMA with MADV_HUGEPAGE (the model's 2M regions): GFP_TRANSHUGE_LIGHT
 * reclaims nothing; always, madvise and defer+madvise add __GFP_DIRECT_RECLAIM, defer only
 * __GFP_KSWAPD_RECLAIM.
 */
export function vmaThpGfpMask(defrag: ThpDefrag): Gfp {
  if (defrag === "defer") return { kswapdReclaim: true, directReclaim: false };
  if (defrag === "never") return { kswapdReclaim: false, directReclaim: false };
  return { kswapdReclaim: false, directReclaim: true };
}

/**
 * get_page_from_freelist(): a folio of `order` from the first of `nodes` whose `mark` allows
 * it (any that has one, without reclaim booted); null when none does. The fast path of
 * __alloc_pages() is this at the low watermark.
 */
export function getPageFromFreelist(
  k: Kernel,
  nodes: readonly number[],
  order: number,
  mark: "low" | "min",
): Folio | null {
  const r = reclaimOf(k);
  if (r !== null) return r.getPageFromFreelist(nodes, order, mark);
  for (const nid of nodes) {
    const folio = k.phys.allocFolio(nid, order);
    if (folio !== null) return folio;
  }
  return null;
}

/**
 * __alloc_pages_slowpath(): an allocation of `order` from the first of `nodes` (the policy's
 * order) whose fast path failed, by `task` and in `exec`'s time (null at boot, before
 * compaction runs); null when it fails. The first try does not sleep (slowpathNoSleep); the
 * rest, direct reclaim and compaction, takes virtual time: run it as a process (`yield*`), or
 * through faultAllocator() outside the simulation's run.
 */
export function* allocPagesSlowpath(
  k: Kernel,
  task: Task,
  nodes: readonly number[],
  order: number,
  gfp: Gfp,
  exec: Exec | null,
): Generator<Yieldable, Folio | null, unknown> {
  const folio = slowpathNoSleep(k, nodes, order, gfp);
  if (folio !== null || !gfp.directReclaim) return folio;
  return yield* allocPagesDirect(k, task, nodes, order, gfp, exec);
}

/** The slow path's first try: wake kswapd as `gfp` allows, then the min watermark. */
function slowpathNoSleep(k: Kernel, nodes: readonly number[], order: number, gfp: Gfp) {
  if (gfp.kswapdReclaim) wakeAllKswapds(k, nodes, order, gfp);
  return getPageFromFreelist(k, nodes, order, "min");
}

/**
 * The slow path's part that sleeps, for an allocation that may reclaim directly: direct
 * compaction first for a costly order, then direct reclaim and direct compaction, retried for
 * a small order while reclaim makes progress.
 */
function* allocPagesDirect(
  k: Kernel,
  task: Task,
  nodes: readonly number[],
  order: number,
  gfp: Gfp,
  exec: Exec | null,
): Generator<Yieldable, Folio | null, unknown> {
  const r = reclaimOf(k);
  const policy = compactionOf(k);
  const takeMin = () => getPageFromFreelist(k, nodes, order, "min");
  // __alloc_pages_direct_compact(), once compaction runs (not at boot).
  function* compact(mode: number): Generator<Yieldable, Folio | null, unknown> {
    if (exec === null || policy === undefined) return null;
    return yield* policy.allocPagesDirectCompact(exec, nodes, order, mode, takeMin);
  }
  const costly = order > PAGE_ALLOC_COSTLY_ORDER;
  let folio = costly ? yield* compact(MIGRATE_ASYNC) : null;
  if (folio !== null) return folio;
  for (let retry = 0; retry < MAX_RECLAIM_RETRIES; retry++) {
    if (gfp.kswapdReclaim) wakeAllKswapds(k, nodes, order, gfp);
    folio = takeMin();
    if (folio !== null) return folio;
    // __alloc_pages_direct_reclaim(): only with reclaim booted (anonymous memory demotes).
    const progress = r === null ? 0 : yield* tryToFreePages(r, nodes, task);
    folio = takeMin();
    if (folio !== null) return folio;
    if (order > 0) {
      folio = yield* compact(MIGRATE_SYNC_LIGHT);
      if (folio !== null) return folio;
    }
    // A costly order does not retry (no __GFP_RETRY_MAYFAIL); others while reclaim progresses.
    if (costly || progress === 0) return null;
  }
  return null;
}

/**
 * wake_all_kswapds() / wakeup_kswapd(): wake each node's kswapd for `order`; on a node that is
 * balanced (or whose kswapd gave up), an allocation that cannot reclaim directly wakes
 * kcompactd instead. Without reclaim booted there is no kswapd, and every node counts as
 * balanced.
 */
function wakeAllKswapds(k: Kernel, nodes: readonly number[], order: number, gfp: Gfp): void {
  const r = reclaimOf(k);
  for (const nid of nodes) {
    const woke = r?.wakeupKswapd(nid, order) ?? false;
    if (!woke && !gfp.directReclaim) compactionOf(k)?.wakeup(nid, order);
  }
}

/**
 * How the page faults of `task` allocate at boot, outside the simulation's run (an
 * application faulting its regions in before it starts): __alloc_pages() with
 * GFP_HIGHUSER_MOVABLE, the simulation run until its direct reclaim is done when it needs one;
 * without reclaim booted, whatever the buddy allocator has. Null when no node gives a folio.
 * Resolved once for a fault-in's many faults.
 */
export function faultAllocator(
  k: Kernel,
  task: Task,
): (nodes: readonly number[], order: number) => Folio | null {
  const r = reclaimOf(k);
  if (r === null) {
    return (nodes, order) => {
      // Indexed: a for-of here made an iterator and a result object per fault.
      for (let i = 0; i < nodes.length; i++) {
        const folio = k.phys.allocFolio(nodes[i], order);
        if (folio !== null) return folio;
      }
      return null;
    };
  }
  const gfp = GFP_HIGHUSER_MOVABLE;
  return (nodes, order) => {
    const folio =
      r.getPageFromFreelist(nodes, order, "low") ?? slowpathNoSleep(k, nodes, order, gfp);
    if (folio !== null) return folio;
    return k.sim.runUntilDone(
      k.sim.spawn(allocPagesDirect(k, task, nodes, order, gfp, null), "direct reclaim"),
    );
  };
}

/**
 * The memory a node keeps free and who frees it: watermarks per node, the page allocator's
 * watermark checks (get_page_from_freelist(), and an allocation that cannot sleep), the LRU
 * lists, the memory tiers, and one kswapd per node (policy/vmscan.ts has the reclaim itself,
 * policy/page-alloc.ts a fault's path through them).
 *
 * It exists when a scenario can demote (mm.numa.demotion_enabled) or promote
 * (kernel.numa_balancing & 2): without either, anonymous memory cannot be reclaimed in the
 * model (it has no swap), so allocations take what the buddy allocator has, as before.
 */
import type { FolioEvents } from "../migrate/exec.js";
import type { Kernel } from "../migrate/kernel.js";
import type { Folio } from "../mm/folio.js";
import { LruLists } from "../mm/lru.js";
import { MemoryTiers } from "../mm/memory-tiers.js";
import { fallbackOrder } from "../mm/mempolicy.js";
import { setupPerZoneWmarks, type Watermarks } from "../mm/watermarks.js";
import type { Rng } from "../sim/rng.js";
import { NUMA_BALANCING_MEMORY_TIERING, type Sysctl } from "./sysctl.js";
import { Kswapd } from "./vmscan.js";

/** Tries of the slow path before an allocation gives up (MAX_RECLAIM_RETRIES). */
export const MAX_RECLAIM_RETRIES = 16;

export class Reclaim {
  readonly tiers: MemoryTiers;
  readonly wmarks: Map<number, Watermarks>;
  readonly lru = new LruLists();
  readonly demotionEnabled: boolean;
  /** kernel.numa_balancing has MEMORY_TIERING: kswapd balances to the promo watermark. */
  readonly tieringMode: boolean;
  /** What the applications feel of a folio moved by reclaim; set when they exist. */
  watcher: FolioEvents | null = null;
  /** The end of the run: kswapd stops there. */
  endNs = Number.POSITIVE_INFINITY;
  /** Each node's kswapd, made at boot, asleep until woken. */
  readonly kswapd = new Map<number, Kswapd>();
  /** next_demotion_node()'s random pick among equally near targets. */
  readonly rng: Rng;

  constructor(
    readonly k: Kernel,
    sysctl: Sysctl,
  ) {
    const nodes = k.profile.topology.nodes.map((n) => n.id);
    this.tiers = new MemoryTiers(k.profile);
    this.wmarks = setupPerZoneWmarks(
      new Map(nodes.map((n) => [n, k.phys.nodePages(n)])),
      sysctl.vm.min_free_kbytes,
      sysctl.vm.watermark_scale_factor,
    );
    this.rng = k.sim.rng.fork("demotion");
    this.demotionEnabled = sysctl.mm.numa.demotion_enabled;
    this.tieringMode = (sysctl.kernel.numa_balancing & NUMA_BALANCING_MEMORY_TIERING) !== 0;
    k.ctx.lru = this.lru;
    for (const nid of nodes) this.kswapd.set(nid, new Kswapd(this, nid));
  }

  wmark(nid: number): Watermarks {
    return this.wmarks.get(nid) as Watermarks;
  }

  /** zone_watermark_ok(): an allocation of `nrPages` leaves the node above `mark`. */
  watermarkOk(nid: number, nrPages: number, mark: number): boolean {
    return this.k.phys.freePages(nid) - (nrPages - 1) > mark;
  }

  /**
   * pgdat_balanced(): an allocation of `order` would leave free pages above the high watermark,
   * or the promo watermark in memory tiering mode (so that promotions find room).
   */
  pgdatBalanced(nid: number, order: number): boolean {
    const w = this.wmark(nid);
    return this.watermarkOk(nid, 1 << order, this.tieringMode ? w.promo : w.high);
  }

  /**
   * wakeup_kswapd(): wake the node's kswapd for an allocation of `order`, unless the node is
   * balanced for it or kswapd gave up; returns whether it did.
   */
  wakeupKswapd(nid: number, order: number): boolean {
    const kswapd = this.kswapd.get(nid);
    if (kswapd === undefined || kswapd.failures >= MAX_RECLAIM_RETRIES) return false;
    if (this.pgdatBalanced(nid, order)) return false;
    kswapd.wake(order);
    return true;
  }

  /** can_demote(): demotion is on and the node has a slower tier to demote to. */
  canDemote(nid: number): boolean {
    return this.demotionEnabled && this.tiers.nextDemotionNode(nid, 0) >= 0;
  }

  /**
   * An allocation that cannot sleep (__GFP_KSWAPD_RECLAIM without direct reclaim: demotion and
   * promotion targets): the first of `nodes` above its low watermark; else, with every node's
   * kswapd woken, the first above its min watermark; else null.
   */
  allocNowait(nodes: readonly number[], order: number): Folio | null {
    const folio = this.getPageFromFreelist(nodes, order, "low");
    if (folio !== null) return folio;
    for (const nid of nodes) this.wakeupKswapd(nid, order);
    return this.getPageFromFreelist(nodes, order, "min");
  }

  /** get_page_from_freelist(): the first node in order whose `mark` allows the allocation. */
  getPageFromFreelist(nodes: readonly number[], order: number, mark: "low" | "min"): Folio | null {
    const nr = 1 << order;
    for (const nid of nodes) {
      if (!this.watermarkOk(nid, nr, this.wmark(nid)[mark])) continue;
      const folio = this.k.phys.allocFolio(nid, order);
      if (folio !== null) return folio;
    }
    return null;
  }

  /** A page fault's nodes in the order it tries them: `nid`'s zonelist. */
  zonelist(nid: number): readonly number[] {
    return fallbackOrder(this.k.profile, nid);
  }
}

const reclaims = new WeakMap<Kernel, Reclaim>();

/**
 * Boot the machine's memory management for `sysctl`, before any process faults memory in:
 * the Reclaim of `k` when demotion or memory tiering is on, else null.
 */
export function bootReclaim(k: Kernel, sysctl: Sysctl): Reclaim | null {
  const tiering = (sysctl.kernel.numa_balancing & NUMA_BALANCING_MEMORY_TIERING) !== 0;
  if (!sysctl.mm.numa.demotion_enabled && !tiering) return null;
  const r = new Reclaim(k, sysctl);
  reclaims.set(k, r);
  return r;
}

/** The Reclaim booted on `k`, or null. */
export function reclaimOf(k: Kernel): Reclaim | null {
  return reclaims.get(k) ?? null;
}

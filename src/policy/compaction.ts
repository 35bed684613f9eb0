/**
 * Memory compaction of one node (mm/compaction.c: compact_zone and its scanners), as the
 * semantics reference §17.4 describes it. The migrate scanner walks pageblocks up from the
 * node's start, isolating movable folios up to COMPACT_CLUSTER_MAX pages a round; the free
 * scanner walks down from the top taking free blocks; migrate_pages() moves the first onto the
 * second (compaction_alloc and compaction_free its get_new and put_new) with MR_COMPACTION in
 * the compaction's mode, until a free block of the wanted order exists or the scanners meet.
 *
 * Simplifications (docs/model.md): a node is one zone; no migratetypes, so every pageblock is
 * a source and a target, and no pageblock skip bits; compaction_free gives a destination back to
 * the buddy allocator rather than to the compaction's own list; there are no watermarks, so
 * compaction_suitable asks for free pages of twice the order (compact_gap) and, above
 * PAGE_ALLOC_COSTLY_ORDER, a fragmentation index over vm.extfrag_threshold.
 */

import { migratePages } from "../migrate/core.js";
import type { Exec, FolioEvents } from "../migrate/exec.js";
import { PH_ISOLATE } from "../migrate/exec.js";
import { folioIsolateLru, putbackMovablePages } from "../migrate/isolate.js";
import type { Kernel } from "../migrate/kernel.js";
import { MR_COMPACTION } from "../migrate/modes.js";
import { MigrationRun } from "../migrate/run.js";
import { ENOMEM } from "../mm/errno.js";
import { type Folio, HPAGE_PMD_ORDER, MAX_PAGE_ORDER } from "../mm/folio.js";
import type { Yieldable } from "../sim/simulator.js";

/** COMPACT_CLUSTER_MAX (SWAP_CLUSTER_MAX): pages the migrate scanner isolates a round. */
export const COMPACT_CLUSTER_MAX = 32;
/** pageblock_order on x86-64 with THP: a PMD. */
export const PAGEBLOCK_ORDER = HPAGE_PMD_ORDER;
const PAGEBLOCK_NR_PAGES = 1 << PAGEBLOCK_ORDER;
/**
 * PAGE_ALLOC_COSTLY_ORDER: above it vm.extfrag_threshold applies, and an allocation compacts
 * before it reclaims and does not retry (policy/page-alloc.ts).
 */
export const PAGE_ALLOC_COSTLY_ORDER = 3;
/** COMPACT_MAX_DEFER_SHIFT: a failing order is skipped for up to 2^6 attempts. */
export const COMPACT_MAX_DEFER_SHIFT = 6;
/**
 * CPU per pfn a scanner looks at: one 64-byte struct page read in pfn order, at the ~32 GB/s a
 * core streams from DRAM (the model's own estimate; compaction's scan rate is not published).
 */
export const PFN_SCAN_NS = 2;

/** enum compact_result, in the kernel's order (try_to_compact_pages keeps the largest). */
export const COMPACT_SKIPPED = 1;
export const COMPACT_DEFERRED = 2;
export const COMPACT_CONTINUE = 4;
export const COMPACT_COMPLETE = 5;
export const COMPACT_PARTIAL_SKIPPED = 6;
export const COMPACT_CONTENDED = 7;
export const COMPACT_SUCCESS = 8;

/** A node's compaction state kept between runs (struct zone's compact_* fields). */
export interface NodeCompaction {
  /** compact_cached_migrate_pfn / compact_cached_free_pfn: where the last run's scanners stopped. */
  cachedMigratePfn: number;
  cachedFreePfn: number;
  /** Deferral after failures: compact_considered, compact_defer_shift, compact_order_failed. */
  considered: number;
  deferShift: number;
  orderFailed: number;
}

/** What the compactions did, for the counters' consistency and the run's report. */
export interface CompactionTally {
  /** Pages the migrate scanner isolated, and free pages the free scanner isolated. */
  migrateIsolated: number;
  freeIsolated: number;
}

/** Compaction of a machine: its nodes' state and the tally of every run. */
export class Compaction {
  private readonly nodes = new Map<number, NodeCompaction>();
  readonly tally: CompactionTally = { migrateIsolated: 0, freeIsolated: 0 };

  constructor(
    readonly k: Kernel,
    readonly extfragThreshold: number,
    /** Hears the unmaps and remaps of the folios compaction moves (their processes' threads). */
    readonly folioEvents: FolioEvents | null,
  ) {}

  node(nid: number): NodeCompaction {
    let n = this.nodes.get(nid);
    if (n === undefined) {
      n = {
        cachedMigratePfn: this.k.phys.nodeStartPfn(nid),
        cachedFreePfn: this.topPfn(nid),
        considered: 0,
        deferShift: 0,
        orderFailed: MAX_PAGE_ORDER + 1,
      };
      this.nodes.set(nid, n);
    }
    return n;
  }

  /** Where the free scanner starts: the last pageblock of the touched part of the node. */
  private topPfn(nid: number): number {
    const start = this.k.phys.nodeStartPfn(nid);
    const end = this.k.phys.touchedEndPfn(nid);
    return start + Math.floor((end - start) / PAGEBLOCK_NR_PAGES) * PAGEBLOCK_NR_PAGES;
  }

  /** __reset_isolation_suitable: both scanners start over at the node's ends. */
  resetCached(nid: number): void {
    const n = this.node(nid);
    n.cachedMigratePfn = this.k.phys.nodeStartPfn(nid);
    n.cachedFreePfn = this.topPfn(nid);
  }

  /** compaction_deferred: whether to skip this attempt at `order` after earlier failures. */
  deferred(nid: number, order: number): boolean {
    const n = this.node(nid);
    if (order < n.orderFailed) return false;
    if (++n.considered >= 1 << n.deferShift) {
      n.considered = 1 << n.deferShift;
      return false;
    }
    return true;
  }

  /** defer_compaction: skip the next 2^shift attempts at `order` or above. */
  defer(nid: number, order: number): void {
    const n = this.node(nid);
    n.considered = 0;
    if (n.deferShift < COMPACT_MAX_DEFER_SHIFT) n.deferShift++;
    n.orderFailed = Math.min(n.orderFailed, order);
  }

  /** compaction_defer_reset: `order` succeeded; an allocation's success forgets the failures. */
  deferReset(nid: number, order: number, allocSuccess: boolean): void {
    const n = this.node(nid);
    if (allocSuccess) {
      n.considered = 0;
      n.deferShift = 0;
    }
    if (order >= n.orderFailed) n.orderFailed = order + 1;
  }

  /** A free block of `order` or larger exists on the node (zone_watermark_ok's order part). */
  hasFreeBlock(nid: number, order: number): boolean {
    for (let o = order; o <= MAX_PAGE_ORDER; o++)
      if (this.k.phys.freeBlocks(nid, o) > 0) return true;
    return false;
  }

  /**
   * compaction_suit_allocation_order + __compaction_suitable: COMPACT_SUCCESS when an allocation
   * of `order` would succeed now, COMPACT_SKIPPED when compaction cannot help (too little free
   * memory, or a failure for want of memory rather than fragmentation), else COMPACT_CONTINUE.
   */
  suitable(nid: number, order: number): number {
    if (this.hasFreeBlock(nid, order)) return COMPACT_SUCCESS;
    if (this.k.phys.freePages(nid) < 2 << order) return COMPACT_SKIPPED;
    if (order > PAGE_ALLOC_COSTLY_ORDER) {
      const index = fragmentationIndex(this.k, nid, order);
      if (index >= 0 && index <= this.extfragThreshold) return COMPACT_SKIPPED;
    }
    return COMPACT_CONTINUE;
  }

  /** Run compact_zone() for `cc` on its node; returns its compact_result. */
  *compactZone(cc: CompactControl, exec: Exec): Generator<Yieldable, number, unknown> {
    const k = this.k;
    const nid = cc.nid;
    const cached = this.node(nid);
    const start = k.phys.nodeStartPfn(nid);
    cc.migratePfn = cc.wholeZone ? start : cached.cachedMigratePfn;
    cc.freePfn = cc.wholeZone ? this.topPfn(nid) : Math.min(cached.cachedFreePfn, this.topPfn(nid));
    // A run that starts at the node's start covers all of it (compact_zone's whole_zone).
    if (cc.migratePfn <= start) cc.wholeZone = true;
    exec.folioEvents = this.folioEvents;
    const target = {
      alloc: (src: Folio) => this.compactionAlloc(cc, src, exec),
      free: (dst: Folio) => {
        // compaction_free; the model gives the block straight back to the buddy allocator.
        cc.nrFreepages -= dst.nrPages;
        dst.refcount = 0;
        k.phys.freeFolio(dst);
      },
    };
    let ret: number;
    for (;;) {
      ret = this.compactFinished(cc);
      if (ret !== COMPACT_CONTINUE) break;
      this.isolateMigratepages(cc, exec);
      if (cc.migratepages.length === 0) {
        yield* exec.sync();
        continue;
      }
      const r = yield* migratePages(
        new MigrationRun(k, exec, target),
        cc.migratepages,
        cc.mode,
        MR_COMPACTION,
      );
      cc.nrMigratepages = 0;
      if (cc.migratepages.length > 0) {
        putbackMovablePages(cc.migratepages, k.ctx);
        cc.migratepages.length = 0;
        // Out of free pages while the scanners have not met: give up for now.
        if (r.rc === -ENOMEM && !scannersMet(cc)) {
          ret = COMPACT_CONTENDED;
          break;
        }
      }
      yield* exec.sync();
    }
    this.releaseFreeList(cc);
    // Scanners that met start over next time (__compact_finished's reset_cached_positions).
    if (scannersMet(cc)) this.resetCached(nid);
    else if (!cc.proactive) {
      cached.cachedMigratePfn = cc.migratePfn;
      cached.cachedFreePfn = cc.freePfn;
    }
    k.ctx.vmstat.count("compact_migrate_scanned", cc.totalMigrateScanned);
    k.ctx.vmstat.count("compact_free_scanned", cc.totalFreeScanned);
    yield* exec.sync();
    return ret;
  }

  /** __compact_finished. */
  private compactFinished(cc: CompactControl): number {
    if (scannersMet(cc)) return cc.wholeZone ? COMPACT_COMPLETE : COMPACT_PARTIAL_SKIPPED;
    if (cc.proactive) {
      const low = fragmentationScoreWmark(cc.proactiveness, true);
      return fragmentationScore(this.k, cc.nid) > low ? COMPACT_CONTINUE : COMPACT_SUCCESS;
    }
    if (cc.order < 0) return COMPACT_CONTINUE;
    return this.hasFreeBlock(cc.nid, cc.order) ? COMPACT_SUCCESS : COMPACT_CONTINUE;
  }

  /**
   * isolate_migratepages: from the migrate scanner's pfn, pageblock by pageblock below the free
   * scanner, until a block gives some folios (isolate_migratepages_block).
   */
  private isolateMigratepages(cc: CompactControl, exec: Exec): void {
    while (cc.migratepages.length === 0) {
      const blockEnd = (cc.migratePfn & ~(PAGEBLOCK_NR_PAGES - 1)) + PAGEBLOCK_NR_PAGES;
      // The free scanner has this block: the scanners meet.
      if (blockEnd > cc.freePfn) {
        cc.migratePfn = Math.max(cc.migratePfn, cc.freePfn);
        return;
      }
      cc.migratePfn = this.isolateMigratepagesBlock(cc, cc.migratePfn, blockEnd, exec);
    }
  }

  /**
   * isolate_migratepages_block: isolate the LRU folios of [low, end) until COMPACT_CLUSTER_MAX
   * pages are; free blocks are stepped over whole, and so are large folios at or above the
   * pageblock order or the order sought (skip_isolation_on_order). Returns where it stopped.
   */
  private isolateMigratepagesBlock(
    cc: CompactControl,
    low: number,
    end: number,
    exec: Exec,
  ): number {
    const k = this.k;
    const phys = k.phys;
    let scanned = 0;
    let isolated = 0;
    let pfn = low;
    while (pfn < end) {
      const free = phys.freeBlockOrder(cc.nid, pfn);
      if (free >= 0) {
        scanned += 1 << free;
        pfn += 1 << free;
        continue;
      }
      scanned++;
      const folio = phys.folioOf(pfn);
      if (folio === undefined || folio.pfn !== pfn) {
        pfn++;
        continue;
      }
      const n = folio.nrPages;
      const order = folio.order;
      if (order > 0 && (order >= PAGEBLOCK_ORDER || (cc.order >= 0 && order >= cc.order))) {
        scanned += n - 1;
        pfn += n;
        continue;
      }
      pfn += n;
      // A folio pinned by GUP would fail migration's reference check: not worth isolating.
      if (folio.pins > 0 || !folioIsolateLru(folio, k.ctx)) continue;
      exec.charge(PH_ISOLATE, k.costs.pageWalkNs);
      cc.migratepages.push(folio);
      cc.nrMigratepages += n;
      isolated += n;
      if (cc.nrMigratepages >= COMPACT_CLUSTER_MAX) break;
    }
    exec.charge(PH_ISOLATE, scanned * PFN_SCAN_NS);
    cc.totalMigrateScanned += scanned;
    this.tally.migrateIsolated += isolated;
    k.ctx.vmstat.count("compact_isolated", isolated);
    return Math.min(pfn, end);
  }

  /**
   * isolate_freepages: pageblocks down from the free scanner's pfn, above the migrate scanner's
   * block, taking every free block (isolate_freepages_block) until there are as many free pages
   * as pages to migrate.
   */
  private isolateFreepages(cc: CompactControl, exec: Exec): void {
    const phys = this.k.phys;
    const low = (cc.migratePfn & ~(PAGEBLOCK_NR_PAGES - 1)) + PAGEBLOCK_NR_PAGES;
    let scanned = 0;
    let isolated = 0;
    while (cc.freePfn - PAGEBLOCK_NR_PAGES >= low && cc.nrFreepages < cc.nrMigratepages) {
      const start = cc.freePfn - PAGEBLOCK_NR_PAGES;
      let pfn = start;
      while (pfn < cc.freePfn) {
        scanned++;
        const order = phys.freeBlockOrder(cc.nid, pfn);
        if (order < 0) {
          pfn++;
          continue;
        }
        phys.isolateFreeBlock(cc.nid, pfn);
        cc.freepages[order].push(pfn);
        cc.nrFreepages += 1 << order;
        isolated += 1 << order;
        scanned += (1 << order) - 1;
        pfn += 1 << order;
      }
      cc.freePfn = start;
    }
    exec.charge(PH_ISOLATE, scanned * PFN_SCAN_NS);
    cc.totalFreeScanned += scanned;
    this.tally.freeIsolated += isolated;
    this.k.ctx.vmstat.count("compact_isolated", isolated);
  }

  /**
   * compaction_alloc: a destination of the source's order from the isolated free blocks,
   * splitting a larger one (its upper halves stay isolated); the free scanner runs when none is
   * left. Null when the scanners have met: migrate_pages() sees -ENOMEM.
   */
  private compactionAlloc(cc: CompactControl, src: Folio, exec: Exec): Folio | null {
    const order = src.order;
    let from = this.smallestFree(cc, order);
    if (from < 0) {
      this.isolateFreepages(cc, exec);
      from = this.smallestFree(cc, order);
      if (from < 0) return null;
    }
    const pfn = cc.freepages[from].pop() as number;
    for (let o = from; o > order; o--) cc.freepages[o - 1].push(pfn + (1 << (o - 1)));
    cc.nrFreepages -= 1 << order;
    return this.k.phys.folioFromIsolated(cc.nid, pfn, order);
  }

  private smallestFree(cc: CompactControl, order: number): number {
    for (let o = order; o <= MAX_PAGE_ORDER; o++) if (cc.freepages[o].length > 0) return o;
    return -1;
  }

  /** release_free_list: the isolated free blocks not used go back to the buddy allocator. */
  private releaseFreeList(cc: CompactControl): void {
    for (let o = 0; o <= MAX_PAGE_ORDER; o++) {
      for (const pfn of cc.freepages[o]) this.k.phys.releaseFreeBlock(cc.nid, pfn, o);
      cc.freepages[o].length = 0;
    }
    cc.nrFreepages = 0;
  }
}

/** struct compact_control, reduced to what the model's compaction reads. */
export class CompactControl {
  migratePfn = 0;
  freePfn = 0;
  readonly migratepages: Folio[] = [];
  nrMigratepages = 0;
  /** Isolated free blocks by order (pfns). */
  readonly freepages: number[][] = Array.from({ length: MAX_PAGE_ORDER + 1 }, () => []);
  nrFreepages = 0;
  totalMigrateScanned = 0;
  totalFreeScanned = 0;

  constructor(
    readonly nid: number,
    /** The order an allocation needs; -1 for a proactive or whole-node compaction. */
    readonly order: number,
    readonly mode: number,
    opts: { wholeZone?: boolean; proactive?: boolean; proactiveness?: number } = {},
  ) {
    this.wholeZone = opts.wholeZone ?? false;
    this.proactive = opts.proactive ?? false;
    this.proactiveness = opts.proactiveness ?? 0;
  }

  /** The run covers the whole node: it ends COMPACT_COMPLETE, not PARTIAL_SKIPPED. */
  wholeZone: boolean;
  readonly proactive: boolean;
  /** vm.compaction_proactiveness, for a proactive run's finish line. */
  readonly proactiveness: number;
}

/** compact_scanners_met: the free scanner has come down to the migrate scanner's pageblock. */
function scannersMet(cc: CompactControl): boolean {
  return cc.freePfn >>> PAGEBLOCK_ORDER <= cc.migratePfn >>> PAGEBLOCK_ORDER;
}

/**
 * fragmentation_index (×1000): towards 0 an allocation of `order` fails for want of memory,
 * towards 1000 for fragmentation; -1000 when a block of that order is free.
 */
export function fragmentationIndex(k: Kernel, nid: number, order: number): number {
  let blocksTotal = 0;
  let blocksSuitable = 0;
  for (let o = 0; o <= MAX_PAGE_ORDER; o++) {
    const n = k.phys.freeBlocks(nid, o);
    blocksTotal += n;
    if (o >= order) blocksSuitable += n << (o - order);
  }
  if (blocksTotal === 0) return 0;
  if (blocksSuitable > 0) return -1000;
  const requested = 1 << order;
  return (
    1000 - Math.floor((1000 + Math.floor((k.phys.freePages(nid) * 1000) / requested)) / blocksTotal)
  );
}

/**
 * fragmentation_score_node (one zone a node): extfrag_for_order at COMPACTION_HPAGE_ORDER, the
 * percentage of free memory not in free blocks of a THP's size or larger.
 */
export function fragmentationScore(k: Kernel, nid: number): number {
  const free = k.phys.freePages(nid);
  if (free === 0) return 0;
  let suitable = 0;
  for (let o = HPAGE_PMD_ORDER; o <= MAX_PAGE_ORDER; o++)
    suitable += k.phys.freeBlocks(nid, o) << o;
  return Math.floor(((free - suitable) * 100) / free);
}

/** fragmentation_score_wmark: proactive compaction runs above high and stops at low. */
export function fragmentationScoreWmark(proactiveness: number, low: boolean): number {
  const wmarkLow = Math.max(100 - proactiveness, 5);
  return low ? wmarkLow : Math.min(wmarkLow + 10, 100);
}

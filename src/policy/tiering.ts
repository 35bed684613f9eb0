/**
 * Memory tiering's promotion (kernel.numa_balancing & NUMA_BALANCING_MEMORY_TIERING,
 * kernel/sched/fair.c): the tiering branch of NUMA balancing, installed on its hint-fault path
 * (numa-fault.ts's NumaTieringHooks).
 *
 * The scanner stamps each slow-tier folio it makes PROT_NONE with the time (the kernel keeps it
 * in the folio's last_cpupid field, folio_xchg_access_time()), and skips top-tier folios unless
 * NUMA_BALANCING_NORMAL is on too. On a hint fault, should_numa_migrate_memory() promotes a
 * slow-tier folio to the faulting CPU's node when that node has plenty of free memory
 * (pgdat_free_space_enough(), counted in pgpromote_candidate_nrl); otherwise only when the
 * fault came within the hot threshold of the scan (numa_hint_fault_latency()) and the node's
 * promotion candidates of the last second stay under the rate limit (numa_promotion_rate_limit(),
 * pgpromote_candidate). Once per scan_period_max the threshold moves a step of 2/16 of
 * hot_threshold_ms towards the candidates the rate limit allows over that period
 * (numa_promotion_adjust_threshold()). A target short of free pages wakes its kswapd, which
 * then demotes down to the promo watermark (policy/vmscan.ts). Promoted pages count in
 * pgpromote_success on the target node.
 *
 * With kernel.kpromoted_period_ms (the batched promotion proposed upstream, kpromoted.ts) a hot
 * folio is recorded instead, and promoted with others by the node's kpromoted thread.
 *
 * Simplification: times are kept in whole ms as jiffies_to_msecs() gives them, without the
 * field's wraparound mask (PAGE_ACCESS_TIME_MASK: about 35 minutes at 21 bits).
 */
import type { Folio } from "../mm/folio.js";
import { PAGE_SHIFT } from "../mm/folio.js";
import type { NumaHintFault } from "../mm/numa-hint.js";
import { Kpromoted } from "./kpromoted.js";
import type { NumaTieringHooks } from "./numa-fault.js";
import type { Reclaim } from "./reclaim.js";
import { NUMA_BALANCING_NORMAL, type Sysctl } from "./sysctl.js";

/** NUMA_MIGRATION_ADJUST_STEPS: the threshold moves by 2/16 of the default at a time. */
const NUMA_MIGRATION_ADJUST_STEPS = 16;
const MSEC_PER_SEC = 1000;
/** The enough_wmark floor of pgdat_free_space_enough(): 1 GiB. */
const ENOUGH_WMARK_BYTES = 2 ** 30;

/** The per-node promotion state of struct pglist_data (nbp_*). */
interface NodePromotion {
  /** nbp_threshold, ms; 0: hot_threshold_ms. */
  threshold: number;
  /** nbp_th_start, ms, and the candidates then (nbp_th_nr_cand). */
  thStart: number;
  thNrCand: number;
  /** nbp_rl_start, ms, and the candidates then (nbp_rl_nr_cand). */
  rlStart: number;
  rlNrCand: number;
}

export class MemoryTiering implements NumaTieringHooks {
  private readonly nodes = new Map<number, NodePromotion>();
  private readonly normal: boolean;
  private readonly hotThresholdMs: number;
  private readonly rateLimitPages: number;
  private readonly scanPeriodMaxMs: number;
  /** The batched promotion daemon, when kernel.kpromoted_period_ms asks for it. */
  private readonly kpromoted: Kpromoted | null;

  constructor(
    private readonly r: Reclaim,
    sysctl: Sysctl,
  ) {
    const kn = sysctl.kernel;
    this.normal = (kn.numa_balancing & NUMA_BALANCING_NORMAL) !== 0;
    this.hotThresholdMs = kn.numa_balancing_hot_threshold_ms;
    this.rateLimitPages = kn.numa_balancing_promote_rate_limit_MBps * 2 ** (20 - PAGE_SHIFT);
    this.scanPeriodMaxMs = kn.numa_balancing_scan_period_max_ms;
    this.kpromoted =
      kn.kpromoted_period_ms > 0 ? new Kpromoted(r, kn.kpromoted_period_ms * 1e6) : null;
  }

  /** jiffies_to_msecs(jiffies) */
  private nowMs(): number {
    return Math.floor(this.r.k.sim.now / 1e6);
  }

  /** The node's promotion state; reset_memory_tiering() made it at boot. */
  private node(nid: number): NodePromotion {
    let n = this.nodes.get(nid);
    if (n === undefined) {
      n = { threshold: 0, thStart: 0, thNrCand: 0, rlStart: 0, rlNrCand: 0 };
      this.nodes.set(nid, n);
    }
    return n;
  }

  /** The threshold of promotion to `nid` now, ms. */
  threshold(nid: number): number {
    return this.node(nid).threshold || this.hotThresholdMs;
  }

  isTopTier(nid: number): boolean {
    return this.r.tiers.nodeIsToptier(nid);
  }

  /**
   * change_pte_range()'s tiering part: a top-tier folio is skipped unless NORMAL balancing is
   * on too; a slow-tier folio made PROT_NONE is stamped with the scan time.
   */
  scanSkip(folio: Folio): boolean {
    if (this.isTopTier(folio.nid)) return !this.normal;
    folio.lastCpupid = this.nowMs();
    return false;
  }

  /**
   * pgdat_free_space_enough(): the node has more free pages than its promo watermark plus the
   * larger of 1 GiB and a sixteenth of the node.
   */
  private freeSpaceEnough(nid: number): boolean {
    const k = this.r.k;
    const pages = k.phys.nodePages(nid);
    const enough = Math.max(ENOUGH_WMARK_BYTES >> PAGE_SHIFT, pages >> 4);
    return this.r.watermarkOk(nid, 1, this.r.wmark(nid).promo + enough);
  }

  /** numa_promotion_adjust_threshold() */
  private adjustThreshold(nid: number, n: NodePromotion): void {
    const now = this.nowMs();
    if (now - n.thStart <= this.scanPeriodMaxMs) return;
    n.thStart = now;
    const refCand = (this.rateLimitPages * this.scanPeriodMaxMs) / MSEC_PER_SEC;
    const nrCand = this.r.k.ctx.vmstat.nodeStat(nid, "pgpromote_candidate");
    const diffCand = nrCand - n.thNrCand;
    const unitTh = Math.floor((this.hotThresholdMs * 2) / NUMA_MIGRATION_ADJUST_STEPS);
    let th = n.threshold || this.hotThresholdMs;
    if (diffCand > (refCand * 11) / 10) th = Math.max(th - unitTh, unitTh);
    else if (diffCand < (refCand * 9) / 10) th = Math.min(th + unitTh, this.hotThresholdMs * 2);
    n.thNrCand = nrCand;
    n.threshold = th;
  }

  /** numa_promotion_rate_limit(): count the candidate; true when the second's budget is spent. */
  private rateLimited(nid: number, n: NodePromotion, nr: number): boolean {
    const vm = this.r.k.ctx.vmstat;
    vm.addNode(nid, "pgpromote_candidate", nr);
    const nrCand = vm.nodeStat(nid, "pgpromote_candidate");
    const now = this.nowMs();
    if (now - n.rlStart > MSEC_PER_SEC) {
      n.rlStart = now;
      n.rlNrCand = nrCand;
    }
    return nrCand - n.rlNrCand >= this.rateLimitPages;
  }

  /** should_numa_migrate_memory()'s tiering branch for a fault on a slow-tier folio. */
  shouldPromote(fault: NumaHintFault, dstNid: number): boolean {
    const folio = fault.folio;
    const nr = folio.nrPages;
    const n = this.node(dstNid);
    if (this.freeSpaceEnough(dstNid)) {
      // The workload changed: start the threshold again.
      n.threshold = 0;
      this.r.k.ctx.vmstat.addNode(dstNid, "pgpromote_candidate_nrl", nr);
      if (this.kpromoted === null) return true;
      this.kpromoted.record(folio, dstNid);
      return false;
    }
    this.adjustThreshold(dstNid, n);
    const th = n.threshold || this.hotThresholdMs;
    // numa_hint_fault_latency(): since the scan stamped the folio, and stamp it again.
    const now = this.nowMs();
    const latency = now - folio.lastCpupid;
    folio.lastCpupid = now;
    if (latency >= th) return false;
    if (this.rateLimited(dstNid, n, nr)) return false;
    if (this.kpromoted === null) return true;
    // Batched promotion: record it for kpromoted and leave it where it is for now.
    this.kpromoted.record(folio, dstNid);
    return false;
  }

  /** migrate_misplaced_folio_prepare() found the target short of free pages. */
  wakeupKswapd(nid: number, order: number): void {
    this.r.wakeupKswapd(nid, order);
  }

  /** migrate_misplaced_folio(): pages moved up a tier count in the target's pgpromote_success. */
  migrated(srcNid: number, dstNid: number, nr: number): void {
    if (!this.isTopTier(srcNid) && this.isTopTier(dstNid)) {
      this.r.k.ctx.vmstat.addNode(dstNid, "pgpromote_success", nr);
    }
  }
}

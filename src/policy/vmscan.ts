/**
 * Reclaim by demotion (mm/vmscan.c, the classic active/inactive LRU): kswapd's
 * balance_pgdat(), direct reclaim's try_to_free_pages(), shrink_node() and shrink_lruvec()
 * with their scan targets, shrink_active_list() aging the active list, shrink_inactive_list()
 * isolating SWAP_CLUSTER_MAX pages at a time, shrink_folio_list() sorting them by
 * folio_check_references() (the accessed bits the applications set, read through
 * folio_referenced()) and demote_folio_list() calling migrate_pages(MIGRATE_ASYNC,
 * MR_DEMOTION) on what it gathered.
 *
 * The batches reclaim gives migrate_pages(): shrink_lruvec() asks shrink_inactive_list() for
 * at most SWAP_CLUSTER_MAX (32) pages a call, and isolate_lru_folios() stops once it has that
 * many, so a demotion is at most 32 small folios, or one large folio (a THP alone is 512
 * pages): never NR_MAX_BATCHED_MIGRATION's 512 pages of small folios. Each call still counts
 * 32 off its scan target, so a list of THPs is scanned 16 times past the target, as in the
 * kernel.
 *
 * Simplifications: no swap, so a folio reclaim would drop is demoted or, failing that,
 * activated (an anonymous folio that cannot be swapped); no file pages, memcgs, dirty or
 * writeback throttling, or kcompactd; scanning costs the task costs.pageWalkNs per folio
 * isolated and costs.pteNs per mapping folio_referenced() reads (assumed, like those costs).
 */

import { migratePages } from "../migrate/core.js";
import { Exec, PH_ISOLATE } from "../migrate/exec.js";
import { folioIsolateLru } from "../migrate/isolate.js";
import type { Kernel } from "../migrate/kernel.js";
import { MIGRATE_ASYNC, MR_DEMOTION } from "../migrate/modes.js";
import { MigrationRun, type MigrationTarget } from "../migrate/run.js";
import { folioReferenced, type ReferencedInfo } from "../mm/access.js";
import { type Folio, PG } from "../mm/folio.js";
import type { Lruvec } from "../mm/lru.js";
import { Task } from "../mm/task.js";
import { VM_LOCKED } from "../mm/vm.js";
import type { NodeStatName } from "../mm/vmstat.js";
import type { SchedTask } from "../sched/scheduler.js";
import type { SimEvent, Yieldable } from "../sim/simulator.js";
import type { Reclaim } from "./reclaim.js";

/** Pages one shrink_list() call isolates at most. */
export const SWAP_CLUSTER_MAX = 32;
/** Reclaim starts scanning 1/2^12 of each list, and doubles it each priority it drops. */
export const DEF_PRIORITY = 12;

type Gen<T> = Generator<Yieldable, T, unknown>;

/** struct scan_control, what the model needs of it. */
interface ScanControl {
  priority: number;
  nrToReclaim: number;
  nrReclaimed: number;
  /** Pages looked at (isolated) this round. */
  nrScanned: number;
  /** The stat demoted pages count in: pgdemote_kswapd or pgdemote_direct. */
  demoteStat: NodeStatName;
  /** The task doing the reclaim. */
  exec: Exec;
  /**
   * The folios of the shrink_list() call in progress (one at a time per scan_control): those
   * isolated, and those sorted to go back on the LRU, with the pages isolated.
   */
  isolated: FolioBatch;
  keep: FolioBatch;
  nrTaken: number;
}

/**
 * Folios gathered by a shrink_list() call: an array kept from call to call with a count, so
 * that its storage is too (emptying an array drops its storage, and a call gathers one THP).
 */
class FolioBatch {
  readonly folios: Folio[] = [];
  n = 0;

  push(folio: Folio): void {
    this.folios[this.n++] = folio;
  }
}

/** A round's scan_control for `exec` at `priority`, to reclaim `nrToReclaim` pages. */
function scanControl(
  priority: number,
  nrToReclaim: number,
  demoteStat: NodeStatName,
  exec: Exec,
): ScanControl {
  return {
    priority,
    nrToReclaim,
    nrReclaimed: 0,
    nrScanned: 0,
    demoteStat,
    exec,
    isolated: new FolioBatch(),
    keep: new FolioBatch(),
    nrTaken: 0,
  };
}

const FOLIOREF_RECLAIM = 0;
const FOLIOREF_KEEP = 1;
const FOLIOREF_ACTIVATE = 2;

const refInfo: ReferencedInfo = { vmFlags: 0 };

/**
 * folio_check_references(): a folio referenced through its page tables is kept for another
 * trip around the inactive list (PG_referenced set), and activated if it was referenced on
 * its last trip too or through more than one mapping; mlocked folios are activated; the rest
 * are reclaimed.
 */
function folioCheckReferences(k: Kernel, folio: Folio, exec: Exec): number {
  const referencedPtes = folioReferenced(folio, refInfo);
  exec.charge(PH_ISOLATE, folio.mapcount * k.costs.pteNs);
  const referencedFolio = folio.test(PG.referenced);
  folio.clear(PG.referenced);
  if (refInfo.vmFlags & VM_LOCKED) return FOLIOREF_ACTIVATE;
  if (referencedPtes > 0) {
    folio.set(PG.referenced);
    return referencedFolio || referencedPtes > 1 ? FOLIOREF_ACTIVATE : FOLIOREF_KEEP;
  }
  return FOLIOREF_RECLAIM;
}

/**
 * isolate_lru_folios(): take folios from the tail of the list until `nrToScan` pages were
 * taken, into sc.isolated (and their pages into sc.nrTaken); NR_ISOLATED_ANON counts them
 * until the caller puts them back.
 */
function isolateLruFolios(
  r: Reclaim,
  v: Lruvec,
  active: boolean,
  nrToScan: number,
  sc: ScanControl,
): FolioBatch {
  const out = sc.isolated;
  out.n = 0;
  let taken = 0;
  let scan = 0;
  for (let folio = v.oldest(active); folio !== null && scan < nrToScan; ) {
    // The next one first: isolating takes this one off the list.
    const next = v.newer(folio);
    scan += folio.nrPages;
    sc.exec.charge(PH_ISOLATE, r.k.costs.pageWalkNs);
    if (folioIsolateLru(folio, r.k.ctx)) {
      out.push(folio);
      taken += folio.nrPages;
    }
    folio = next;
  }
  // Only the inactive list's scan counts towards reclaim progress: shrink_active_list() counts
  // its own in PGREFILL alone.
  if (!active) sc.nrScanned += scan;
  sc.nrTaken = taken;
  return out;
}

/**
 * move_folios_to_lru(): the folios reclaim did not free go back on their lists (by PG_active),
 * and NR_ISOLATED_ANON drops by all `nrTaken` pages, the demoted ones included (demotion
 * leaves that count to its caller).
 */
function moveFoliosToLru(r: Reclaim, nid: number, batch: FolioBatch, nrTaken: number): void {
  const ctx = r.k.ctx;
  for (let i = 0; i < batch.n; i++) {
    const folio = batch.folios[i];
    folio.clear(PG.isolated);
    folio.set(PG.lru);
    folio.refcount--;
    if (folio.refcount === 0) ctx.phys.freeFolio(folio);
    else r.lru.add(folio);
  }
  batch.n = 0;
  ctx.vmstat.addNode(nid, "nr_isolated_anon", -nrTaken);
}

/**
 * alloc_demote_folio(): the demotion target alone first, then any node of the lower tiers by
 * distance from it; never reclaiming (GFP_NOWAIT: kswapd is woken, the min watermark is the
 * floor). An injected allocation failure looks like a full node.
 */
function demoteTarget(r: Reclaim, target: number, allowed: readonly number[]): MigrationTarget {
  const k = r.k;
  const others = r.zonelist(target).filter((n) => allowed.includes(n));
  return {
    alloc: (src) => {
      if (k.faults.hit("alloc-fail")) return null;
      return r.allocNowait([target], src.order) ?? r.allocNowait(others, src.order);
    },
    free: (dst) => {
      dst.refcount = 0;
      k.phys.freeFolio(dst);
    },
  };
}

/**
 * demote_folio_list(): migrate_pages() of the gathered folios to the next tier, MIGRATE_ASYNC,
 * MR_DEMOTION. Leaves in `folios` those not demoted; returns the pages demoted.
 */
function* demoteFolioList(r: Reclaim, nid: number, folios: Folio[], exec: Exec): Gen<number> {
  if (folios.length === 0) return 0;
  const target = r.tiers.nextDemotionNode(nid, r.rng.next());
  if (target < 0) return 0;
  exec.folioEvents = r.watcher;
  const run = new MigrationRun(r.k, exec, demoteTarget(r, target, r.tiers.lowerTiers(nid)));
  const res = yield* migratePages(run, folios, MIGRATE_ASYNC, MR_DEMOTION);
  return res.nrSucceeded;
}

/** sortFolioList()'s answer when it sorted out nothing to reclaim; never pushed to. */
const NONE: Folio[] = [];

/**
 * shrink_folio_list()'s sorting of the first `n` isolated `folios` by their references: those
 * to reclaim when `demote` is on are returned, the rest pushed on sc.keep (activated when
 * referenced twice, or to be reclaimed with nowhere to go: add_to_swap() fails).
 */
function sortFolioList(
  k: Kernel,
  folios: readonly Folio[],
  n: number,
  sc: ScanControl,
  demote: boolean,
): Folio[] {
  const keep = sc.keep;
  // Made on the first folio to reclaim: most calls on a hot node reclaim none.
  let reclaim = NONE;
  for (let i = 0; i < n; i++) {
    const folio = folios[i];
    // A folio someone holds locked or under writeback is kept (folio_trylock failed).
    if (folio.test(PG.locked) || folio.test(PG.writeback)) {
      keep.push(folio);
      continue;
    }
    const ref = folioCheckReferences(k, folio, sc.exec);
    if (ref === FOLIOREF_RECLAIM && demote) {
      if (reclaim === NONE) reclaim = [];
      reclaim.push(folio);
      continue;
    }
    if (ref !== FOLIOREF_KEEP) folio.set(PG.active);
    keep.push(folio);
  }
  return reclaim;
}

/**
 * shrink_folio_list()'s reclaim of the folios sorted out (`demote`, not empty): demote them,
 * and sort the ones demotion failed again with demotion off (no swap: they are activated).
 * Pushes on sc.keep what goes back on the LRU; returns the pages reclaimed.
 */
function* shrinkFolioList(r: Reclaim, nid: number, demote: Folio[], sc: ScanControl): Gen<number> {
  const demoted = yield* demoteFolioList(r, nid, demote, sc.exec);
  if (demoted > 0) r.k.ctx.vmstat.addNode(nid, sc.demoteStat, demoted);
  sortFolioList(r.k, demote, demote.length, sc, false);
  return demoted;
}

/**
 * shrink_inactive_list(), all but its waits: isolate up to `nrToScan` pages and sort them into
 * those to keep (sc.keep) and those to reclaim, which it returns; null when it isolated none.
 * shrinkNode() demotes those (shrinkFolioList()), puts the rest back (moveFoliosToLru()) and
 * runs the CPU time it took: most calls on a hot node reclaim nothing, and make no generator.
 */
function shrinkInactiveList(
  r: Reclaim,
  v: Lruvec,
  nrToScan: number,
  sc: ScanControl,
): Folio[] | null {
  const isolated = isolateLruFolios(r, v, false, nrToScan, sc);
  if (isolated.n === 0) return null;
  // shrinkNode() runs only on a node that can demote (can_demote(), do_demote_pass).
  return sortFolioList(r.k, isolated.folios, isolated.n, sc, true);
}

/**
 * shrink_active_list(): age `nrToScan` pages of the active list (the caller runs the CPU time
 * it took). Anonymous folios go to the inactive list whether referenced or not;
 * folio_referenced() clears their accessed bits, so that the inactive list sees only
 * references made since.
 */
function shrinkActiveList(r: Reclaim, v: Lruvec, nrToScan: number, sc: ScanControl): void {
  const isolated = isolateLruFolios(r, v, true, nrToScan, sc);
  for (let i = 0; i < isolated.n; i++) {
    const folio = isolated.folios[i];
    folioReferenced(folio);
    sc.exec.charge(PH_ISOLATE, folio.mapcount * r.k.costs.pteNs);
    folio.clear(PG.active);
  }
  moveFoliosToLru(r, v.nid, isolated, sc.nrTaken);
}

/**
 * shrink_node() / shrink_lruvec(): scan each list by its size >> priority, SWAP_CLUSTER_MAX at
 * a time, until the targets are spent or enough was reclaimed; the active list is aged only
 * while the inactive one is low, and a little more at the end when it still is.
 */
function* shrinkNode(r: Reclaim, nid: number, sc: ScanControl): Gen<void> {
  if (!r.canDemote(nid)) return;
  const v = r.lru.lruvec(nid);
  const mayDeactivate = v.inactiveIsLow();
  let nrInactive = v.inactivePages >> sc.priority;
  let nrActive = v.activePages >> sc.priority;
  const exec = sc.exec;
  let reclaimed = 0;
  // exec.sync() inlined (beginSync, yield, endSync): a generator per call otherwise, and a
  // call on a list of THPs looks at one folio.
  while (nrInactive > 0) {
    const n = Math.min(nrInactive, SWAP_CLUSTER_MAX);
    nrInactive -= n;
    const demote = shrinkInactiveList(r, v, n, sc);
    if (demote !== null) {
      if (demote.length > 0) reclaimed += yield* shrinkFolioList(r, v.nid, demote, sc);
      moveFoliosToLru(r, v.nid, sc.keep, sc.nrTaken);
      const delay = exec.beginSync();
      if (delay >= 0) {
        yield delay;
        exec.endSync();
      }
    }
    if (nrActive > 0) {
      const a = Math.min(nrActive, SWAP_CLUSTER_MAX);
      nrActive -= a;
      if (mayDeactivate) {
        shrinkActiveList(r, v, a, sc);
        const delay = exec.beginSync();
        if (delay >= 0) {
          yield delay;
          exec.endSync();
        }
      }
    }
    if (reclaimed >= sc.nrToReclaim) break;
  }
  sc.nrReclaimed += reclaimed;
  if (v.inactiveIsLow()) {
    shrinkActiveList(r, v, SWAP_CLUSTER_MAX, sc);
    yield* exec.sync();
  }
}

/** A kernel thread's task and its CPU meter, on the first CPU `cpus` allows that is idle. */
function kthreadExec(k: Kernel, name: string, kind: "kswapd", cpus: readonly number[]): Exec {
  const cpu = k.sched.selectIdleSibling(cpus, cpus[0]);
  const se: SchedTask = k.sched.addTask({ name, kind, cpu });
  return new Exec(new Task(0, cpu, null), k.sched, se);
}

/** kswapd of one node: asleep until an allocation wakes it, then balance_pgdat(). */
export class Kswapd {
  /** balance_pgdat() rounds in a row that reclaimed nothing (kswapd_failures). */
  failures = 0;
  /** Times woken (pageoutrun-like). */
  runs = 0;
  private exec: Exec | null = null;
  private sleeping: SimEvent<void> | null = null;
  private started = false;
  /** pgdat->kswapd_order: the order balance_pgdat() balances for. */
  private order = 0;

  constructor(
    private readonly r: Reclaim,
    readonly nid: number,
  ) {}

  /**
   * wake_up_interruptible(&pgdat->kswapd_wait) for an allocation of `order` (kswapd balances
   * for the largest order asked since it last slept), starting the thread on first use.
   */
  wake(order: number): void {
    this.order = Math.max(this.order, order);
    if (!this.started) {
      this.started = true;
      const k = this.r.k;
      // kswapd is bound to its node's CPUs; a node without CPUs lets it run anywhere.
      const own = k.profile.cpusOfNode(this.nid);
      const cpus = own.length > 0 ? own : Array.from({ length: k.profile.cpus }, (_, i) => i);
      this.exec = kthreadExec(k, `kswapd${this.nid}`, "kswapd", cpus);
      k.sim.spawn(this.run(), `kswapd${this.nid}`);
      return;
    }
    const ev = this.sleeping;
    if (ev !== null) {
      this.sleeping = null;
      ev.trigger();
    }
  }

  /**
   * The thread: balance_pgdat() from DEF_PRIORITY down, shrinking the node until it is
   * balanced, dropping the priority (scanning twice as much) when a round scanned less than it
   * meant to reclaim or reclaimed nothing; a whole call that reclaims nothing counts as a
   * failure. Then kswapd_try_to_sleep(): asleep until the next wakeup. balance_pgdat() is
   * inline, not a generator of its own: every sync of shrinkNode() passes through each
   * generator it is delegated from.
   */
  private *run(): Gen<void> {
    const r = this.r;
    const k = r.k;
    const exec = this.exec as Exec;
    const w = r.wmark(this.nid);
    for (;;) {
      if (k.sim.now >= r.endNs) return;
      this.runs++;
      const order = this.order;
      this.order = 0;
      let total = 0;
      for (let priority = DEF_PRIORITY; priority >= 1; ) {
        if (r.pgdatBalanced(this.nid, order) || k.sim.now >= r.endNs) break;
        const sc = scanControl(
          priority,
          Math.max(w.high, SWAP_CLUSTER_MAX),
          "pgdemote_kswapd",
          exec,
        );
        yield* shrinkNode(r, this.nid, sc);
        total += sc.nrReclaimed;
        if (sc.nrScanned < sc.nrToReclaim || sc.nrReclaimed === 0) priority--;
      }
      this.failures = total > 0 || r.pgdatBalanced(this.nid, order) ? 0 : this.failures + 1;
      if (k.sim.now >= r.endNs) return;
      const ev = k.sim.event<void>();
      this.sleeping = ev;
      yield ev;
    }
  }
}

/**
 * try_to_free_pages() / do_try_to_free_pages(): direct reclaim by a faulting `task`,
 * over the nodes its allocation may use (the task's own CPU meter, as a migrating task's), from DEF_PRIORITY down until SWAP_CLUSTER_MAX pages
 * were reclaimed. Demoted pages count in pgdemote_direct. Returns the pages reclaimed.
 */
export function* tryToFreePages(r: Reclaim, nodes: readonly number[], task: Task): Gen<number> {
  const exec = r.k.newExec(task);
  let reclaimed = 0;
  for (let priority = DEF_PRIORITY; priority >= 0 && reclaimed < SWAP_CLUSTER_MAX; priority--) {
    for (const nid of nodes) {
      const sc = scanControl(priority, SWAP_CLUSTER_MAX, "pgdemote_direct", exec);
      yield* shrinkNode(r, nid, sc);
      reclaimed += sc.nrReclaimed;
      if (reclaimed >= SWAP_CLUSTER_MAX) break;
    }
  }
  yield* exec.sync();
  return reclaimed;
}

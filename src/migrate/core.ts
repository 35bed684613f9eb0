/**
 * migrate_pages(), migrate_pages_sync() and migrate_pages_batch() of mm/migrate.c, as the
 * semantics reference (§3-§5) describes them. Lists are arrays; "moving a folio to a list" is
 * appending it there and dropping it from the array it came from, in order.
 *
 * Simplification: the model has no hugetlb folios, so migrate_hugetlbs() has nothing to do.
 */
import { EAGAIN, ENOMEM } from "../mm/errno.js";
import { type Folio, PG } from "../mm/folio.js";
import { splitFolio } from "../mm/rmap.js";
import { tryToUnmapFlush } from "../mm/tlb.js";
import type { Yieldable } from "../sim/simulator.js";
import { PH_FLUSH, PH_UNMAP } from "./exec.js";
import {
  copyFolioAsFlow,
  finishSource,
  migrateFolioMove,
  migrateFolioUnmap,
  undoFolio,
} from "./folio-steps.js";
import {
  MIGRATE_ASYNC,
  MIGRATE_MODE_NAMES,
  MIGRATE_REASON_NAMES,
  MR_LONGTERM_PIN,
  MR_NUMA_MISPLACED,
  NR_MAX_MIGRATE_ASYNC_RETRY,
  NR_MAX_MIGRATE_PAGES_RETRY,
  NR_MAX_MIGRATE_SYNC_RETRY,
} from "./modes.js";
import { migrateOffloadBatch } from "./offload.js";
import type { MigrationRun } from "./run.js";

/** struct migrate_pages_stats */
export interface MigrateStats {
  nrSucceeded: number;
  nrFailedPages: number;
  nrThpSucceeded: number;
  nrThpFailed: number;
  nrThpSplit: number;
  nrSplit: number;
}

function newStats(): MigrateStats {
  return {
    nrSucceeded: 0,
    nrFailedPages: 0,
    nrThpSucceeded: 0,
    nrThpFailed: 0,
    nrThpSplit: 0,
    nrSplit: 0,
  };
}

export type MigGen<T> = Generator<Yieldable, T, unknown>;

export interface MigratePagesResult {
  /** A negative errno (-ENOMEM), or the number of folios not migrated. */
  rc: number;
  /** Base pages migrated (*nr_succeeded). */
  nrSucceeded: number;
  stats: MigrateStats;
}

function appendAll(dst: Folio[], src: readonly Folio[]): void {
  for (const f of src) dst.push(f);
}

/**
 * migrate_pages(from, ...): `from` holds isolated folios; afterwards it holds exactly those
 * not migrated, which the caller must put back.
 */
export function migratePages(
  run: MigrationRun,
  from: Folio[],
  mode: number,
  reason: number,
): MigGen<MigratePagesResult> {
  return asCurrent(run, migratePagesAsCurrent(run, from, mode, reason));
}

/**
 * Run `gen` as the kernel's `current` task: set before every step it takes, and given back to
 * whoever was current when it returns. Migrations of different tasks interleave at every
 * yield, so setting it once on entry would let the last one to enter stamp the others'
 * tracepoints with its own CPU and clock.
 */
function* asCurrent<T>(run: MigrationRun, gen: MigGen<T>): MigGen<T> {
  const k = run.k;
  const caller = k.current;
  let input: unknown;
  try {
    for (;;) {
      k.current = run.exec;
      const r = gen.next(input);
      if (r.done) return r.value;
      input = yield r.value;
    }
  } finally {
    k.current = caller;
  }
}

function* migratePagesAsCurrent(
  run: MigrationRun,
  from: Folio[],
  mode: number,
  reason: number,
): MigGen<MigratePagesResult> {
  const k = run.k;
  k.ctx.trace.emit("mm_migrate_pages_start", {
    mode: MIGRATE_MODE_NAMES[mode],
    reason: MIGRATE_REASON_NAMES[reason],
  });
  k.migrateCalls[reason]++;
  k.migrateCallFolios[reason] += from.length;
  // Once per call, whatever its size: what a call touches first is cold (costs.migrateCallNs).
  run.exec.charge(PH_UNMAP, k.costs.migrateCallNs);
  const stats = newStats();
  const retFolios: Folio[] = [];
  let rcGather = 0;
  let pos = 0;
  while (pos < from.length) {
    // What earlier batches freed is held by nobody now: `from` keeps it only below `pos`.
    if (pos > 0 && run.recycleBetweenBatches) k.phys.recycleFreedFolios();
    // A batch ends with the folio that takes it to NR_MAX_BATCHED_MIGRATION base pages.
    let sum = 0;
    let end = pos;
    while (end < from.length) {
      sum += from[end].nrPages;
      end++;
      if (sum >= k.nrMaxBatchedMigration) break;
    }
    const batch = from.slice(pos, end);
    pos = end;
    const splitFolios: Folio[] = [];
    const rc =
      mode === MIGRATE_ASYNC
        ? yield* migratePagesBatch(
            run,
            batch,
            mode,
            reason,
            retFolios,
            splitFolios,
            stats,
            NR_MAX_MIGRATE_PAGES_RETRY,
          )
        : yield* migratePagesSync(run, batch, mode, reason, retFolios, splitFolios, stats);
    appendAll(retFolios, batch);
    if (rc < 0) {
      rcGather = rc;
      appendAll(retFolios, splitFolios);
      break;
    }
    if (splitFolios.length > 0) {
      // The pieces get one ASYNC pass; the parent already counted as one failure.
      yield* migratePagesBatch(run, splitFolios, MIGRATE_ASYNC, reason, retFolios, null, stats, 1);
      appendAll(retFolios, splitFolios);
    }
    rcGather += rc;
  }
  run.releaseTransientPins();
  // ret_folios go back at the head of `from`, before anything never attempted.
  const untried = from.slice(pos);
  from.length = 0;
  appendAll(from, retFolios);
  appendAll(from, untried);
  if (from.length === 0) rcGather = 0;

  const vm = k.ctx.vmstat;
  vm.count("pgmigrate_success", stats.nrSucceeded);
  vm.count("pgmigrate_fail", stats.nrFailedPages);
  vm.count("thp_migration_success", stats.nrThpSucceeded);
  vm.count("thp_migration_fail", stats.nrThpFailed);
  vm.count("thp_migration_split", stats.nrThpSplit);
  k.ctx.trace.emit("mm_migrate_pages", {
    succeeded: stats.nrSucceeded,
    failed: stats.nrFailedPages,
    thp_succeeded: stats.nrThpSucceeded,
    thp_failed: stats.nrThpFailed,
    thp_split: stats.nrThpSplit,
    large_folio_split: stats.nrSplit,
    mode: MIGRATE_MODE_NAMES[mode],
    reason: MIGRATE_REASON_NAMES[reason],
  });
  return { rc: rcGather, nrSucceeded: stats.nrSucceeded, stats };
}

/** migrate_pages_sync(): the whole batch ASYNC first, then each leftover folio alone. */
function* migratePagesSync(
  run: MigrationRun,
  from: Folio[],
  mode: number,
  reason: number,
  ret: Folio[],
  split: Folio[],
  stats: MigrateStats,
): MigGen<number> {
  const astats = newStats();
  const failedAsync: Folio[] = [];
  let rc = yield* migratePagesBatch(
    run,
    from,
    MIGRATE_ASYNC,
    reason,
    failedAsync,
    split,
    astats,
    NR_MAX_MIGRATE_ASYNC_RETRY,
  );
  stats.nrSucceeded += astats.nrSucceeded;
  stats.nrThpSucceeded += astats.nrThpSucceeded;
  stats.nrThpSplit += astats.nrThpSplit;
  stats.nrSplit += astats.nrSplit;
  if (rc < 0) {
    stats.nrFailedPages += astats.nrFailedPages;
    stats.nrThpFailed += astats.nrThpFailed;
    appendAll(ret, failedAsync);
    return rc;
  }
  stats.nrThpFailed += astats.nrThpSplit;
  let nrFailed = astats.nrSplit;
  // Permanent ASYNC failures are retried in the real mode too.
  appendAll(from, failedAsync);
  for (let i = 0; i < from.length; i++) {
    const single = [from[i]];
    rc = yield* migratePagesBatch(
      run,
      single,
      mode,
      reason,
      ret,
      split,
      stats,
      NR_MAX_MIGRATE_SYNC_RETRY,
    );
    appendAll(ret, single);
    if (rc < 0) {
      from.splice(0, i + 1);
      return rc;
    }
    nrFailed += rc;
  }
  from.length = 0;
  return nrFailed;
}

/** migrate_folios_move()'s counts of one pass, which migrate_pages_batch() passes by pointer. */
interface MoveRetries {
  /** Folios still at -EAGAIN after the pass, the THPs among them, and their base pages. */
  retry: number;
  thpRetry: number;
  retryPages: number;
  /** Permanent failures, over all passes. */
  nrFailed: number;
}

/**
 * migrate_folios_move(): one pass of the move phase over the unmapped folios and their
 * destinations. Those still at -EAGAIN stay in the lists, in order, for the next pass; the
 * others are gone from them (moved, or failed for good and their sources put in `ret`).
 *
 * A generator of its own even when nothing in it yields (no copyFlows): V8 never inlines one,
 * so the move phase's calls do not compete with the unmap phase's for the batch's inlining
 * budget (a call left out of line passes its numbers boxed on the heap).
 */
function* migrateFoliosMove(
  run: MigrationRun,
  srcFolios: Folio[],
  dstFolios: Folio[],
  reason: number,
  ret: Folio[],
  stats: MigrateStats,
  moving: MoveRetries,
): MigGen<void> {
  const k = run.k;
  moving.retry = 0;
  moving.thpRetry = 0;
  moving.retryPages = 0;
  let w = 0;
  for (let i = 0; i < srcFolios.length; i++) {
    const src = srcFolios[i];
    const dst = dstFolios[i];
    if (k.copyFlows) yield* copyFolioAsFlow(run, dst, src);
    const rc = migrateFolioMove(run, dst, src, reason, ret);
    const isThp = src.isThp ? 1 : 0;
    if (rc === 0) {
      stats.nrSucceeded += src.nrPages;
      stats.nrThpSucceeded += isThp;
    } else if (rc === -EAGAIN) {
      moving.retry++;
      moving.thpRetry += isThp;
      moving.retryPages += src.nrPages;
      srcFolios[w] = src;
      dstFolios[w] = dst;
      w++;
    } else {
      moving.nrFailed++;
      stats.nrThpFailed += isThp;
      stats.nrFailedPages += src.nrPages;
    }
  }
  srcFolios.length = w;
  dstFolios.length = w;
}

/** The phases of migrate_pages_batch() in the order they run, as the timeline names them. */
const BATCH_PHASES = ["unmap", "flush", "copy", "move", "putback"] as const;

/** A batch on the timeline: its size, and the task's time at its start and after each phase. */
class BatchMarks {
  readonly folios: number;
  readonly pages: number;
  readonly times: number[];

  constructor(run: MigrationRun, from: readonly Folio[]) {
    let pages = 0;
    for (const f of from) pages += f.nrPages;
    this.folios = from.length;
    this.pages = pages;
    this.times = [run.exec.now()];
  }

  /** The phase that ran since the last mark ended now. */
  mark(run: MigrationRun): void {
    this.times.push(run.exec.now());
  }

  /**
   * Record the batch on the task's track: one slice for the batch and, nested in it, one per
   * phase that took time, in BATCH_PHASES order. The vanilla flow copies in the move phase.
   */
  record(run: MigrationRun): void {
    const tl = run.k.timeline;
    const track = run.taskTrack();
    const t = this.times;
    tl.slice(track, "batch", t[0], t[t.length - 1], { folios: this.folios, pages: this.pages });
    for (let i = 1; i < t.length; i++) {
      if (t[i] > t[i - 1]) tl.slice(track, BATCH_PHASES[i - 1], t[i - 1], t[i]);
    }
  }
}

/** try_split_folio(): the pieces go to `split` (or stay in place when there is no list). */
function trySplit(run: MigrationRun, folio: Folio, split: Folio[] | null, keep: Folio[]): number {
  const pieces = splitFolio(folio, run.k.ctx);
  if (typeof pieces === "number") return pieces;
  appendAll(split ?? keep, pieces);
  return 0;
}

/**
 * migrate_pages_batch(): unmap every folio, one TLB flush, then move every folio. Folios
 * still at -EAGAIN when the passes run out stay in `from`.
 */
function* migratePagesBatch(
  run: MigrationRun,
  from: Folio[],
  mode: number,
  reason: number,
  ret: Folio[],
  split: Folio[] | null,
  stats: MigrateStats,
  nrPass: number,
): MigGen<number> {
  const { k, exec } = run;
  const nosplit = reason === MR_NUMA_MISPLACED;
  // Sized for the whole batch up front: grown by push, they cost a batch several copies.
  const unmapFolios: Folio[] = new Array(from.length);
  const dstFolios: Folio[] = new Array(from.length);
  let nrUnmapped = 0;
  let nrFailed = 0;
  let rcSaved = 0;
  let retry = 1;
  let thpRetry = 0;
  let retryPages = 0;
  // Timeline: the task's time at the start of the batch and at the end of each phase.
  const marks = k.timeline.enabled ? new BatchMarks(run, from) : null;

  unmap: for (let pass = 0; pass < nrPass && retry; pass++) {
    retry = 0;
    thpRetry = 0;
    retryPages = 0;
    const keep: Folio[] = [];
    for (let i = 0; i < from.length; i++) {
      const folio = from[i];
      const isThp = folio.isThp ? 1 : 0;
      const nr = folio.nrPages;

      // Partially mapped large folios are split first (their pieces count as one failure).
      if (nr > 2 && folio.test(PG.deferredSplit) && folio.test(PG.partiallyMapped)) {
        if (trySplit(run, folio, split, keep) === 0) {
          nrFailed++;
          stats.nrThpFailed += isThp;
          stats.nrThpSplit += isThp;
          stats.nrSplit++;
          continue;
        }
      }
      if (isThp && !k.thpMigration) {
        nrFailed++;
        stats.nrThpFailed++;
        if (trySplit(run, folio, split, keep) === 0) {
          stats.nrThpSplit++;
          stats.nrSplit++;
        } else {
          stats.nrFailedPages += nr;
          ret.push(folio);
        }
        continue;
      }
      // Freed under us: only the isolation reference is left.
      if (!folio.test(PG.movableOps) && folio.refcount === 1) {
        stats.nrSucceeded += nr;
        stats.nrThpSucceeded += isThp;
        finishSource(run, folio, reason);
        continue;
      }

      const rc = migrateFolioUnmap(run, folio, mode, ret);
      if (rc === 0) {
        unmapFolios[nrUnmapped] = folio;
        dstFolios[nrUnmapped] = run.unmappedDst as Folio;
        nrUnmapped++;
      } else if (rc === -EAGAIN) {
        retry++;
        thpRetry += isThp;
        retryPages += nr;
        keep.push(folio);
      } else if (rc === -ENOMEM) {
        nrFailed++;
        stats.nrThpFailed += isThp;
        if (folio.isLarge && !nosplit) {
          const splitRc = trySplit(run, folio, split, keep);
          if (splitRc === 0) {
            stats.nrThpSplit += isThp;
            stats.nrSplit++;
            continue;
          }
          if (splitRc === -EAGAIN && reason === MR_LONGTERM_PIN) {
            nrFailed--;
            stats.nrThpFailed -= isThp;
            retry++;
            thpRetry += isThp;
            retryPages += nr;
            keep.push(folio);
            continue;
          }
        }
        // Out of memory on the target: abort the unmap phase; the rest is not tried.
        stats.nrFailedPages += nr + retryPages;
        stats.nrThpFailed += thpRetry;
        rcSaved = -ENOMEM;
        for (let j = i; j < from.length; j++) keep.push(from[j]);
        from.length = 0;
        appendAll(from, keep);
        break unmap;
      } else {
        nrFailed++;
        stats.nrThpFailed += isThp;
        stats.nrFailedPages += nr;
      }
    }
    from.length = 0;
    appendAll(from, keep);
  }
  if (rcSaved === 0) {
    nrFailed += retry;
    stats.nrThpFailed += thpRetry;
    stats.nrFailedPages += retryPages;
  }
  unmapFolios.length = nrUnmapped;
  dstFolios.length = nrUnmapped;
  marks?.mark(run);
  if (rcSaved !== 0 && unmapFolios.length === 0) {
    marks?.record(run);
    return rcSaved;
  }

  // One flush for every TLB entry the unmap phase deferred, before any data is copied.
  const flush = tryToUnmapFlush(exec.task, k.ctx);
  if (flush.flushed) run.chargeFlushes(1, flush.ipis, PH_FLUSH);
  exec.charge(PH_FLUSH, k.costs.batchNs);
  marks?.mark(run);
  yield* migrateOffloadBatch(run, unmapFolios, dstFolios, reason);
  marks?.mark(run);

  const moving: MoveRetries = { retry: 1, thpRetry: 0, retryPages: 0, nrFailed: 0 };
  for (let pass = 0; pass < nrPass && moving.retry; pass++) {
    yield* migrateFoliosMove(run, unmapFolios, dstFolios, reason, ret, stats, moving);
  }
  retry = moving.retry;
  thpRetry = moving.thpRetry;
  retryPages = moving.retryPages;
  nrFailed += moving.nrFailed;
  // Bytes mode: the batch's CPU copies, queued as the model made them, run back to back.
  k.phys.contents?.flushCopies();
  nrFailed += retry;
  stats.nrThpFailed += thpRetry;
  stats.nrFailedPages += retryPages;
  marks?.mark(run);

  // Move retries ran out: restore the sources and give the destinations back.
  for (let i = 0; i < unmapFolios.length; i++) undoFolio(run, dstFolios[i], unmapFolios[i], ret);
  marks?.mark(run);
  marks?.record(run);
  yield* exec.sync();
  return rcSaved !== 0 ? rcSaved : nrFailed;
}

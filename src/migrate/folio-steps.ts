/**
 * The per-folio steps of migrate_pages_batch(): migrate_folio_unmap(), migrate_folio_move(),
 * move_to_new_folio() / __migrate_folio(), and the undo of an unmapped folio.
 */
import { copyPath } from "../machine/fabric.js";
import { EAGAIN, EBUSY, EHWPOISON, ENOMEM } from "../mm/errno.js";
import {
  FOLIO_CONTENT_COPIED,
  FOLIO_WAS_MAPPED,
  FOLIO_WAS_MLOCKED,
  type Folio,
  PG,
} from "../mm/folio.js";
import { removeMigrationPtes, tryToMigrate } from "../mm/rmap.js";
import type { Flow } from "../sim/flows.js";
import type { MigGen } from "./core.js";
import { PH_COPY, PH_MOVE, PH_PUTBACK, PH_UNMAP } from "./exec.js";
import {
  MIGRATE_ASYNC,
  MIGRATE_SYNC,
  MIGRATE_SYNC_LIGHT,
  MR_DEMOTION,
  MR_MEMORY_FAILURE,
} from "./modes.js";
import type { MigrationRun } from "./run.js";

/** Flags that __migrate_folio() carries from the source to the destination (folio_migrate_flags). */
const MIGRATED_FLAGS =
  PG.referenced |
  PG.uptodate |
  PG.workingset |
  PG.dirty |
  PG.swapbacked |
  PG.active |
  PG.unevictable;

/** Expected refcount of an unmapped anon folio that is not in the swap cache: the isolation ref. */
export function expectedRefcount(folio: Folio): number {
  let refs = 1 + folio.mapcount;
  if (folio.test(PG.swapcache)) refs += folio.nrPages;
  return refs;
}

/**
 * migrate_folio_unmap(): allocate the destination, lock the source, replace its mappings with
 * migration entries. Returns 0 with the destination in `run.unmappedDst`, or a negative errno.
 * On a permanent failure the source is appended to `ret`; on -EAGAIN and -ENOMEM it is left
 * for the caller, which still holds it in `from`.
 */
export function migrateFolioUnmap(
  run: MigrationRun,
  src: Folio,
  mode: number,
  ret: Folio[],
): number {
  const { k, exec } = run;
  const dst = run.target.alloc(src);
  if (dst === null) return -ENOMEM;
  dst.migrateInfo = 0;
  exec.charge(PH_UNMAP, k.costs.folioNs);

  if (src.test(PG.locked)) {
    // Only another migration can hold the lock here; sleeping on it would need a second task.
    if (mode === MIGRATE_ASYNC || exec.task.pfMemalloc || mode === MIGRATE_SYNC_LIGHT) {
      run.target.free(dst);
      return -EAGAIN;
    }
    throw new Error(`folio ${src.pfn} is locked by the migrating task itself`);
  }
  src.set(PG.locked);
  const wasMlocked = src.test(PG.mlocked);

  if (src.test(PG.writeback)) {
    if (mode !== MIGRATE_SYNC) {
      src.clear(PG.locked);
      run.target.free(dst);
      ret.push(src);
      return -EBUSY;
    }
    // MIGRATE_SYNC waits for writeback to end.
    src.clear(PG.writeback);
  }
  dst.set(PG.locked);

  if (src.test(PG.movableOps)) {
    run.unmappedDst = dst;
    return 0;
  }

  let wasMapped = false;
  if (src.mapcount > 0) {
    // TTU_BATCH_FLUSH in MIGRATE_ASYNC, unless the kernel predates batched flushing (6.3).
    const batch = mode === MIGRATE_ASYNC && k.batchedUnmapTlbFlush;
    const r = tryToMigrate(src, exec.task, batch, k.ctx, run.unmapResult);
    exec.charge(PH_UNMAP, (r.ptes * k.costs.pteNs + r.pmds * k.costs.pmdNs) / 2);
    run.chargeFlushes(r.localFlushes, r.ipis, PH_UNMAP);
    wasMapped = true;
  }
  if (src.mapcount === 0) {
    if (wasMapped) exec.noteUnmap(src);
    dst.migrateInfo = (wasMapped ? FOLIO_WAS_MAPPED : 0) | (wasMlocked ? FOLIO_WAS_MLOCKED : 0);
    run.unmappedDst = dst;
    if (k.faults.hit("pin-during-migration")) run.pinTransient(src);
    return 0;
  }
  // Still mapped (a pinned anon-exclusive page): put back what was unmapped.
  if (wasMapped) restoreSource(run, src);
  src.clear(PG.locked);
  dst.clear(PG.locked);
  run.target.free(dst);
  return -EAGAIN;
}

/** Point the migration entries of src back at src (the undo half of remove_migration_ptes). */
function restoreSource(run: MigrationRun, src: Folio): void {
  const r = removeMigrationPtes(src, src, run.k.ctx, run.remapResult);
  run.exec.charge(PH_PUTBACK, (r.ptes * run.k.costs.pteNs + r.pmds * run.k.costs.pmdNs) / 2);
}

/**
 * migrate_folio_move(): copy (unless already copied) and commit, then remap to the
 * destination. Returns 0, -EAGAIN (source stays locked and unmapped, destination kept) or a
 * permanent error (source restored and appended to `ret`, destination freed).
 */
export function migrateFolioMove(
  run: MigrationRun,
  dst: Folio,
  src: Folio,
  reason: number,
  ret: Folio[],
): number {
  const { k, exec } = run;
  const info = dst.migrateInfo;
  const wasMapped = (info & FOLIO_WAS_MAPPED) !== 0;

  let rc = 0;
  if (!src.test(PG.movableOps)) rc = moveToNewFolio(run, dst, src);
  if (rc === -EAGAIN) {
    // The copied marker was consumed: a retry copies afresh.
    dst.migrateInfo = info & ~FOLIO_CONTENT_COPIED;
    return rc;
  }
  if (rc !== 0) {
    if (wasMapped) restoreSource(run, src);
    src.clear(PG.locked);
    ret.push(src);
    dst.clear(PG.locked);
    run.target.free(dst);
    return rc;
  }

  if (!src.test(PG.movableOps)) {
    dst.set(PG.lru);
    k.ctx.lru?.add(dst);
  }
  if (wasMapped) {
    const r = removeMigrationPtes(src, dst, k.ctx, run.remapResult);
    exec.charge(PH_MOVE, (r.ptes * k.costs.pteNs + r.pmds * k.costs.pmdNs) / 2);
  }
  if (info & FOLIO_WAS_MLOCKED) dst.set(PG.mlocked);
  dst.clear(PG.locked);
  dst.migrateInfo = 0;
  // The allocation reference: the page-table references now keep the destination alive.
  dst.refcount--;
  src.clear(PG.locked);
  exec.noteRemap(src);
  k.migratedFolios[reason]++;
  k.migratedBytes[reason] += src.sizeBytes;
  finishSource(run, src, reason);
  return 0;
}

/** The source folio after a successful move (or found freed): NR_ISOLATED and the isolation ref. */
export function finishSource(run: MigrationRun, src: Folio, reason: number): void {
  src.clear(PG.active | PG.unevictable | PG.isolated);
  if (reason !== MR_DEMOTION && !src.test(PG.movableOps)) {
    run.k.ctx.vmstat.addNode(src.nid, "nr_isolated_anon", -src.nrPages);
  }
  if (reason !== MR_MEMORY_FAILURE) {
    src.refcount--;
    if (src.refcount === 0) run.k.phys.freeFolio(src);
  }
}

/** move_to_new_folio() for anonymous folios: the generic __migrate_folio(). */
function moveToNewFolio(run: MigrationRun, dst: Folio, src: Folio): number {
  if (src.refcount !== expectedRefcount(src)) return -EAGAIN;
  if (dst.migrateInfo & FOLIO_CONTENT_COPIED) {
    dst.migrateInfo &= ~FOLIO_CONTENT_COPIED;
  } else {
    const rc = copyFolio(run, dst, src);
    if (rc !== 0) return rc;
  }
  // Plain anon: no mapping to switch; the refcount freeze of a large folio cannot fail here
  // since the count was just checked and nothing else runs between.
  src.clear(PG.deferredSplit | PG.partiallyMapped);
  dst.copyIndexFrom(src);
  dst.mapping = src.mapping;
  dst.set(src.flags & MIGRATED_FLAGS);
  // folio_migrate_flags(): the NUMA hint fault history goes with the contents.
  dst.lastCpupid = src.lastCpupid;
  dst.set(PG.swapbacked);
  src.clear(PG.active | PG.unevictable);
  return 0;
}

/**
 * folio_mc_copy() on the calling task's CPU: the copy of the move phase, and of the batch-cpu
 * migrator. A poisoned page stops it with -EHWPOISON.
 */
export function copyFolio(run: MigrationRun, dst: Folio, src: Folio): number {
  const { k, exec } = run;
  const phys = k.phys;
  if (phys.hasHwPoisoned(src)) return -EHWPOISON;
  exec.charge(PH_COPY, k.cpuCopyNs(exec.task.cpu, src.nid, dst.nid, src.sizeBytes));
  phys.contents?.copyPages(dst.pfn, src.pfn, src.nrPages);
  run.copiedBytes += src.sizeBytes;
  return 0;
}

/**
 * The move phase's copy as a flow, ahead of move_to_new_folio(), when other traffic shares the
 * machine's links (Kernel.copyFlows): the copy then feels their load and adds to it, at one
 * core's rate (its share of a busy CPU) at most. The folio is marked copied, so the move phase
 * does not copy it again; a poisoned source is left to the move phase's copy to report.
 */
export function* copyFolioAsFlow(run: MigrationRun, dst: Folio, src: Folio): MigGen<void> {
  const { k, exec } = run;
  if (dst.migrateInfo & FOLIO_CONTENT_COPIED || k.phys.hasHwPoisoned(src)) return;
  yield* exec.sync();
  const start = k.sim.now;
  // A core stalled on memory in a copy is still busy: the task holds its CPU share throughout,
  // and copies at most at that share of a core's rate, following the share as it changes.
  const coreRate = k.profile.cpu.copyGBps;
  let flow: Flow | null = null;
  const stretch = exec.running((s) => {
    if (flow !== null) k.net.setMaxRate(flow, coreRate / s);
  });
  flow = k.net.start(src.sizeBytes, copyPath(k.fabric, exec.task.cpu, src.nid, dst.nid), {
    maxRate: coreRate / stretch,
  });
  yield flow.done;
  exec.ran(PH_COPY, k.sim.now - start);
  k.phys.contents?.copyPages(dst.pfn, src.pfn, src.nrPages);
  run.copiedBytes += src.sizeBytes;
  dst.migrateInfo |= FOLIO_CONTENT_COPIED;
}

/** migrate_folio_undo_src/dst for a folio whose move retries ran out. */
export function undoFolio(run: MigrationRun, dst: Folio, src: Folio, ret: Folio[]): void {
  if (dst.migrateInfo & FOLIO_WAS_MAPPED) restoreSource(run, src);
  src.clear(PG.locked);
  ret.push(src);
  dst.clear(PG.locked);
  run.target.free(dst);
}

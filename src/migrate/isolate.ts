/** folio_isolate_lru() and putback_movable_pages(): taking folios off the LRU for migration. */
import type { LoadedProfile } from "../machine/profile.js";
import { type Folio, PG } from "../mm/folio.js";
import type { MmContext } from "../mm/vm.js";
import { type Exec, PH_ISOLATE } from "./exec.js";
import type { Kernel } from "./kernel.js";

/**
 * lru_cache_disable(), which move_pages(2) and migrate_pages(2) call before they isolate
 * anything, so that folios still in a CPU's LRU add batch reach the LRU: an expedited RCU grace
 * period, then a drain work item queued on every online CPU and flushed. The model charges
 * the caller costs.lruDrainCpuNs per online CPU, as CPU time of the isolate phase; it does not
 * schedule the drain kworkers, so a busy CPU (--cpu-load) does not make the wait longer.
 */
export function lruCacheDisable(k: Kernel, exec: Exec): void {
  exec.charge(PH_ISOLATE, lruCacheDisableNs(k.profile));
}

/** What lruCacheDisable() charges on `profile`'s machine: once per call, whatever its size. */
export function lruCacheDisableNs(profile: LoadedProfile): number {
  return profile.cpus * profile.costs.lruDrainCpuNs;
}

/** Isolate an LRU folio: +1 reference, NR_ISOLATED_ANON += nrPages. False if not on the LRU. */
export function folioIsolateLru(folio: Folio, ctx: MmContext): boolean {
  if (!folio.test(PG.lru)) return false;
  folio.clear(PG.lru);
  ctx.lru?.del(folio);
  folio.set(PG.isolated);
  folio.refcount++;
  ctx.vmstat.addNode(folio.nid, "nr_isolated_anon", folio.nrPages);
  return true;
}

/** putback_movable_pages(): every folio back on the LRU, dropping the isolation reference. */
export function putbackMovablePages(folios: readonly Folio[], ctx: MmContext): void {
  for (const folio of folios) {
    folio.clear(PG.isolated);
    folio.set(PG.lru);
    ctx.vmstat.addNode(folio.nid, "nr_isolated_anon", -folio.nrPages);
    folio.refcount--;
    if (folio.refcount === 0) ctx.phys.freeFolio(folio);
    else ctx.lru?.add(folio);
  }
}

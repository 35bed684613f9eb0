/**
 * The batch-copy step the series adds to migrate_pages_batch() (v6): after the unmap phase
 * and the TLB flush, the batch-eligible folios are copied in one call to the active migrator.
 * With no migrator for the reason, this is the vanilla flow: the move phase copies each folio.
 */
import { type Folio, PG } from "../mm/folio.js";
import type { MigGen } from "./core.js";
import { PH_COPY } from "./exec.js";
import { expectedRefcount } from "./folio-steps.js";
import type { MigrationRun } from "./run.js";

/** folio_supports_batch_copy() and the refcount check of patch 2/5. */
function batchEligible(src: Folio): boolean {
  return !src.test(PG.movableOps) && src.refcount === expectedRefcount(src);
}

export function* migrateOffloadBatch(
  run: MigrationRun,
  srcs: readonly Folio[],
  dsts: readonly Folio[],
  reason: number,
): MigGen<void> {
  const migrator = run.k.offload.migratorFor(reason);
  if (migrator === null) return;
  let eligible = 0;
  for (let i = 0; i < srcs.length; i++) if (batchEligible(srcs[i])) eligible++;
  if (eligible === 0) return;
  // The lists as they are when every folio is eligible (the usual case): no copies to make.
  let src = srcs;
  let dst = dsts;
  if (eligible < srcs.length) {
    const s: Folio[] = [];
    const d: Folio[] = [];
    for (let i = 0; i < srcs.length; i++) {
      if (!batchEligible(srcs[i])) continue;
      s.push(srcs[i]);
      d.push(dsts[i]);
    }
    src = s;
    dst = d;
  }
  const exec = run.exec;
  // Whatever the migrator starts, other processes see: the task's clock must be current.
  yield* exec.sync();
  const start = exec.now();
  const work = exec.workNs();
  // The result needs no handling here: folios left unmarked are copied by the move phase.
  yield* migrator.offloadCopy(run, dst, src);
  // What the task's time advanced beyond its own work, it slept: waiting for the copy.
  exec.slept(PH_COPY, exec.now() - start - (exec.workNs() - work));
}

/**
 * batch-cpu: the series' default batch copy (migrate_folios_mc_copy()): the calling task
 * copies the whole batch on its own CPU before the move phase, marking each folio as it goes.
 * Same copy work as the vanilla flow, moved ahead of the remaps.
 */

import type { MigGen } from "../migrate/core.js";
import { copyFolio } from "../migrate/folio-steps.js";
import type { MigrationRun } from "../migrate/run.js";
import { FOLIO_CONTENT_COPIED, type Folio } from "../mm/folio.js";
import type { Migrator, MigratorCounters } from "./migrator.js";

export class BatchCpuMigrator implements Migrator {
  readonly name = "batch-cpu";
  readonly counters: MigratorCounters = { foliosMigrated: 0, foliosFailures: 0 };

  *offloadCopy(run: MigrationRun, dst: readonly Folio[], src: readonly Folio[]): MigGen<number> {
    for (let i = 0; i < src.length; i++) {
      const rc = copyFolio(run, dst[i], src[i]);
      if (rc !== 0) {
        this.counters.foliosFailures += src.length - i;
        return rc;
      }
      dst[i].migrateInfo |= FOLIO_CONTENT_COPIED;
      this.counters.foliosMigrated++;
    }
    yield* run.exec.sync();
    return 0;
  }
}

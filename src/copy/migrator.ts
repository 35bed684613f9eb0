/**
 * The migrator interface of the batch-copy / copy-offload series (v6): one active migrator,
 * registered with a mask of the migrate reasons it may serve, copies a batch of unmapped
 * folios before the move phase. Every destination it copied carries FOLIO_CONTENT_COPIED;
 * the move phase copies the rest on the CPU, so declining (-EOPNOTSUPP) or failing part way
 * loses nothing.
 *
 * copy/ and migrate/ form one layer: migrate_pages_batch() calls migrators through this
 * interface, and migrators use the migration run (kernel, calling task) they are given.
 */

import type { MigGen } from "../migrate/core.js";
import type { MigrationRun } from "../migrate/run.js";
import { EBUSY, EINVAL } from "../mm/errno.js";
import type { Folio } from "../mm/folio.js";
import type { CpuTime } from "./workqueue.js";

/** MIGRATOR_NAME_LEN */
export const MIGRATOR_NAME_LEN = 32;

export interface MigratorCounters {
  /** Folios the migrator copied (dcbm's folios_migrated). */
  foliosMigrated: number;
  /** Folios of batches that failed and fell back to the CPU (dcbm's folios_failures). */
  foliosFailures: number;
}

export interface Migrator {
  readonly name: string;
  readonly counters: MigratorCounters;
  /** CPU time of the migrator's own threads (kworkers), by CPU; the caller's is in its Exec. */
  readonly cpuTime?: CpuTime;
  /** DMA migrators: the most channels one batch has obtained so far (0 before any batch). */
  readonly channelsUsed?: number;
  /**
   * offload_copy(dst, src, count): copy src[i] to dst[i], marking each copied dst with
   * FOLIO_CONTENT_COPIED. Returns 0, -EOPNOTSUPP to decline the batch (nothing copied), or
   * another negative errno on failure (copies already marked stay valid).
   */
  offloadCopy(run: MigrationRun, dst: readonly Folio[], src: readonly Folio[]): MigGen<number>;
}

/** The registry: migrate_offload_register() / unregister() and the active reason mask. */
export class MigrateOffload {
  private active: Migrator | null = null;
  /** active_reason_mask: "the single source of truth" for which reasons batch. */
  activeReasonMask = 0;

  /** 0, -EBUSY when another migrator is active, -EINVAL for a bad name. */
  register(m: Migrator, reasonMask: number): number {
    if (m.name.length === 0 || m.name.length >= MIGRATOR_NAME_LEN) return -EINVAL;
    if (this.active !== null) return -EBUSY;
    this.active = m;
    this.activeReasonMask = reasonMask;
    return 0;
  }

  /** 0, or -EINVAL when `m` is not the active migrator. */
  unregister(m: Migrator): number {
    if (this.active !== m) return -EINVAL;
    this.active = null;
    this.activeReasonMask = 0;
    return 0;
  }

  get migrator(): Migrator | null {
    return this.active;
  }

  /** migrate_should_offload(): the migrator that copies batches for this reason, if any. */
  migratorFor(reason: number): Migrator | null {
    return this.active !== null && this.activeReasonMask & (1 << reason) ? this.active : null;
  }
}

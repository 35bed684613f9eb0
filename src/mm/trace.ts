/**
 * The model's ftrace buffer: the migrate:* and tlb:tlb_flush tracepoints.
 *
 * Off by default. Hot paths test `enabled` before building the fields object, so a disabled
 * tracer costs one property load per tracepoint.
 */

/**
 * Tracepoints and their fields (kernel field names):
 * - mm_migrate_pages_start: mode, reason
 * - mm_migrate_pages: succeeded, failed, thp_succeeded, thp_failed, thp_split,
 *   large_folio_split, mode, reason
 * - set_migration_pte / remove_migration_pte: addr, pte, order
 * - set_migration_pmd / remove_migration_pmd (thp.h): addr, pmd
 * - tlb_flush: reason (TLB_* of tlb.ts), pages (-1 = TLB_FLUSH_ALL)
 */
export type TraceEventName =
  | "mm_migrate_pages_start"
  | "mm_migrate_pages"
  | "set_migration_pte"
  | "remove_migration_pte"
  | "set_migration_pmd"
  | "remove_migration_pmd"
  | "tlb_flush";

export interface TraceEvent {
  /** Virtual time in ns. */
  ts: number;
  cpu: number;
  name: TraceEventName;
  fields: Record<string, number | string>;
}

export class Tracer {
  enabled = false;
  clock: () => number = () => 0;
  cpu: () => number = () => 0;
  readonly events: TraceEvent[] = [];

  emit(name: TraceEventName, fields: Record<string, number | string>): void {
    if (!this.enabled) return;
    this.events.push({ ts: this.clock(), cpu: this.cpu(), name, fields });
  }
}

/**
 * The anonymous LRU lists of each node (struct lruvec: LRU_INACTIVE_ANON and LRU_ACTIVE_ANON),
 * the classic two-list LRU of mm/vmscan.c and mm/swap.c rather than the multi-generational one.
 *
 * A folio is on its node's inactive or active list while it has PG_lru, by PG_active. Each list
 * is an insertion-ordered Set: the first entry is the tail (oldest), an add goes to the head.
 * folio_add_lru() adds (a fault's new folio, a migration's destination, a folio put back),
 * folio_isolate_lru() removes, so the lists and their page counts are exact and reclaim scans
 * only the folios it looks at, never the whole list. New anonymous folios start inactive, as
 * since Linux 5.9 (workingset protection of anonymous memory).
 */
import { type Folio, PG } from "./folio.js";

/** What the migration and isolation paths tell the LRU (MmContext.lru). */
export interface LruHooks {
  /** folio_add_lru(): the folio got PG_lru; put it at the head of its node's list. */
  add(folio: Folio): void;
  /** The folio lost PG_lru (isolated): take it off its list. */
  del(folio: Folio): void;
}

export class Lruvec {
  /** Oldest first. */
  readonly inactive = new Set<Folio>();
  readonly active = new Set<Folio>();
  /** Base pages on each list. */
  inactivePages = 0;
  activePages = 0;

  constructor(readonly nid: number) {}

  list(active: boolean): Set<Folio> {
    return active ? this.active : this.inactive;
  }

  pages(active: boolean): number {
    return active ? this.activePages : this.inactivePages;
  }

  /**
   * inactive_is_low(): the inactive list is short against the active one, by the ratio of
   * int_sqrt(10 * GiB of both), 1 under a GiB, so big nodes keep more of their memory active.
   */
  inactiveIsLow(): boolean {
    const gb = (this.inactivePages + this.activePages) >> 18;
    const ratio = gb > 0 ? Math.floor(Math.sqrt(10 * gb)) : 1;
    return this.inactivePages * ratio < this.activePages;
  }
}

/** Every node's lruvec. */
export class LruLists implements LruHooks {
  private readonly vecs: Lruvec[] = [];

  lruvec(nid: number): Lruvec {
    let v = this.vecs[nid];
    if (v === undefined) {
      v = new Lruvec(nid);
      this.vecs[nid] = v;
    }
    return v;
  }

  add(folio: Folio): void {
    const v = this.lruvec(folio.nid);
    const active = folio.test(PG.active);
    const list = v.list(active);
    if (list.has(folio)) list.delete(folio);
    else if (active) v.activePages += folio.nrPages;
    else v.inactivePages += folio.nrPages;
    list.add(folio);
  }

  del(folio: Folio): void {
    const v = this.vecs[folio.nid];
    if (v === undefined) return;
    if (v.active.delete(folio)) v.activePages -= folio.nrPages;
    else if (v.inactive.delete(folio)) v.inactivePages -= folio.nrPages;
  }
}

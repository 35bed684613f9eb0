/**
 * The anonymous LRU lists of each node (struct lruvec: LRU_INACTIVE_ANON and LRU_ACTIVE_ANON),
 * the classic two-list LRU of mm/vmscan.c and mm/swap.c rather than the multi-generational one.
 *
 * A folio is on its node's inactive or active list while it has PG_lru, by PG_active. Each list
 * is a doubly linked list through the folios, as the kernel's folio->lru: the tail is the
 * oldest, an add goes to the head. The links live here, by Folio.id, rather than in every
 * folio of the machine. folio_add_lru() adds (a fault's new folio, a migration's destination,
 * a folio put back), folio_isolate_lru() removes, so the lists and their page counts are exact
 * and reclaim scans only the folios it looks at, never the whole list. New anonymous folios
 * start inactive, as since Linux 5.9 (workingset protection of anonymous memory).
 */
import { type Folio, PG } from "./folio.js";

/** What the migration and isolation paths tell the LRU (MmContext.lru). */
export interface LruHooks {
  /** folio_add_lru(): the folio got PG_lru; put it at the head of its node's list. */
  add(folio: Folio): void;
  /** The folio lost PG_lru (isolated): take it off its list. */
  del(folio: Folio): void;
}

/** No folio: the end of a list. */
const NIL = -1;

/** Int32 words per folio in LruLinks.words: its newer and older neighbours, and its list. */
const LINK_WORDS = 4;
const NEWER = 0;
const OLDER = 1;
const ON = 2;

/**
 * The links of every list, by Folio.id, side by side in one array (reclaim reads all three of
 * a folio it isolates or puts back, so they share a cache line): the neighbour towards the
 * head (newer) and towards the tail (older), and the list a folio is on (its lruvec's index
 * * 2 + active, plus one; 0 for none); grown as folio ids appear. The fourth word pads a
 * folio's links to 16 bytes, so they never straddle a line.
 */
class LruLinks {
  words = new Int32Array(0);
  folios: (Folio | null)[] = [];

  /** Grow to hold folio `id` (add() asks only when it does not fit). */
  grow(id: number): void {
    const size = Math.max(1024, 2 ** Math.ceil(Math.log2(id + 1)));
    const words = new Int32Array(size * LINK_WORDS);
    words.set(this.words);
    this.words = words;
    const folios: (Folio | null)[] = new Array(size).fill(null);
    for (let i = 0; i < this.folios.length; i++) folios[i] = this.folios[i];
    this.folios = folios;
  }
}

export class Lruvec {
  /** Each list's oldest and newest folio id (inactive at 0, active at 1), or NIL. */
  private readonly tail = new Int32Array([NIL, NIL]);
  private readonly head = new Int32Array([NIL, NIL]);
  /** Base pages on each list. */
  inactivePages = 0;
  activePages = 0;

  constructor(
    readonly nid: number,
    private readonly links: LruLinks,
  ) {}

  pages(active: boolean): number {
    return active ? this.activePages : this.inactivePages;
  }

  /** The oldest folio of a list, or null when it is empty. */
  oldest(active: boolean): Folio | null {
    const id = this.tail[active ? 1 : 0];
    return id === NIL ? null : (this.links.folios[id] as Folio);
  }

  /** The folio after `folio` (on one of these lists) towards the head, or null at the head. */
  newer(folio: Folio): Folio | null {
    const id = this.links.words[folio.id * LINK_WORDS + NEWER];
    return id === NIL ? null : (this.links.folios[id] as Folio);
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

  /** Put `folio` (on no list) at the head of list `lru` (0 inactive, 1 active). */
  link(folio: Folio, lru: number): void {
    const w = this.links.words;
    const at = folio.id * LINK_WORDS;
    const head = this.head[lru];
    w[at + OLDER] = head;
    w[at + NEWER] = NIL;
    if (head === NIL) this.tail[lru] = folio.id;
    else w[head * LINK_WORDS + NEWER] = folio.id;
    this.head[lru] = folio.id;
    if (lru === 1) this.activePages += folio.nrPages;
    else this.inactivePages += folio.nrPages;
  }

  /** Take `folio` off list `lru`. */
  unlink(folio: Folio, lru: number): void {
    const w = this.links.words;
    const at = folio.id * LINK_WORDS;
    const older = w[at + OLDER];
    const newer = w[at + NEWER];
    if (older === NIL) this.tail[lru] = newer;
    else w[older * LINK_WORDS + NEWER] = newer;
    if (newer === NIL) this.head[lru] = older;
    else w[newer * LINK_WORDS + OLDER] = older;
    if (lru === 1) this.activePages -= folio.nrPages;
    else this.inactivePages -= folio.nrPages;
  }
}

/** Every node's lruvec. */
export class LruLists implements LruHooks {
  private readonly vecs: Lruvec[] = [];
  private readonly links = new LruLinks();

  lruvec(nid: number): Lruvec {
    let v = this.vecs[nid];
    if (v === undefined) {
      v = new Lruvec(nid, this.links);
      this.vecs[nid] = v;
    }
    return v;
  }

  /** A folio already on a list moves to the head of the one its PG_active names. */
  add(folio: Folio): void {
    const id = folio.id;
    if (id < 0) throw new RangeError("LruLists: a folio outside a PhysMem has no id to link by");
    const l = this.links;
    if (id * LINK_WORDS >= l.words.length) l.grow(id);
    l.folios[id] = folio;
    this.del(folio);
    const lru = folio.test(PG.active) ? 1 : 0;
    this.lruvec(folio.nid).link(folio, lru);
    l.words[id * LINK_WORDS + ON] = 2 * folio.nid + lru + 1;
  }

  del(folio: Folio): void {
    const w = this.links.words;
    const at = folio.id * LINK_WORDS + ON;
    const on = at < w.length ? w[at] : 0;
    if (on === 0) return;
    (this.vecs[(on - 1) >> 1] as Lruvec).unlink(folio, (on - 1) & 1);
    w[at] = 0;
  }
}

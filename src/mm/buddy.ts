/**
 * The buddy allocator of one node (a zone's free_area[]): free lists per order 0..MAX_PAGE_ORDER,
 * splitting on allocation and merging with the buddy on free.
 *
 * Memory the model never touched has no metadata: the node's pages at or above `lazyNext` are
 * implicit free MAX_PAGE_ORDER blocks, handed out in pfn order once the explicit order-10 list is
 * empty. Boot is O(1) and a node costs nothing until it is used.
 *
 * A split is handed out in runs: the rest of a block split for an allocation stays one implicit
 * run while only allocations of the same order follow (a region faulted in, a move_pages(2)
 * call's destinations), each taking the run's next pages, as the free lists would give them.
 * Anything else first puts the run's blocks on the lists as expand() would have, so the lists
 * and counts anyone sees are the kernel's.
 */

import { MAX_PAGE_ORDER } from "./folio.js";
import {
  type MemSection,
  NO_PFN,
  PT_ANON_EXCLUSIVE,
  PT_BUDDY,
  PT_FRAG_PENDING,
  PT_HEAD,
  PT_KIND_MASK,
  PT_NONE,
  PT_ORDER_MASK,
  PT_RESERVED,
  PT_TAIL,
  SECTION_MASK,
  SECTION_SHIFT,
  type SectionTable,
} from "./sections.js";

const MAX_ORDER_NR_PAGES = 1 << MAX_PAGE_ORDER;

export class BuddyZone {
  /** First pfn of each free list (LIFO: the most recently freed block first). */
  private readonly freeHead = new Int32Array(MAX_PAGE_ORDER + 1).fill(NO_PFN);
  /** free_area[order].nr_free, explicit blocks only. */
  private readonly nrFree = new Int32Array(MAX_PAGE_ORDER + 1);
  /** Offset from startPfn of the first untouched page; everything above is implicitly free. */
  private lazyNext = 0;
  /** Free pages, including the untouched tail. */
  nrFreePages: number;
  /** Pages allocated as non-folio filler (fragmentation, hwpoison). */
  nrReserved = 0;
  /**
   * The run (see above): [runPfn, runEnd) is free and stands for the blocks expand() would have
   * left on the lists of orders runOrder and up, which were empty when the block was split (it
   * was the smallest that had one) and have been touched by nothing since. NO_PFN: no run.
   */
  private runPfn = NO_PFN;
  private runEnd = 0;
  private runOrder = 0;
  /**
   * Free-list links (next, prev) of the MAX_PAGE_ORDER blocks, two per block of the node, made
   * on first use. Smaller blocks link through their section's links, which a section has only
   * while it has such blocks: memory all free or all allocated keeps no per-page links.
   */
  private maxLinks: Int32Array | null = null;

  constructor(
    readonly nid: number,
    readonly startPfn: number,
    readonly nrPages: number,
    private readonly table: SectionTable,
  ) {
    this.nrFreePages = nrPages;
  }

  get endPfn(): number {
    return this.startPfn + this.nrPages;
  }

  /** End of the touched part of the node: no page at or above it has metadata in use. */
  get touchedEndPfn(): number {
    return this.startPfn + this.lazyNext;
  }

  /**
   * __rmqueue_smallest: take a block from the smallest order >= `order` that has one and split it
   * down. Returns the pfn of a block of exactly `order`, whose head type is left PT_NONE for the
   * caller to mark, or NO_PFN.
   */
  rmqueue(order: number): number {
    const nr = 1 << order;
    let pfn = this.runPfn;
    if (pfn !== NO_PFN) {
      if (order === this.runOrder) {
        // The lists' smallest block of `order` and up is the run's first, and it starts here.
        this.runPfn = pfn + nr === this.runEnd ? NO_PFN : pfn + nr;
        this.nrFreePages -= nr;
        return pfn;
      }
      this.flushRun();
    }
    let current = order;
    for (; current <= MAX_PAGE_ORDER; current++) {
      pfn = this.freeHead[current];
      if (pfn !== NO_PFN) break;
    }
    if (pfn !== NO_PFN) {
      this.delFromFreeList(this.sectionOf(pfn), pfn, current);
    } else {
      if (this.lazyNext >= this.nrPages) return NO_PFN;
      current = MAX_PAGE_ORDER;
      pfn = this.startPfn + this.lazyNext;
      this.lazyNext += MAX_ORDER_NR_PAGES;
      this.table.ensure(pfn);
    }
    if (current > order) {
      // expand(), deferred: the upper part becomes the run.
      this.runPfn = pfn + nr;
      this.runEnd = pfn + (1 << current);
      this.runOrder = order;
    }
    this.nrFreePages -= nr;
    return pfn;
  }

  /**
   * expand() for what is left of the run: its free blocks onto their lists, one per order from
   * runOrder up (an order's block where the rest's size has that bit), smallest first.
   */
  private flushRun(): void {
    let pfn = this.runPfn;
    if (pfn === NO_PFN) return;
    this.runPfn = NO_PFN;
    const end = this.runEnd;
    const rest = end - pfn;
    // A split block never crosses a section.
    const sec = this.sectionOf(pfn);
    for (let order = this.runOrder; pfn < end; order++) {
      if ((rest & (1 << order)) === 0) continue;
      this.addToFreeList(sec, pfn, order);
      pfn += 1 << order;
    }
  }

  /**
   * __free_one_page: return a block (whose pages the caller already reset to PT_NONE) and merge
   * it with its buddy for as long as the buddy is a free block of the same order.
   */
  free(pfn: number, order: number): void {
    this.flushRun();
    // A block never crosses a MAX_PAGE_ORDER boundary, so it and every buddy share a section.
    const sec = this.sectionOf(pfn);
    const types = sec.pageType;
    this.nrFreePages += 1 << order;
    let offset = pfn - this.startPfn;
    while (order < MAX_PAGE_ORDER) {
      const buddy = this.startPfn + (offset ^ (1 << order));
      if (types[buddy & SECTION_MASK] !== (PT_BUDDY | order)) break;
      this.delFromFreeList(sec, buddy, order);
      offset &= ~(1 << order);
      order++;
    }
    this.addToFreeList(sec, this.startPfn + offset, order);
  }

  private addToFreeList(sec: MemSection, pfn: number, order: number): void {
    const head = this.freeHead[order];
    sec.pageType[pfn & SECTION_MASK] = PT_BUDDY | order;
    let links: Int32Array;
    if (order === MAX_PAGE_ORDER) {
      links = this.maxLinks ?? this.allocMaxLinks();
    } else {
      if (sec.links === null) sec.links = this.table.takeLinks();
      links = sec.links;
      sec.nrLinked++;
    }
    const at = this.linkIndex(pfn, order);
    links[at] = head;
    links[at + 1] = NO_PFN;
    if (head !== NO_PFN) this.linksOf(head, order)[this.linkIndex(head, order) + 1] = pfn;
    this.freeHead[order] = pfn;
    this.nrFree[order]++;
  }

  private delFromFreeList(sec: MemSection, pfn: number, order: number): void {
    const links = this.linksOf(pfn, order);
    const at = this.linkIndex(pfn, order);
    const next = links[at];
    const prev = links[at + 1];
    if (prev === NO_PFN) this.freeHead[order] = next;
    else this.linksOf(prev, order)[this.linkIndex(prev, order)] = next;
    if (next !== NO_PFN) this.linksOf(next, order)[this.linkIndex(next, order) + 1] = prev;
    sec.pageType[pfn & SECTION_MASK] = PT_NONE;
    this.nrFree[order]--;
    if (order < MAX_PAGE_ORDER && --sec.nrLinked === 0) {
      this.table.putLinks(links);
      sec.links = null;
    }
  }

  /**
   * Where the links of a free block of `order` at `pfn` are: a MAX_PAGE_ORDER block's in the
   * zone's array, by block; a smaller one's in its section's, by page.
   */
  private linkIndex(pfn: number, order: number): number {
    return order === MAX_PAGE_ORDER
      ? 2 * ((pfn - this.startPfn) >>> MAX_PAGE_ORDER)
      : 2 * (pfn & SECTION_MASK);
  }

  private linksOf(pfn: number, order: number): Int32Array {
    return (order === MAX_PAGE_ORDER ? this.maxLinks : this.sectionOf(pfn).links) as Int32Array;
  }

  private allocMaxLinks(): Int32Array {
    this.maxLinks = new Int32Array(2 * (this.nrPages >>> MAX_PAGE_ORDER));
    return this.maxLinks;
  }

  /** The section of a pfn known to be touched. */
  private sectionOf(pfn: number): MemSection {
    return this.table.sections[pfn >>> SECTION_SHIFT] as MemSection;
  }

  /**
   * PageBuddy + buddy_order for a compaction scanner: the order of the free block whose head is
   * at `pfn`, or -1. The untouched tail is not scanned (it is whole free blocks already).
   */
  freeBlockOrder(pfn: number): number {
    this.flushRun();
    if (pfn < this.startPfn || pfn >= this.touchedEndPfn) return -1;
    const type = this.sectionOf(pfn).pageType[pfn & SECTION_MASK];
    return (type & PT_KIND_MASK) === PT_BUDDY ? type & PT_ORDER_MASK : -1;
  }

  /**
   * __isolate_free_page: take the free block headed at `pfn` off its list for a compaction's
   * free scanner; its pages stay PT_NONE until made a folio or freed back. Returns its order.
   */
  isolateFreeBlock(pfn: number): number {
    const order = this.freeBlockOrder(pfn);
    if (order < 0) throw new Error(`node ${this.nid} pfn ${pfn}: not the head of a free block`);
    this.delFromFreeList(this.sectionOf(pfn), pfn, order);
    this.nrFreePages -= 1 << order;
    return order;
  }

  /** free_area[order].nr_free, counting the untouched tail's implicit MAX_PAGE_ORDER blocks. */
  freeBlocks(order: number): number {
    this.flushRun();
    const lazy = order === MAX_PAGE_ORDER ? (this.nrPages - this.lazyNext) / MAX_ORDER_NR_PAGES : 0;
    return this.nrFree[order] + lazy;
  }

  /**
   * Fragment the node's free memory: allocate `nrPages` order-0 pages, then free a scattered half
   * (a coin flip from rng per page, freed in pfn order) and keep the rest as unmovable filler.
   * Returns the number of filler pages.
   */
  fragment(nrPages: number, rng: { next(): number }): number {
    let pinned = 0;
    for (let i = 0; i < nrPages; i++) {
      const pfn = this.rmqueue(0);
      const sec = this.sectionOf(pfn);
      const keep = rng.next() < 0.5;
      sec.pageType[pfn & SECTION_MASK] = keep ? PT_RESERVED : PT_FRAG_PENDING;
      if (keep) pinned++;
    }
    this.nrReserved += pinned;
    // Freeing only after every allocation keeps the freed pages from being handed out again.
    for (let pfn = this.startPfn; pfn < this.touchedEndPfn; pfn++) {
      const sec = this.sectionOf(pfn);
      const idx = pfn & SECTION_MASK;
      if (sec.pageType[idx] === PT_FRAG_PENDING) {
        sec.pageType[idx] = PT_NONE;
        this.free(pfn, 0);
      }
    }
    return pinned;
  }

  /**
   * Walk the touched part of the node and the free lists; throw on the first page that is not in
   * exactly one free block, live folio or reserved page, or on any inconsistent count or link.
   */
  check(): void {
    this.flushRun();
    const { nid, startPfn } = this;
    const where = (pfn: number) => `node ${nid} pfn ${pfn}`;
    const touchedEnd = this.touchedEndPfn;
    const blocksSeen = new Int32Array(MAX_PAGE_ORDER + 1);
    let freeSeen = 0;
    let reservedSeen = 0;
    /** Free blocks below MAX_PAGE_ORDER seen in each section. */
    const linkedSeen = new Map<MemSection, number>();
    let pfn = startPfn;
    while (pfn < touchedEnd) {
      const sec = this.table.sections[pfn >>> SECTION_SHIFT];
      if (sec === undefined) throw new Error(`${where(pfn)}: touched but its section is missing`);
      const idx = pfn & SECTION_MASK;
      const type = sec.pageType[idx];
      const kind = type & PT_KIND_MASK;
      const order = type & PT_ORDER_MASK;
      const n = 1 << order;
      if (type === PT_RESERVED) {
        if (sec.folioId(idx) !== 0) {
          throw new Error(`${where(pfn)}: reserved page has a folio`);
        }
        reservedSeen++;
        pfn++;
        continue;
      }
      if (type !== (PT_BUDDY | order) && (type & ~PT_ANON_EXCLUSIVE) !== (PT_HEAD | order)) {
        throw new Error(
          `${where(pfn)}: not in any free block or folio (type 0x${type.toString(16)})`,
        );
      }
      if (order > MAX_PAGE_ORDER || ((pfn - startPfn) & (n - 1)) !== 0) {
        throw new Error(`${where(pfn)}: block of order ${order} is misaligned or oversized`);
      }
      // Only folio pages may carry the anon-exclusive bit.
      const tailType = kind === PT_BUDDY ? PT_NONE : PT_TAIL | order;
      const ignore = kind === PT_BUDDY ? 0 : PT_ANON_EXCLUSIVE;
      for (let i = 1; i < n; i++) {
        if ((sec.pageType[idx + i] & ~ignore) !== tailType || sec.folioId(idx + i) !== 0) {
          throw new Error(`${where(pfn + i)}: overlaps the order-${order} block at pfn ${pfn}`);
        }
      }
      if (kind === PT_BUDDY) {
        if (sec.folioId(idx) !== 0) throw new Error(`${where(pfn)}: free block has a folio`);
        if (order < MAX_PAGE_ORDER) {
          const buddy = startPfn + ((pfn - startPfn) ^ n);
          if (sec.pageType[buddy & SECTION_MASK] === (PT_BUDDY | order)) {
            throw new Error(`${where(pfn)}: free order-${order} block not merged with its buddy`);
          }
          linkedSeen.set(sec, (linkedSeen.get(sec) ?? 0) + 1);
        }
        blocksSeen[order]++;
        freeSeen += n;
      } else {
        const folio = this.table.folioAt(sec, idx);
        if (folio === undefined || !folio.live || folio.pfn !== pfn || folio.order !== order) {
          throw new Error(`${where(pfn)}: folio head without a matching live folio`);
        }
        if (folio.nid !== nid) throw new Error(`${where(pfn)}: folio says node ${folio.nid}`);
      }
      pfn += n;
    }
    this.checkUntouched(touchedEnd);
    this.checkLinked(linkedSeen);
    this.checkFreeLists(blocksSeen);
    const lazyPages = this.nrPages - this.lazyNext;
    if (this.nrFreePages !== freeSeen + lazyPages) {
      throw new Error(
        `node ${nid}: nr_free_pages ${this.nrFreePages} but ${freeSeen + lazyPages} pages are free`,
      );
    }
    if (this.nrReserved !== reservedSeen) {
      throw new Error(
        `node ${nid}: ${this.nrReserved} reserved pages counted, ${reservedSeen} seen`,
      );
    }
  }

  /** The untouched rest of the last touched section must hold no state. */
  private checkUntouched(touchedEnd: number): void {
    const sec = this.table.sections[touchedEnd >>> SECTION_SHIFT];
    if (sec === undefined || (touchedEnd & SECTION_MASK) === 0) return;
    const sectionEnd = Math.min(this.endPfn, (sec.nr + 1) << SECTION_SHIFT);
    for (let pfn = touchedEnd; pfn < sectionEnd; pfn++) {
      const idx = pfn & SECTION_MASK;
      if (sec.pageType[idx] !== PT_NONE || sec.folioId(idx) !== 0) {
        throw new Error(`node ${this.nid} pfn ${pfn}: untouched page has state`);
      }
    }
  }

  /** A section holds links exactly while it has free blocks below MAX_PAGE_ORDER, counted. */
  private checkLinked(linkedSeen: ReadonlyMap<MemSection, number>): void {
    const first = this.startPfn >>> SECTION_SHIFT;
    const last = (this.touchedEndPfn - 1) >>> SECTION_SHIFT;
    for (let nr = first; nr <= last && this.touchedEndPfn > this.startPfn; nr++) {
      const sec = this.table.sections[nr] as MemSection;
      const seen = linkedSeen.get(sec) ?? 0;
      if (sec.nrLinked !== seen || (sec.links !== null) !== seen > 0) {
        throw new Error(
          `node ${this.nid} section ${nr}: ${sec.nrLinked} linked blocks counted, ${seen} seen, links ${sec.links === null ? "absent" : "held"}`,
        );
      }
    }
  }

  private checkFreeLists(blocksSeen: Int32Array): void {
    for (let order = 0; order <= MAX_PAGE_ORDER; order++) {
      const where = `node ${this.nid} order-${order} free list`;
      if (this.nrFree[order] !== blocksSeen[order]) {
        throw new Error(
          `${where}: nr_free ${this.nrFree[order]}, ${blocksSeen[order]} blocks found`,
        );
      }
      let prev = NO_PFN;
      let pfn = this.freeHead[order];
      for (let i = 0; i < blocksSeen[order]; i++) {
        if (pfn === NO_PFN) throw new Error(`${where}: ends after ${i} blocks`);
        const sec = this.table.sections[pfn >>> SECTION_SHIFT];
        if (
          pfn < this.startPfn ||
          pfn >= this.touchedEndPfn ||
          sec === undefined ||
          sec.pageType[pfn & SECTION_MASK] !== (PT_BUDDY | order)
        ) {
          throw new Error(`${where}: entry ${pfn} is not a free block of that order`);
        }
        const links = this.linksOf(pfn, order);
        const at = this.linkIndex(pfn, order);
        if (links[at + 1] !== prev) throw new Error(`${where}: bad back link at pfn ${pfn}`);
        prev = pfn;
        pfn = links[at];
      }
      if (pfn !== NO_PFN) throw new Error(`${where}: longer than nr_free`);
    }
  }
}

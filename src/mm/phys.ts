/**
 * Physical memory of the emulated machine: nodes of page frames, their buddy allocators, the
 * folios allocated from them, per-page frame bits, and (in bytes mode) the page contents.
 */

import { CHUNK_BYTES, PageContents } from "../content/contents.js";
import { BuddyZone } from "./buddy.js";
import {
  type AnonVmaRef,
  Folio,
  HPAGE_PMD_ORDER,
  MAPPED_FOLIO_FLAGS,
  MAX_PAGE_ORDER,
  PAGE_SIZE,
  PG,
} from "./folio.js";
import {
  type MemSection,
  PAGES_PER_SECTION,
  PT_ANON_EXCLUSIVE,
  PT_HEAD,
  PT_KIND_MASK,
  PT_NONE,
  PT_ORDER_MASK,
  PT_RESERVED,
  PT_TAIL,
  SECTION_MASK,
  SECTION_SHIFT,
  SectionTable,
} from "./sections.js";

export interface NodeSpec {
  nid: number;
  /** Multiple of 4 MiB (one MAX_PAGE_ORDER block); 0 for a memoryless node. */
  bytes: number;
}

const MAX_ORDER_BYTES = PAGE_SIZE << MAX_PAGE_ORDER;
/** Bound on node ids, which index a small array. */
const MAX_NUMNODES = 1024;
/** Free-list links are Int32 pfns. */
const MAX_PFN = 2 ** 31 - 1;
/** Flags only a large folio can carry; its order-0 pieces start without them. */
const LARGE_ONLY_FLAGS = PG.deferredSplit | PG.partiallyMapped;

/*
 * The errors of the hot paths' checks are built and thrown out of line: with their messages
 * inline, allocFolio(), freeFolio() and the checks they make are too big for V8 to inline.
 */
function fail(message: string): never {
  throw new Error(message);
}

function noNode(nid: number): never {
  fail(`PhysMem: no node ${nid}`);
}

function badOrder(order: number): never {
  fail(`PhysMem: allocation order ${order} outside 0..${MAX_PAGE_ORDER}`);
}

function stillInUse(folio: Folio): never {
  const what = folio.refcount !== 0 ? "refcount" : "mapcount";
  const n = folio.refcount !== 0 ? folio.refcount : folio.mapcount;
  fail(`PhysMem: freeing folio at pfn ${folio.pfn} with ${what} ${n}`);
}

function notInFolio(pfn: number, what: string): never {
  fail(`PhysMem: pfn ${pfn} is not in a folio and cannot ${what}`);
}

function notLive(folio: Folio, what: string): never {
  fail(`PhysMem: ${what} of folio at pfn ${folio.pfn} that is not live`);
}

export class PhysMem {
  /** Non-null in bytes mode. */
  readonly contents: PageContents | null;
  private readonly table: SectionTable;
  /** Indexed by nid; undefined for an id without a node. */
  private readonly zones: (BuddyZone | undefined)[] = [];
  /**
   * Objects of freed folios. They are reused for later allocations (a folio moved then costs
   * no allocation and no garbage), but only once the caller says no reference to them is held
   * any more (recycleFreedFolios): until then a freed folio stays dead to whoever kept it.
   */
  private freed: Folio[] = [];
  private spare: Folio[] = [];
  /**
   * The mappings of the folios allocMappedFolio() gave without objects: folio id -(key + 1)
   * names the anon_vma and the index base at `key`.
   */
  private readonly lazyMappings: { mapping: AnonVmaRef; base: number }[] = [];

  constructor(nodes: readonly NodeSpec[], opts?: { contents?: boolean }) {
    if (nodes.length === 0) throw new Error("PhysMem: at least one node is required");
    // Each node starts on a section boundary so every section belongs to one node and node
    // starts are MAX_PAGE_ORDER aligned, as buddy merging requires.
    const starts: number[] = [];
    let end = 0;
    for (const { nid, bytes } of nodes) {
      if (!Number.isInteger(nid) || nid < 0 || nid >= MAX_NUMNODES) {
        throw new Error(`PhysMem: node id ${nid} is not an integer in [0, ${MAX_NUMNODES})`);
      }
      if (starts[nid] !== undefined) {
        throw new Error(`PhysMem: node ${nid} given twice`);
      }
      // A memoryless (CPU-only) node has 0 bytes.
      if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes % MAX_ORDER_BYTES !== 0) {
        throw new Error(`PhysMem: node ${nid} size ${bytes} is not a multiple of 4 MiB`);
      }
      starts[nid] = end;
      end = Math.ceil((end + bytes / PAGE_SIZE) / PAGES_PER_SECTION) * PAGES_PER_SECTION;
      if (end > MAX_PFN) throw new Error("PhysMem: more than 8 TiB of physical address space");
    }
    this.table = new SectionTable(end / PAGES_PER_SECTION, (sec, idx, id) =>
      this.materialise(sec, idx, id),
    );
    for (const { nid, bytes } of nodes) {
      const zone = new BuddyZone(nid, starts[nid], bytes / PAGE_SIZE, this.table);
      this.zones[nid] = zone;
      this.table.sectionNid.fill(
        nid,
        zone.startPfn >>> SECTION_SHIFT,
        Math.ceil(zone.endPfn / PAGES_PER_SECTION),
      );
    }
    this.contents = opts?.contents ? new PageContents(end) : null;
  }

  private zone(nid: number): BuddyZone {
    const zone = this.zones[nid];
    if (zone === undefined) noNode(nid);
    return zone;
  }

  nidOf(pfn: number): number {
    const nid =
      Number.isInteger(pfn) && pfn >= 0 ? this.table.sectionNid[pfn >>> SECTION_SHIFT] : -1;
    if (nid === undefined || nid < 0 || pfn >= (this.zones[nid] as BuddyZone).endPfn) {
      throw new Error(`PhysMem: pfn ${pfn} is not in any node`);
    }
    return nid;
  }

  nodeStartPfn(nid: number): number {
    return this.zone(nid).startPfn;
  }

  nodePages(nid: number): number {
    return this.zone(nid).nrPages;
  }

  freePages(nid: number): number {
    return this.zone(nid).nrFreePages;
  }

  /**
   * alloc_pages(order) on one node (__GFP_THISNODE): null when no block of that order can be
   * found. The folio comes back with refcount 1, mapcount 0, flags 0, live.
   */
  allocFolio(nid: number, order: number): Folio | null {
    if (!Number.isInteger(order) || order < 0 || order > MAX_PAGE_ORDER) {
      badOrder(order);
    }
    const pfn = this.zone(nid).rmqueue(order);
    if (pfn < 0) return null;
    return this.prepNewFolio(pfn, order, nid);
  }

  /** Make the pages [pfn, pfn + 2^order), taken off the free lists, a new folio. */
  private prepNewFolio(pfn: number, order: number, nid: number): Folio {
    const sec = this.table.sections[pfn >>> SECTION_SHIFT] as MemSection;
    const idx = pfn & SECTION_MASK;
    const folio = this.newFolio(pfn, order, nid);
    sec.pageType[idx] = PT_HEAD | order;
    if (order > 0) sec.pageType.fill(PT_TAIL | order, idx + 1, idx + (1 << order));
    sec.setFolioId(idx, folio.id + 1);
    return folio;
  }

  /** A key for allocMappedFolio: folios mapped under `mapping`, their index counted from `base`. */
  lazyMapping(mapping: AnonVmaRef, base: number): number {
    return this.lazyMappings.push({ mapping, base }) - 1;
  }

  /**
   * allocFolio() for a write fault that maps the folio at once (MmStruct.mapFreshPages) under
   * the mapping `key` at index base + delta, with its object left to be made when it is first
   * looked up: most folios of a region faulted in are never looked at by anything, and a
   * million objects cost the host more than the rest of the fault. The pfn, or -1.
   */
  allocMappedFolio(nid: number, order: number, key: number, delta: number): number {
    if (order >= HPAGE_PMD_ORDER || key < 0 || key >= this.lazyMappings.length) {
      throw new Error(`PhysMem: no mapped folio of order ${order} under mapping ${key}`);
    }
    const pfn = this.zone(nid).rmqueue(order);
    if (pfn < 0) return -1;
    const sec = this.table.sections[pfn >>> SECTION_SHIFT] as MemSection;
    const idx = pfn & SECTION_MASK;
    sec.pageType[idx] = PT_HEAD | order;
    if (order > 0) sec.pageType.fill(PT_TAIL | order, idx + 1, idx + (1 << order));
    sec.setFolioId(idx, -(key + 1));
    if (sec.lazyDelta === null) sec.lazyDelta = new Int32Array(PAGES_PER_SECTION);
    sec.lazyDelta[idx] = delta;
    return pfn;
  }

  /**
   * The object of a folio allocMappedFolio() gave, as mapFolio() would have left it: one
   * mapcount and one reference per PTE, MAPPED_FOLIO_FLAGS, its anon_vma and index.
   */
  private materialise(sec: MemSection, idx: number, id: number): Folio {
    const { mapping, base } = this.lazyMappings[-id - 1];
    const folio = this.newFolio(
      (sec.nr << SECTION_SHIFT) + idx,
      sec.pageType[idx] & PT_ORDER_MASK,
      sec.nid,
    );
    const nr = folio.nrPages;
    folio.mapcount = nr;
    folio.refcount = nr;
    folio.flags = MAPPED_FOLIO_FLAGS;
    folio.mapping = mapping;
    folio.index = base + (sec.lazyDelta as Int32Array)[idx];
    sec.setFolioId(idx, folio.id + 1);
    return folio;
  }

  /** A folio object for (pfn, order, nid): a recycled dead one, or a new one in a slot of its own. */
  private newFolio(pfn: number, order: number, nid: number): Folio {
    const reused = this.spare.pop();
    if (reused !== undefined) return reused.reinit(pfn, order, nid);
    const folio = new Folio(pfn, order, nid);
    this.table.register(folio);
    return folio;
  }

  /** The order of the free block headed at `pfn` on node `nid` (PageBuddy), or -1. */
  freeBlockOrder(nid: number, pfn: number): number {
    return this.zone(nid).freeBlockOrder(pfn);
  }

  /** Take the free block headed at `pfn` off the free lists (compaction); returns its order. */
  isolateFreeBlock(nid: number, pfn: number): number {
    return this.zone(nid).isolateFreeBlock(pfn);
  }

  /** Give a block isolateFreeBlock() took (or a piece of one) back to the buddy allocator. */
  releaseFreeBlock(nid: number, pfn: number, order: number): void {
    this.zone(nid).free(pfn, order);
  }

  /**
   * A folio of `order` over isolated free pages at `pfn` (compaction_alloc), as allocFolio would
   * return it. The caller owns [pfn, pfn + 2^order), taken with isolateFreeBlock.
   */
  folioFromIsolated(nid: number, pfn: number, order: number): Folio {
    return this.prepNewFolio(pfn, order, nid);
  }

  /** free_area[order].nr_free of node `nid`. */
  freeBlocks(nid: number, order: number): number {
    return this.zone(nid).freeBlocks(order);
  }

  /** The end of the node's touched memory: compaction's scanners stop there. */
  touchedEndPfn(nid: number): number {
    return this.zone(nid).touchedEndPfn;
  }

  /**
   * Free a folio (refcount 0, unmapped) back to the buddy allocator. Pages that are hwpoisoned
   * never go back: they stay reserved and the healthy rest is freed page by page.
   */
  freeFolio(folio: Folio): void {
    const sec = this.registered(folio, "free");
    const idx = folio.pfn & SECTION_MASK;
    if (folio.refcount !== 0 || folio.mapcount !== 0) stillInUse(folio);
    const n = folio.nrPages;
    const zone = this.zones[folio.nid] as BuddyZone;
    folio.live = false;
    this.freed.push(folio);
    sec.setFolioId(idx, 0);
    // Resetting the type also clears anon-exclusive. For one page a store beats a fill() call.
    if (n === 1) sec.pageType[idx] = PT_NONE;
    else sec.pageType.fill(PT_NONE, idx, idx + n);
    if (sec.nrPoisoned === 0 || !this.rangePoisoned(sec, idx, n)) {
      zone.free(folio.pfn, folio.order);
      return;
    }
    const poison = sec.hwPoison as Uint8Array;
    for (let i = 0; i < n; i++) {
      if (poison[idx + i] !== 0) {
        sec.pageType[idx + i] = PT_RESERVED;
        zone.nrReserved++;
      } else {
        zone.free(folio.pfn + i, 0);
      }
    }
  }

  /**
   * Folios freed so far may have their objects reused by later allocations: call it where no
   * reference to a freed folio can still be held (move_pages(2) and migrate_pages(2) do on
   * entry, so a folio freed by one call stays dead to whoever held it until the next call).
   */
  recycleFreedFolios(): void {
    if (this.spare.length === 0) {
      [this.spare, this.freed] = [this.freed, this.spare];
      return;
    }
    for (const f of this.freed) this.spare.push(f);
    this.freed.length = 0;
  }

  /** folio_order() of the live folio that contains pfn, or -1: from the frame, no object. */
  folioOrderAt(pfn: number): number {
    const sec = this.table.sections[pfn >>> SECTION_SHIFT];
    if (sec === undefined) return -1;
    const type = sec.pageType[pfn & SECTION_MASK];
    const kind = type & PT_KIND_MASK;
    return kind === PT_HEAD || kind === PT_TAIL ? type & PT_ORDER_MASK : -1;
  }

  /** The live folio that contains pfn (head or tail), or undefined. */
  folioOf(pfn: number): Folio | undefined {
    const sec = this.table.sections[pfn >>> SECTION_SHIFT];
    if (sec === undefined) return undefined;
    const idx = pfn & SECTION_MASK;
    const type = sec.pageType[idx];
    const kind = type & PT_KIND_MASK;
    if (kind === PT_HEAD) return this.table.folioAt(sec, idx);
    if (kind === PT_TAIL)
      return this.table.folioAt(sec, idx & ~((1 << (type & PT_ORDER_MASK)) - 1));
    return undefined;
  }

  /**
   * Split a large folio into order-0 folios over the same pfns, in pfn order. Each copies flags
   * (less deferredSplit/partiallyMapped), mapping, index + i and nid; the caller sets refcount and
   * mapcount. The old folio is no longer live.
   */
  splitFolio(folio: Folio): Folio[] {
    const sec = this.registered(folio, "split");
    const idx = folio.pfn & SECTION_MASK;
    if (folio.order === 0) throw new Error(`PhysMem: folio at pfn ${folio.pfn} is not large`);
    const n = folio.nrPages;
    const flags = folio.flags & ~LARGE_ONLY_FLAGS;
    const pieces: Folio[] = new Array(n);
    const types = sec.pageType;
    for (let i = 0; i < n; i++) {
      types[idx + i] = (types[idx + i] & PT_ANON_EXCLUSIVE) | PT_HEAD;
      const piece = this.newFolio(folio.pfn + i, 0, folio.nid);
      piece.flags = flags;
      piece.mapping = folio.mapping;
      piece.index = folio.index + i;
      sec.setFolioId(idx + i, piece.id + 1);
      pieces[i] = piece;
    }
    folio.live = false;
    // Its slot is free to reuse as a freed folio's is, once nobody holds the object.
    this.freed.push(folio);
    return pieces;
  }

  isAnonExclusive(pfn: number): boolean {
    const sec = this.table.sections[pfn >>> SECTION_SHIFT];
    return sec !== undefined && (sec.pageType[pfn & SECTION_MASK] & PT_ANON_EXCLUSIVE) !== 0;
  }

  /** Only a page of a live folio can be anon-exclusive. */
  setAnonExclusive(pfn: number, on: boolean): void {
    const types = this.folioSection(pfn, "be anon-exclusive").pageType;
    const idx = pfn & SECTION_MASK;
    types[idx] = on ? types[idx] | PT_ANON_EXCLUSIVE : types[idx] & ~PT_ANON_EXCLUSIVE;
  }

  /** ClearPageAnonExclusive on a page, returning whether it was set (only a live folio's can be). */
  clearAnonExclusive(pfn: number): boolean {
    const sec = this.table.sections[pfn >>> SECTION_SHIFT];
    if (sec === undefined) return false;
    const types = sec.pageType;
    const idx = pfn & SECTION_MASK;
    const type = types[idx];
    if ((type & PT_ANON_EXCLUSIVE) === 0) return false;
    types[idx] = type & ~PT_ANON_EXCLUSIVE;
    return true;
  }

  /** Set anon-exclusive on pfns[0..n), each a page of a live folio (a fault-in's table of pages). */
  setAnonExclusiveEach(pfns: Int32Array, n: number): void {
    for (let i = 0; i < n; i++) {
      const pfn = pfns[i];
      const sec = this.table.sections[pfn >>> SECTION_SHIFT];
      const idx = pfn & SECTION_MASK;
      const kind = sec === undefined ? PT_NONE : sec.pageType[idx] & PT_KIND_MASK;
      if (kind !== PT_HEAD && kind !== PT_TAIL) this.folioSection(pfn, "be anon-exclusive");
      (sec as MemSection).pageType[idx] |= PT_ANON_EXCLUSIVE;
    }
  }

  /** Set anon-exclusive on `n` pages from `pfn`, all of one live folio. */
  setAnonExclusiveRange(pfn: number, n: number): void {
    const types = this.folioSection(pfn, "be anon-exclusive").pageType;
    const idx = pfn & SECTION_MASK;
    for (let i = idx; i < idx + n; i++) types[i] |= PT_ANON_EXCLUSIVE;
  }

  isHwPoison(pfn: number): boolean {
    const sec = this.table.sections[pfn >>> SECTION_SHIFT];
    return sec?.hwPoison != null && sec.hwPoison[pfn & SECTION_MASK] !== 0;
  }

  /**
   * Poison (or unpoison) a page of a live folio. Free memory cannot be poisoned in the model, as
   * the kernel would first have to take the page off the buddy lists.
   */
  setHwPoison(pfn: number, on: boolean): void {
    const sec = this.folioSection(pfn, "be hwpoisoned");
    const idx = pfn & SECTION_MASK;
    if (sec.hwPoison === null) {
      if (!on) return;
      sec.hwPoison = new Uint8Array(PAGES_PER_SECTION);
    }
    const was = sec.hwPoison[idx] !== 0;
    if (was === on) return;
    sec.hwPoison[idx] = on ? 1 : 0;
    sec.nrPoisoned += on ? 1 : -1;
  }

  /** folio_test_has_hwpoisoned: any page of the folio poisoned; O(1) when its section has none. */
  hasHwPoisoned(folio: Folio): boolean {
    return this.rangeHasHwPoison(folio.pfn, folio.nrPages);
  }

  /** Whether any page of [pfn, pfn + nrPages) is hwpoisoned; O(sections) when none is. */
  rangeHasHwPoison(pfn: number, nrPages: number): boolean {
    const end = pfn + nrPages;
    while (pfn < end) {
      const idx = pfn & SECTION_MASK;
      const n = Math.min(end - pfn, PAGES_PER_SECTION - idx);
      const sec = this.table.sections[pfn >>> SECTION_SHIFT];
      if (sec !== undefined && sec.nrPoisoned > 0 && this.rangePoisoned(sec, idx, n)) return true;
      pfn += n;
    }
    return false;
  }

  /**
   * Make a node's free memory fragmented: allocate order-0 pages over `fraction` of it and free a
   * scattered half, so high-order allocations fail while free memory remains. Returns the pages
   * left allocated as unmovable filler.
   */
  fragment(nid: number, fraction: number, rng: { next(): number }): number {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new Error(`PhysMem: fragmentation fraction ${fraction} outside [0, 1]`);
    }
    const zone = this.zone(nid);
    return zone.fragment(Math.floor(zone.nrFreePages * fraction), rng);
  }

  /** Every pfn of the node is in exactly one free block, live folio or reserved page. */
  checkNode(nid: number): void {
    this.zone(nid).check();
  }

  /** Live folios in pfn order. O(touched memory). */
  *liveFolios(): Iterable<Folio> {
    for (const sec of this.table.sections) {
      if (sec === undefined) continue;
      const types = sec.pageType;
      for (let idx = 0; idx < PAGES_PER_SECTION; idx++) {
        if ((types[idx] & PT_KIND_MASK) === PT_HEAD) yield this.table.folioAt(sec, idx) as Folio;
      }
    }
  }

  stats(): { sections: number; metadataBytes: number; contentBytes: number; folioObjects: number } {
    let metadataBytes = this.table.tableBytes;
    for (const sec of this.table.sections)
      if (sec !== undefined) metadataBytes += sec.metadataBytes;
    return {
      sections: this.table.present,
      folioObjects: this.table.folioSlots,
      metadataBytes,
      contentBytes: (this.contents?.chunksAllocated() ?? 0) * CHUNK_BYTES,
    };
  }

  /** The section of a pfn inside a live folio. */
  private folioSection(pfn: number, what: string): MemSection {
    const sec = this.table.sections[pfn >>> SECTION_SHIFT];
    const kind = sec === undefined ? PT_NONE : sec.pageType[pfn & SECTION_MASK] & PT_KIND_MASK;
    if (!Number.isInteger(pfn) || (kind !== PT_HEAD && kind !== PT_TAIL)) {
      notInFolio(pfn, what);
    }
    return sec as MemSection;
  }

  /** The section of a folio this PhysMem allocated and still holds live. */
  private registered(folio: Folio, what: string): MemSection {
    const sec = this.table.sections[folio.pfn >>> SECTION_SHIFT];
    if (
      !folio.live ||
      sec === undefined ||
      sec.folioId(folio.pfn & SECTION_MASK) !== folio.id + 1 ||
      this.table.folio(folio.id) !== folio
    ) {
      notLive(folio, what);
    }
    return sec;
  }

  private rangePoisoned(sec: MemSection, idx: number, n: number): boolean {
    const poison = sec.hwPoison as Uint8Array;
    for (let i = idx; i < idx + n; i++) if (poison[i] !== 0) return true;
    return false;
  }
}

/**
 * SPARSEMEM-style memory sections: the frame metadata of 128 MiB of physical memory, allocated
 * the first time any page in it is touched, so the model's footprint follows memory used rather
 * than memory installed.
 */

import { type Folio, HPAGE_PMD_ORDER } from "./folio.js";

export const SECTION_SHIFT = 15;
/** PAGES_PER_SECTION: 128 MiB of 4 KiB pages. */
export const PAGES_PER_SECTION = 1 << SECTION_SHIFT;
export const SECTION_MASK = PAGES_PER_SECTION - 1;

/*
 * Per-page type byte: the high nibble says what the page is, the low nibble holds an order.
 * A free page that is not the head of a buddy block, and a page never touched, are PT_NONE.
 */
export const PT_NONE = 0x00;
/** Head of a free buddy block (PageBuddy + buddy_order). */
export const PT_BUDDY = 0x10;
/** Head page of an allocated folio of the given order. */
export const PT_HEAD = 0x20;
/** Tail page of an allocated folio; the order locates the head by alignment. */
export const PT_TAIL = 0x30;
/** Allocated but not a folio: unmovable filler from fragmentation, or a page lost to hwpoison. */
export const PT_RESERVED = 0x40;
/** Transient marker used while fragmenting a node. */
export const PT_FRAG_PENDING = 0x50;
export const PT_KIND_MASK = 0x70;
export const PT_ORDER_MASK = 0x0f;
/**
 * PageAnonExclusive rides in the type byte of a folio page: one array to touch on the hot paths,
 * and resetting a freed page's type clears it.
 */
export const PT_ANON_EXCLUSIVE = 0x80;

/**
 * Folio slots per chunk of SectionTable's folio table: 4096 pointers, 32 KiB, an ordinary heap
 * object. A chunk of 65536 (512 KiB) was a large object that every booted machine allocated and
 * promoted for its first folio: ~6 ms of `bench move-pages --total 4M` (eight machines) and the
 * old-space growth that brought on its one full collection.
 */
const FOLIO_CHUNK_SHIFT = 12;
const FOLIO_CHUNK = 1 << FOLIO_CHUNK_SHIFT;

/** The heads MemSection.alignedIds holds are multiples of 1 << this: HPAGE_PMD_NR. */
const ALIGNED_SHIFT = HPAGE_PMD_ORDER;
const ALIGNED_MASK = (1 << ALIGNED_SHIFT) - 1;

/** No pfn: end of a free list. */
export const NO_PFN = -1;

export class MemSection {
  /** PT_* | order (| PT_ANON_EXCLUSIVE) for each page. */
  readonly pageType = new Uint8Array(PAGES_PER_SECTION);
  /**
   * Free-list links of the heads of the section's free blocks below MAX_PAGE_ORDER, next at
   * 2 * index and prev at 2 * index + 1 (absolute pfns, NO_PFN at the ends): interleaved so
   * unlinking touches one cache line. Held only while the section has such blocks (nrLinked),
   * from SectionTable's spares: memory filled from the buddy allocator's runs, or all free in
   * whole blocks, does without these 8 bytes a page.
   */
  links: Int32Array | null = null;
  /** The section's free blocks below MAX_PAGE_ORDER on the free lists. */
  nrLinked = 0;
  /**
   * The folio whose head page is at an index: its slot in SectionTable.folios plus one, 0 for
   * none, or below 0 for a folio whose object is made on first lookup (lazyDelta); read and set
   * through folioId/setFolioId. Heads at a multiple of HPAGE_PMD_NR (every THP's, and a small
   * folio's there) have theirs in `alignedIds`; the rest in `smallIds`, made with the section's
   * first such head, so a section of THPs touches 256 bytes for them rather than 128 KiB.
   * Typed arrays: the garbage collector never scans them, which an array of 32K object
   * pointers per section cost on every fault-in and every major collection.
   */
  private readonly alignedIds = new Int32Array(PAGES_PER_SECTION >>> ALIGNED_SHIFT);
  private smallIds: Int32Array | null = null;
  /**
   * A folio without an object yet (PhysMem.allocMappedFolio) has, at its head, a negative
   * folio id (folioId) naming its mapping and this entry: its index less the mapping's base. Made
   * with the section's first such folio.
   */
  lazyDelta: Int32Array | null = null;
  /** PageHWPoison, per page; allocated on the first poisoned page, as poison is rare. */
  hwPoison: Uint8Array | null = null;
  /** Poisoned pages in the section, so frees skip the per-page scan when there are none. */
  nrPoisoned = 0;

  constructor(
    readonly nr: number,
    readonly nid: number,
  ) {}

  /** The folio id at `idx` (see alignedIds): 0 for none. */
  folioId(idx: number): number {
    if ((idx & ALIGNED_MASK) === 0) return this.alignedIds[idx >>> ALIGNED_SHIFT];
    return this.smallIds === null ? 0 : this.smallIds[idx];
  }

  setFolioId(idx: number, id: number): void {
    if ((idx & ALIGNED_MASK) === 0) this.alignedIds[idx >>> ALIGNED_SHIFT] = id;
    else if (this.smallIds !== null) this.smallIds[idx] = id;
    else if (id !== 0) {
      this.smallIds = new Int32Array(PAGES_PER_SECTION);
      this.smallIds[idx] = id;
    }
  }

  /** Approximate host bytes of this section's metadata. */
  get metadataBytes(): number {
    return (
      this.pageType.byteLength +
      (this.links?.byteLength ?? 0) +
      this.alignedIds.byteLength +
      (this.smallIds?.byteLength ?? 0) +
      (this.lazyDelta?.byteLength ?? 0) +
      (this.hwPoison?.byteLength ?? 0)
    );
  }
}

/** mem_section[]: the sections of the whole physical address space, created on first use. */
export class SectionTable {
  readonly sections: (MemSection | undefined)[];
  /** Node of each section; -1 for a hole between nodes. */
  readonly sectionNid: Int16Array;
  /**
   * Every folio object ever made, each at its own slot (Folio.id) for life: the slots the
   * sections. folio ids name, FOLIO_CHUNK to an array. PhysMem reuses dead ones (Folio.reinit),
   * so the table grows with the most folios live at once, not with the folios ever allocated;
   * in chunks, so that growing it to millions never copies it.
   */
  private readonly chunks: Folio[][] = [];
  /**
   * Links arrays no section holds now, for the next section that needs one. Never cleared: a
   * link is always written before it is read, so what a previous section left does not matter.
   */
  private readonly spareLinks: Int32Array[] = [];
  private nrFolios = 0;
  private nrPresent = 0;

  constructor(
    readonly nrSections: number,
    /** Make the object of the folio whose head is at `idx` of `sec`, named by a negative id. */
    private readonly materialise: (sec: MemSection, idx: number, id: number) => Folio,
  ) {
    this.sections = new Array(nrSections).fill(undefined);
    this.sectionNid = new Int16Array(nrSections).fill(-1);
  }

  /** The section holding pfn, creating its metadata on first use. */
  ensure(pfn: number): MemSection {
    const nr = pfn >>> SECTION_SHIFT;
    let sec = this.sections[nr];
    if (sec === undefined) {
      sec = new MemSection(nr, this.sectionNid[nr]);
      this.sections[nr] = sec;
      this.nrPresent++;
    }
    return sec;
  }

  /** A links array for a section that has none (MemSection.links). */
  takeLinks(): Int32Array {
    return this.spareLinks.pop() ?? new Int32Array(2 * PAGES_PER_SECTION);
  }

  /** A section's links array that it no longer needs. */
  putLinks(links: Int32Array): void {
    this.spareLinks.push(links);
  }

  /** The folio whose head page is at `idx` of `sec`, or undefined. */
  folioAt(sec: MemSection, idx: number): Folio | undefined {
    const id = sec.folioId(idx);
    if (id > 0) return this.folio(id - 1);
    return id === 0 ? undefined : this.materialise(sec, idx, id);
  }

  /** The folio object at slot `id`, or undefined. */
  folio(id: number): Folio | undefined {
    return this.chunks[id >>> FOLIO_CHUNK_SHIFT]?.[id & (FOLIO_CHUNK - 1)];
  }

  /** Give `folio` a slot of its own in the table, once. */
  register(folio: Folio): void {
    const id = this.nrFolios++;
    // At its full size from the start: a chunk never grows (each growth a copy, and garbage).
    if ((id & (FOLIO_CHUNK - 1)) === 0) this.chunks.push(new Array(FOLIO_CHUNK));
    (this.chunks[id >>> FOLIO_CHUNK_SHIFT] as Folio[])[id & (FOLIO_CHUNK - 1)] = folio;
    folio.id = id;
  }

  /** Folio objects made: slots in the table. */
  get folioSlots(): number {
    return this.nrFolios;
  }

  get present(): number {
    return this.nrPresent;
  }

  /** Bytes of the table itself: a pointer and a node id per section, a pointer per folio slot. */
  get tableBytes(): number {
    return this.nrSections * 8 + this.sectionNid.byteLength + this.nrFolios * 8;
  }
}

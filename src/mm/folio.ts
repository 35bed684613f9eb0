/**
 * struct folio, reduced to what migration reads and writes.
 *
 * A folio is the head of 2^order physically contiguous base pages. Per-page state
 * (anon-exclusive, hwpoison) lives in the frame arrays of PhysMem; everything the kernel
 * keeps in the folio itself lives here.
 */

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const HPAGE_PMD_ORDER = 9;
export const HPAGE_PMD_NR = 1 << HPAGE_PMD_ORDER;
export const HPAGE_PMD_SIZE = HPAGE_PMD_NR * PAGE_SIZE;
/** The buddy allocator's largest order (MAX_PAGE_ORDER; 4 MiB blocks). */
export const MAX_PAGE_ORDER = 10;

/** Folio flags (PG_*). Bit positions are the model's own; names follow the kernel. */
export const PG = {
  locked: 1 << 0,
  lru: 1 << 1,
  dirty: 1 << 2,
  writeback: 1 << 3,
  uptodate: 1 << 4,
  private: 1 << 5,
  mlocked: 1 << 6,
  active: 1 << 7,
  unevictable: 1 << 8,
  swapbacked: 1 << 9,
  swapcache: 1 << 10,
  referenced: 1 << 11,
  workingset: 1 << 12,
  /** On the deferred-split queue. */
  deferredSplit: 1 << 13,
  partiallyMapped: 1 << 14,
  /** Not an LRU folio: pages with movable_ops (zsmalloc, balloon). */
  movableOps: 1 << 15,
  isolated: 1 << 16,
} as const;

/** The flags a folio gets when a fault maps it (MmStruct.mapFolio): LRU, swap-backed, up to date. */
export const MAPPED_FOLIO_FLAGS = PG.lru | PG.swapbacked | PG.uptodate;

/** Bits of folio->migrate_info (v6 of the offload series; PAGE_WAS_* before it). */
export const FOLIO_WAS_MAPPED = 1 << 0;
export const FOLIO_WAS_MLOCKED = 1 << 1;
export const FOLIO_CONTENT_COPIED = 1 << 2;

export interface AnonVmaRef {
  readonly id: number;
}

/** The PG_* bits of Folio.flags. */
const PG_MASK = (1 << 17) - 1;
/**
 * The node id rides above the PG_* bits of the flags word, as in the kernel's page->flags
 * (NODES_PGSHIFT): one small integer for both.
 */
const FLAGS_NID_SHIFT = 17;
const NID_MASK = 0x3ff;
/**
 * Folio.meta: the order in bits 0-3, whether the folio is live (bit 4), migrate_info in bits 5-7,
 * the pin count in bits 8-20 and the index's high bits in 21-29: one small integer (a Smi even
 * where V8 has 31-bit ones) instead of five fields, as there is one folio object per folio.
 */
const META_ORDER_MASK = 0xf;
const META_LIVE = 1 << 4;
const META_INFO_SHIFT = 5;
const META_INFO_MASK = 0x7;
const META_PINS_SHIFT = 8;
const META_PINS_MASK = (1 << 13) - 1;
/** The most long-term pins a folio can hold in the model. */
export const MAX_FOLIO_PINS = META_PINS_MASK;
const META_INDEX_SHIFT = 21;
const META_INDEX_MASK = 0x1ff;
/**
 * Folio.index is kept as two small integers, the low INDEX_SPLIT in a field and the rest in
 * meta: a double field would cost a heap number per folio. An anonymous folio's index is below
 * TASK_SIZE's page count, 2^35.
 */
const INDEX_SPLIT = 2 ** 26;
const INDEX_LIMIT = INDEX_SPLIT * (META_INDEX_MASK + 1);

/*
 * The setters' errors are thrown from here: a setter with the message built inline is too big
 * for V8 to inline on the hot paths, and a call passes a number that is not a small integer
 * boxed on the heap.
 */
function badIndex(folio: Folio, v: number): never {
  throw new RangeError(`folio at pfn ${folio.pfn}: index ${v} outside 0..2^35`);
}

function badFlags(v: number): never {
  throw new RangeError(`folio flags 0x${v.toString(16)}: not PG_* bits`);
}

function badMigrateInfo(v: number): never {
  throw new RangeError(`folio migrate_info ${v}: not 3 bits`);
}

/**
 * PhysMem reuses the objects of freed folios for later allocations (reinit() below), so that a
 * folio moved allocates nothing: a field added here must be reset there too. The object is
 * kept small (the node shares the flags word; order, liveness, migrate_info, pins and the
 * index's high bits share another), as there is one per folio of the machine: 4 million for
 * 16 GiB of 4K folios, 96 bytes each.
 */
export class Folio {
  /** Reference count, including the isolation reference and GUP pins. */
  refcount = 1;
  /** Number of page-table mappings (PTEs plus PMDs) across all address spaces. */
  mapcount = 0;
  /** The PG_* flags, and the node above them (see FLAGS_NID_SHIFT). */
  private flagsWord: number;
  /** anon_vma of an anonymous folio; null for a folio nobody has mapped yet. */
  mapping: AnonVmaRef | null = null;
  /** `index` modulo INDEX_SPLIT; meta has the rest. */
  private indexLo = 0;
  /** Order, liveness, migrate_info, pins and the index's high bits (see above). */
  private meta: number;
  /**
   * folio_last_cpupid(): the CPU and pid bits of the last NUMA hint fault on the folio
   * (policy/numa-balancing.ts), or -1 (unset) as page_cpupid_reset_last() leaves it.
   */
  lastCpupid = -1;
  /**
   * The object's slot in its PhysMem's folio table (SectionTable.folios), for life; -1 for a
   * folio made outside a PhysMem. Not the kernel's: the frame metadata names folios by slot.
   */
  id = -1;

  constructor(
    readonly pfn: number,
    order: number,
    nid: number,
  ) {
    this.flagsWord = nid << FLAGS_NID_SHIFT;
    this.meta = order | META_LIVE;
  }

  get order(): number {
    return this.meta & META_ORDER_MASK;
  }
  get nid(): number {
    return (this.flagsWord >>> FLAGS_NID_SHIFT) & NID_MASK;
  }
  /** The PG_* bits. */
  get flags(): number {
    return this.flagsWord & PG_MASK;
  }
  set flags(v: number) {
    if ((v & ~PG_MASK) !== 0) badFlags(v);
    this.flagsWord = (this.flagsWord & ~PG_MASK) | v;
  }
  /** False once the folio went back to the buddy allocator; a use after that is a bug. */
  get live(): boolean {
    return (this.meta & META_LIVE) !== 0;
  }
  set live(on: boolean) {
    this.meta = on ? this.meta | META_LIVE : this.meta & ~META_LIVE;
  }
  /**
   * folio->migrate_info of a destination folio: FOLIO_WAS_* and FOLIO_CONTENT_COPIED bits. The
   * kernel packs the source's anon_vma into the same word; the model's source keeps its
   * mapping until the move, so there is nothing to save.
   */
  get migrateInfo(): number {
    return (this.meta >>> META_INFO_SHIFT) & META_INFO_MASK;
  }
  set migrateInfo(v: number) {
    if ((v & ~META_INFO_MASK) !== 0) badMigrateInfo(v);
    this.meta = (this.meta & ~(META_INFO_MASK << META_INFO_SHIFT)) | (v << META_INFO_SHIFT);
  }
  /** Long-term GUP pins held on the folio; each is also counted in refcount. */
  get pins(): number {
    return (this.meta >>> META_PINS_SHIFT) & META_PINS_MASK;
  }
  set pins(n: number) {
    if (!(Number.isInteger(n) && n >= 0 && n <= MAX_FOLIO_PINS)) {
      throw new RangeError(`folio at pfn ${this.pfn}: ${n} pins, outside 0..${MAX_FOLIO_PINS}`);
    }
    this.meta = (this.meta & ~(META_PINS_MASK << META_PINS_SHIFT)) | (n << META_PINS_SHIFT);
  }
  /** Linear page index: the virtual page number of the first page in its original VMA. */
  get index(): number {
    return ((this.meta >>> META_INDEX_SHIFT) & META_INDEX_MASK) * INDEX_SPLIT + this.indexLo;
  }
  /** An integer in [0, 2^35). */
  set index(v: number) {
    if (!(Number.isInteger(v) && v >= 0 && v < INDEX_LIMIT)) badIndex(this, v);
    const hi = Math.floor(v / INDEX_SPLIT);
    // `| 0` keeps the low half a small integer (a Smi), never a heap number, whatever computed v.
    this.indexLo = (v - hi * INDEX_SPLIT) | 0;
    this.meta = (this.meta & ~(META_INDEX_MASK << META_INDEX_SHIFT)) | (hi << META_INDEX_SHIFT);
  }

  /** folio->index = src->index, in the two small integers, without the double between them. */
  copyIndexFrom(src: Folio): void {
    this.indexLo = src.indexLo;
    const mask = META_INDEX_MASK << META_INDEX_SHIFT;
    this.meta = (this.meta & ~mask) | (src.meta & mask);
  }

  /**
   * Make this dead folio's object the folio now allocated at (pfn, order, nid), as the
   * constructor would: PhysMem's reuse of freed folio objects.
   */
  reinit(pfn: number, order: number, nid: number): this {
    (this as { pfn: number }).pfn = pfn;
    this.flagsWord = nid << FLAGS_NID_SHIFT;
    this.meta = order | META_LIVE;
    this.refcount = 1;
    this.mapcount = 0;
    this.mapping = null;
    this.indexLo = 0;
    this.lastCpupid = -1;
    return this;
  }

  get nrPages(): number {
    return 1 << this.order;
  }
  get isLarge(): boolean {
    return this.order > 0;
  }
  /** PMD-mappable: the only size counted in thp_* counters. */
  get isThp(): boolean {
    return this.order >= HPAGE_PMD_ORDER;
  }
  get sizeBytes(): number {
    return this.nrPages * PAGE_SIZE;
  }
  // On the flags word directly, not through the flags accessors: the hot paths' calls.
  test(flag: number): boolean {
    return (this.flagsWord & flag & PG_MASK) !== 0;
  }
  set(flag: number): void {
    this.flagsWord |= flag & PG_MASK;
  }
  clear(flag: number): void {
    this.flagsWord &= ~(flag & PG_MASK);
  }
  get isAnon(): boolean {
    return !this.test(PG.movableOps);
  }
}

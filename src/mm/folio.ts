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

/** Bits of folio->migrate_info (v6 of the offload series; PAGE_WAS_* before it). */
export const FOLIO_WAS_MAPPED = 1 << 0;
export const FOLIO_WAS_MLOCKED = 1 << 1;
export const FOLIO_CONTENT_COPIED = 1 << 2;

export interface AnonVmaRef {
  readonly id: number;
}

/**
 * Folio.meta: the order in bits 0-3, the node in bits 4-13, whether the folio is live (bit 14),
 * migrate_info in bits 15-17 and the pin count in bits 18-30: one small integer (a Smi even
 * where V8 has 31-bit ones) instead of five fields, as there is one folio object per folio.
 */
const META_NID_SHIFT = 4;
const META_NID_MASK = 0x3ff;
const META_ORDER_MASK = 0xf;
const META_LIVE = 1 << 14;
const META_INFO_SHIFT = 15;
const META_INFO_MASK = 0x7;
const META_PINS_SHIFT = 18;
/** The most long-term pins a folio can hold in the model. */
export const MAX_FOLIO_PINS = (1 << 13) - 1;
/** Folio.index is kept as two small integers: a double field costs a heap number per folio. */
const INDEX_SPLIT = 2 ** 26;

/**
 * PhysMem reuses the objects of freed folios for later allocations (reinit() below), so that a
 * folio moved allocates nothing: a field added here must be reset there too. The object is
 * kept small (order, node, liveness, migrate_info and pins share one field; the index is two
 * small integers), as there is one per folio of the machine: 4 million for 16 GiB of 4K folios.
 */
export class Folio {
  /** Reference count, including the isolation reference and GUP pins. */
  refcount = 1;
  /** Number of page-table mappings (PTEs plus PMDs) across all address spaces. */
  mapcount = 0;
  flags = 0;
  /** anon_vma of an anonymous folio; null for a folio nobody has mapped yet. */
  mapping: AnonVmaRef | null = null;
  /** `index`, as index = indexHi * INDEX_SPLIT + indexLo. */
  private indexHi = 0;
  private indexLo = 0;
  /** order | nid << META_NID_SHIFT | META_LIVE while live, migrate_info and pins (see above). */
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
    this.meta = order | (nid << META_NID_SHIFT) | META_LIVE;
  }

  get order(): number {
    return this.meta & META_ORDER_MASK;
  }
  get nid(): number {
    return (this.meta >>> META_NID_SHIFT) & META_NID_MASK;
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
    if ((v & ~META_INFO_MASK) !== 0) throw new RangeError(`folio migrate_info ${v}: not 3 bits`);
    this.meta = (this.meta & ~(META_INFO_MASK << META_INFO_SHIFT)) | (v << META_INFO_SHIFT);
  }
  /** Long-term GUP pins held on the folio; each is also counted in refcount. */
  get pins(): number {
    return this.meta >>> META_PINS_SHIFT;
  }
  set pins(n: number) {
    if (!(Number.isInteger(n) && n >= 0 && n <= MAX_FOLIO_PINS)) {
      throw new RangeError(`folio at pfn ${this.pfn}: ${n} pins, outside 0..${MAX_FOLIO_PINS}`);
    }
    this.meta = (this.meta & ((1 << META_PINS_SHIFT) - 1)) | (n << META_PINS_SHIFT);
  }
  /** Linear page index: the virtual page number of the first page in its original VMA. */
  get index(): number {
    return this.indexHi * INDEX_SPLIT + this.indexLo;
  }
  /** An integer below 2^53. */
  set index(v: number) {
    const hi = Math.floor(v / INDEX_SPLIT);
    // `| 0` keeps both halves small integers (Smis), never heap numbers, whatever computed v.
    this.indexHi = hi | 0;
    this.indexLo = (v - hi * INDEX_SPLIT) | 0;
  }

  /**
   * Make this dead folio's object the folio now allocated at (pfn, order, nid), as the
   * constructor would: PhysMem's reuse of freed folio objects.
   */
  reinit(pfn: number, order: number, nid: number): this {
    (this as { pfn: number }).pfn = pfn;
    this.meta = order | (nid << META_NID_SHIFT) | META_LIVE;
    this.refcount = 1;
    this.mapcount = 0;
    this.flags = 0;
    this.mapping = null;
    this.index = 0;
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
  test(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }
  set(flag: number): void {
    this.flags |= flag;
  }
  clear(flag: number): void {
    this.flags &= ~flag;
  }
  get isAnon(): boolean {
    return !this.test(PG.movableOps);
  }
}

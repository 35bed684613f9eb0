/**
 * Anonymous address spaces: mm_struct, VMAs, anon_vma and page tables.
 *
 * Simplifications, chosen for speed and size:
 * - Page tables keep only their last two levels. An mm maps a PMD index (addr / 2 MiB) to a
 *   PTE table (512 entries in typed arrays) or to a huge PMD entry; PGD/P4D/PUD, the tables'
 *   own memory and the page-table locks are not modelled.
 * - One anon_vma is shared by a VMA and every copy made of it by fork (shareRange), instead of
 *   the kernel's anon_vma_chain tree. An rmap walk therefore visits all of them.
 * - Only private anonymous memory: no file or shmem mappings, no VMA merging, no mlock counts.
 * Addresses are plain numbers up to 2^47: index arithmetic uses division, not 32-bit ops, but
 * for pteIndex(), which needs only an address's low 32 bits. Neither uses `%` on an address:
 * a double's remainder is a call to fmod(), the costliest step of the rmap walks.
 */

import type { MmAccessModel } from "./access.js";
import {
  type AnonVmaRef,
  type Folio,
  HPAGE_PMD_ORDER,
  HPAGE_PMD_SIZE,
  MAPPED_FOLIO_FLAGS,
  PAGE_SHIFT,
  PAGE_SIZE,
  PG,
} from "./folio.js";
import type { LruHooks } from "./lru.js";
import type { Mempolicy } from "./mempolicy.js";
import type { PhysMem } from "./phys.js";
import { flushTlbBatchedPending } from "./tlb.js";
import type { Tracer } from "./trace.js";
import type { Vmstat } from "./vmstat.js";

/** What the rmap, TLB and migration code act on besides the folio itself. */
export interface MmContext {
  phys: PhysMem;
  trace: Tracer;
  vmstat: Vmstat;
  /** The LRU lists, when reclaim runs (policy/vmscan.ts); folios come and go through here. */
  lru?: LruHooks;
}

/* vm_flags (include/linux/mm.h values). */
export const VM_NONE = 0;
export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_EXEC = 0x4;
export const VM_SHARED = 0x8;
export const VM_PFNMAP = 0x400;
export const VM_UFFD_WP = 0x1000;
export const VM_LOCKED = 0x2000;
export const VM_IO = 0x4000;
export const VM_LOCKONFAULT = 0x80000;
export const VM_HUGETLB = 0x400000;
export const VM_HUGEPAGE = 0x20000000;
export const VM_NOHUGEPAGE = 0x40000000;

/** TASK_SIZE of x86-64 with 4-level page tables. */
export const TASK_SIZE = 2 ** 47 - PAGE_SIZE;
/** vm.mmap_min_addr default. */
const MMAP_MIN_ADDR = 0x10000;
/** Where top-down mmap placement starts, as below a typical x86-64 stack. */
const MMAP_BASE = 0x7f0000000000;
export const PTRS_PER_PTE = 512;

/*
 * Page-table entry bits (the model's own encoding; names follow the kernel). A migration entry
 * is not present; its YOUNG/DIRTY bits are the entry's migration young/dirty bits, and its type
 * is READ (neither MIG_* bit), READ_EXCLUSIVE or WRITE. Soft-dirty and uffd-wp are kept in both.
 */
export const PTE_PRESENT = 1 << 0;
export const PTE_WRITE = 1 << 1;
export const PTE_DIRTY = 1 << 2;
export const PTE_YOUNG = 1 << 3;
export const PTE_SOFT_DIRTY = 1 << 4;
export const PTE_UFFD_WP = 1 << 5;
export const PTE_MIGRATION = 1 << 6;
export const PTE_MIG_READ_EXCLUSIVE = 1 << 7;
export const PTE_MIG_WRITE = 1 << 8;
/**
 * x86's _PAGE_PROTNONE on a present entry: inaccessible for NUMA hinting (pte_protnone()).
 * The entry still counts as present (pte_present() is true for it, as on x86).
 */
export const PTE_PROTNONE = 1 << 9;
/**
 * The shared zero page, mapped read-only by a read fault of never-written anonymous memory.
 * It is no folio of the model's memory, so the entry is not PTE_PRESENT to the code that
 * follows frames (rmap, the page walks): only lookup() reports it.
 */
export const PTE_ZERO = 1 << 10;

/** The `pte` value the tracepoints print: pfn in the high bits, the model's flag bits below. */
export function pteValue(pfn: number, flags: number): number {
  return pfn * PAGE_SIZE + flags;
}

/** A last-level page table: what a PMD points at when it is not a huge mapping. */
/**
 * PTE tables whose arrays share one slab: a table's own pair of arrays would be two buffers the
 * GC tracks as external memory each (issue 10's 8 GiB of 4K pages make 4096 tables at fault-in);
 * a slab stays alive while any of its tables does, 48 KiB at most per table left.
 */
const PTE_SLAB_TABLES = 16;
let pfnSlab = new Int32Array(0);
let flagsSlab = new Uint16Array(0);
let slabUsed = PTE_SLAB_TABLES;

export class PteTable {
  readonly pfn: Int32Array;
  /** PTE_* bits; 0 is pte_none. */
  readonly flags: Uint16Array;
  /** Entries that are not none, so an empty table can be dropped. */
  used = 0;
  /**
   * When each entry's accessed and dirty bits were last brought up to date with the
   * accesses made since (access.ts), ns; allocated when the mm's accesses are modelled.
   */
  accessNs: Float64Array | null = null;

  constructor() {
    if (slabUsed === PTE_SLAB_TABLES) {
      pfnSlab = new Int32Array(PTRS_PER_PTE * PTE_SLAB_TABLES);
      flagsSlab = new Uint16Array(PTRS_PER_PTE * PTE_SLAB_TABLES);
      slabUsed = 0;
    }
    const at = slabUsed++ * PTRS_PER_PTE;
    this.pfn = pfnSlab.subarray(at, at + PTRS_PER_PTE);
    this.flags = flagsSlab.subarray(at, at + PTRS_PER_PTE);
  }
}

/** A huge PMD entry: a PMD-mapped THP, or a PMD migration entry. Same flag bits as a PTE. */
export class HugePmd {
  /** As PteTable.accessNs, for the one entry. */
  accessNs = 0;
  constructor(
    public pfn: number,
    public flags: number,
  ) {}
}

export type PmdSlot = PteTable | HugePmd;

/** PMD entries per PUD entry: one directory of PmdTable's lookup index covers 1 GiB. */
const PTRS_PER_PMD = 512;

/** One directory of PmdTable: a PUD entry's 512 PMD slots, and each slot's place in the order. */
interface PmdDir {
  slots: (PmdSlot | undefined)[];
  /** Index into PmdTable.order of the slot's entry, for a slot that is set. */
  pos: Int32Array;
}

/**
 * The PMD level of an mm's page table: PMD index -> slot. Lookups go through a radix index
 * of 512-entry directories (the kernel's PUD level) and remember the last slot found: the
 * walks of fault-in, move_pages(2) and the rmap visit consecutive addresses, and random
 * accesses over a large region hit a few directories rather than a hash table of every PMD.
 * Iteration goes in the order the slots were first set, as a Map's would (the selftest's
 * scan reports in it): a list of indices, where a deleted slot's entry stays until the list
 * is compacted, and is skipped (its slot is gone, or set again with a later entry). A list
 * and not a Map of every PMD: issue 10 sets 32K of them at fault-in.
 */
export class PmdTable {
  private readonly dirs = new Map<number, PmdDir>();
  /** PMD indices in the order they were set, with entries of deleted slots among them. */
  private order: number[] = [];
  private stale = 0;
  private lastIdx = -1;
  private lastSlot: PmdSlot | undefined = undefined;

  get(idx: number): PmdSlot | undefined {
    if (idx === this.lastIdx) return this.lastSlot;
    const dir = this.dirs.get(Math.floor(idx / PTRS_PER_PMD));
    const slot = dir === undefined ? undefined : dir.slots[idx % PTRS_PER_PMD];
    this.lastIdx = idx;
    this.lastSlot = slot;
    return slot;
  }

  set(idx: number, slot: PmdSlot): this {
    const top = Math.floor(idx / PTRS_PER_PMD);
    let dir = this.dirs.get(top);
    if (dir === undefined) {
      dir = {
        slots: new Array<PmdSlot | undefined>(PTRS_PER_PMD).fill(undefined),
        pos: new Int32Array(PTRS_PER_PMD),
      };
      this.dirs.set(top, dir);
    }
    const i = idx % PTRS_PER_PMD;
    if (dir.slots[i] === undefined) dir.pos[i] = this.order.push(idx) - 1;
    dir.slots[i] = slot;
    if (idx === this.lastIdx) this.lastSlot = slot;
    return this;
  }

  delete(idx: number): boolean {
    if (idx === this.lastIdx) this.lastSlot = undefined;
    const dir = this.dirs.get(Math.floor(idx / PTRS_PER_PMD));
    const i = idx % PTRS_PER_PMD;
    if (dir === undefined || dir.slots[i] === undefined) return false;
    dir.slots[i] = undefined;
    if (++this.stale > this.order.length / 2) this.compact();
    return true;
  }

  clear(): void {
    this.lastSlot = undefined;
    this.dirs.clear();
    this.order = [];
    this.stale = 0;
  }

  get size(): number {
    return this.order.length - this.stale;
  }

  /**
   * [PMD index, slot] in the order the slots were first set, as a Map iterates; unlike a
   * Map's, not while the table changes (a deletion may compact the order under it).
   */
  *[Symbol.iterator](): IterableIterator<[number, PmdSlot]> {
    const order = this.order;
    for (let p = 0; p < order.length; p++) {
      const slot = this.live(order[p], p);
      if (slot !== undefined) yield [order[p], slot];
    }
  }

  /** The slot at `idx` if order[p] is its entry (not one left by a deletion). */
  private live(idx: number, p: number): PmdSlot | undefined {
    const dir = this.dirs.get(Math.floor(idx / PTRS_PER_PMD)) as PmdDir;
    const i = idx % PTRS_PER_PMD;
    return dir.pos[i] === p ? dir.slots[i] : undefined;
  }

  /** Drop the entries of deleted slots from the order. */
  private compact(): void {
    const kept: number[] = [];
    for (let p = 0; p < this.order.length; p++) {
      const idx = this.order[p];
      if (this.live(idx, p) === undefined) continue;
      const dir = this.dirs.get(Math.floor(idx / PTRS_PER_PMD)) as PmdDir;
      dir.pos[idx % PTRS_PER_PMD] = kept.push(idx) - 1;
    }
    this.order = kept;
    this.stale = 0;
  }
}

export function pmdIndex(addr: number): number {
  return Math.floor(addr / HPAGE_PMD_SIZE);
}

export function pteIndex(addr: number): number {
  // `>>>` takes the address modulo 2^32, a multiple of the 2 MiB a PTE table covers.
  return (addr >>> PAGE_SHIFT) & (PTRS_PER_PTE - 1);
}

export class AnonVma implements AnonVmaRef {
  /** Every VMA whose folios may carry this anon_vma: the original and its forked copies. */
  readonly vmas: Vma[] = [];
  constructor(readonly id: number) {}
}

export class Vma {
  /** vm_policy (mbind(2)); null: the task's policy, the default one in the model. */
  policy: Mempolicy | null = null;

  constructor(
    readonly mm: MmStruct,
    public start: number,
    public end: number,
    public flags: number,
    /** vm_pgoff: for anonymous memory, the page number of the address the mapping began at. */
    public pgoff: number,
    public anonVma: AnonVma | null = null,
  ) {}
}

export type Lookup =
  | { kind: "novma" }
  | { kind: "none"; vma: Vma }
  | { kind: "migration"; vma: Vma; pfn: number }
  | { kind: "zero"; vma: Vma }
  | { kind: "present"; vma: Vma; folio: Folio; pfn: number; pmd: boolean };

export type EntryInfo =
  | { kind: "none" }
  | {
      kind: "present" | "migration";
      pfn: number;
      pmd: boolean;
      /** Present: PTE writable. Migration: a WRITE entry. */
      writable: boolean;
      /** Raw PTE_* bits. */
      flags: number;
    };

const NOVMA: Lookup = Object.freeze({ kind: "novma" });
const NONE: EntryInfo = Object.freeze({ kind: "none" });

/** The anon_vma an anonymous folio was mapped under, or null if it never was. */
export function anonVmaOf(folio: Folio): AnonVma | null {
  const m = folio.mapping;
  if (m === null || m instanceof AnonVma) return m;
  throw new Error(`folio at pfn ${folio.pfn} has a mapping that is not an anon_vma`);
}

export class MmStruct {
  /** CPUs where this mm is live (mm_cpumask); the owning task's cpu is in it. */
  readonly cpuMask = new Set<number>();
  /** mm->tlb_flush_batched: pending and flushed generations (tlb.ts). */
  tlbFlushBatched = 0;
  /** The page table: PMD index -> PTE table or huge PMD. rmap.ts walks it directly. */
  readonly pmds = new PmdTable();
  /** Sorted by start, non-overlapping. */
  private readonly vmaList: Vma[] = [];
  private anonVmaSeq = 0;
  /** The accesses the mm's users make, for its accessed/dirty bits and hint faults (access.ts). */
  access: MmAccessModel | null = null;

  constructor(
    readonly id: number,
    readonly phys: PhysMem,
  ) {}

  get vmas(): readonly Vma[] {
    return this.vmaList;
  }

  /**
   * mmap(MAP_PRIVATE|MAP_ANONYMOUS). Without `addr` the range is placed top-down below
   * MMAP_BASE, 2 MiB aligned; with `addr` it must be free (MAP_FIXED_NOREPLACE).
   */
  mmap(length: number, flags: number, addr?: number): Vma {
    if (!Number.isSafeInteger(length) || length <= 0 || length > TASK_SIZE) {
      throw new Error(`mmap: length ${length} is not a positive size below TASK_SIZE`);
    }
    if (!Number.isInteger(flags) || flags < 0) throw new Error(`mmap: bad vm_flags ${flags}`);
    if (flags & (VM_SHARED | VM_HUGETLB)) {
      throw new Error("mmap: only private anonymous mappings are modelled (VM_SHARED/VM_HUGETLB)");
    }
    const len = Math.ceil(length / PAGE_SIZE) * PAGE_SIZE;
    let start: number;
    if (addr === undefined) {
      start = this.getUnmappedArea(len);
    } else {
      if (!Number.isSafeInteger(addr) || addr % PAGE_SIZE !== 0) {
        throw new Error(`mmap: address ${addr} is not page aligned`);
      }
      if (addr < MMAP_MIN_ADDR || addr + len > TASK_SIZE) {
        throw new Error(`mmap: [${hex(addr)}, ${hex(addr + len)}) is outside the user range`);
      }
      if (this.overlaps(addr, addr + len)) {
        throw new Error(`mmap: [${hex(addr)}, ${hex(addr + len)}) overlaps an existing mapping`);
      }
      start = addr;
    }
    const vma = new Vma(this, start, start + len, flags, start / PAGE_SIZE);
    this.vmaList.splice(this.vmasStartingAtOrBefore(start), 0, vma);
    return vma;
  }

  /**
   * __split_vma(): cut `vma` at `addr`, page aligned and strictly inside it, into two VMAs
   * with its flags, anon_vma and policy (vma_dup_policy()); the new one is the part below
   * `addr` when `newBelow`, else the part from `addr` on, and `vma` keeps the other. A huge
   * PMD across `addr` is split into PTEs first (vma_adjust_trans_huge()): its THP stays whole,
   * mapped by PTEs from both VMAs. Returns the new VMA.
   */
  splitVma(vma: Vma, addr: number, newBelow: boolean): Vma {
    if (vma.mm !== this) throw new Error("splitVma: the VMA belongs to another mm");
    if (
      !Number.isSafeInteger(addr) ||
      addr % PAGE_SIZE !== 0 ||
      addr <= vma.start ||
      addr >= vma.end
    ) {
      throw new Error(
        `splitVma: ${hex(addr)} is not a page boundary inside [${hex(vma.start)}, ${hex(vma.end)})`,
      );
    }
    const idx = pmdIndex(addr);
    const slot = this.pmds.get(idx);
    if (slot instanceof HugePmd && idx * HPAGE_PMD_SIZE !== addr) this.splitHugePmd(idx, slot);
    const pgoff = vma.pgoff + (addr - vma.start) / PAGE_SIZE;
    const i = this.vmaList.indexOf(vma);
    let nv: Vma;
    if (newBelow) {
      nv = new Vma(this, vma.start, addr, vma.flags, vma.pgoff, vma.anonVma);
      vma.start = addr;
      vma.pgoff = pgoff;
      this.vmaList.splice(i, 0, nv);
    } else {
      nv = new Vma(this, addr, vma.end, vma.flags, pgoff, vma.anonVma);
      vma.end = addr;
      this.vmaList.splice(i + 1, 0, nv);
    }
    nv.policy = vma.policy;
    nv.anonVma?.vmas.push(nv);
    return nv;
  }

  findVma(addr: number): Vma | undefined {
    const i = this.vmasStartingAtOrBefore(addr) - 1;
    if (i < 0) return undefined;
    const vma = this.vmaList[i];
    return addr < vma.end ? vma : undefined;
  }

  /**
   * Fault in a freshly allocated folio at addr (aligned to the folio size), as a write fault
   * would: PMD-mapped when the folio is PMD-sized, otherwise PTE-mapped over all its pages.
   * The folio gets the VMA's anon_vma and its linear index and is put "on the LRU". Every
   * mapping holds one mapcount and one reference; as in the kernel the allocation reference
   * becomes the first mapping's, so afterwards refcount == mapcount. Anon-exclusive is set on
   * every mapped page, or on the head page only for a PMD mapping, where the head carries it
   * for the whole THP.
   */
  mapFolio(vma: Vma, addr: number, folio: Folio, opts?: { dirty?: boolean }): void {
    if (vma.mm !== this) throw new Error("mapFolio: the VMA belongs to another mm");
    if (!folio.live || folio.refcount !== 1 || folio.mapcount !== 0 || folio.mapping !== null) {
      throw new Error(`mapFolio: folio at pfn ${folio.pfn} is not freshly allocated`);
    }
    const size = folio.sizeBytes;
    if (Math.floor(addr / size) * size !== addr || addr < vma.start || addr + size > vma.end) {
      throw new Error(`mapFolio: ${hex(addr)} is not a ${size}-byte aligned slot inside the VMA`);
    }
    const nr = folio.nrPages;
    const pte =
      PTE_PRESENT |
      PTE_YOUNG |
      (vma.flags & VM_WRITE ? PTE_WRITE : 0) |
      (opts?.dirty ? PTE_DIRTY : 0);
    const phys = this.phys;
    if (folio.order === HPAGE_PMD_ORDER) {
      const idx = pmdIndex(addr);
      const slot = this.pmds.get(idx);
      if (slot !== undefined && (slot instanceof HugePmd || slot.used > 0)) {
        throw new Error(`mapFolio: ${hex(addr)} is already mapped`);
      }
      const huge = new HugePmd(folio.pfn, pte);
      if (this.access !== null) huge.accessNs = this.access.now();
      this.pmds.set(idx, huge);
      phys.setAnonExclusive(folio.pfn, true);
      folio.mapcount = 1;
    } else {
      this.setFreshPtes(addr, folio.pfn, nr, pte);
      folio.mapcount = nr;
      folio.refcount = nr;
    }
    folio.mapping = this.anonVmaPrepare(vma);
    folio.index = vma.pgoff + (addr - vma.start) / PAGE_SIZE;
    folio.set(MAPPED_FOLIO_FLAGS);
  }

  /**
   * mapFolio() for a write fault's folio below PMD size that PhysMem.allocMappedFolio gave
   * without an object: the same PTEs and anon-exclusive bits. The folio's state (mapcount and
   * refcount of nr, the anon_vma, the index, MAPPED_FOLIO_FLAGS) is PhysMem's to give it
   * when it is first looked up.
   */
  mapFreshPages(vma: Vma, addr: number, pfn: number, nr: number): void {
    const size = nr * PAGE_SIZE;
    if (
      vma.mm !== this ||
      Math.floor(addr / size) * size !== addr ||
      addr < vma.start ||
      addr + size > vma.end
    ) {
      throw new Error(`mapFreshPages: ${hex(addr)} is not a ${size}-byte aligned slot of the VMA`);
    }
    const pte = PTE_PRESENT | PTE_YOUNG | PTE_DIRTY | (vma.flags & VM_WRITE ? PTE_WRITE : 0);
    this.setFreshPtes(addr, pfn, nr, pte);
  }

  /**
   * mapFreshPages() for `n` order-0 pages at consecutive addresses from addr, all in one page
   * table (the fault-in of a 4K region, a table at a time): page i is pfns[i].
   */
  mapFreshRun(vma: Vma, addr: number, pfns: Int32Array, n: number): void {
    const end = addr + n * PAGE_SIZE;
    if (
      vma.mm !== this ||
      addr % PAGE_SIZE !== 0 ||
      addr < vma.start ||
      end > vma.end ||
      pmdIndex(addr) !== pmdIndex(end - PAGE_SIZE)
    ) {
      throw new Error(`mapFreshRun: ${n} pages at ${hex(addr)} are not in one table of the VMA`);
    }
    const pte = PTE_PRESENT | PTE_YOUNG | PTE_DIRTY | (vma.flags & VM_WRITE ? PTE_WRITE : 0);
    const t = this.freshTable(addr, n);
    const k0 = pteIndex(addr);
    for (let i = 0; i < n; i++) {
      t.pfn[k0 + i] = pfns[i];
      t.flags[k0 + i] = pte;
    }
    this.phys.setAnonExclusiveEach(pfns, n);
    if (this.access !== null) accessTimes(t).fill(this.access.now(), k0, k0 + n);
    t.used += n;
  }

  /** The page table of `nr` pages at addr, none mapped yet: their PTEs are for the caller to set. */
  private freshTable(addr: number, nr: number): PteTable {
    const idx = pmdIndex(addr);
    if (this.pmds.get(idx) instanceof HugePmd)
      throw new Error(`mapFolio: ${hex(addr)} is already mapped`);
    const t = this.pteTable(idx);
    const k0 = pteIndex(addr);
    for (let k = k0; k < k0 + nr; k++) {
      if (t.flags[k] !== 0)
        throw new Error(`mapFolio: ${hex(addr + (k - k0) * PAGE_SIZE)} is already mapped`);
    }
    return t;
  }

  /** The PTEs of `nr` pages from `pfn` at addr, none mapped yet, in one table; anon-exclusive. */
  private setFreshPtes(addr: number, pfn: number, nr: number, pte: number): void {
    // A folio below PMD size is aligned to its size, so its PTEs are in one table.
    const t = this.freshTable(addr, nr);
    const k0 = pteIndex(addr);
    const times = this.access === null ? null : accessTimes(t);
    const now = this.access === null ? 0 : this.access.now();
    for (let i = 0, k = k0; i < nr; i++, k++) {
      t.pfn[k] = pfn + i;
      t.flags[k] = pte;
      if (times !== null) times[k] = now;
    }
    t.used += nr;
    this.phys.setAnonExclusiveRange(pfn, nr);
  }

  /** anon_vma_prepare(): the VMA's anon_vma, made on its first fault. */
  anonVmaPrepare(vma: Vma): AnonVma {
    let av = vma.anonVma;
    if (av === null) {
      av = new AnonVma(this.id * 2 ** 32 + this.anonVmaSeq++);
      av.vmas.push(vma);
      vma.anonVma = av;
    }
    return av;
  }

  /** The folio mapped present at addr, or null: lookup() without its result object. */
  presentFolioAt(addr: number): Folio | null {
    const slot = this.pmds.get(pmdIndex(addr));
    if (slot === undefined) return null;
    if (slot instanceof HugePmd) {
      return slot.flags & PTE_PRESENT ? this.folioAt(slot.pfn + pteIndex(addr)) : null;
    }
    const k = pteIndex(addr);
    return slot.flags[k] & PTE_PRESENT ? this.folioAt(slot.pfn[k]) : null;
  }

  /** folio_walk_start() at addr: what move_pages(2) sees there. */
  lookup(addr: number): Lookup {
    const vma = this.findVma(addr);
    if (vma === undefined) return NOVMA;
    const slot = this.pmds.get(pmdIndex(addr));
    let pfn: number;
    let flags: number;
    if (slot === undefined) return { kind: "none", vma };
    if (slot instanceof HugePmd) {
      pfn = slot.pfn + pteIndex(addr);
      flags = slot.flags;
    } else {
      const k = pteIndex(addr);
      pfn = slot.pfn[k];
      flags = slot.flags[k];
    }
    if (flags & PTE_PRESENT) {
      return { kind: "present", vma, folio: this.folioAt(pfn), pfn, pmd: slot instanceof HugePmd };
    }
    if (flags & PTE_MIGRATION) return { kind: "migration", vma, pfn };
    if (flags & PTE_ZERO) return { kind: "zero", vma };
    return { kind: "none", vma };
  }

  /** A read fault at addr where nothing is mapped: the zero page, read-only (do_anonymous_page). */
  mapZeroPage(vma: Vma, addr: number): void {
    const idx = pmdIndex(addr);
    if (this.pmds.get(idx) instanceof HugePmd || addr < vma.start || addr >= vma.end) {
      throw new Error(`mapZeroPage: ${hex(addr)} is not a free page slot of the VMA`);
    }
    const t = this.pteTable(idx);
    const k = pteIndex(addr);
    if (t.flags[k] !== 0) throw new Error(`mapZeroPage: ${hex(addr)} is already mapped`);
    t.flags[k] = PTE_ZERO;
    t.used++;
  }

  /** Whether addr maps the zero page (the slow path of a lookup that found no folio). */
  zeroPageAt(addr: number): boolean {
    const slot = this.pmds.get(pmdIndex(addr));
    return (
      slot !== undefined &&
      !(slot instanceof HugePmd) &&
      (slot.flags[pteIndex(addr)] & PTE_ZERO) !== 0
    );
  }

  /**
   * Every present folio mapping in address order (the migrate_pages(2) page walk): fn gets the
   * VMA, the address of the folio's first page mapped in it, and the folio, once per VMA.
   * fn must not change the address space.
   */
  forEachFolio(fn: (vma: Vma, addr: number, folio: Folio) => void): void {
    for (const vma of this.vmaList) {
      // A folio's pages sit at consecutive addresses of a VMA, so comparing against the last
      // folio reported is enough to report each once.
      let last: Folio | null = null;
      for (let addr = vma.start; addr < vma.end; ) {
        const idx = pmdIndex(addr);
        const next = Math.min((idx + 1) * HPAGE_PMD_SIZE, vma.end);
        const slot = this.pmds.get(idx);
        if (slot instanceof HugePmd) {
          if (slot.flags & PTE_PRESENT) {
            last = this.folioAt(slot.pfn);
            fn(vma, addr, last);
          }
        } else if (slot !== undefined) {
          for (let k = pteIndex(addr), a = addr; a < next; k++, a += PAGE_SIZE) {
            if (!(slot.flags[k] & PTE_PRESENT)) continue;
            const pfn = slot.pfn[k];
            if (last !== null && pfn >= last.pfn && pfn < last.pfn + last.nrPages) continue;
            last = this.folioAt(pfn);
            fn(vma, a, last);
          }
        }
        addr = next;
      }
    }
  }

  /** The entry mapping addr, for invariant checks. */
  entryAt(addr: number): EntryInfo {
    const slot = this.pmds.get(pmdIndex(addr));
    if (slot === undefined) return NONE;
    const pmd = slot instanceof HugePmd;
    const k = pteIndex(addr);
    const flags = pmd ? slot.flags : slot.flags[k];
    const pfn = pmd ? slot.pfn + k : slot.pfn[k];
    if (flags & PTE_PRESENT) {
      return { kind: "present", pfn, pmd, writable: (flags & PTE_WRITE) !== 0, flags };
    }
    if (flags & PTE_MIGRATION) {
      return { kind: "migration", pfn, pmd, writable: (flags & PTE_MIG_WRITE) !== 0, flags };
    }
    return NONE;
  }

  /**
   * munmap(): drop every mapping in the range (splitting a huge PMD it only partly covers) and
   * the VMAs' parts in it. Each present entry gives back one mapcount and one reference; a
   * folio whose last reference goes is freed. Migration entries just disappear. A large folio
   * left with some pages mapped and some not is flagged for the deferred split.
   */
  munmap(addr: number, length: number): void {
    if (!Number.isSafeInteger(addr) || addr % PAGE_SIZE !== 0) {
      throw new Error(`munmap: address ${addr} is not page aligned`);
    }
    if (!Number.isSafeInteger(length) || length <= 0) {
      throw new Error(`munmap: length ${length} is not positive`);
    }
    const end = addr + Math.ceil(length / PAGE_SIZE) * PAGE_SIZE;
    flushTlbBatchedPending(this);
    const partial = new Set<Folio>();
    const list = this.vmaList;
    let i = this.vmasStartingAtOrBefore(addr) - 1;
    if (i < 0 || list[i].end <= addr) i++;
    while (i < list.length && list[i].start < end) {
      // do_vmi_align_munmap(): split off the parts outside the range (the VMA keeps the part
      // below it, or else the part above), then zap and remove what is left.
      let v = list[i];
      if (v.start < addr) {
        v = this.splitVma(v, addr, false);
        i++;
      }
      if (v.end > end) v = this.splitVma(v, end, true);
      this.zapRange(v.start, v.end, partial);
      list.splice(i, 1);
      const siblings = v.anonVma?.vmas;
      if (siblings) siblings.splice(siblings.indexOf(v), 1);
    }
    for (const folio of partial) {
      if (folio.order > 1 && folio.mapcount > 0 && mappedPages(folio) < folio.nrPages) {
        folio.set(PG.deferredSplit | PG.partiallyMapped);
      }
    }
  }

  /**
   * __split_huge_pmd(): replace a huge PMD by a table of 512 PTEs with the same bits (a PMD
   * migration entry becomes 512 migration entries). A present THP gains the 511 extra
   * mappings and references, and the head's anon-exclusive bit spreads to every page.
   */
  splitHugePmd(idx: number, huge: HugePmd): PteTable {
    const t = new PteTable();
    for (let k = 0; k < PTRS_PER_PTE; k++) t.pfn[k] = huge.pfn + k;
    t.flags.fill(huge.flags);
    t.used = PTRS_PER_PTE;
    if (this.access !== null) accessTimes(t).fill(huge.accessNs);
    if (huge.flags & PTE_PRESENT) {
      const folio = this.folioAt(huge.pfn);
      folio.mapcount += PTRS_PER_PTE - 1;
      folio.refcount += PTRS_PER_PTE - 1;
      if (huge.flags & PTE_DIRTY) folio.set(PG.dirty);
      if (this.phys.isAnonExclusive(huge.pfn)) {
        for (let k = 1; k < PTRS_PER_PTE; k++) this.phys.setAnonExclusive(huge.pfn + k, true);
      }
    }
    this.pmds.set(idx, t);
    return t;
  }

  /** The PTE table at a PMD index, created empty if absent. The slot must not be huge. */
  pteTable(idx: number): PteTable {
    const slot = this.pmds.get(idx);
    if (slot instanceof HugePmd) throw new Error(`pteTable: PMD ${idx} is a huge mapping`);
    if (slot !== undefined) return slot;
    const t = new PteTable();
    this.pmds.set(idx, t);
    return t;
  }

  /** The live folio a present entry maps; a missing one means the page tables are corrupt. */
  folioAt(pfn: number): Folio {
    const folio = this.phys.folioOf(pfn);
    if (folio === undefined)
      throw new Error(`mm ${this.id}: present entry maps pfn ${pfn}, no folio`);
    return folio;
  }

  /** Number of VMAs whose start is <= addr. */
  private vmasStartingAtOrBefore(addr: number): number {
    const list = this.vmaList;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].start <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private overlaps(start: number, end: number): boolean {
    const i = this.vmasStartingAtOrBefore(start);
    if (i > 0 && this.vmaList[i - 1].end > start) return true;
    return i < this.vmaList.length && this.vmaList[i].start < end;
  }

  /** Top-down search for a 2 MiB aligned gap below MMAP_BASE. */
  private getUnmappedArea(len: number): number {
    let hi = MMAP_BASE;
    for (let i = this.vmaList.length - 1; ; i--) {
      const v = i >= 0 ? this.vmaList[i] : undefined;
      const lo = v === undefined ? MMAP_MIN_ADDR : v.end;
      if (lo < hi) {
        const start = Math.floor((hi - len) / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
        if (start >= lo) return start;
      }
      if (v === undefined) throw new Error(`mmap: no free range of ${len} bytes`);
      hi = Math.min(hi, v.start);
    }
  }

  private zapRange(start: number, end: number, partial: Set<Folio>): void {
    for (let a = start; a < end; ) {
      const idx = pmdIndex(a);
      const pmdStart = idx * HPAGE_PMD_SIZE;
      const next = Math.min(pmdStart + HPAGE_PMD_SIZE, end);
      let slot = this.pmds.get(idx);
      if (slot instanceof HugePmd) {
        if (a === pmdStart && next === pmdStart + HPAGE_PMD_SIZE) {
          this.pmds.delete(idx);
          if (slot.flags & PTE_PRESENT) this.dropMapping(this.folioAt(slot.pfn), partial);
          a = next;
          continue;
        }
        slot = this.splitHugePmd(idx, slot);
      }
      if (slot !== undefined) {
        let last: Folio | null = null;
        for (let k = pteIndex(a), x = a; x < next; k++, x += PAGE_SIZE) {
          const f = slot.flags[k];
          if (f === 0) continue;
          slot.flags[k] = 0;
          slot.used--;
          if (!(f & PTE_PRESENT)) continue;
          const pfn = slot.pfn[k];
          if (last === null || pfn < last.pfn || pfn >= last.pfn + last.nrPages) {
            last = this.folioAt(pfn);
          }
          this.dropMapping(last, partial);
        }
        if (slot.used === 0) this.pmds.delete(idx);
      }
      a = next;
    }
  }

  private dropMapping(folio: Folio, partial: Set<Folio>): void {
    folio.mapcount--;
    folio.refcount--;
    if (folio.refcount === 0) this.phys.freeFolio(folio);
    else if (folio.isLarge) partial.add(folio);
  }
}

/**
 * Calls visit for every present mapping of the folio's pages, across every VMA of its
 * anon_vma: (vma, page index in the folio, pmd) with index 0 for a PMD mapping. For the
 * occasional walks; the migration hot paths in rmap.ts inline theirs.
 */
export function walkFolioMappings(
  folio: Folio,
  visit: (vma: Vma, i: number, pmd: boolean) => void,
): void {
  const av = anonVmaOf(folio);
  if (av === null) return;
  const nr = folio.nrPages;
  for (const vma of av.vmas) {
    const base = vma.start + (folio.index - vma.pgoff) * PAGE_SIZE;
    let i = Math.max(0, (vma.start - base) / PAGE_SIZE);
    const iEnd = Math.min(nr, (vma.end - base) / PAGE_SIZE);
    const pmds = vma.mm.pmds;
    while (i < iEnd) {
      const addr = base + i * PAGE_SIZE;
      const k0 = pteIndex(addr);
      const chunkEnd = Math.min(iEnd, i + PTRS_PER_PTE - k0);
      const slot = pmds.get(pmdIndex(addr));
      if (slot instanceof HugePmd) {
        if (slot.flags & PTE_PRESENT && slot.pfn === folio.pfn) visit(vma, 0, true);
      } else if (slot !== undefined) {
        for (let j = i, k = k0; j < chunkEnd; j++, k++) {
          if (slot.flags[k] & PTE_PRESENT && slot.pfn[k] === folio.pfn + j) visit(vma, j, false);
        }
      }
      i = chunkEnd;
    }
  }
}

/** The table's access times (PteTable.accessNs), allocated on first use at 0. */
export function accessTimes(t: PteTable): Float64Array {
  t.accessNs ??= new Float64Array(PTRS_PER_PTE);
  return t.accessNs;
}

/** Pages of the folio with at least one present mapping. */
function mappedPages(folio: Folio): number {
  const seen = new Uint8Array(folio.nrPages);
  let n = 0;
  walkFolioMappings(folio, (_vma, i, pmd) => {
    const end = pmd ? folio.nrPages : i + 1;
    for (let j = i; j < end; j++) {
      if (seen[j] === 0) n++;
      seen[j] = 1;
    }
  });
  return n;
}

/**
 * fork() of one range: map the folios of [addr, addr+length) of src at the same addresses of
 * dst, under the same anon_vma. Both sides become read-only (COW), pages lose anon-exclusive,
 * every shared mapping adds a mapcount and a reference. The child's entries are old; the child
 * VMA drops VM_LOCKED, and uffd-wp bits unless it has VM_UFFD_WP. Writable and exclusive
 * migration entries become READ entries on both sides. A pinned anon-exclusive page, which
 * fork would copy for the child, is not modelled and throws. Returns the child's VMA.
 */
export function shareRange(src: MmStruct, dst: MmStruct, addr: number, length: number): Vma {
  if (src === dst) throw new Error("shareRange: source and destination mm are the same");
  const sv = src.findVma(addr);
  const end = addr + Math.ceil(length / PAGE_SIZE) * PAGE_SIZE;
  if (sv === undefined || !(length > 0) || addr % PAGE_SIZE !== 0 || end > sv.end) {
    throw new Error(`shareRange: [${hex(addr)}, +${length}) is not inside one VMA of mm ${src.id}`);
  }
  for (let a = addr; a < end; a += PAGE_SIZE) {
    const e = src.entryAt(a);
    if (e.kind !== "present" || !src.phys.isAnonExclusive(e.pmd ? e.pfn - pteIndex(a) : e.pfn)) {
      continue;
    }
    if (src.folioAt(e.pfn).pins > 0) {
      throw new Error(`shareRange: pinned anon-exclusive page at ${hex(a)} would be copied`);
    }
  }
  const child = dst.mmap(end - addr, sv.flags & ~(VM_LOCKED | VM_LOCKONFAULT), addr);
  child.pgoff = sv.pgoff + (addr - sv.start) / PAGE_SIZE;
  child.anonVma = sv.anonVma;
  sv.anonVma?.vmas.push(child);
  const keepUffd = (child.flags & VM_UFFD_WP) !== 0;
  for (let a = addr; a < end; ) {
    const idx = pmdIndex(a);
    const pmdStart = idx * HPAGE_PMD_SIZE;
    const next = Math.min(pmdStart + HPAGE_PMD_SIZE, end);
    let slot = src.pmds.get(idx);
    if (slot instanceof HugePmd) {
      if (a === pmdStart && next === pmdStart + HPAGE_PMD_SIZE) {
        slot.flags = forkParentEntry(src, slot.pfn, slot.flags);
        dst.pmds.set(idx, new HugePmd(slot.pfn, forkChildEntry(slot.flags, keepUffd)));
        a = next;
        continue;
      }
      slot = src.splitHugePmd(idx, slot);
    }
    if (slot !== undefined) {
      const t = dst.pteTable(idx);
      for (let k = pteIndex(a), x = a; x < next; k++, x += PAGE_SIZE) {
        const f = slot.flags[k];
        if (f === 0) continue;
        slot.flags[k] = forkParentEntry(src, slot.pfn[k], f);
        t.pfn[k] = slot.pfn[k];
        t.flags[k] = forkChildEntry(slot.flags[k], keepUffd);
        t.used++;
      }
      if (t.used === 0) dst.pmds.delete(idx);
    }
    a = next;
  }
  return child;
}

/** The parent's side of copying one entry at fork; takes the child's mapping on the folio. */
function forkParentEntry(mm: MmStruct, pfn: number, f: number): number {
  if (f & PTE_MIGRATION) return f & ~(PTE_MIG_WRITE | PTE_MIG_READ_EXCLUSIVE);
  const folio = mm.folioAt(pfn);
  folio.mapcount++;
  folio.refcount++;
  mm.phys.setAnonExclusive(pfn, false);
  return f & ~PTE_WRITE;
}

function forkChildEntry(parent: number, keepUffd: boolean): number {
  let f = keepUffd ? parent : parent & ~PTE_UFFD_WP;
  if (f & PTE_PRESENT) f &= ~PTE_YOUNG;
  return f;
}

/**
 * folio_maybe_mapped_shared(): a small folio mapped more than once; a large folio mapped by
 * more than one mm. The kernel tracks the latter per folio (CONFIG_MM_ID) and may answer
 * "shared" for a while after the sharing ended; the model answers exactly by an rmap walk,
 * skipped when every VMA of the anon_vma belongs to one mm.
 */
export function folioMaybeMappedShared(folio: Folio): boolean {
  if (!folio.isLarge) return folio.mapcount > 1;
  const av = anonVmaOf(folio);
  if (av === null || folio.mapcount <= 1) return false;
  const vmas = av.vmas;
  let oneMm = true;
  for (let i = 1; i < vmas.length && oneMm; i++) oneMm = vmas[i].mm === vmas[0].mm;
  if (oneMm) return false;
  let first: MmStruct | null = null;
  let shared = false;
  walkFolioMappings(folio, (vma) => {
    if (first === null) first = vma.mm;
    else if (vma.mm !== first) shared = true;
  });
  return shared;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

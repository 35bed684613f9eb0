/**
 * Page contents in bytes mode: physical memory as SharedArrayBuffer chunks allocated on first
 * touch, a key-derived fill pattern, and the copy engine.
 *
 * A chunk is one MAX_PAGE_ORDER block (4 MiB), aligned to its size, so no folio straddles two
 * buffers and a folio copy is a single Uint8Array.prototype.set.
 *
 * Copies are queued and run back to back when the model's copy phase ends (flushCopies) or
 * before anything else touches the contents, whichever comes first: run one by one between the
 * simulator's per-folio work, each 4K copy started with cold caches and a fresh prefetch stream
 * and ran at half the host's rate. Bytes land in the order the copies were made, so what any
 * reader sees is what immediate copies would have left.
 */

import { MAX_PAGE_ORDER, PAGE_SHIFT } from "../mm/folio.js";
import {
  BODY_BLOCK,
  BODY_VIEWS,
  bodyVariant,
  HEADER_BYTES,
  HEADER_WORDS,
  headerWord,
} from "./pattern.js";
import { noteHostMemory } from "./release.js";

export const CHUNK_PAGE_ORDER = MAX_PAGE_ORDER;
export const CHUNK_PAGES = 1 << CHUNK_PAGE_ORDER;
export const CHUNK_BYTES = CHUNK_PAGES << PAGE_SHIFT;
const CHUNK_PAGE_MASK = CHUNK_PAGES - 1;
/** Chunks per directory entry: the chunk table is two-level so an untouched terabyte costs ~nothing. */
const DIR_SHIFT = 5;
const DIR_SIZE = 1 << DIR_SHIFT;
const PAGE_BYTES = 1 << PAGE_SHIFT;
const HOST_PAGE_WORDS = PAGE_BYTES / 4;

/** One chunk of memory with views cached once, so hot paths create none per page. */
class Chunk {
  readonly buffer = new SharedArrayBuffer(CHUNK_BYTES);
  readonly u8 = new Uint8Array(this.buffer);
  readonly u32 = new Uint32Array(this.buffer);
  /** For memcmp-speed page checks. */
  readonly buf = Buffer.from(this.buffer);

  constructor() {
    // Fault every host page in now, so first-touch faults are charged to allocation and not to
    // the timed copies (hostCopyGBps measures copying). The buffer need not start on a host
    // page (malloc puts a header first), so its last word may lie on one more page.
    for (let i = 0; i < this.u32.length; i += HOST_PAGE_WORDS) this.u32[i] = 0;
    this.u32[this.u32.length - 1] = 0;
  }
}

export class PageContents {
  private readonly dir: ((Chunk | undefined)[] | undefined)[];
  private nrChunks = 0;
  private copied = 0;
  private copyNs = 0;
  /** Queued copies as (dstPfn, srcPfn, nrPages), their chunks allocated; pfns are 32-bit here. */
  private pending = new Uint32Array(3 * 1024);
  private nrPending = 0;

  /** `nrPfns`: size of the physical address space in pages. */
  constructor(readonly nrPfns: number) {
    this.dir = new Array(Math.ceil(nrPfns / (CHUNK_PAGES << DIR_SHIFT))).fill(undefined);
  }

  /** Bytes really copied by copyPages (queued copies are run first). */
  get bytesCopied(): number {
    this.flushCopies();
    return this.copied;
  }

  /** Host wall-clock nanoseconds spent inside the copies (queued copies are run first). */
  get hostCopyNs(): number {
    this.flushCopies();
    return this.copyNs;
  }

  chunksAllocated(): number {
    return this.nrChunks;
  }

  /** Fill the page at pfn with the pattern for key. */
  fillPage(pfn: number, key: number): void {
    this.checkRange(pfn, 1, "fill");
    this.flushCopies();
    const chunk = this.chunk(pfn);
    const off = (pfn & CHUNK_PAGE_MASK) << PAGE_SHIFT;
    chunk.u8.set(BODY_VIEWS[bodyVariant(key)], off);
    const word = off >>> 2;
    for (let i = 0; i < HEADER_WORDS; i++) chunk.u32[word + i] = headerWord(key, i);
  }

  /** Exact check of every byte of the page at pfn against the pattern for key. */
  checkPage(pfn: number, key: number): boolean {
    this.checkRange(pfn, 1, "check");
    this.flushCopies();
    const chunk =
      this.dir[pfn >>> (CHUNK_PAGE_ORDER + DIR_SHIFT)]?.[
        (pfn >>> CHUNK_PAGE_ORDER) & (DIR_SIZE - 1)
      ];
    if (chunk === undefined) return false;
    const off = (pfn & CHUNK_PAGE_MASK) << PAGE_SHIFT;
    const word = off >>> 2;
    for (let i = 0; i < HEADER_WORDS; i++) {
      if (chunk.u32[word + i] !== headerWord(key, i)) return false;
    }
    const body = bodyVariant(key) * HEADER_BYTES;
    return (
      chunk.buf.compare(
        BODY_BLOCK,
        body + HEADER_BYTES,
        body + PAGE_BYTES,
        off + HEADER_BYTES,
        off + PAGE_BYTES,
      ) === 0
    );
  }

  /**
   * The copy engine: copy nrPages pages from srcPfn to dstPfn, queued until flushCopies (or the
   * next other use of the contents). Untouched memory on either side is allocated now, so no
   * allocation lands in the timed copies.
   */
  copyPages(dstPfn: number, srcPfn: number, nrPages: number): void {
    this.checkRange(dstPfn, nrPages, "copy to");
    this.checkRange(srcPfn, nrPages, "copy from");
    if (nrPages === 0) return;
    // Migration copies a folio into another folio, never onto itself; an overlapping range
    // would be split at chunk edges and read pages it had already overwritten.
    if (dstPfn < srcPfn + nrPages && srcPfn < dstPfn + nrPages) {
      throw new Error(
        `PageContents: cannot copy ${nrPages} pages from pfn ${srcPfn} onto pfn ${dstPfn}: the ranges overlap`,
      );
    }
    this.allocate(dstPfn, nrPages);
    this.allocate(srcPfn, nrPages);
    let q = this.pending;
    const at = 3 * this.nrPending;
    if (at === q.length) {
      q = new Uint32Array(2 * q.length);
      q.set(this.pending);
      this.pending = q;
    }
    q[at] = dstPfn;
    q[at + 1] = srcPfn;
    q[at + 2] = nrPages;
    this.nrPending++;
  }

  /**
   * Run the queued copies in order, one Uint8Array.prototype.set per copy and chunk, timed as
   * one span: the loop's own work is timed too, as a plain loop of sets is.
   */
  flushCopies(): void {
    const n = this.nrPending;
    if (n === 0) return;
    this.nrPending = 0;
    const q = this.pending;
    const t0 = performance.now();
    for (let i = 0; i < 3 * n; i += 3) this.copyNow(q[i], q[i + 1], q[i + 2]);
    this.copyNs += (performance.now() - t0) * 1e6;
  }

  /** One queued copy: a Uint8Array.prototype.set per range inside one chunk on each side. */
  private copyNow(dstPfn: number, srcPfn: number, nrPages: number): void {
    while (nrPages > 0) {
      const n = Math.min(
        nrPages,
        CHUNK_PAGES - (dstPfn & CHUNK_PAGE_MASK),
        CHUNK_PAGES - (srcPfn & CHUNK_PAGE_MASK),
      );
      const dst = this.chunk(dstPfn).u8;
      const src = this.chunk(srcPfn).u8;
      const srcOff = (srcPfn & CHUNK_PAGE_MASK) << PAGE_SHIFT;
      const len = n << PAGE_SHIFT;
      dst.set(
        len === CHUNK_BYTES ? src : src.subarray(srcOff, srcOff + len),
        (dstPfn & CHUNK_PAGE_MASK) << PAGE_SHIFT,
      );
      this.copied += len;
      dstPfn += n;
      srcPfn += n;
      nrPages -= n;
    }
  }

  /** The SharedArrayBuffer holding pfn and the page's byte offset in it (allocated if untouched). */
  locate(pfn: number): { buffer: SharedArrayBuffer; offset: number } {
    this.checkRange(pfn, 1, "locate");
    this.flushCopies();
    return { buffer: this.chunk(pfn).buffer, offset: (pfn & CHUNK_PAGE_MASK) << PAGE_SHIFT };
  }

  /** Allocate the chunks of an in-range, non-empty page range not touched yet. */
  private allocate(pfn: number, nrPages: number): void {
    const last = (pfn + nrPages - 1) >>> CHUNK_PAGE_ORDER;
    for (let c = pfn >>> CHUNK_PAGE_ORDER; c <= last; c++) this.chunk(c * CHUNK_PAGES);
  }

  /** The chunk holding an in-range pfn, allocated on first touch. */
  private chunk(pfn: number): Chunk {
    const chunkNr = pfn >>> CHUNK_PAGE_ORDER;
    let dirEntry = this.dir[chunkNr >>> DIR_SHIFT];
    if (dirEntry === undefined) {
      dirEntry = new Array(DIR_SIZE).fill(undefined);
      this.dir[chunkNr >>> DIR_SHIFT] = dirEntry;
    }
    let chunk = dirEntry[chunkNr & (DIR_SIZE - 1)];
    if (chunk === undefined) {
      noteHostMemory(CHUNK_BYTES);
      chunk = new Chunk();
      dirEntry[chunkNr & (DIR_SIZE - 1)] = chunk;
      this.nrChunks++;
    }
    return chunk;
  }

  /** Throws unless [pfn, pfn + nrPages) is memory this machine has; `what` names the use. */
  checkRange(pfn: number, nrPages: number, what: string): void {
    if (
      !Number.isInteger(pfn) ||
      !Number.isInteger(nrPages) ||
      pfn < 0 ||
      nrPages < 0 ||
      pfn + nrPages > this.nrPfns
    ) {
      throw new Error(`PageContents: cannot ${what} ${nrPages} pages at pfn ${pfn}`);
    }
  }
}

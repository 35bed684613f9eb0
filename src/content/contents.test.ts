import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PAGE_SIZE } from "../mm/folio.js";
import { PhysMem } from "../mm/phys.js";
import { CHUNK_BYTES, CHUNK_PAGES, PageContents } from "./contents.js";

const MiB = 1 << 20;

function pageBytes(c: PageContents, pfn: number): Uint8Array {
  const { buffer, offset } = c.locate(pfn);
  return new Uint8Array(buffer, offset, PAGE_SIZE);
}

describe("PageContents", () => {
  it("fills and checks pages exactly, and keys give different pages", () => {
    const c = new PageContents(4 * CHUNK_PAGES);
    c.fillPage(10, 0xdeadbeef);
    c.fillPage(11, 0xdeadbef0);
    expect(c.checkPage(10, 0xdeadbeef)).toBe(true);
    expect(c.checkPage(11, 0xdeadbef0)).toBe(true);
    expect(c.checkPage(10, 0xdeadbef0)).toBe(false);
    expect(Buffer.compare(pageBytes(c, 10), pageBytes(c, 11))).not.toBe(0);
  });

  it("detects a single corrupted byte anywhere in the page", () => {
    const c = new PageContents(CHUNK_PAGES);
    for (const at of [0, 15, 16, 2048, PAGE_SIZE - 1]) {
      c.fillPage(3, 77);
      const page = pageBytes(c, 3);
      page[at] ^= 1;
      expect(c.checkPage(3, 77)).toBe(false);
      page[at] ^= 1;
      expect(c.checkPage(3, 77)).toBe(true);
    }
  });

  it("allocates one chunk per touched 4 MiB and none for a check of untouched memory", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 1024 * MiB }], { contents: true });
    const c = phys.contents as PageContents;
    expect(c.checkPage(100, 1)).toBe(false);
    expect(c.chunksAllocated()).toBe(0);
    c.fillPage(100, 1);
    expect(c.chunksAllocated()).toBe(1);
    c.fillPage(CHUNK_PAGES - 1, 2);
    expect(c.chunksAllocated()).toBe(1);
    c.fillPage(CHUNK_PAGES, 3);
    expect(c.chunksAllocated()).toBe(2);
    expect(phys.stats().contentBytes).toBe(2 * CHUNK_BYTES);
  });

  it("copies a max-order folio held in one buffer and accounts for the bytes", () => {
    const c = new PageContents(4 * CHUNK_PAGES);
    for (let i = 0; i < CHUNK_PAGES; i++) c.fillPage(i, i * 31);
    c.copyPages(2 * CHUNK_PAGES, 0, CHUNK_PAGES);
    for (let i = 0; i < CHUNK_PAGES; i++)
      expect(c.checkPage(2 * CHUNK_PAGES + i, i * 31)).toBe(true);
    expect(c.bytesCopied).toBe(CHUNK_BYTES);
    expect(c.hostCopyNs).toBeGreaterThan(0);
    expect(locateBuffers(c, 2 * CHUNK_PAGES, CHUNK_PAGES)).toBe(1);
  });

  it("copies a range that crosses chunk boundaries on both sides", () => {
    const c = new PageContents(4 * CHUNK_PAGES);
    const src = CHUNK_PAGES - 5;
    const dst = 3 * CHUNK_PAGES - 700;
    for (let i = 0; i < 800; i++) c.fillPage(src + i, 1000 + i);
    c.copyPages(dst, src, 800);
    for (let i = 0; i < 800; i++) expect(c.checkPage(dst + i, 1000 + i)).toBe(true);
    expect(c.checkPage(dst + 800, 1800)).toBe(false);
    expect(c.bytesCopied).toBe(800 * PAGE_SIZE);
  });

  it("allocates a queued copy's memory when it is queued, not in the timed flush", () => {
    const c = new PageContents(4 * CHUNK_PAGES);
    c.fillPage(0, 5);
    c.copyPages(3 * CHUNK_PAGES - 1, 0, 2);
    expect(c.chunksAllocated()).toBe(3);
    c.flushCopies();
    expect(c.chunksAllocated()).toBe(3);
    expect(c.checkPage(3 * CHUNK_PAGES - 1, 5)).toBe(true);
  });

  // Queued copies are an optimisation only: every reader sees what immediate copies leave.
  it("reads, fills and copies see the bytes immediate copies would have left", () => {
    const NR = 3 * CHUNK_PAGES;
    const pfn = fc.integer({ min: 0, max: NR - 1 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant("fill" as const), pfn, key: fc.nat() }),
      fc.record({
        kind: fc.constant("copy" as const),
        dst: pfn,
        src: pfn,
        n: fc.integer({ min: 1, max: CHUNK_PAGES + 3 }),
      }),
      fc.record({ kind: fc.constant("check" as const), pfn }),
      fc.constant({ kind: "flush" as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const c = new PageContents(NR);
        // The key each page holds under immediate copies (undefined: never filled).
        const model: (number | undefined)[] = new Array(NR).fill(undefined);
        let bytes = 0;
        for (const o of ops) {
          if (o.kind === "fill") {
            c.fillPage(o.pfn, o.key);
            model[o.pfn] = o.key;
          } else if (o.kind === "copy") {
            const n = Math.min(o.n, NR - o.dst, NR - o.src);
            if (o.dst < o.src + n && o.src < o.dst + n) {
              // Migration never copies a folio onto itself: refused, nothing queued.
              expect(() => c.copyPages(o.dst, o.src, n)).toThrow(/overlap/);
              continue;
            }
            c.copyPages(o.dst, o.src, n);
            for (let i = 0; i < n; i++) model[o.dst + i] = model[o.src + i];
            bytes += n * PAGE_SIZE;
          } else if (o.kind === "check") {
            const key = model[o.pfn];
            if (key !== undefined && !c.checkPage(o.pfn, key)) return false;
          } else {
            c.flushCopies();
          }
        }
        for (let p = 0; p < NR; p++) {
          const key = model[p];
          if (key !== undefined && !c.checkPage(p, key)) return false;
        }
        return c.bytesCopied === bytes;
      }),
      { numRuns: 60 },
    );
  });

  it("rejects pfns outside the address space", () => {
    const c = new PageContents(CHUNK_PAGES);
    expect(() => c.fillPage(CHUNK_PAGES, 1)).toThrow(/pfn 1024/);
    expect(() => c.checkPage(-1, 1)).toThrow(/pfn -1/);
    expect(() => c.copyPages(0, CHUNK_PAGES - 1, 2)).toThrow(/copy from 2 pages/);
    expect(() => c.locate(1.5)).toThrow(/locate/);
  });

  it("is absent unless bytes mode is asked for", () => {
    expect(new PhysMem([{ nid: 0, bytes: 4 * MiB }]).contents).toBeNull();
  });
});

/** Distinct buffers behind a pfn range. */
function locateBuffers(c: PageContents, pfn: number, n: number): number {
  const buffers = new Set<SharedArrayBuffer>();
  for (let i = 0; i < n; i++) buffers.add(c.locate(pfn + i).buffer);
  return buffers.size;
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Folio, MAX_PAGE_ORDER } from "./folio.js";
import { PhysMem } from "./phys.js";

const MiB = 1 << 20;
/** Pages in one MAX_PAGE_ORDER block. */
const MAX_BLOCK = 1 << MAX_PAGE_ORDER;

/** A small deterministic rng for the tests (LCG). */
function lcg(seed: number): { next(): number } {
  let s = seed >>> 0;
  return {
    next() {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    },
  };
}

function release(phys: PhysMem, folio: Folio): void {
  folio.refcount = 0;
  phys.freeFolio(folio);
}

describe("buddy allocator", () => {
  it("splits the first block and hands out pages in address order", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 4 * MiB }]);
    const pfns = [0, 1, 2, 3].map(() => phys.allocFolio(0, 0)?.pfn);
    expect(pfns).toEqual([0, 1, 2, 3]);
    // expand() left the upper halves 4 (order 2), 8 (order 3), ... on the lists.
    expect(phys.allocFolio(0, 2)?.pfn).toBe(4);
    expect(phys.allocFolio(0, 9)?.pfn).toBe(512);
    expect(phys.freePages(0)).toBe(MAX_BLOCK - 4 - 4 - 512);
    phys.checkNode(0);
  });

  it("merges freed buddies back into a full max-order block", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 4 * MiB }]);
    const folios = Array.from({ length: MAX_BLOCK }, () => phys.allocFolio(0, 0) as Folio);
    expect(phys.allocFolio(0, 0)).toBeNull();
    // Free in an interleaved order so merges happen at every level.
    for (const f of folios.filter((_, i) => i % 2 === 1)) release(phys, f);
    phys.checkNode(0);
    expect(phys.allocFolio(0, 1)).toBeNull();
    for (const f of folios.filter((_, i) => i % 2 === 0)) release(phys, f);
    phys.checkNode(0);
    expect(phys.freePages(0)).toBe(MAX_BLOCK);
    expect(phys.allocFolio(0, MAX_PAGE_ORDER)?.pfn).toBe(0);
  });

  it("reuses the most recently freed block first", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 4 * MiB }]);
    const a = phys.allocFolio(0, 0) as Folio;
    phys.allocFolio(0, 0);
    const c = phys.allocFolio(0, 0) as Folio;
    phys.allocFolio(0, 0);
    release(phys, a);
    release(phys, c);
    expect(phys.allocFolio(0, 0)?.pfn).toBe(c.pfn);
    expect(phys.allocFolio(0, 0)?.pfn).toBe(a.pfn);
  });

  it("allocates every order, naturally aligned, with fresh folio state", () => {
    const phys = new PhysMem([{ nid: 3, bytes: 64 * MiB }]);
    const start = phys.nodeStartPfn(3);
    for (let order = MAX_PAGE_ORDER; order >= 0; order--) {
      const f = phys.allocFolio(3, order) as Folio;
      expect(f.order).toBe(order);
      expect(f.nid).toBe(3);
      expect((f.pfn - start) % (1 << order)).toBe(0);
      expect([f.refcount, f.mapcount, f.flags, f.live]).toEqual([1, 0, 0, true]);
    }
    phys.checkNode(3);
    expect(phys.freePages(3)).toBe(16 * MAX_BLOCK - (2 * MAX_BLOCK - 1));
  });

  it("returns null once the node is exhausted, and never takes another node's memory", () => {
    const phys = new PhysMem([
      { nid: 0, bytes: 8 * MiB },
      { nid: 1, bytes: 8 * MiB },
    ]);
    const a = phys.allocFolio(0, MAX_PAGE_ORDER) as Folio;
    expect(phys.allocFolio(0, MAX_PAGE_ORDER)).not.toBeNull();
    expect(phys.allocFolio(0, MAX_PAGE_ORDER)).toBeNull();
    expect(phys.allocFolio(0, 0)).toBeNull();
    expect(phys.freePages(0)).toBe(0);
    expect(phys.freePages(1)).toBe(2 * MAX_BLOCK);
    release(phys, a);
    expect(phys.allocFolio(0, 3)?.pfn).toBe(a.pfn);
  });

  it("rejects bad orders and unknown nodes", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 4 * MiB }]);
    expect(() => phys.allocFolio(0, MAX_PAGE_ORDER + 1)).toThrow(/order/);
    expect(() => phys.allocFolio(0, -1)).toThrow(/order/);
    expect(() => phys.allocFolio(0, 1.5)).toThrow(/order/);
    expect(() => phys.allocFolio(1, 0)).toThrow(/no node 1/);
  });

  it("keeps every page in exactly one block or folio under random alloc/free", () => {
    const nodePages = 4 * MAX_BLOCK;
    const op = fc.oneof(
      fc.record({ alloc: fc.nat({ max: MAX_PAGE_ORDER }), nid: fc.constantFrom(0, 1) }),
      fc.record({ free: fc.nat() }),
      fc.record({ split: fc.nat() }),
      fc.record({ exclusive: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const phys = new PhysMem([
          { nid: 0, bytes: 16 * MiB },
          { nid: 1, bytes: 16 * MiB },
        ]);
        const live: Folio[] = [];
        const used = [0, 0];
        for (const o of ops) {
          if ("alloc" in o) {
            const f = phys.allocFolio(o.nid, o.alloc);
            if (f === null) {
              expect(phys.freePages(o.nid)).toBeLessThan(nodePages);
            } else {
              expect(phys.nidOf(f.pfn)).toBe(o.nid);
              live.push(f);
              used[o.nid] += f.nrPages;
            }
          } else if (live.length === 0) {
            continue;
          } else if ("free" in o) {
            const [f] = live.splice(o.free % live.length, 1);
            release(phys, f);
            used[f.nid] -= f.nrPages;
          } else if ("split" in o) {
            const i = o.split % live.length;
            if (live[i].order > 0) live.splice(i, 1, ...phys.splitFolio(live[i]));
          } else {
            const f = live[o.exclusive % live.length];
            phys.setAnonExclusive(f.pfn + (o.exclusive % f.nrPages), true);
          }
          for (const nid of [0, 1]) {
            phys.checkNode(nid);
            expect(phys.freePages(nid)).toBe(nodePages - used[nid]);
          }
        }
        // Disjoint: each page maps back to the one folio that owns it.
        for (const f of live) {
          for (let i = 0; i < f.nrPages; i++) expect(phys.folioOf(f.pfn + i)).toBe(f);
        }
        expect(new Set(phys.liveFolios())).toEqual(new Set(live));
        for (const f of live) release(phys, f);
        for (const nid of [0, 1]) {
          phys.checkNode(nid);
          for (let i = 0; i < 4; i++) expect(phys.allocFolio(nid, MAX_PAGE_ORDER)).not.toBeNull();
          expect(phys.freePages(nid)).toBe(0);
        }
      }),
      { numRuns: 150 },
    );
  });
});

/**
 * The textbook buddy allocator the zone must behave as, page for page: LIFO lists of block
 * heads (index 0 the head), expand() on every split, merging on free, untouched memory handed
 * out as max-order blocks in pfn order.
 */
class ReferenceBuddy {
  readonly lists: number[][] = Array.from({ length: MAX_PAGE_ORDER + 1 }, () => []);
  private lazyNext = 0;

  constructor(private readonly nrPages: number) {}

  alloc(order: number): number | null {
    let current = order;
    while (current <= MAX_PAGE_ORDER && this.lists[current].length === 0) current++;
    let pfn: number;
    if (current <= MAX_PAGE_ORDER) {
      pfn = this.lists[current].shift() as number;
    } else {
      if (this.lazyNext >= this.nrPages) return null;
      current = MAX_PAGE_ORDER;
      pfn = this.lazyNext;
      this.lazyNext += MAX_BLOCK;
    }
    while (current > order) {
      current--;
      this.lists[current].unshift(pfn + (1 << current));
    }
    return pfn;
  }

  free(pfn: number, order: number): void {
    while (order < MAX_PAGE_ORDER) {
      const i = this.lists[order].indexOf(pfn ^ (1 << order));
      if (i < 0) break;
      this.lists[order].splice(i, 1);
      pfn &= ~(1 << order);
      order++;
    }
    this.lists[order].unshift(pfn);
  }

  /** nr_free of an order, the untouched max-order blocks included. */
  freeBlocks(order: number): number {
    const lazy = order === MAX_PAGE_ORDER ? (this.nrPages - this.lazyNext) / MAX_BLOCK : 0;
    return this.lists[order].length + lazy;
  }
}

describe("buddy allocator against the textbook one", () => {
  it("hands out the same pages and keeps the same free blocks, with splits handed out in runs", () => {
    const nodePages = 8 * MAX_BLOCK;
    // Streaks of one order, as a fault-in or a move_pages(2) call allocates, mixed with frees
    // and with reads of the free lists, which each see what the textbook lists hold.
    const op = fc.oneof(
      fc.record({ alloc: fc.nat({ max: MAX_PAGE_ORDER }), times: fc.integer({ min: 1, max: 70 }) }),
      fc.record({ free: fc.nat(), times: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ blocks: fc.nat({ max: MAX_PAGE_ORDER }) }),
      fc.record({ blockAt: fc.nat({ max: nodePages - 1 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const phys = new PhysMem([{ nid: 0, bytes: nodePages * 4096 }]);
        const ref = new ReferenceBuddy(nodePages);
        const live: Folio[] = [];
        for (const o of ops) {
          if ("alloc" in o) {
            for (let t = 0; t < o.times; t++) {
              const f = phys.allocFolio(0, o.alloc);
              expect(f?.pfn ?? null).toBe(ref.alloc(o.alloc));
              if (f !== null) live.push(f);
            }
          } else if ("free" in o) {
            for (let t = 0; t < o.times && live.length > 0; t++) {
              const [f] = live.splice((o.free * (t + 1)) % live.length, 1);
              ref.free(f.pfn, f.order);
              release(phys, f);
            }
          } else if ("blocks" in o) {
            expect(phys.freeBlocks(0, o.blocks)).toBe(ref.freeBlocks(o.blocks));
          } else {
            const want = ref.lists.findIndex((l) => l.includes(o.blockAt));
            expect(phys.freeBlockOrder(0, o.blockAt)).toBe(want);
          }
        }
        phys.checkNode(0);
        for (let order = 0; order <= MAX_PAGE_ORDER; order++) {
          expect(phys.freeBlocks(0, order)).toBe(ref.freeBlocks(order));
        }
        // The same blocks, in the same order on every list: drain both and compare.
        const drained: number[] = [];
        const refDrained: number[] = [];
        for (let f = phys.allocFolio(0, 0); f !== null; f = phys.allocFolio(0, 0)) {
          drained.push(f.pfn);
        }
        for (let pfn = ref.alloc(0); pfn !== null; pfn = ref.alloc(0)) refDrained.push(pfn);
        expect(drained).toEqual(refDrained);
      }),
      { numRuns: 200 },
    );
  });
});

describe("fragmentation", () => {
  it("makes order-9 allocations fail while free memory remains", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 64 * MiB }]);
    const total = phys.nodePages(0);
    const pinned = phys.fragment(0, 1, lcg(7));
    expect(pinned).toBeGreaterThan(total * 0.45);
    expect(pinned).toBeLessThan(total * 0.55);
    expect(phys.freePages(0)).toBe(total - pinned);
    phys.checkNode(0);
    expect(phys.allocFolio(0, 9)).toBeNull();
    expect(phys.allocFolio(0, 0)).not.toBeNull();
    expect([...phys.liveFolios()]).toHaveLength(1);
  });

  it("leaves the unfragmented rest usable and is deterministic", () => {
    const run = () => {
      const phys = new PhysMem([{ nid: 0, bytes: 64 * MiB }]);
      phys.allocFolio(0, 0);
      const pinned = phys.fragment(0, 0.5, lcg(42));
      phys.checkNode(0);
      return { pinned, thp: phys.allocFolio(0, 9)?.pfn, page: phys.allocFolio(0, 0)?.pfn };
    };
    const first = run();
    expect(first.thp).toBeDefined();
    expect(run()).toEqual(first);
  });

  it("rejects a fraction outside [0, 1]", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 4 * MiB }]);
    expect(() => phys.fragment(0, 1.5, lcg(1))).toThrow(/fraction/);
    expect(() => phys.fragment(0, Number.NaN, lcg(1))).toThrow(/fraction/);
  });
});

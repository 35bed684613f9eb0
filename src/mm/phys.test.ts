import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { profilesDir } from "../machine/profile.js";
import { validateProfile } from "../machine/schema.js";
import { Folio, MAX_FOLIO_PINS, MAX_PAGE_ORDER, PG } from "./folio.js";
import { PhysMem } from "./phys.js";
import { PAGES_PER_SECTION } from "./sections.js";

const MiB = 1 << 20;
const GiB = 1024 * MiB;

function release(phys: PhysMem, folio: Folio): void {
  folio.refcount = 0;
  phys.freeFolio(folio);
}

describe("PhysMem layout", () => {
  it("boots 2 x 512 GiB without metadata for untouched memory", () => {
    const phys = new PhysMem([
      { nid: 0, bytes: 512 * GiB },
      { nid: 1, bytes: 512 * GiB },
    ]);
    expect(phys.stats()).toEqual({
      sections: 0,
      metadataBytes: expect.any(Number),
      contentBytes: 0,
      folioObjects: 0,
    });
    expect(phys.stats().metadataBytes).toBeLessThan(256 * 1024);
    expect(phys.nodeStartPfn(1)).toBe((512 * GiB) / 4096);
    expect(phys.freePages(1)).toBe((512 * GiB) / 4096);
    const f = phys.allocFolio(1, 0) as Folio;
    expect(phys.nidOf(f.pfn)).toBe(1);
    expect(phys.stats().sections).toBe(1);
    expect(phys.stats().metadataBytes).toBeLessThan(2 * MiB);
    phys.checkNode(0);
    phys.checkNode(1);
  });

  it("starts each node on a section boundary and rejects pfns in the holes", () => {
    const phys = new PhysMem([
      { nid: 2, bytes: 4 * MiB },
      { nid: 0, bytes: 8 * MiB },
      { nid: 5, bytes: 0 },
    ]);
    expect(phys.nodeStartPfn(2)).toBe(0);
    expect(phys.nodeStartPfn(0)).toBe(PAGES_PER_SECTION);
    expect(phys.nodePages(0)).toBe(2048);
    expect(phys.nodePages(5)).toBe(0);
    expect(phys.allocFolio(5, 0)).toBeNull();
    expect(phys.nidOf(1023)).toBe(2);
    expect(phys.nidOf(PAGES_PER_SECTION + 2047)).toBe(0);
    expect(() => phys.nidOf(1024)).toThrow(/not in any node/);
    expect(() => phys.nidOf(PAGES_PER_SECTION + 2048)).toThrow(/not in any node/);
    expect(() => phys.nidOf(-1)).toThrow(/not in any node/);
    expect(phys.folioOf(1024)).toBeUndefined();
  });

  it("boots every layout the profile schema accepts, up to the address space the schema allows", () => {
    const section = PAGES_PER_SECTION * 4096;
    // 4M-multiple nodes that do not fill their last section: the sections are what counts.
    const layout = (first: number) => [
      { id: 0, socket: 0, memory: first, kind: "dram" },
      { id: 1, socket: 0, memory: 4 * MiB, kind: "dram" },
    ];
    const profile = (first: number) => {
      const d = parse(readFileSync(join(profilesDir(), "small-2node.yaml"), "utf8"));
      d.topology.nodes = layout(first);
      return validateProfile(d);
    };
    const largest = 2 ** 43 - 2 * section - 4 * MiB;
    const ok = profile(largest);
    expect(ok.ok).toBe(true);
    expect(
      () =>
        new PhysMem([
          { nid: 0, bytes: largest },
          { nid: 1, bytes: 4 * MiB },
        ]),
    ).not.toThrow();
    const over = profile(largest + 8 * MiB);
    expect(over.ok ? [] : over.problems).toEqual([
      "topology.nodes: the nodes span 8T of 128M sections; the model addresses at most 8388480M",
    ]);
    // The schema's limit is the model's: one more block does not boot.
    expect(
      () =>
        new PhysMem([
          { nid: 0, bytes: largest + 8 * MiB },
          { nid: 1, bytes: 4 * MiB },
        ]),
    ).toThrow(/more than 8 TiB/);
  });

  it("rejects bad node specs", () => {
    expect(() => new PhysMem([])).toThrow(/at least one node/);
    expect(() => new PhysMem([{ nid: 0, bytes: 3 * MiB }])).toThrow(/multiple of 4 MiB/);
    expect(() => new PhysMem([{ nid: -1, bytes: 4 * MiB }])).toThrow(/node id/);
    expect(
      () =>
        new PhysMem([
          { nid: 0, bytes: 4 * MiB },
          { nid: 0, bytes: 4 * MiB },
        ]),
    ).toThrow(/twice/);
  });
});

describe("folios", () => {
  it("finds the folio of any page, head or tail", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 8 * MiB }]);
    const small = phys.allocFolio(0, 0) as Folio;
    const thp = phys.allocFolio(0, 9) as Folio;
    expect(phys.folioOf(small.pfn)).toBe(small);
    expect(phys.folioOf(thp.pfn)).toBe(thp);
    expect(phys.folioOf(thp.pfn + 511)).toBe(thp);
    expect(phys.folioOf(thp.pfn + 512)).toBeUndefined();
    release(phys, thp);
    expect(phys.folioOf(thp.pfn + 7)).toBeUndefined();
    expect(thp.live).toBe(false);
  });

  it("refuses to free a referenced, mapped or dead folio", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 4 * MiB }]);
    const f = phys.allocFolio(0, 2) as Folio;
    expect(() => phys.freeFolio(f)).toThrow(/refcount 1/);
    f.refcount = 0;
    f.mapcount = 1;
    expect(() => phys.freeFolio(f)).toThrow(/mapcount 1/);
    f.mapcount = 0;
    phys.freeFolio(f);
    expect(() => phys.freeFolio(f)).toThrow(/not live/);
    phys.checkNode(0);
  });

  it("splits a large folio into order-0 folios over the same pages", () => {
    const phys = new PhysMem([{ nid: 1, bytes: 4 * MiB }]);
    const thp = phys.allocFolio(1, 9) as Folio;
    const anonVma = { id: 9 };
    thp.flags = PG.dirty | PG.swapbacked | PG.deferredSplit | PG.partiallyMapped;
    thp.mapping = anonVma;
    thp.index = 0x400;
    phys.setAnonExclusive(thp.pfn + 5, true);
    const pieces = phys.splitFolio(thp);
    expect(pieces.map((p) => phys.isAnonExclusive(p.pfn))).toEqual(pieces.map((_, i) => i === 5));
    expect(thp.live).toBe(false);
    expect(pieces).toHaveLength(512);
    pieces.forEach((p, i) => {
      expect([p.pfn, p.order, p.nid, p.index]).toEqual([thp.pfn + i, 0, 1, 0x400 + i]);
      expect(p.flags).toBe(PG.dirty | PG.swapbacked);
      expect(p.mapping).toBe(anonVma);
      expect(phys.folioOf(p.pfn)).toBe(p);
    });
    phys.checkNode(1);
    expect(() => phys.splitFolio(thp)).toThrow(/not live/);
    expect(() => phys.splitFolio(pieces[0])).toThrow(/not large/);
    for (const p of pieces) release(phys, p);
    phys.checkNode(1);
    expect(phys.allocFolio(1, MAX_PAGE_ORDER)).not.toBeNull();
  });

  it("lists exactly the live folios", () => {
    const phys = new PhysMem([
      { nid: 0, bytes: 4 * MiB },
      { nid: 1, bytes: 4 * MiB },
    ]);
    const a = phys.allocFolio(1, 3) as Folio;
    const b = phys.allocFolio(0, 0) as Folio;
    const c = phys.allocFolio(0, 5) as Folio;
    release(phys, b);
    expect([...phys.liveFolios()]).toEqual([c, a]);
  });

  it("reuses a freed folio's object only once told, as a fresh folio at the new place", () => {
    const phys = new PhysMem([
      { nid: 0, bytes: 4 * MiB },
      { nid: 1, bytes: 4 * MiB },
    ]);
    const old = phys.allocFolio(0, 3) as Folio;
    old.flags = PG.dirty | PG.lru;
    old.mapping = { id: 1 };
    old.index = 77;
    old.migrateInfo = 5;
    old.pins = 2;
    old.refcount = 0;
    phys.freeFolio(old);
    const before = phys.allocFolio(1, 0) as Folio;
    expect(before).not.toBe(old);
    expect(old.live).toBe(false);
    phys.recycleFreedFolios();
    const reused = phys.allocFolio(1, 9) as Folio;
    expect(reused).toBe(old);
    // Every field as a fresh folio's but the slot, which stays the object's for life.
    const fresh = new Folio(reused.pfn, 9, 1);
    expect({ ...reused, id: -1 }).toEqual({ ...fresh });
    expect(reused.id).toBe(0);
    expect(phys.folioOf(reused.pfn + 511)).toBe(reused);
    expect(phys.allocFolio(1, 0)).not.toBe(old);
    phys.checkNode(0);
    phys.checkNode(1);
  });

  it("keeps the fields it packs (node with the flags; order, liveness, migrate_info, pins, index) apart", () => {
    const f = new Folio(12345, 9, 1023);
    const top = 2 ** 35 - 1;
    f.pins = MAX_FOLIO_PINS;
    f.migrateInfo = 7;
    f.live = false;
    f.flags = PG.isolated | PG.locked;
    f.index = top;
    const fields = () => [f.order, f.nid, f.live, f.migrateInfo, f.pins, f.flags, f.index];
    expect(fields()).toEqual([9, 1023, false, 7, MAX_FOLIO_PINS, PG.isolated | PG.locked, top]);
    f.pins--;
    f.migrateInfo &= ~2;
    f.live = true;
    f.clear(PG.isolated);
    f.index = 2 ** 26 + 5;
    expect(fields()).toEqual([9, 1023, true, 5, MAX_FOLIO_PINS - 1, PG.locked, 2 ** 26 + 5]);
    for (const bad of [
      () => {
        f.pins = MAX_FOLIO_PINS + 1;
      },
      () => {
        f.pins = -1;
      },
      () => {
        f.migrateInfo = 8;
      },
      () => {
        f.flags = PG.isolated << 1;
      },
      () => {
        f.index = 2 ** 35;
      },
      () => {
        f.index = -1;
      },
    ]) {
      expect(bad).toThrow(RangeError);
    }
    expect(fields()).toEqual([9, 1023, true, 5, MAX_FOLIO_PINS - 1, PG.locked, 2 ** 26 + 5]);
  });

  it("detects a folio that died without going back to the allocator", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 4 * MiB }]);
    const f = phys.allocFolio(0, 1) as Folio;
    f.live = false;
    expect(() => phys.checkNode(0)).toThrow(/pfn 0: folio head without a matching live folio/);
  });
});

describe("per-page bits", () => {
  it("clears anon-exclusive when the page is freed", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 4 * MiB }]);
    const f = phys.allocFolio(0, 1) as Folio;
    expect(phys.isAnonExclusive(f.pfn + 1)).toBe(false);
    phys.setAnonExclusive(f.pfn + 1, true);
    expect(phys.isAnonExclusive(f.pfn + 1)).toBe(true);
    expect(phys.isAnonExclusive(f.pfn)).toBe(false);
    phys.checkNode(0);
    release(phys, f);
    expect(phys.isAnonExclusive(f.pfn + 1)).toBe(false);
    phys.checkNode(0);
  });

  it("keeps a hwpoisoned page out of the allocator when its folio is freed", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 4 * MiB }]);
    const f = phys.allocFolio(0, 2) as Folio;
    expect(phys.isHwPoison(f.pfn + 3)).toBe(false);
    expect(phys.hasHwPoisoned(f)).toBe(false);
    phys.setHwPoison(f.pfn + 3, true);
    expect(phys.isHwPoison(f.pfn + 3)).toBe(true);
    expect(phys.hasHwPoisoned(f)).toBe(true);
    release(phys, f);
    phys.checkNode(0);
    expect(phys.freePages(0)).toBe(1023);
    const pfns = new Set<number>();
    for (let f2 = phys.allocFolio(0, 0); f2 !== null; f2 = phys.allocFolio(0, 0)) pfns.add(f2.pfn);
    expect(pfns.size).toBe(1023);
    expect(pfns.has(f.pfn + 3)).toBe(false);
  });

  it("does not allocate metadata to read bits of untouched memory", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 1024 * MiB }]);
    expect(phys.isHwPoison(5000)).toBe(false);
    expect(phys.isAnonExclusive(5000)).toBe(false);
    expect(phys.stats().sections).toBe(0);
  });

  it("only sets page bits on pages of live folios", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 4 * MiB }]);
    const f = phys.allocFolio(0, 0) as Folio;
    expect(() => phys.setHwPoison(f.pfn + 1, true)).toThrow(/not in a folio/);
    expect(() => phys.setAnonExclusive(f.pfn + 1, true)).toThrow(/not in a folio/);
    expect(() => phys.setHwPoison(1 << 30, true)).toThrow(/not in a folio/);
    phys.checkNode(0);
  });
});

describe("PhysMem for compaction's free scanner", () => {
  it("isolates a free block, makes folios of its pieces, and gives the rest back whole", () => {
    const phys = new PhysMem([{ nid: 0, bytes: 4 * MiB }]);
    // Touch the node: one order-10 block split into an order-9 folio and a free order-9 block.
    const held = phys.allocFolio(0, 9) as Folio;
    const free = held.pfn + 512;
    expect(phys.freeBlockOrder(0, free)).toBe(9);
    expect(phys.freeBlockOrder(0, held.pfn)).toBe(-1);
    expect(phys.freeBlocks(0, 9)).toBe(1);
    expect(phys.isolateFreeBlock(0, free)).toBe(9);
    expect(phys.freePages(0)).toBe(0);
    expect(phys.freeBlockOrder(0, free)).toBe(-1);
    const dst = phys.folioFromIsolated(0, free, 0);
    expect(phys.folioOf(free)).toBe(dst);
    // The rest of the isolated block goes back in pieces that merge with the freed folio.
    for (let o = 0; o < 9; o++) phys.releaseFreeBlock(0, free + (1 << o), o);
    release(phys, dst);
    expect(phys.freeBlocks(0, 9)).toBe(1);
    expect(phys.freePages(0)).toBe(512);
    expect(() => phys.isolateFreeBlock(0, held.pfn)).toThrow(/not the head of a free block/);
    phys.checkNode(0);
  });
});

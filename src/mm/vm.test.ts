import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Folio, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from "./folio.js";
import { PhysMem } from "./phys.js";
import {
  folioMaybeMappedShared,
  HugePmd,
  MmStruct,
  PmdTable,
  PTE_DIRTY,
  PTE_YOUNG,
  PTRS_PER_PTE,
  PteTable,
  pteIndex,
  shareRange,
  VM_LOCKED,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
  type Vma,
  walkFolioMappings,
} from "./vm.js";

const RW = VM_READ | VM_WRITE;

function setup() {
  const phys = new PhysMem([
    { nid: 0, bytes: 64 << 20 },
    { nid: 1, bytes: 64 << 20 },
  ]);
  const mm = new MmStruct(1, phys);
  return { phys, mm };
}

function fault(phys: PhysMem, mm: MmStruct, vma: Vma, addr: number, order: number, nid = 0): Folio {
  const folio = phys.allocFolio(nid, order);
  if (folio === null) throw new Error("allocation failed");
  mm.mapFolio(vma, addr, folio, { dirty: true });
  return folio;
}

describe("PteTable", () => {
  it("gives each table its own zeroed entries, across the slabs they share", () => {
    const tables = Array.from({ length: 40 }, () => new PteTable());
    tables.forEach((t, i) => {
      expect(t.pfn.length).toBe(PTRS_PER_PTE);
      expect(t.flags.length).toBe(PTRS_PER_PTE);
      expect(t.pfn.every((v) => v === 0) && t.flags.every((v) => v === 0)).toBe(true);
      t.pfn.fill(i + 1);
      t.flags.fill(i + 1);
    });
    tables.forEach((t, i) => {
      expect(t.pfn.every((v) => v === i + 1) && t.flags.every((v) => v === i + 1)).toBe(true);
    });
  });
});

describe("mmap and findVma", () => {
  it("places mappings top-down, 2 MiB aligned and disjoint", () => {
    const { mm } = setup();
    const a = mm.mmap(3 * PAGE_SIZE, RW);
    const b = mm.mmap(5 * HPAGE_PMD_SIZE + 1, RW);
    expect(a.start % HPAGE_PMD_SIZE).toBe(0);
    expect(b.start % HPAGE_PMD_SIZE).toBe(0);
    expect(a.end - a.start).toBe(3 * PAGE_SIZE);
    expect(b.end - b.start).toBe(5 * HPAGE_PMD_SIZE + PAGE_SIZE);
    expect(b.end).toBeLessThanOrEqual(a.start);
    expect(a.start).toBeGreaterThan(2 ** 32);
    expect(a.pgoff).toBe(a.start / PAGE_SIZE);
    expect(mm.vmas).toEqual([b, a]);
    expect(mm.findVma(a.start + 5)).toBe(a);
    expect(mm.findVma(a.end)).toBeUndefined();
    expect(mm.findVma(b.end - 1)).toBe(b);
  });

  it("takes a fixed address only when it is free, aligned and anonymous private", () => {
    const { mm } = setup();
    const v = mm.mmap(HPAGE_PMD_SIZE, RW, 0x40000000);
    expect(v.start).toBe(0x40000000);
    expect(() => mm.mmap(PAGE_SIZE, RW, 0x40000000 + HPAGE_PMD_SIZE - PAGE_SIZE)).toThrow(
      /overlaps/,
    );
    expect(() => mm.mmap(PAGE_SIZE, RW, 0x40000001)).toThrow(/aligned/);
    expect(() => mm.mmap(PAGE_SIZE, RW | VM_SHARED)).toThrow(/private anonymous/);
    expect(() => mm.mmap(0, RW)).toThrow(/length/);
  });
});

describe("mapFolio and lookup", () => {
  it("PTE-maps an mTHP over all its pages", () => {
    const { phys, mm } = setup();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const addr = vma.start + 16 * PAGE_SIZE;
    const folio = fault(phys, mm, vma, addr, 4, 1);
    expect(folio.mapcount).toBe(16);
    expect(folio.refcount).toBe(16);
    expect(folio.index).toBe(vma.pgoff + 16);
    expect(folio.mapping).toBe(vma.anonVma);
    expect(vma.anonVma?.vmas).toEqual([vma]);
    expect(folio.test(PG.lru | PG.swapbacked | PG.uptodate)).toBe(true);
    for (let i = 0; i < 16; i++) {
      const l = mm.lookup(addr + i * PAGE_SIZE + 123);
      expect(l).toEqual({ kind: "present", vma, folio, pfn: folio.pfn + i, pmd: false });
      expect(phys.isAnonExclusive(folio.pfn + i)).toBe(true);
      const e = mm.entryAt(addr + i * PAGE_SIZE);
      expect(
        e.kind === "present" && e.writable && e.flags & PTE_DIRTY && e.flags & PTE_YOUNG,
      ).toBeTruthy();
    }
    expect(mm.lookup(addr - PAGE_SIZE)).toEqual({ kind: "none", vma });
    expect(mm.lookup(vma.end)).toEqual({ kind: "novma" });
  });

  it("PMD-maps a PMD-sized folio with anon-exclusive on the head", () => {
    const { phys, mm } = setup();
    const vma = mm.mmap(2 * HPAGE_PMD_SIZE, VM_READ);
    const addr = vma.start + HPAGE_PMD_SIZE;
    const folio = fault(phys, mm, vma, addr, 9);
    expect(folio.mapcount).toBe(1);
    expect(folio.refcount).toBe(1);
    const l = mm.lookup(addr + 77 * PAGE_SIZE);
    expect(l).toEqual({ kind: "present", vma, folio, pfn: folio.pfn + 77, pmd: true });
    const e = mm.entryAt(addr);
    expect(e.kind === "present" && e.pmd && !e.writable).toBe(true);
    expect(phys.isAnonExclusive(folio.pfn)).toBe(true);
    expect(phys.isAnonExclusive(folio.pfn + 1)).toBe(false);
  });

  it("rejects a misaligned slot, a mapped slot and a folio that is not fresh", () => {
    const { phys, mm } = setup();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const f = fault(phys, mm, vma, vma.start, 2);
    const g = phys.allocFolio(0, 2) as Folio;
    expect(() => mm.mapFolio(vma, vma.start + PAGE_SIZE, g)).toThrow(/aligned/);
    expect(() => mm.mapFolio(vma, vma.start, g)).toThrow(/already mapped/);
    expect(() => mm.mapFolio(vma, vma.start + 4 * PAGE_SIZE, f)).toThrow(/freshly/);
    const t = phys.allocFolio(0, 9) as Folio;
    expect(() => mm.mapFolio(vma, vma.start, t)).toThrow(/already mapped/);
  });
});

describe("mapFreshPages: a faulted folio whose object is made on first lookup", () => {
  it("leaves the page tables and, once looked up, the folio that mapFolio leaves", () => {
    const folioSpec = fc.record({ order: fc.nat({ max: 8 }), nid: fc.constantFrom(0, 1) });
    fc.assert(
      fc.property(fc.array(folioSpec, { minLength: 1, maxLength: 40 }), (specs) => {
        const eager = setup();
        const lazy = setup();
        const ve = eager.mm.mmap(64 * HPAGE_PMD_SIZE, RW);
        const vl = lazy.mm.mmap(64 * HPAGE_PMD_SIZE, RW);
        const key = lazy.phys.lazyMapping(lazy.mm.anonVmaPrepare(vl), vl.pgoff);
        const folios: Folio[] = [];
        const pfns: number[] = [];
        let offset = 0;
        for (const { order, nid } of specs) {
          const size = PAGE_SIZE << order;
          offset = Math.ceil(offset / size) * size;
          folios.push(fault(eager.phys, eager.mm, ve, ve.start + offset, order, nid));
          const pfn = lazy.phys.allocMappedFolio(nid, order, key, offset / PAGE_SIZE);
          lazy.mm.mapFreshPages(vl, vl.start + offset, pfn, 1 << order);
          pfns.push(pfn);
          offset += size;
        }
        for (let a = 0; a < offset; a += PAGE_SIZE) {
          expect(lazy.mm.entryAt(vl.start + a)).toEqual(eager.mm.entryAt(ve.start + a));
        }
        const state = (f: Folio, world: { phys: PhysMem }, vma: Vma) => ({
          pfn: f.pfn,
          order: f.order,
          nid: f.nid,
          live: f.live,
          refcount: f.refcount,
          mapcount: f.mapcount,
          pins: f.pins,
          flags: f.flags,
          mapping: f.mapping === vma.anonVma,
          index: f.index - vma.pgoff,
          lastCpupid: f.lastCpupid,
          exclusive: world.phys.isAnonExclusive(f.pfn),
        });
        for (let i = 0; i < folios.length; i++) {
          const made = lazy.phys.folioOf(pfns[i] + folios[i].nrPages - 1) as Folio;
          expect(made).toBe(lazy.phys.folioOf(pfns[i]));
          expect(state(made, lazy, vl)).toEqual(state(folios[i], eager, ve));
        }
        lazy.phys.checkNode(0);
        lazy.phys.checkNode(1);
        // Unmapped, they go back to the allocator as any folio does.
        lazy.mm.munmap(vl.start, vl.end - vl.start);
        eager.mm.munmap(ve.start, ve.end - ve.start);
        for (const nid of [0, 1]) {
          lazy.phys.checkNode(nid);
          expect(lazy.phys.freePages(nid)).toBe(eager.phys.freePages(nid));
        }
      }),
      { numRuns: 40 },
    );
  });

  it("makes an untouched lazy folio when a scan lists the live folios", () => {
    const { phys, mm } = setup();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const key = phys.lazyMapping(mm.anonVmaPrepare(vma), vma.pgoff);
    const pfn = phys.allocMappedFolio(1, 2, key, 4);
    mm.mapFreshPages(vma, vma.start + 4 * PAGE_SIZE, pfn, 4);
    const live = [...phys.liveFolios()];
    expect(live.map((f) => [f.pfn, f.order, f.nid, f.index - vma.pgoff])).toEqual([[pfn, 2, 1, 4]]);
    expect(() => phys.allocMappedFolio(0, 9, key, 0)).toThrow(/order 9/);
    expect(() => mm.mapFreshPages(vma, vma.start + PAGE_SIZE, pfn, 4)).toThrow(/aligned/);
  });
});

describe("forEachFolio", () => {
  it("reports each folio once per VMA at its first mapped address, in address order", () => {
    const { phys, mm } = setup();
    const big = mm.mmap(2 * HPAGE_PMD_SIZE, RW);
    const small = mm.mmap(HPAGE_PMD_SIZE, RW);
    const thp = fault(phys, mm, big, big.start + HPAGE_PMD_SIZE, 9);
    const m = fault(phys, mm, small, small.start, 3);
    const p = fault(phys, mm, small, small.start + 9 * PAGE_SIZE, 0);
    // Unmapping the head half of the mTHP leaves its tail half reported at its first page.
    mm.munmap(small.start, 4 * PAGE_SIZE);
    const seen: [number, Folio][] = [];
    mm.forEachFolio((_vma, addr, folio) => seen.push([addr, folio]));
    // The later mmap sits lower.
    expect(seen).toEqual([
      [small.start, m],
      [small.start + 5 * PAGE_SIZE, p],
      [big.start + HPAGE_PMD_SIZE, thp],
    ]);
    expect(small.start).toBe(small.pgoff * PAGE_SIZE);
    expect(m.test(PG.partiallyMapped)).toBe(true);
  });
});

describe("munmap", () => {
  it("drops mappings, frees unreferenced folios and splits the VMA", () => {
    const { phys, mm } = setup();
    const free0 = phys.freePages(0);
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const folios = [0, 1, 2].map((i) => fault(phys, mm, vma, vma.start + i * PAGE_SIZE, 0));
    folios[0].refcount++; // an isolation reference keeps it allocated
    mm.munmap(vma.start, 2 * PAGE_SIZE);
    expect(folios[0].live).toBe(true);
    expect(folios[0].mapcount).toBe(0);
    expect(folios[1].live).toBe(false);
    expect(folios[2].mapcount).toBe(1);
    expect(vma.start).toBe(mm.vmas[0].start);
    expect(vma.pgoff).toBe(vma.start / PAGE_SIZE);
    // A hole in the middle makes two VMAs under one anon_vma.
    mm.munmap(vma.start + 8 * PAGE_SIZE, PAGE_SIZE);
    expect(mm.vmas.length).toBe(2);
    const tail = mm.vmas[1];
    expect(tail.pgoff).toBe(tail.start / PAGE_SIZE);
    expect(vma.anonVma?.vmas).toEqual([vma, tail]);
    mm.munmap(vma.start - 2 * PAGE_SIZE, HPAGE_PMD_SIZE * 2);
    expect(mm.vmas.length).toBe(0);
    expect(vma.anonVma?.vmas).toEqual([]);
    expect(folios[2].live).toBe(false);
    folios[0].refcount--;
    phys.freeFolio(folios[0]);
    expect(phys.freePages(0)).toBe(free0);
  });

  it("splits a partly unmapped huge PMD and queues the THP for deferred split", () => {
    const { phys, mm } = setup();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const thp = fault(phys, mm, vma, vma.start, 9);
    mm.munmap(vma.start + 10 * PAGE_SIZE, 2 * PAGE_SIZE);
    expect(thp.mapcount).toBe(510);
    expect(thp.refcount).toBe(510);
    expect(thp.test(PG.deferredSplit) && thp.test(PG.partiallyMapped)).toBe(true);
    const e = mm.entryAt(vma.start + 100 * PAGE_SIZE);
    expect(e.kind === "present" && !e.pmd && e.pfn === thp.pfn + 100).toBe(true);
    // The head's anon-exclusive bit now holds for every PTE-mapped page.
    expect(phys.isAnonExclusive(thp.pfn + 100)).toBe(true);
    expect(mm.lookup(vma.start + 10 * PAGE_SIZE).kind).toBe("novma");
  });

  it("completes a pending batched TLB flush first", () => {
    const { mm } = setup();
    const vma = mm.mmap(PAGE_SIZE, RW);
    mm.tlbFlushBatched = 3;
    mm.munmap(vma.start, PAGE_SIZE);
    expect(mm.tlbFlushBatched).toBe(3 | (3 << 16));
  });
});

describe("shareRange (fork)", () => {
  it("maps the same folios read-only in both mms", () => {
    const { phys, mm } = setup();
    const child = new MmStruct(2, phys);
    const vma = mm.mmap(2 * HPAGE_PMD_SIZE, RW | VM_LOCKED);
    const small = fault(phys, mm, vma, vma.start, 0);
    const m = fault(phys, mm, vma, vma.start + 16 * PAGE_SIZE, 4);
    const thp = fault(phys, mm, vma, vma.start + HPAGE_PMD_SIZE, 9);
    expect(folioMaybeMappedShared(m)).toBe(false);
    const cv = shareRange(mm, child, vma.start, 2 * HPAGE_PMD_SIZE);
    expect(cv.flags).toBe(RW);
    expect(cv.anonVma).toBe(vma.anonVma);
    expect(vma.anonVma?.vmas).toEqual([vma, cv]);
    expect([small.mapcount, m.mapcount, thp.mapcount]).toEqual([2, 32, 2]);
    expect([small.refcount, m.refcount, thp.refcount]).toEqual([2, 32, 2]);
    for (const a of [vma.start, vma.start + 20 * PAGE_SIZE, vma.start + HPAGE_PMD_SIZE]) {
      const p = mm.entryAt(a);
      const c = child.entryAt(a);
      expect(p.kind === "present" && c.kind === "present" && p.pfn === c.pfn).toBe(true);
      if (p.kind !== "present" || c.kind !== "present") continue;
      expect([p.writable, c.writable]).toEqual([false, false]);
      expect([(p.flags & PTE_YOUNG) !== 0, (c.flags & PTE_YOUNG) !== 0]).toEqual([true, false]);
      expect(phys.isAnonExclusive(p.pfn)).toBe(false);
    }
    expect(folioMaybeMappedShared(small)).toBe(true);
    expect(folioMaybeMappedShared(m)).toBe(true);
    expect(folioMaybeMappedShared(thp)).toBe(true);
    child.munmap(cv.start, 2 * HPAGE_PMD_SIZE);
    expect(folioMaybeMappedShared(m)).toBe(false);
    expect(folioMaybeMappedShared(thp)).toBe(false);
    expect(m.test(PG.partiallyMapped)).toBe(false);
  });

  it("refuses to share a pinned anon-exclusive page", () => {
    const { phys, mm } = setup();
    const child = new MmStruct(2, phys);
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const f = fault(phys, mm, vma, vma.start, 0);
    f.pins++;
    f.refcount++;
    expect(() => shareRange(mm, child, vma.start, PAGE_SIZE)).toThrow(/pinned/);
    expect(child.vmas.length).toBe(0);
    expect(f.mapcount).toBe(1);
  });
});

describe("PmdTable", () => {
  it("answers every lookup, size and iteration as a plain Map would, whatever sets, deletes and clears came between", () => {
    // A few indexes in each of two directories, and the highest a user address has.
    const pmdIdx = fc.constantFrom(0, 1, 511, 512, 513, 2 ** 26 - 1);
    const op = fc.oneof(
      fc.record({ op: fc.constant("get"), idx: pmdIdx }),
      fc.record({ op: fc.constant("set"), idx: pmdIdx }),
      fc.record({ op: fc.constant("delete"), idx: pmdIdx }),
      fc.record({ op: fc.constant("clear"), idx: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const table = new PmdTable();
        const plain = new Map<number, HugePmd>();
        for (const [i, { op, idx }] of ops.entries()) {
          if (op === "set") {
            const slot = new HugePmd(i, 0);
            table.set(idx, slot);
            plain.set(idx, slot);
          } else if (op === "delete") {
            expect(table.delete(idx)).toBe(plain.delete(idx));
          } else if (op === "clear") {
            table.clear();
            plain.clear();
          }
          expect(table.get(idx)).toBe(plain.get(idx));
          // Iteration order too (first set first), through deletions and the compactions
          // they bring.
          expect([...table]).toEqual([...plain]);
          expect(table.size).toBe(plain.size);
        }
      }),
    );
  });
});

describe("pteIndex", () => {
  it("is the page's index in its PTE table at any address up to TASK_SIZE", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 - 1 }), (addr) => {
        expect(pteIndex(addr)).toBe(Math.floor(addr / PAGE_SIZE) % 512);
      }),
    );
  });
});

describe("splitVma (__split_vma)", () => {
  it("cuts a VMA in two that share its flags, anon_vma, policy and linear page offsets", () => {
    const { phys, mm } = setup();
    const vma = mm.mmap(4 * HPAGE_PMD_SIZE, RW);
    const folio = fault(phys, mm, vma, vma.start + HPAGE_PMD_SIZE, 0);
    vma.policy = { mode: 2, nodes: [1] };
    const { start, end, pgoff } = vma;
    const below = mm.splitVma(vma, start + HPAGE_PMD_SIZE, true);
    expect([below.start, below.end, below.pgoff]).toEqual([start, start + HPAGE_PMD_SIZE, pgoff]);
    expect([vma.start, vma.end, vma.pgoff]).toEqual([
      start + HPAGE_PMD_SIZE,
      end,
      pgoff + HPAGE_PMD_SIZE / PAGE_SIZE,
    ]);
    const above = mm.splitVma(vma, end - PAGE_SIZE, false);
    expect([above.start, above.end, above.pgoff]).toEqual([
      end - PAGE_SIZE,
      end,
      pgoff + (end - PAGE_SIZE - start) / PAGE_SIZE,
    ]);
    expect(mm.vmas).toEqual([below, vma, above]);
    for (const v of mm.vmas) {
      expect(v.flags).toBe(RW);
      expect(v.anonVma).toBe(below.anonVma);
      expect(v.policy).toEqual({ mode: 2, nodes: [1] });
    }
    expect(below.anonVma?.vmas).toHaveLength(3);
    expect(mm.findVma(start + HPAGE_PMD_SIZE)).toBe(vma);
    // The folio's index still names its address in whichever VMA maps it now.
    expect(vma.start + (folio.index - vma.pgoff) * PAGE_SIZE).toBe(start + HPAGE_PMD_SIZE);
  });

  it("splits a huge PMD across the cut into 512 PTEs of the same THP, mapped from both sides", () => {
    const { phys, mm } = setup();
    const vma = mm.mmap(2 * HPAGE_PMD_SIZE, RW);
    const thp = fault(phys, mm, vma, vma.start, 9);
    const cut = vma.start + 100 * PAGE_SIZE;
    const above = mm.splitVma(vma, cut, false);
    expect(mm.pmds.get(Math.floor(vma.start / HPAGE_PMD_SIZE))).not.toBeInstanceOf(HugePmd);
    expect([thp.order, thp.mapcount, thp.refcount]).toEqual([9, 512, 512]);
    const seen = new Set<Vma>();
    walkFolioMappings(thp, (v, i, pmd) => {
      expect(pmd).toBe(false);
      expect(v).toBe(i < 100 ? vma : above);
      seen.add(v);
    });
    expect(seen.size).toBe(2);
    expect(mm.lookup(cut)).toMatchObject({ kind: "present", vma: above, folio: thp });
  });

  it("refuses a cut that is not a page boundary strictly inside the VMA", () => {
    const { mm } = setup();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    expect(() => mm.splitVma(vma, vma.start, true)).toThrow("is not a page boundary inside");
    expect(() => mm.splitVma(vma, vma.end, false)).toThrow("is not a page boundary inside");
    expect(() => mm.splitVma(vma, vma.start + 100, false)).toThrow("is not a page boundary");
  });
});

describe("mapFreshRun: a page table's worth of faulted 4K pages at once", () => {
  it("leaves the PTEs and anon-exclusive bits that mapFreshPages leaves page by page", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 511 }),
        fc.array(fc.constantFrom(0, 1), { minLength: 1, maxLength: 512 }),
        (first, nids) => {
          const n = Math.min(nids.length, 512 - first);
          const one = setup();
          const run = setup();
          const v1 = one.mm.mmap(2 * HPAGE_PMD_SIZE, RW);
          const vr = run.mm.mmap(2 * HPAGE_PMD_SIZE, RW);
          const k1 = one.phys.lazyMapping(one.mm.anonVmaPrepare(v1), v1.pgoff);
          const kr = run.phys.lazyMapping(run.mm.anonVmaPrepare(vr), vr.pgoff);
          // A table-aligned start, so [first, first + n) is in one table.
          const base = Math.ceil(v1.start / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE - v1.start;
          const pfns = new Int32Array(n);
          for (let i = 0; i < n; i++) {
            const delta = base / PAGE_SIZE + first + i;
            const p1 = one.phys.allocMappedFolio(nids[i], 0, k1, delta);
            one.mm.mapFreshPages(v1, v1.start + delta * PAGE_SIZE, p1, 1);
            pfns[i] = run.phys.allocMappedFolio(nids[i], 0, kr, delta);
          }
          run.mm.mapFreshRun(vr, vr.start + base + first * PAGE_SIZE, pfns, n);
          for (let a = 0; a < vr.end - vr.start; a += PAGE_SIZE) {
            expect(run.mm.entryAt(vr.start + a)).toEqual(one.mm.entryAt(v1.start + a));
          }
          for (const p of pfns) {
            expect(run.phys.isAnonExclusive(p)).toBe(true);
            expect(run.phys.folioOf(p)?.mapcount).toBe(1);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("refuses pages in two tables", () => {
    const { phys, mm } = setup();
    const vma = mm.mmap(4 * HPAGE_PMD_SIZE, RW);
    const start =
      Math.ceil(vma.start / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE + HPAGE_PMD_SIZE - PAGE_SIZE;
    const key = phys.lazyMapping(mm.anonVmaPrepare(vma), vma.pgoff);
    const pfns = Int32Array.of(
      phys.allocMappedFolio(0, 0, key, 0),
      phys.allocMappedFolio(0, 0, key, 1),
    );
    expect(() => mm.mapFreshRun(vma, start, pfns, 2)).toThrow(/one table/);
    // A page the allocator did not give is no folio's: no anon-exclusive bit for it.
    const free = Int32Array.of(pfns[1] + 1);
    expect(() => mm.mapFreshRun(vma, start + PAGE_SIZE, free, 1)).toThrow(/not in a folio/);
  });
});

import { describe, expect, it } from "vitest";
import { EAGAIN, EBUSY } from "./errno.js";
import { type Folio, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from "./folio.js";
import { removeMigrationPtes, splitFolio, tryToMigrate } from "./rmap.js";
import { Task } from "./task.js";
import { bootMm } from "./test-fixture.js";
import { TLB_LOCAL_MM_SHOOTDOWN, TLB_REMOTE_SEND_IPI, tryToUnmapFlush } from "./tlb.js";
import {
  type MmContext,
  MmStruct,
  PTE_DIRTY,
  PTE_MIG_READ_EXCLUSIVE,
  PTE_MIG_WRITE,
  PTE_MIGRATION,
  PTE_PRESENT,
  PTE_WRITE,
  PTE_YOUNG,
  type PteTable,
  pmdIndex,
  pteIndex,
  pteValue,
  shareRange,
  VM_READ,
  VM_WRITE,
  type Vma,
} from "./vm.js";

const RW = VM_READ | VM_WRITE;

function fault(ctx: MmContext, mm: MmStruct, vma: Vma, addr: number, order: number): Folio {
  const folio = ctx.phys.allocFolio(0, order) as Folio;
  mm.mapFolio(vma, addr, folio, { dirty: true });
  return folio;
}

/** The successful end of a move: the destination takes over the source's identity. */
function commit(src: Folio, dst: Folio): void {
  dst.mapping = src.mapping;
  dst.index = src.index;
  dst.flags |= src.flags & PG.dirty;
}

function ptes(mm: MmStruct, addr: number, n: number) {
  return Array.from({ length: n }, (_, i) => mm.entryAt(addr + i * PAGE_SIZE));
}

describe("tryToMigrate + removeMigrationPtes", () => {
  for (const order of [0, 4, 9]) {
    it(`moves an order-${order} folio's mappings to a new folio`, () => {
      const { phys, ctx, mm, task } = bootMm();
      const vma = mm.mmap(2 * HPAGE_PMD_SIZE, RW);
      const addr = vma.start + HPAGE_PMD_SIZE;
      const src = fault(ctx, mm, vma, addr, order);
      const n = src.nrPages;
      src.refcount++; // isolation
      const r = tryToMigrate(src, task, false, ctx);
      expect(r.ptes + r.pmds).toBe(order === 9 ? 1 : n);
      expect(r.pmds).toBe(order === 9 ? 1 : 0);
      expect(src.mapcount).toBe(0);
      expect(src.refcount).toBe(1);
      expect(src.test(PG.dirty)).toBe(true);
      for (const [i, e] of ptes(mm, addr, n).entries()) {
        expect(e).toMatchObject({ kind: "migration", pfn: src.pfn + i, writable: true });
        expect(phys.isAnonExclusive(src.pfn + i)).toBe(false);
      }
      const dst = phys.allocFolio(1, order) as Folio;
      commit(src, dst);
      const back = removeMigrationPtes(src, dst, ctx);
      expect(back).toEqual({ ptes: r.ptes, pmds: r.pmds });
      expect(dst.mapcount).toBe(order === 9 ? 1 : n);
      expect(dst.refcount).toBe(dst.mapcount + 1);
      for (const [i, e] of ptes(mm, addr, n).entries()) {
        expect(e).toMatchObject({ kind: "present", pfn: dst.pfn + i, writable: true });
        if (e.kind === "present")
          expect(e.flags & (PTE_DIRTY | PTE_YOUNG)).toBe(PTE_DIRTY | PTE_YOUNG);
      }
      expect(phys.isAnonExclusive(dst.pfn)).toBe(true);
      expect(mm.lookup(addr).kind === "present" && mm.lookup(addr)).toMatchObject({ folio: dst });
    });
  }

  it("undoes to the source, restoring the counts it started with", () => {
    const { phys, ctx, mm, task } = bootMm();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const src = fault(ctx, mm, vma, vma.start, 4);
    src.refcount++;
    const before = ptes(mm, vma.start, 16);
    tryToMigrate(src, task, true, ctx);
    expect(removeMigrationPtes(src, src, ctx)).toEqual({ ptes: 16, pmds: 0 });
    expect(ptes(mm, vma.start, 16)).toEqual(before);
    expect([src.mapcount, src.refcount]).toEqual([16, 17]);
    expect(phys.isAnonExclusive(src.pfn + 15)).toBe(true);
  });

  it("keeps read-only exclusive pages exclusive, and old or clean entries so", () => {
    const { phys, ctx, mm, task } = bootMm();
    const vma = mm.mmap(HPAGE_PMD_SIZE, VM_READ);
    const src = fault(ctx, mm, vma, vma.start, 2);
    const t = mm.pmds.get(pmdIndex(vma.start)) as PteTable;
    const k = pteIndex(vma.start);
    t.flags[k + 1] &= ~PTE_YOUNG;
    tryToMigrate(src, task, false, ctx);
    const e = mm.entryAt(vma.start);
    expect(e.kind === "migration" && !e.writable && e.flags & PTE_MIG_READ_EXCLUSIVE).toBeTruthy();
    const dst = phys.allocFolio(0, 2) as Folio;
    dst.mapping = src.mapping;
    dst.index = src.index;
    // A clean destination gets clean PTEs even from dirty entries.
    removeMigrationPtes(src, dst, ctx);
    const [p0, p1] = ptes(mm, vma.start, 2);
    expect(p0).toMatchObject({ kind: "present", writable: false, flags: expect.any(Number) });
    if (p0.kind !== "present" || p1.kind !== "present") throw new Error("not present");
    expect(p0.flags & (PTE_DIRTY | PTE_YOUNG)).toBe(PTE_YOUNG);
    expect(p1.flags & PTE_YOUNG).toBe(0);
    expect(phys.isAnonExclusive(dst.pfn + 1)).toBe(true);
  });

  it("unmaps a forked folio from both mms and remaps both read-only, shared", () => {
    const { phys, ctx, mm, task } = bootMm();
    const child = new MmStruct(2, phys);
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const src = fault(ctx, mm, vma, vma.start + 8 * PAGE_SIZE, 3);
    shareRange(mm, child, vma.start, HPAGE_PMD_SIZE);
    src.refcount++;
    expect(tryToMigrate(src, task, false, ctx).ptes).toBe(16);
    expect([src.mapcount, src.refcount]).toEqual([0, 1]);
    for (const m of [mm, child]) {
      const e = m.entryAt(vma.start + 9 * PAGE_SIZE);
      expect(e).toMatchObject({ kind: "migration", pfn: src.pfn + 1, writable: false });
      expect(e.kind === "migration" && e.flags & (PTE_MIG_WRITE | PTE_MIG_READ_EXCLUSIVE)).toBe(0);
    }
    const dst = phys.allocFolio(1, 3) as Folio;
    commit(src, dst);
    expect(removeMigrationPtes(src, dst, ctx).ptes).toBe(16);
    expect([dst.mapcount, dst.refcount]).toEqual([16, 17]);
    expect(child.lookup(vma.start + 15 * PAGE_SIZE)).toMatchObject({
      folio: dst,
      pfn: dst.pfn + 7,
    });
    expect(phys.isAnonExclusive(dst.pfn)).toBe(false);
  });

  it("stops at an anon-exclusive page of a pinned folio, leaving it mapped", () => {
    const { phys, ctx, mm, task } = bootMm();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const src = fault(ctx, mm, vma, vma.start, 4);
    // Pages 0-2 were shared once (no longer exclusive); page 3 is exclusive.
    for (let i = 0; i < 3; i++) phys.setAnonExclusive(src.pfn + i, false);
    src.pins = 1;
    src.refcount += 2; // the pin and the isolation
    const r = tryToMigrate(src, task, false, ctx);
    expect(r.ptes).toBe(3);
    expect([src.mapcount, src.refcount]).toEqual([13, 15]);
    expect(mm.entryAt(vma.start + 3 * PAGE_SIZE)).toMatchObject({
      kind: "present",
      writable: true,
    });
    expect(phys.isAnonExclusive(src.pfn + 3)).toBe(true);
    expect(removeMigrationPtes(src, src, ctx).ptes).toBe(3);
    expect([src.mapcount, src.refcount]).toEqual([16, 18]);
  });

  it("leaves a pinned PMD-mapped THP mapped", () => {
    const { ctx, mm, task } = bootMm();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const thp = fault(ctx, mm, vma, vma.start, 9);
    thp.pins = 1;
    thp.refcount += 2;
    expect(tryToMigrate(thp, task, true, ctx).pmds).toBe(0);
    expect(mm.entryAt(vma.start)).toMatchObject({ kind: "present", pmd: true, writable: true });
    expect(thp.mapcount).toBe(1);
  });
});

describe("TLB flushes during try_to_migrate", () => {
  it("defers when batching and the mm is live on another CPU", () => {
    const { ctx, mm, task } = bootMm();
    mm.cpuMask.add(1).add(2);
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const f = fault(ctx, mm, vma, vma.start, 2);
    const r = tryToMigrate(f, task, true, ctx);
    expect(r).toEqual({ ptes: 4, pmds: 0, localFlushes: 0, ipis: 0 });
    expect(task.tlbUbc).toEqual({ flushRequired: true, writable: true, cpus: new Set([1, 2]) });
    expect(mm.tlbFlushBatched).toBe(4);
    expect(tryToUnmapFlush(task, ctx)).toEqual({ flushed: true, ipis: 2 });
    expect(task.tlbUbc).toEqual({ flushRequired: false, writable: false, cpus: new Set() });
    expect(tryToUnmapFlush(task, ctx)).toEqual({ flushed: false, ipis: 0 });
    expect(ctx.vmstat.events.nr_tlb_remote_flush_received).toBe(2);
  });

  it("flushes at once without batching, or when the mm is live only here", () => {
    const { ctx, mm, task } = bootMm();
    const vma = mm.mmap(2 * HPAGE_PMD_SIZE, RW);
    const f = fault(ctx, mm, vma, vma.start, 2);
    expect(tryToMigrate(f, task, true, ctx)).toEqual({
      ptes: 4,
      pmds: 0,
      localFlushes: 4,
      ipis: 0,
    });
    removeMigrationPtes(f, f, ctx);
    mm.cpuMask.add(3);
    expect(tryToMigrate(f, task, false, ctx)).toEqual({
      ptes: 4,
      pmds: 0,
      localFlushes: 4,
      ipis: 4,
    });
    expect(task.tlbUbc.flushRequired).toBe(false);
    // A PMD is always flushed at once.
    const thp = fault(ctx, mm, vma, vma.start + HPAGE_PMD_SIZE, 9);
    expect(tryToMigrate(thp, task, true, ctx)).toEqual({
      ptes: 0,
      pmds: 1,
      localFlushes: 1,
      ipis: 1,
    });
    expect(ctx.vmstat.events.nr_tlb_local_flush_one).toBe(9);
  });

  it("defers to the mm's CPUs when the migrating task runs elsewhere", () => {
    const { ctx, mm } = bootMm();
    const kthread = new Task(99, 5, null);
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const f = fault(ctx, mm, vma, vma.start, 0);
    expect(tryToMigrate(f, kthread, true, ctx).localFlushes).toBe(0);
    expect(kthread.tlbUbc.cpus).toEqual(new Set([0]));
  });
});

describe("tracepoints", () => {
  it("emit set/remove_migration_pte with the tail-page order quirk", () => {
    const { phys, ctx, mm, task } = bootMm();
    let now = 100;
    ctx.trace.enabled = true;
    ctx.trace.clock = () => now++;
    mm.cpuMask.add(1);
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const src = fault(ctx, mm, vma, vma.start, 1);
    tryToMigrate(src, task, false, ctx);
    const dst = phys.allocFolio(0, 1) as Folio;
    commit(src, dst);
    removeMigrationPtes(src, dst, ctx);
    const ev = ctx.trace.events.map((e) => [e.name, e.fields]);
    expect(ev).toEqual([
      ["tlb_flush", { reason: TLB_REMOTE_SEND_IPI, pages: 1 }],
      ["tlb_flush", { reason: TLB_LOCAL_MM_SHOOTDOWN, pages: 1 }],
      ["set_migration_pte", { addr: vma.start, pte: expect.any(Number), order: 1 }],
      ["tlb_flush", { reason: TLB_REMOTE_SEND_IPI, pages: 1 }],
      ["tlb_flush", { reason: TLB_LOCAL_MM_SHOOTDOWN, pages: 1 }],
      ["set_migration_pte", { addr: vma.start + PAGE_SIZE, pte: expect.any(Number), order: 1 }],
      ["remove_migration_pte", { addr: vma.start, pte: expect.any(Number), order: 1 }],
      ["remove_migration_pte", { addr: vma.start + PAGE_SIZE, pte: expect.any(Number), order: 0 }],
    ]);
    const migration = PTE_MIGRATION | PTE_MIG_WRITE | PTE_YOUNG | PTE_DIRTY;
    expect(ctx.trace.events[2].fields.pte).toBe(pteValue(src.pfn, migration));
    const present = PTE_PRESENT | PTE_WRITE | PTE_YOUNG | PTE_DIRTY;
    expect(ctx.trace.events[7].fields.pte).toBe(pteValue(dst.pfn + 1, present));
    expect(ctx.trace.events.map((x) => x.ts)).toEqual([100, 101, 102, 103, 104, 105, 106, 107]);
  });

  it("records nothing while disabled", () => {
    const { ctx, mm, task } = bootMm();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const f = fault(ctx, mm, vma, vma.start, 3);
    tryToMigrate(f, task, false, ctx);
    removeMigrationPtes(f, f, ctx);
    expect(ctx.trace.events).toEqual([]);
  });
});

describe("splitFolio", () => {
  it("splits a PTE-mapped folio into mapped order-0 pieces", () => {
    const { ctx, mm } = bootMm();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const f = fault(ctx, mm, vma, vma.start + 16 * PAGE_SIZE, 4);
    f.refcount++;
    f.set(PG.locked | PG.deferredSplit | PG.partiallyMapped);
    const pieces = splitFolio(f, ctx) as Folio[];
    expect(pieces.length).toBe(16);
    for (const [i, p] of pieces.entries()) {
      expect([p.order, p.pfn, p.mapcount, p.refcount, p.index]).toEqual([
        0,
        f.pfn + i,
        1,
        2,
        f.index + i,
      ]);
      expect(p.mapping).toBe(f.mapping);
      expect(p.test(PG.locked)).toBe(i === 0);
      expect(p.test(PG.deferredSplit)).toBe(false);
      expect(mm.lookup(vma.start + (16 + i) * PAGE_SIZE)).toMatchObject({ folio: p });
    }
    expect(ctx.vmstat.events.thp_split_page).toBe(0);
  });

  it("splits the PMDs of a shared THP first", () => {
    const { phys, ctx, mm } = bootMm();
    const child = new MmStruct(2, phys);
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const thp = fault(ctx, mm, vma, vma.start, 9);
    shareRange(mm, child, vma.start, HPAGE_PMD_SIZE);
    thp.refcount++;
    const pieces = splitFolio(thp, ctx) as Folio[];
    expect(pieces.length).toBe(512);
    expect(pieces.every((p) => p.mapcount === 2 && p.refcount === 3)).toBe(true);
    for (const m of [mm, child]) {
      expect(m.entryAt(vma.start + 300 * PAGE_SIZE)).toMatchObject({
        kind: "present",
        pmd: false,
        pfn: thp.pfn + 300,
      });
    }
    expect(ctx.vmstat.events.thp_split_page).toBe(1);
  });

  it("propagates anon-exclusive from a split PMD to every page", () => {
    const { phys, ctx, mm } = bootMm();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const thp = fault(ctx, mm, vma, vma.start, 9);
    thp.refcount++;
    splitFolio(thp, ctx);
    expect(phys.isAnonExclusive(thp.pfn + 511)).toBe(true);
  });

  it("refuses a pinned folio, extra references and a folio never mapped", () => {
    const { phys, ctx, mm } = bootMm();
    const vma = mm.mmap(HPAGE_PMD_SIZE, RW);
    const f = fault(ctx, mm, vma, vma.start, 2);
    f.refcount += 2;
    expect(splitFolio(f, ctx)).toBe(-EAGAIN);
    f.pins = 1;
    expect(splitFolio(f, ctx)).toBe(-EAGAIN);
    expect(f.live).toBe(true);
    expect(splitFolio(phys.allocFolio(0, 2) as Folio, ctx)).toBe(-EBUSY);
  });
});

/**
 * Random sequences of fault / fork / munmap / pin / migrate / undo / split over two address
 * spaces, checking after every step that the page tables and the folio counters agree.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Folio, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from "./folio.js";
import { PhysMem } from "./phys.js";
import { removeMigrationPtes, splitFolio, tryToMigrate } from "./rmap.js";
import { Task } from "./task.js";
import { tryToUnmapFlush } from "./tlb.js";
import { Tracer } from "./trace.js";
import {
  HugePmd,
  type MmContext,
  MmStruct,
  PTE_PRESENT,
  PTE_WRITE,
  PTRS_PER_PTE,
  shareRange,
  VM_READ,
  VM_WRITE,
} from "./vm.js";
import { Vmstat } from "./vmstat.js";

type Op =
  | { t: "map"; mm: number; order: number; nid: number; dirty: boolean }
  | { t: "share"; vma: number }
  | { t: "munmap"; vma: number; off: number; len: number }
  | { t: "pin"; folio: number; on: boolean }
  | {
      t: "migrate";
      folio: number;
      batch: boolean;
      commit: boolean;
      /** Hold a GUP pin across the attempt. */
      pinned: boolean;
      midway: "none" | "share" | "munmap";
    }
  | { t: "split"; folio: number; pinned: boolean };

const pick = fc.nat({ max: 1000 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("map" as const),
      mm: fc.nat({ max: 1 }),
      order: fc.constantFrom(0, 1, 4, 9),
      nid: fc.nat({ max: 1 }),
      dirty: fc.boolean(),
    }),
  },
  fc.record({ t: fc.constant("share" as const), vma: pick }),
  fc.record({
    t: fc.constant("munmap" as const),
    vma: pick,
    off: fc.nat({ max: 600 }),
    len: fc.integer({ min: 1, max: 600 }),
  }),
  fc.record({ t: fc.constant("pin" as const), folio: pick, on: fc.boolean() }),
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant("migrate" as const),
      folio: pick,
      batch: fc.boolean(),
      commit: fc.boolean(),
      pinned: fc.boolean(),
      midway: fc.constantFrom("none" as const, "share" as const, "munmap" as const),
    }),
  },
  fc.record({ t: fc.constant("split" as const), folio: pick, pinned: fc.boolean() }),
);

/** How often each interesting path ran, to show the generator reaches them. */
const seen = {
  committed: 0,
  undone: 0,
  stoppedByPin: 0,
  pmdMigrated: 0,
  sharedWhileUnmapped: 0,
  split: 0,
  splitRefused: 0,
};

/** A plain throw: expect() per page-table entry would dominate the run time. */
function ok(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

function pin(f: Folio, delta: number): void {
  f.pins += delta;
  f.refcount += delta;
}

class World {
  readonly phys = new PhysMem([
    { nid: 0, bytes: 32 << 20 },
    { nid: 1, bytes: 32 << 20 },
  ]);
  readonly ctx: MmContext = { phys: this.phys, trace: new Tracer(), vmstat: new Vmstat() };
  readonly mms = [new MmStruct(1, this.phys), new MmStruct(2, this.phys)];
  readonly tasks = this.mms.map((mm, i) => new Task(i + 1, i, mm));
  readonly initialFree = [this.phys.freePages(0), this.phys.freePages(1)];

  constructor() {
    this.mms[0].cpuMask.add(0).add(2);
    this.mms[1].cpuMask.add(1);
  }

  vmas() {
    return this.mms.flatMap((mm) => mm.vmas);
  }

  mappedFolios(): Folio[] {
    return [...this.phys.liveFolios()].filter((f) => f.mapcount > 0);
  }

  /** isolate_lru_folio(): the caller's reference. */
  isolate(f: Folio): void {
    f.clear(PG.lru);
    f.refcount++;
  }

  putback(f: Folio): void {
    f.set(PG.lru);
    f.refcount--;
    if (f.refcount === 0) this.phys.freeFolio(f);
  }

  apply(op: Op): void {
    const { phys, ctx } = this;
    switch (op.t) {
      case "map": {
        const folio = phys.allocFolio(op.nid, op.order);
        if (folio === null) return;
        const mm = this.mms[op.mm];
        const vma = mm.mmap(folio.sizeBytes, VM_READ | VM_WRITE);
        mm.mapFolio(vma, vma.start, folio, { dirty: op.dirty });
        return;
      }
      case "share": {
        const vmas = this.vmas();
        if (vmas.length === 0) return;
        const v = vmas[op.vma % vmas.length];
        const other = this.mms[v.mm === this.mms[0] ? 1 : 0];
        if (other.vmas.some((o) => o.start < v.end && v.start < o.end)) return;
        try {
          shareRange(v.mm, other, v.start, v.end - v.start);
        } catch (e) {
          // Forking a pinned exclusive page is outside the model; nothing must have changed.
          expect(String(e)).toMatch(/pinned/);
        }
        return;
      }
      case "munmap": {
        const vmas = this.vmas();
        if (vmas.length === 0) return;
        const v = vmas[op.vma % vmas.length];
        const pages = (v.end - v.start) / PAGE_SIZE;
        const off = op.off % pages;
        v.mm.munmap(v.start + off * PAGE_SIZE, op.len * PAGE_SIZE);
        return;
      }
      case "pin": {
        const folios = this.mappedFolios().filter((f) => op.on || f.pins > 0);
        if (folios.length === 0) return;
        const f = folios[op.folio % folios.length];
        pin(f, op.on ? 1 : -1);
        return;
      }
      case "migrate": {
        const folios = this.mappedFolios();
        if (folios.length === 0) return;
        const src = folios[op.folio % folios.length];
        const task = this.tasks[op.folio % 2];
        const dst = phys.allocFolio(src.nid ^ 1, src.order);
        if (dst === null) return;
        this.isolate(src);
        if (op.pinned) pin(src, 1);
        const r = tryToMigrate(src, task, op.batch, ctx);
        if (src.mapcount > 0) seen.stoppedByPin++;
        if (r.pmds > 0) seen.pmdMigrated++;
        tryToUnmapFlush(task, ctx);
        expect(task.tlbUbc.flushRequired).toBe(false);
        if (src.mapcount === 0) this.midway(op.midway, src);
        const success = op.commit && src.mapcount === 0 && src.refcount === 1;
        if (success) {
          dst.mapping = src.mapping;
          dst.index = src.index;
          dst.flags |= src.flags & (PG.dirty | PG.swapbacked | PG.uptodate);
          removeMigrationPtes(src, dst, ctx);
          dst.set(PG.lru);
          dst.refcount--;
          if (dst.refcount === 0) phys.freeFolio(dst);
          src.refcount--;
          expect(src.refcount).toBe(0);
          phys.freeFolio(src);
          seen.committed++;
        } else {
          seen.undone++;
          removeMigrationPtes(src, src, ctx);
          dst.refcount--;
          phys.freeFolio(dst);
          if (op.pinned) pin(src, -1);
          this.putback(src);
        }
        return;
      }
      case "split": {
        const folios = this.mappedFolios().filter((f) => f.isLarge);
        if (folios.length === 0) return;
        const f = folios[op.folio % folios.length];
        this.isolate(f);
        if (op.pinned) pin(f, 1);
        const expectOk = f.pins === 0;
        const pieces = splitFolio(f, ctx);
        if (typeof pieces === "number") {
          expect(expectOk).toBe(false);
          seen.splitRefused++;
          if (op.pinned) pin(f, -1);
          this.putback(f);
          return;
        }
        expect(expectOk).toBe(true);
        seen.split++;
        expect(pieces.length).toBe(f.nrPages);
        for (const p of pieces) this.putback(p);
      }
    }
  }

  /** Page-table changes while the folio's mappings are migration entries. */
  private midway(what: "none" | "share" | "munmap", src: Folio): void {
    const v = this.vmas().find((x) => x.anonVma === src.mapping);
    if (v === undefined || what === "none") return;
    if (what === "munmap") {
      v.mm.munmap(v.start, PAGE_SIZE);
      return;
    }
    const other = this.mms[v.mm === this.mms[0] ? 1 : 0];
    if (other.vmas.some((o) => o.start < v.end && v.start < o.end)) return;
    try {
      shareRange(v.mm, other, v.start, v.end - v.start);
      seen.sharedWhileUnmapped++;
    } catch (e) {
      expect(String(e)).toMatch(/pinned/);
    }
  }

  /** Every entry maps the right page of a live folio; counters match the page tables. */
  check(): void {
    const mappings = new Map<Folio, number>();
    const mmsOfPfn = new Map<number, Set<MmStruct>>();
    const visit = (mm: MmStruct, addr: number, pfn: number, flags: number, pmd: boolean) => {
      const where = `mm ${mm.id} ${addr.toString(16)}`;
      // Migrations run to completion inside one step.
      ok(flags & PTE_PRESENT, `${where}: entry left non-present`);
      const vma = mm.findVma(addr);
      const folio = this.phys.folioOf(pfn);
      ok(vma !== undefined, `${where}: entry outside any VMA`);
      ok(folio?.live, `${where}: entry maps pfn ${pfn}, not a live folio`);
      if (vma === undefined || folio === undefined) return;
      ok(folio.mapping === vma.anonVma && vma.anonVma?.vmas.includes(vma), `${where}: rmap`);
      const linear = vma.pgoff + (addr - vma.start) / PAGE_SIZE;
      ok(folio.index + (pfn - folio.pfn) === linear, `${where}: page index`);
      ok(!pmd || pfn === folio.pfn, `${where}: huge PMD not at the folio head`);
      mappings.set(folio, (mappings.get(folio) ?? 0) + 1);
      const owners = mmsOfPfn.get(pfn) ?? new Set();
      owners.add(mm);
      mmsOfPfn.set(pfn, owners);
      // A writable anonymous mapping is always of an exclusive page.
      ok(!(flags & PTE_WRITE) || this.phys.isAnonExclusive(pfn), `${where}: writable, shared`);
    };
    for (const mm of this.mms) {
      for (const [idx, slot] of mm.pmds) {
        const base = idx * HPAGE_PMD_SIZE;
        if (slot instanceof HugePmd) {
          visit(mm, base, slot.pfn, slot.flags, true);
          continue;
        }
        let used = 0;
        for (let k = 0; k < PTRS_PER_PTE; k++) {
          if (slot.flags[k] === 0) continue;
          used++;
          visit(mm, base + k * PAGE_SIZE, slot.pfn[k], slot.flags[k], false);
        }
        ok(slot.used === used, `mm ${mm.id} PMD ${idx}: used ${slot.used}, counted ${used}`);
      }
    }
    for (const [pfn, owners] of mmsOfPfn) {
      ok(owners.size === 1 || !this.phys.isAnonExclusive(pfn), `pfn ${pfn}: shared, exclusive`);
    }
    for (const f of this.phys.liveFolios()) {
      const counted = mappings.get(f) ?? 0;
      ok(f.mapcount === counted, `pfn ${f.pfn}: mapcount ${f.mapcount}, ${counted} mappings`);
      ok(f.refcount === f.mapcount + f.pins, `pfn ${f.pfn}: refcount ${f.refcount}`);
      ok(f.test(PG.lru), `pfn ${f.pfn}: not back on the LRU`);
    }
  }

  /** Unmap everything: with pins dropped, every folio must go back to the allocator. */
  teardown(): void {
    for (const f of [...this.phys.liveFolios()]) {
      f.refcount -= f.pins;
      f.pins = 0;
      // An unmapped folio that only pins kept alive.
      if (f.refcount === 0) this.phys.freeFolio(f);
    }
    for (const mm of this.mms) mm.munmap(0x10000, 2 ** 47 - 0x20000);
    expect([...this.phys.liveFolios()]).toEqual([]);
    expect([this.phys.freePages(0), this.phys.freePages(1)]).toEqual(this.initialFree);
  }
}

describe("rmap property", () => {
  it("keeps refcount == mapcount + pins and entries consistent under random sequences", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 40 }), (ops) => {
        const w = new World();
        for (const op of ops) {
          w.apply(op);
          w.check();
        }
        w.teardown();
      }),
      { numRuns: 200 },
    );
    for (const [path, n] of Object.entries(seen)) expect(n, path).toBeGreaterThan(0);
  });
});

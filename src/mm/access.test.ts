import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AccessMass,
  folioMarkDirty,
  folioMkclean,
  folioReferenced,
  type MmAccessModel,
  pmdpGet,
  pmdpTestAndClearYoung,
  ptepGet,
  ptepTestAndClearYoung,
  type ReferencedInfo,
} from "./access.js";
import { type Folio, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from "./folio.js";
import {
  pmdMkold,
  pmdYoung,
  pteDirty,
  pteMkaccessible,
  pteMkclean,
  pteMkdirty,
  pteMkold,
  pteMkprotnone,
  pteMkyoung,
  ptePresent,
  pteProtnone,
  pteYoung,
} from "./pgtable.js";
import { removeMigrationPtes, tryToMigrate } from "./rmap.js";
import { entryFlags, mmFixture } from "./test-fixture.js";
import {
  MmStruct,
  PTE_DIRTY,
  PTE_PRESENT,
  PTE_SOFT_DIRTY,
  PTE_YOUNG,
  type PteTable,
  pmdIndex,
  pteIndex,
  shareRange,
  VM_LOCKED,
  VM_READ,
  VM_WRITE,
  type Vma,
} from "./vm.js";

const _RW = VM_READ | VM_WRITE;

/**
 * Every page of the mm is accessed at `rate` per ns, a `writeShare` of them writes: the
 * simplest access model, whose bits have a closed form (1 - e^-(rate * window)).
 */
class SteadyAccesses implements MmAccessModel {
  clock = 0;
  readonly armed: { addr: number; nrPages: number; pmd: boolean }[] = [];
  constructor(
    readonly seed: number,
    private readonly rate: number,
    private readonly writeShare: number,
  ) {}
  now(): number {
    return this.clock;
  }
  expected(_addr: number, nrPages: number, from: number, to: number, out: AccessMass): void {
    out.accesses = this.rate * nrPages * (to - from);
    out.writes = out.accesses * this.writeShare;
  }
  armHintFault(_vma: Vma, addr: number, _folio: Folio, nrPages: number, pmd: boolean): void {
    this.armed.push({ addr, nrPages, pmd });
  }
}

const setup = mmFixture;

describe("page-table bit operations (pgtable.ts)", () => {
  it("set and clear young, dirty and PROT_NONE, the PMD twins alike", () => {
    const p = PTE_PRESENT;
    expect(pteYoung(pteMkyoung(p))).toBe(true);
    expect(pteYoung(pteMkold(pteMkyoung(p)))).toBe(false);
    expect(pteDirty(pteMkdirty(p))).toBe(true);
    // x86's pte_mkdirty() sets soft-dirty with the dirty bit; pte_mkclean() leaves it.
    expect(pteMkdirty(p) & PTE_SOFT_DIRTY).not.toBe(0);
    expect(pteDirty(pteMkclean(pteMkdirty(p)))).toBe(false);
    expect(pteMkclean(pteMkdirty(p)) & PTE_SOFT_DIRTY).not.toBe(0);
    const none = pteMkprotnone(pteMkyoung(p));
    expect(pteProtnone(none)).toBe(true);
    expect(ptePresent(none)).toBe(true);
    expect(pteYoung(none)).toBe(true);
    expect(pteProtnone(pteMkaccessible(none))).toBe(false);
    expect(pteProtnone(0)).toBe(false);
    expect(pmdYoung(pmdMkold(PTE_PRESENT | PTE_YOUNG))).toBe(false);
  });
});

describe("reading the bits the hardware set (access.ts)", () => {
  it("ptep_test_and_clear_young: young once after the fault, then old with no accesses modelled", () => {
    const { mm, vma, fault } = setup();
    fault(vma.start, 0);
    expect(ptepTestAndClearYoung(vma, vma.start)).toBe(true);
    expect(ptepTestAndClearYoung(vma, vma.start)).toBe(false);
    expect(pteDirty(ptepGet(mm, vma.start))).toBe(true);
    // Nothing mapped there: not young.
    expect(ptepTestAndClearYoung(vma, vma.start + PAGE_SIZE)).toBe(false);
  });

  it("pmdp_test_and_clear_young acts on the huge PMD; the PTE variant refuses it", () => {
    const { mm, vma, fault } = setup();
    fault(vma.start, 9);
    expect(pmdpTestAndClearYoung(vma, vma.start)).toBe(true);
    expect(pmdYoung(pmdpGet(mm, vma.start))).toBe(false);
    expect(() => ptepTestAndClearYoung(vma, vma.start)).toThrow(/no PTE table/);
  });

  it("accesses set young and writes set dirty, a write never without young", () => {
    const { mm, vma, fault } = setup();
    const model = new SteadyAccesses(7, 1e-6, 0.5);
    mm.access = model;
    fault(vma.start, 4, false);
    let young = 0;
    let dirty = 0;
    for (let scan = 1; scan <= 400; scan++) {
      model.clock = scan * 1e6; // 1 ms windows: e^-1 of the pages stay old
      for (let i = 0; i < 16; i++) {
        const addr = vma.start + i * PAGE_SIZE;
        const f = ptepGet(mm, addr);
        if (pteDirty(f)) {
          expect(pteYoung(f)).toBe(true);
          dirty++;
        }
        if (ptepTestAndClearYoung(vma, addr)) young++;
        // Clean it again, to count each window's writes.
        const t = mm.pmds.get(pmdIndex(addr)) as PteTable;
        t.flags[pteIndex(addr)] &= ~PTE_DIRTY;
      }
    }
    // The first window starts at the fault, young already; the rest are 1 - e^-1 and 1 - e^-0.5.
    expect(young / 6400).toBeCloseTo(1 - Math.exp(-1), 1);
    expect(dirty / 6400).toBeCloseTo(1 - Math.exp(-0.5), 1);
  });

  it("property: a scanner clearing every W finds a page young 1 - e^-(rate W) of the time", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 0.05, max: 3, noNaN: true }),
        (seed, expectedPerWindow) => {
          const { mm, vma, fault } = setup();
          const W = 1e5;
          const model = new SteadyAccesses(seed, expectedPerWindow / W, 0);
          mm.access = model;
          fault(vma.start, 9);
          // The PMD split into 512 PTEs, so each page is its own entry.
          mm.splitHugePmd(pmdIndex(vma.start), mm.pmds.get(pmdIndex(vma.start)) as never);
          for (let i = 0; i < 512; i++) ptepTestAndClearYoung(vma, vma.start + i * PAGE_SIZE);
          let hits = 0;
          const scans = 8;
          for (let s = 1; s <= scans; s++) {
            model.clock = s * W;
            for (let i = 0; i < 512; i++) {
              if (ptepTestAndClearYoung(vma, vma.start + i * PAGE_SIZE)) hits++;
            }
          }
          const n = scans * 512;
          const p = -Math.expm1(-expectedPerWindow);
          // Within 5 standard deviations of a binomial(n, p).
          expect(Math.abs(hits / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n) + 1e-9);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("the draws depend on the page and time only, not on the order of the reads", () => {
    const read = (order: number[]) => {
      const { mm, vma, fault } = setup();
      const model = new SteadyAccesses(3, 2e-6, 0.3);
      mm.access = model;
      fault(vma.start, 4);
      for (const i of order) ptepTestAndClearYoung(vma, vma.start + i * PAGE_SIZE);
      model.clock = 5e5;
      const out: number[] = [];
      for (const i of order) out[i] = ptepGet(mm, vma.start + i * PAGE_SIZE);
      return out;
    };
    const fwd = Array.from({ length: 16 }, (_, i) => i);
    expect(read([...fwd].reverse())).toEqual(read(fwd));
  });
});

describe("folio_referenced, folio_mkclean, folio_mark_dirty", () => {
  it("folio_referenced counts the VMAs that referenced the folio and clears their bits", () => {
    const { phys, vma, mm, fault } = setup();
    const folio = fault(vma.start, 2);
    const child = new MmStruct(2, phys);
    const cvma = shareRange(mm, child, vma.start, 4 * PAGE_SIZE);
    const info: ReferencedInfo = { vmFlags: 0 };
    // The parent's PTEs are young from the fault, the child's old (as fork leaves them).
    expect(folioReferenced(folio, info)).toBe(1);
    expect(info.vmFlags & VM_WRITE).not.toBe(0);
    expect(folioReferenced(folio)).toBe(0);
    const t = child.pmds.get(pmdIndex(cvma.start)) as PteTable;
    t.flags[pteIndex(cvma.start) + 1] |= PTE_YOUNG;
    expect(folioReferenced(folio)).toBe(1);
  });

  it("folio_referenced reports VM_LOCKED and leaves a locked mapping's bits", () => {
    const { vma, mm, fault } = setup();
    const folio = fault(vma.start, 0);
    vma.flags |= VM_LOCKED;
    const info: ReferencedInfo = { vmFlags: 0 };
    expect(folioReferenced(folio, info)).toBe(0);
    expect(info.vmFlags & VM_LOCKED).not.toBe(0);
    expect(pteYoung(ptepGet(mm, vma.start))).toBe(true);
  });

  it("folio_mkclean cleans every mapping and counts the dirty ones; folio_mark_dirty sets PG_dirty once", () => {
    const { vma, mm, fault } = setup();
    const folio = fault(vma.start, 3);
    const thp = fault(vma.start + HPAGE_PMD_SIZE, 9);
    expect(folioMkclean(folio)).toBe(8);
    expect(folioMkclean(folio)).toBe(0);
    expect(pteDirty(ptepGet(mm, vma.start + 7 * PAGE_SIZE))).toBe(false);
    expect(folioMkclean(thp)).toBe(1);
    expect(pteDirty(pmdpGet(mm, vma.start + HPAGE_PMD_SIZE))).toBe(false);
    expect(folioMarkDirty(folio)).toBe(true);
    expect(folioMarkDirty(folio)).toBe(false);
    expect(folio.test(PG.dirty)).toBe(true);
  });
});

/** Migrate `src` to node 1 as migrate_pages() does around the copy: unmap, commit, remap. */
function migrate(env: ReturnType<typeof setup>, src: Folio): Folio {
  src.refcount++; // isolation
  tryToMigrate(src, env.task, false, env.ctx);
  const dst = env.phys.allocFolio(1, src.order) as Folio;
  dst.mapping = src.mapping;
  dst.index = src.index;
  dst.flags |= src.flags & PG.dirty;
  removeMigrationPtes(src, dst, env.ctx);
  return dst;
}

describe("migration keeps the accessed and dirty bits", () => {
  it("property: each PTE's young and dirty bits are the same after the move", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 2, 4, 9),
        fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 512, maxLength: 512 }),
        (order, bits) => {
          const env = setup();
          const { mm, vma, fault } = env;
          const src = fault(vma.start, order);
          const n = src.nrPages;
          const slot = mm.pmds.get(pmdIndex(vma.start));
          const want: number[] = [];
          if (order === 9) {
            const huge = slot as { flags: number };
            huge.flags &= ~(PTE_YOUNG | PTE_DIRTY);
            huge.flags |= (bits[0][0] ? PTE_YOUNG : 0) | (bits[0][1] ? PTE_DIRTY : 0);
            want.push(huge.flags & (PTE_YOUNG | PTE_DIRTY));
          } else {
            const t = slot as PteTable;
            for (let i = 0; i < n; i++) {
              t.flags[i] &= ~(PTE_YOUNG | PTE_DIRTY);
              t.flags[i] |= (bits[i][0] ? PTE_YOUNG : 0) | (bits[i][1] ? PTE_DIRTY : 0);
              want.push(t.flags[i] & (PTE_YOUNG | PTE_DIRTY));
            }
          }
          const dst = migrate(env, src);
          const got = want.map(
            (_, i) => entryFlags(mm, vma.start + i * PAGE_SIZE) & (PTE_YOUNG | PTE_DIRTY),
          );
          expect(got).toEqual(want);
          expect(mm.entryAt(vma.start).kind === "present" && dst.nid).toBe(1);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("accesses not yet read when the folio moves are read from the new entries as if it had not moved", () => {
    const read = (move: boolean) => {
      const env = setup();
      const model = new SteadyAccesses(11, 3e-6, 0.4);
      env.mm.access = model;
      const folio = env.fault(env.vma.start, 4, false);
      for (let i = 0; i < 16; i++) ptepTestAndClearYoung(env.vma, env.vma.start + i * PAGE_SIZE);
      model.clock = 2e5;
      if (move) migrate(env, folio);
      model.clock = 4e5;
      return Array.from(
        { length: 16 },
        (_, i) => ptepGet(env.mm, env.vma.start + i * PAGE_SIZE) & (PTE_YOUNG | PTE_DIRTY),
      );
    };
    const moved = read(true);
    expect(moved).toEqual(read(false));
    expect(moved.some((f) => f !== 0)).toBe(true);
  });
});

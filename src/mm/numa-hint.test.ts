import { describe, expect, it } from "vitest";
import { type MmAccessModel, ptepGet, ptepTestAndClearYoung } from "./access.js";
import { type Folio, HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from "./folio.js";
import {
  changeProtNuma,
  hintFaultPending,
  type NumaHintFault,
  numaHintFaultRestore,
  numaRebuildMapping,
} from "./numa-hint.js";
import { pteDirty, pteProtnone, pteYoung } from "./pgtable.js";
import { removeMigrationPtes, tryToMigrate } from "./rmap.js";
import { Task } from "./task.js";
import { entryFlags, mmFixture } from "./test-fixture.js";
import { HugePmd, MmStruct, PTE_PROTNONE, pmdIndex, shareRange, type Vma } from "./vm.js";

/** An mm whose accesses are not modelled, recording the folios handed over for hint faults. */
function setup() {
  const base = mmFixture();
  const { phys, ctx, mm, task, vma } = base;
  mm.cpuMask.add(1);
  const armed: { addr: number; folio: Folio; nrPages: number; pmd: boolean }[] = [];
  const access: MmAccessModel = {
    seed: 1,
    now: () => 0,
    expected: (_a, _n, _f, _t, out) => {
      out.accesses = 0;
      out.writes = 0;
    },
    armHintFault: (_vma: Vma, addr, folio, nrPages, pmd) =>
      armed.push({ addr, folio, nrPages, pmd }),
  };
  mm.access = access;
  const fault = (addr: number, order: number, nid = 0) => base.fault(addr, order, false, nid);
  return { phys, ctx, mm, task, vma, armed, fault };
}

function hintFault(vma: Vma, a: { addr: number; folio: Folio; nrPages: number; pmd: boolean }) {
  const f: NumaHintFault = {
    task: new Task(9, 0, vma.mm),
    cpu: 0,
    nid: 0,
    vma,
    ...a,
    write: true,
  };
  return f;
}

describe("change_prot_numa", () => {
  it("makes present PTEs and PMDs PROT_NONE, counts pages and huge PMDs, hands each folio over once", () => {
    const { ctx, mm, task, vma, armed, fault } = setup();
    const small = fault(vma.start, 0);
    const mthp = fault(vma.start + 16 * PAGE_SIZE, 4);
    const thp = fault(vma.start + HPAGE_PMD_SIZE, 9);
    const updated = changeProtNuma(vma, vma.start, vma.end, task, ctx);
    expect(updated).toBe(1 + 16 + HPAGE_PMD_NR);
    expect(ctx.vmstat.events.numa_pte_updates).toBe(updated);
    expect(ctx.vmstat.events.numa_huge_pte_updates).toBe(1);
    expect(armed.map((a) => [a.folio, a.nrPages, a.pmd])).toEqual([
      [small, 1, false],
      [mthp, 16, false],
      [thp, HPAGE_PMD_NR, true],
    ]);
    for (const addr of [vma.start, vma.start + 31 * PAGE_SIZE, vma.start + HPAGE_PMD_SIZE]) {
      expect(pteProtnone(entryFlags(mm, addr))).toBe(true);
      // PROT_NONE pages are still mapped: move_pages(2) and migration see them present.
      expect(mm.entryAt(addr).kind).toBe("present");
    }
    // One flush of the range: the local CPU's and an IPI to the other CPU of the mm.
    expect(ctx.vmstat.events.nr_tlb_local_flush_one).toBe(1);
    expect(ctx.vmstat.events.nr_tlb_remote_flush_received).toBe(1);
    // Entries already PROT_NONE are left alone.
    expect(changeProtNuma(vma, vma.start, vma.end, task, ctx)).toBe(0);
    expect(armed).toHaveLength(3);
  });

  it("splits a huge PMD the range only partly covers, and skips shared, pinned and policy-skipped folios", () => {
    const { phys, ctx, mm, task, vma, armed, fault } = setup();
    const thp = fault(vma.start, 9);
    expect(changeProtNuma(vma, vma.start, vma.start + 8 * PAGE_SIZE, task, ctx)).toBe(8);
    expect(mm.pmds.get(pmdIndex(vma.start))).not.toBeInstanceOf(HugePmd);
    expect(armed).toEqual([{ addr: vma.start, folio: thp, nrPages: 8, pmd: false }]);
    const pinned = fault(vma.start + HPAGE_PMD_SIZE, 0);
    pinned.pins = 1;
    const onNode1 = fault(vma.start + HPAGE_PMD_SIZE + PAGE_SIZE, 0, 1);
    const shared = fault(vma.start + HPAGE_PMD_SIZE + 2 * PAGE_SIZE, 0);
    shareRange(mm, new MmStruct(2, phys), vma.start + HPAGE_PMD_SIZE + 2 * PAGE_SIZE, PAGE_SIZE);
    const range = [vma.start + HPAGE_PMD_SIZE, vma.start + HPAGE_PMD_SIZE + 3 * PAGE_SIZE];
    expect(changeProtNuma(vma, range[0], range[1], task, ctx, (f) => f.nid === 1)).toBe(0);
    expect([pinned, onNode1, shared].every((f) => f.live)).toBe(true);
  });
});

describe("the hint fault's restore", () => {
  it("numa_rebuild_large_mapping: the folio's entries accessible again, young, dirty after a write", () => {
    const { ctx, mm, task, vma, armed, fault } = setup();
    fault(vma.start, 4);
    changeProtNuma(vma, vma.start, vma.end, task, ctx);
    for (let i = 0; i < 16; i++) ptepTestAndClearYoung(vma, vma.start + i * PAGE_SIZE);
    const f = hintFault(vma, armed[0]);
    expect(hintFaultPending(f)).toBe(true);
    expect(numaRebuildMapping(f)).toBe(16);
    for (let i = 0; i < 16; i++) {
      const pte = ptepGet(mm, vma.start + i * PAGE_SIZE);
      expect([pteProtnone(pte), pteYoung(pte), pteDirty(pte)]).toEqual([false, true, true]);
    }
    expect(hintFaultPending(f)).toBe(false);
    expect(numaRebuildMapping(f)).toBe(0);
  });

  it("the default handler counts numa_hint_faults, and _local when the folio is on the CPU's node", () => {
    const { ctx, task, vma, armed, fault } = setup();
    fault(vma.start, 0, 0);
    fault(vma.start + PAGE_SIZE, 0, 1);
    changeProtNuma(vma, vma.start, vma.end, task, ctx);
    for (const a of armed) numaHintFaultRestore(hintFault(vma, a), ctx);
    expect(ctx.vmstat.events.numa_hint_faults).toBe(2);
    expect(ctx.vmstat.events.numa_hint_faults_local).toBe(1);
  });

  it("a migration replaces a PROT_NONE entry: the new one is accessible and the fault no longer pending", () => {
    const { phys, ctx, mm, task, vma, armed, fault } = setup();
    const src = fault(vma.start, 0);
    changeProtNuma(vma, vma.start, vma.end, task, ctx);
    src.refcount++;
    tryToMigrate(src, task, false, ctx);
    const dst = phys.allocFolio(1, 0) as Folio;
    dst.mapping = src.mapping;
    dst.index = src.index;
    dst.flags |= src.flags & PG.dirty;
    removeMigrationPtes(src, dst, ctx);
    expect(entryFlags(mm, vma.start) & PTE_PROTNONE).toBe(0);
    expect(hintFaultPending(hintFault(vma, armed[0]))).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import {
  EACCES,
  EBUSY,
  EFAULT,
  EINVAL,
  ENODEV,
  ENOENT,
  ENOMEM,
  EPERM,
  ESRCH,
} from "../mm/errno.js";
import { type Folio, HPAGE_PMD_NR, PAGE_SIZE, PG } from "../mm/folio.js";
import { type MmStruct, shareRange, VM_IO, VM_PFNMAP, VM_READ, VM_WRITE } from "../mm/vm.js";
import { populateRegion } from "../workload/region.js";
import type { Kernel } from "./kernel.js";
import { MAX_NUMNODES, MPOL_MF_MOVE, MPOL_MF_MOVE_ALL, MPOL_MF_STRICT } from "./modes.js";
import {
  boot,
  fillNode,
  folioAt,
  folioIntact,
  gupPin,
  migrateCalls,
  movePages,
  nodeAt,
  spawnWithRegion,
  UNWRITTEN,
} from "./test-fixture.js";

const U = UNWRITTEN;
/** Below every mapping the fixture creates. */
const NO_VMA = 0x100000;

function isolatedPages(k: Kernel): number {
  return k.ctx.vmstat.snapshot().nr_isolated_anon;
}

/** §15.8: six order-0 folios on node 0 (seed 7); A1 is an address with nothing mapped. */
function workedExample(k: Kernel) {
  const task = k.spawnProcess(0);
  const region = populateRegion(k, task, { order: 0, count: 6, nid: 0, seed: 7 });
  const pages = Array.from(region.folioAddrs);
  // A1 is unmapped: its address is in a VMA with nothing mapped.
  task.mm?.munmap(pages[1], PAGE_SIZE);
  pages[1] = task.mm?.mmap(PAGE_SIZE, VM_READ | VM_WRITE).start as number;
  return { task, region, pages, nodes: [1, 1, 2, 2, 2, 1] };
}

describe("move_pages(2) syscall-level checks, in order (§15.2)", () => {
  it("EINVAL for flags other than MOVE and MOVE_ALL, before any other check", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 1);
    for (const flags of [MPOL_MF_STRICT, 1 << 3, MPOL_MF_MOVE | (1 << 5)]) {
      expect(movePages(k, task, { pages: addrs, nodes: [1], flags }).rc).toBe(-EINVAL);
    }
    // Also wins over the MOVE_ALL permission check and an unknown pid.
    task.capSysNice = false;
    const r = movePages(k, task, {
      pid: 999,
      pages: addrs,
      nodes: [1],
      flags: MPOL_MF_STRICT | MPOL_MF_MOVE_ALL,
    });
    expect(r).toEqual({ rc: -EINVAL, status: [U] });
    expect(nodeAt(k, task, addrs[0])).toBe(0);
  });

  it("EPERM for MOVE_ALL without CAP_SYS_NICE, also in query mode, before the pid lookup", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 1);
    task.capSysNice = false;
    const flags = MPOL_MF_MOVE_ALL;
    expect(movePages(k, task, { pages: addrs, nodes: [1], flags })).toEqual({
      rc: -EPERM,
      status: [U],
    });
    expect(movePages(k, task, { pages: addrs, nodes: null, flags })).toEqual({
      rc: -EPERM,
      status: [U],
    });
    expect(movePages(k, task, { pid: 999, pages: addrs, nodes: null, flags }).rc).toBe(-EPERM);
    expect(nodeAt(k, task, addrs[0])).toBe(0);
    // MOVE alone needs no capability; with the capability MOVE_ALL works.
    expect(movePages(k, task, { pages: addrs, nodes: null }).rc).toBe(0);
    task.capSysNice = true;
    expect(movePages(k, task, { pages: addrs, nodes: [1], flags }).rc).toBe(0);
    expect(nodeAt(k, task, addrs[0])).toBe(1);
  });

  it("ESRCH for a pid with no task", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 1);
    expect(movePages(k, task, { pid: 999, pages: addrs, nodes: [1] })).toEqual({
      rc: -ESRCH,
      status: [U],
    });
    expect(movePages(k, task, { pid: 999, pages: addrs, nodes: null }).rc).toBe(-ESRCH);
  });

  it("EPERM when the ptrace access check fails: other uid and a non-root caller", () => {
    const k = boot();
    const { task: target, addrs } = spawnWithRegion(k, 0, 1);
    const caller = k.spawnProcess(1);
    caller.uid = 1000;
    target.uid = 1001;
    const call = { pid: target.pid, pages: addrs, nodes: [1] };
    expect(movePages(k, caller, call)).toEqual({ rc: -EPERM, status: [U] });
    expect(movePages(k, caller, { ...call, nodes: null }).rc).toBe(-EPERM);
    // Before the mm check.
    const mm = target.mm;
    target.mm = null;
    expect(movePages(k, caller, call).rc).toBe(-EPERM);
    target.mm = mm;
    expect(nodeAt(k, target, addrs[0])).toBe(0);
    // Same uid, or a root caller, may.
    target.uid = 1000;
    expect(movePages(k, caller, call)).toEqual({ rc: 0, status: [1] });
    target.uid = 1001;
    caller.uid = 0;
    expect(movePages(k, caller, { ...call, nodes: [0] })).toEqual({ rc: 0, status: [0] });
  });

  it("EINVAL for a target without an mm (kernel thread, exited task)", () => {
    const k = boot();
    const { task: target, addrs } = spawnWithRegion(k, 0, 1);
    const caller = k.spawnProcess(1);
    target.mm = null;
    expect(movePages(k, caller, { pid: target.pid, pages: addrs, nodes: [1] })).toEqual({
      rc: -EINVAL,
      status: [U],
    });
    expect(movePages(k, caller, { pid: target.pid, pages: addrs, nodes: null }).rc).toBe(-EINVAL);
  });

  it("pid 0 is the caller; another pid moves that process's pages", () => {
    const k = boot();
    const { task: target, addrs } = spawnWithRegion(k, 0, 1);
    const caller = k.spawnProcess(1);
    // The caller has nothing mapped at that address.
    expect(movePages(k, caller, { pages: addrs, nodes: [1] }).status).toEqual([-EFAULT]);
    expect(movePages(k, caller, { pid: target.pid, pages: addrs, nodes: [1] })).toEqual({
      rc: 0,
      status: [1],
    });
    expect(nodeAt(k, target, addrs[0])).toBe(1);
  });
});

describe("move_pages(2) query mode (§15.3)", () => {
  it("reports the node of the page at any address inside it", () => {
    const k = boot();
    const { task, region } = spawnWithRegion(k, 0, 2, 0);
    const big = populateRegion(k, task, { order: 4, count: 1, nid: 1, seed: 2 });
    const thp = populateRegion(k, task, { order: 9, count: 1, nid: 1, seed: 3 });
    const a = region.folioAddrs;
    const pages = [a[0], a[1] + 123, big.folioAddrs[0] + 5 * PAGE_SIZE + 7, thp.folioAddrs[0] + 1];
    expect(movePages(k, task, { pages, nodes: null })).toEqual({ rc: 0, status: [0, 0, 1, 1] });
    // Query mode moves and isolates nothing.
    expect(migrateCalls(k)).toEqual([]);
    expect(folioAt(task, a[0]).test(PG.lru)).toBe(true);
  });

  it("-EFAULT for an address no VMA covers", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 1);
    expect(movePages(k, task, { pages: [NO_VMA, addrs[0]], nodes: null })).toEqual({
      rc: 0,
      status: [-EFAULT, 0],
    });
  });

  it("-ENOENT for an address inside a VMA with nothing mapped", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 1);
    const hole = task.mm?.mmap(PAGE_SIZE, VM_READ | VM_WRITE).start as number;
    expect(movePages(k, task, { pages: [hole, addrs[0]], nodes: null })).toEqual({
      rc: 0,
      status: [-ENOENT, 0],
    });
  });

  it("-EFAULT for the read-only zero page (§15.3: a zero folio is no page of the task's)", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 1);
    const mm = task.mm as MmStruct;
    const vma = mm.mmap(PAGE_SIZE, VM_READ | VM_WRITE);
    mm.mapZeroPage(vma, vma.start);
    expect(movePages(k, task, { pages: [vma.start, addrs[0]], nodes: null })).toEqual({
      rc: 0,
      status: [-EFAULT, 0],
    });
  });

  it("works in chunks of 16: a short pages array faults at its chunk, earlier chunks stay written", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 20);
    const r = movePages(k, task, { pages: addrs, nodes: null, count: 40 });
    expect(r.rc).toBe(-EFAULT);
    expect(r.status).toEqual([...Array(16).fill(0), ...Array(24).fill(U)]);
  });

  it("a status array that faults in a chunk fails that chunk with EFAULT", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 20);
    const r = movePages(k, task, { pages: addrs, nodes: null, statusLength: 18 });
    expect(r.rc).toBe(-EFAULT);
    expect(r.status).toEqual([...Array(16).fill(0), U, U]);
    // A count that stays inside both arrays succeeds.
    expect(movePages(k, task, { pages: addrs, nodes: null, count: 16, statusLength: 18 }).rc).toBe(
      0,
    );
  });

  it("count 0 returns 0, in query and move mode", () => {
    const k = boot();
    const task = k.spawnProcess(0);
    expect(movePages(k, task, { pages: [], nodes: null })).toEqual({ rc: 0, status: [] });
    expect(movePages(k, task, { pages: [], nodes: [] })).toEqual({ rc: 0, status: [] });
    expect(movePages(k, task, { pages: [NO_VMA], nodes: [1], count: 0 }).rc).toBe(0);
  });
});

describe("move_pages(2) move mode: reading and checking each entry (§15.4 step 1)", () => {
  it("EFAULT reading pages past its end; the run open at that point is still migrated", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 3);
    const r = movePages(k, task, { pages: addrs.slice(0, 2), nodes: [1, 1, 1], count: 3 });
    expect(r).toEqual({ rc: -EFAULT, status: [1, 1, U] });
    expect(addrs.map((a) => nodeAt(k, task, a))).toEqual([1, 1, 0]);
  });

  it("EFAULT reading nodes past its end", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 3);
    const r = movePages(k, task, { pages: addrs, nodes: [1] });
    expect(r).toEqual({ rc: -EFAULT, status: [1, U, U] });
    expect(addrs.map((a) => nodeAt(k, task, a))).toEqual([1, 0, 0]);
  });

  it("EFAULT writing a status: the entry's own, or one of a flushed run", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 2);
    // Entry 1 is not queued and its status cannot be written: run [0, 1) is still flushed.
    const r1 = movePages(k, task, { pages: [addrs[0], NO_VMA], nodes: [1, 1], statusLength: 1 });
    expect(r1).toEqual({ rc: -EFAULT, status: [1] });
    expect(nodeAt(k, task, addrs[0])).toBe(1);
    // The final run migrates, then writing its second status faults.
    const { task: t2, addrs: a2 } = spawnWithRegion(k, 0, 2);
    const r2 = movePages(k, t2, { pages: a2, nodes: [1, 1], statusLength: 1 });
    expect(r2).toEqual({ rc: -EFAULT, status: [1] });
    expect(a2.map((a) => nodeAt(k, t2, a))).toEqual([1, 1]);
  });

  it("ENODEV for a node < 0, >= MAX_NUMNODES or without memory; the loop stops there", () => {
    const k = boot();
    for (const bad of [-1, MAX_NUMNODES, MAX_NUMNODES + 7, 2, MAX_NUMNODES - 1, 0.5]) {
      const { task, addrs } = spawnWithRegion(k, 0, 3);
      const r = movePages(k, task, { pages: addrs, nodes: [1, bad, 1] });
      expect(r, `node ${bad}`).toEqual({ rc: -ENODEV, status: [1, U, U] });
      expect(addrs.map((a) => nodeAt(k, task, a))).toEqual([1, 0, 0]);
    }
  });

  it("EACCES for a node outside the target's cpuset (not the caller's)", () => {
    const k = boot();
    const { task: target, addrs } = spawnWithRegion(k, 0, 2);
    target.memsAllowed = new Set([0]);
    expect(movePages(k, target, { pages: addrs, nodes: [0, 1] })).toEqual({
      rc: -EACCES,
      status: [0, U],
    });
    expect(nodeAt(k, target, addrs[1])).toBe(0);
    const caller = k.spawnProcess(1);
    caller.memsAllowed = new Set([0]);
    expect(movePages(k, caller, { pid: target.pid, pages: addrs, nodes: [1, 1] }).rc).toBe(-EACCES);
    target.memsAllowed = null;
    expect(movePages(k, caller, { pid: target.pid, pages: addrs, nodes: [1, 1] })).toEqual({
      rc: 0,
      status: [1, 1],
    });
  });
});

describe("move_pages(2) move mode: per-page statuses (§15.4 step 3, §15.7)", () => {
  it("-EFAULT for an address no VMA covers", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 1);
    expect(movePages(k, task, { pages: [NO_VMA, addrs[0]], nodes: [1, 1] })).toEqual({
      rc: 0,
      status: [-EFAULT, 1],
    });
  });

  it("-EFAULT for a VM_IO or VM_PFNMAP VMA, mapped or not (checked before -ENOENT)", () => {
    const k = boot();
    const task = k.spawnProcess(0);
    const mm = task.mm as MmStruct;
    for (const flag of [VM_IO, VM_PFNMAP]) {
      const vma = mm.mmap(2 * PAGE_SIZE, VM_READ | VM_WRITE | flag);
      mm.mapFolio(vma, vma.start, k.phys.allocFolio(0, 0) as Folio);
      const r = movePages(k, task, { pages: [vma.start, vma.start + PAGE_SIZE], nodes: [1, 1] });
      expect(r).toEqual({ rc: 0, status: [-EFAULT, -EFAULT] });
      expect(nodeAt(k, task, vma.start)).toBe(0);
    }
    expect(migrateCalls(k)).toEqual([]);
  });

  it("-ENOENT for an address inside a VMA with nothing mapped", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 1);
    const hole = task.mm?.mmap(PAGE_SIZE, VM_READ | VM_WRITE).start as number;
    expect(movePages(k, task, { pages: [hole, addrs[0]], nodes: [1, 1] })).toEqual({
      rc: 0,
      status: [-ENOENT, 1],
    });
  });

  it("-EFAULT for the read-only zero page, which is never isolated (§15.4 row 3)", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 1);
    const mm = task.mm as MmStruct;
    const vma = mm.mmap(PAGE_SIZE, VM_READ | VM_WRITE);
    mm.mapZeroPage(vma, vma.start);
    expect(movePages(k, task, { pages: [vma.start, addrs[0]], nodes: [1, 1] })).toEqual({
      rc: 0,
      status: [-EFAULT, 1],
    });
    expect(mm.zeroPageAt(vma.start)).toBe(true);
    mm.munmap(vma.start, PAGE_SIZE);
    expect(mm.lookup(vma.start)).toEqual({ kind: "novma" });
  });

  it("a page already on the target node gets that node, without being isolated or migrated", () => {
    const k = boot({ trace: true });
    const { task, addrs } = spawnWithRegion(k, 0, 2, 1);
    const folio = folioAt(task, addrs[0]);
    const refs = folio.refcount;
    expect(movePages(k, task, { pages: addrs, nodes: [1, 1] })).toEqual({ rc: 0, status: [1, 1] });
    expect(migrateCalls(k)).toEqual([]);
    expect(folioAt(task, addrs[0])).toBe(folio);
    expect(folio.refcount).toBe(refs);
    expect(folio.test(PG.lru)).toBe(true);
  });

  it("-EACCES for a page shared with another process without MOVE_ALL; MOVE_ALL moves it", () => {
    const k = boot({ contents: true });
    const { task, region, addrs } = spawnWithRegion(k, 0, 2);
    const other = k.spawnProcess(1);
    shareRange(task.mm as MmStruct, other.mm as MmStruct, addrs[0], PAGE_SIZE);
    expect(movePages(k, task, { pages: addrs, nodes: [1, 1] })).toEqual({
      rc: 0,
      status: [-EACCES, 1],
    });
    expect(nodeAt(k, task, addrs[0])).toBe(0);
    expect(folioAt(task, addrs[0]).test(PG.lru)).toBe(true);
    // "Already there" is checked first.
    expect(movePages(k, task, { pages: [addrs[0]], nodes: [0] }).status).toEqual([0]);

    const r = movePages(k, task, { pages: addrs, nodes: [1, 1], flags: MPOL_MF_MOVE_ALL });
    expect(r).toEqual({ rc: 0, status: [1, 1] });
    // Both processes now map the same page on node 1, with its contents.
    expect(nodeAt(k, task, addrs[0])).toBe(1);
    expect(other.mm?.entryAt(addrs[0])).toMatchObject({
      kind: "present",
      pfn: folioAt(task, addrs[0]).pfn,
    });
    expect(folioIntact(k, task, region, 0)).toBe(true);
    expect(folioIntact(k, task, region, 1)).toBe(true);
  });

  it("-EBUSY for a second address in a large folio already queued in the run; the folio still migrates [QUIRK]", () => {
    const k = boot({ contents: true, trace: true });
    const { task, region, addrs } = spawnWithRegion(k, 4, 1);
    const small = populateRegion(k, task, { order: 0, count: 1, nid: 0, seed: 2 });
    const pages = [addrs[0], addrs[0] + 3 * PAGE_SIZE, small.folioAddrs[0]];
    expect(movePages(k, task, { pages, nodes: [1, 1, 1] })).toEqual({
      rc: 0,
      status: [1, -EBUSY, 1],
    });
    // -EBUSY ended the first run, so the small folio went in a second migrate_pages call.
    expect(migrateCalls(k).map((c) => c.succeeded)).toEqual([16, 1]);
    expect(folioIntact(k, task, region, 0)).toBe(true);
    expect(folioIntact(k, task, small, 0)).toBe(true);
    for (let p = 0; p < 16; p++) expect(nodeAt(k, task, addrs[0] + p * PAGE_SIZE)).toBe(1);
    expect(nodeAt(k, task, pages[2])).toBe(1);
    expect(isolatedPages(k)).toBe(0);
  });

  it("-EBUSY for a folio that cannot be isolated, which ends the run", () => {
    const k = boot({ trace: true });
    const { task, addrs } = spawnWithRegion(k, 0, 3);
    folioAt(task, addrs[1]).clear(PG.lru);
    expect(movePages(k, task, { pages: addrs, nodes: [1, 1, 1] })).toEqual({
      rc: 0,
      status: [1, -EBUSY, 1],
    });
    expect(migrateCalls(k).map((c) => c.succeeded)).toEqual([1, 1]);
    expect(nodeAt(k, task, addrs[1])).toBe(0);
  });

  it("-EBUSY for a second address in a queued THP", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 9, 1);
    const pages = [addrs[0], addrs[0] + 100 * PAGE_SIZE, addrs[0] + 511 * PAGE_SIZE];
    expect(movePages(k, task, { pages, nodes: [1, 1, 1] })).toEqual({
      rc: 0,
      status: [1, -EBUSY, 1],
    });
    expect(folioAt(task, addrs[0]).nid).toBe(1);
    expect(k.ctx.vmstat.events.thp_migration_success).toBe(1);
  });
});

describe("move_pages(2) and the folio objects", () => {
  it("reuses the objects of the sources one batch freed for the next batch's destinations", () => {
    const k = boot({ nrMaxBatchedMigration: 64 });
    const { task, addrs } = spawnWithRegion(k, 0, 640);
    expect(k.phys.stats().folioObjects).toBe(640);
    const { rc } = movePages(k, task, { pages: addrs, nodes: addrs.map(() => 1) });
    expect(rc).toBe(0);
    // Ten batches: new objects for the first batch's destinations only.
    expect(k.phys.stats().folioObjects).toBe(640 + 64);
    for (const a of addrs) expect(nodeAt(k, task, a)).toBe(1);
    k.phys.checkNode(0);
    k.phys.checkNode(1);
  });
});

describe("move_pages(2) runs (§15.6 grouping rule, §15.8)", () => {
  it("§15.8 worked example: count 6, nodes [1,1,2,2,2,1], A1 unmapped", () => {
    const k = boot({ nodes: 3, contents: true, trace: true });
    const { task, region, pages, nodes } = workedExample(k);
    expect(movePages(k, task, { pages, nodes })).toEqual({
      rc: 0,
      status: [1, -ENOENT, 2, 2, 2, 1],
    });
    // One migrate_pages call per run: [0,1) to node 1, [2,5) to node 2, [5,6) to node 1.
    expect(migrateCalls(k).map((c) => c.succeeded)).toEqual([1, 3, 1]);
    const want = [1, -1, 2, 2, 2, 1];
    pages.forEach((a, i) => {
      expect(nodeAt(k, task, a)).toBe(want[i]);
      if (i !== 1) expect(folioIntact(k, task, region, i)).toBe(true);
    });
    expect(isolatedPages(k)).toBe(0);
  });

  it("entries for the same node that are not adjacent form separate runs", () => {
    const k = boot({ nodes: 3, trace: true });
    const { task, addrs } = spawnWithRegion(k, 0, 4);
    expect(movePages(k, task, { pages: addrs, nodes: [1, 2, 2, 1] }).status).toEqual([1, 2, 2, 1]);
    expect(migrateCalls(k).map((c) => c.succeeded)).toEqual([1, 2, 1]);
    // A stretch of one node is a single call.
    expect(movePages(k, task, { pages: addrs, nodes: [0, 0, 0, 0] }).status).toEqual([0, 0, 0, 0]);
    expect(migrateCalls(k).map((c) => c.succeeded)).toEqual([1, 2, 1, 4]);
  });

  it("an entry already on its node cuts the run", () => {
    const k = boot({ trace: true });
    const { task, addrs } = spawnWithRegion(k, 0, 3);
    const there = populateRegion(k, task, { order: 0, count: 1, nid: 1, seed: 2 }).folioAddrs[0];
    const pages = [addrs[0], there, addrs[1], addrs[2]];
    expect(movePages(k, task, { pages, nodes: [1, 1, 1, 1] })).toEqual({
      rc: 0,
      status: [1, 1, 1, 1],
    });
    expect(migrateCalls(k).map((c) => c.succeeded)).toEqual([1, 2]);
  });
});

describe("move_pages(2) positive return (§15.5 step 3, §15.6)", () => {
  it("§15.8 with one folio of run [2,5) left behind returns 1 + (6 - 5) = 2", () => {
    const k = boot({ nodes: 3, contents: true });
    const { task, region, pages, nodes } = workedExample(k);
    const pinned = folioAt(task, pages[3]);
    gupPin(pinned);
    const a5 = folioAt(task, pages[5]);
    const a5refs = a5.refcount;

    const r = movePages(k, task, { pages, nodes });
    expect(r).toEqual({ rc: 2, status: [1, -ENOENT, U, U, U, U] });
    // The rest of the run did migrate, though its statuses stay unwritten.
    expect(pages.map((a) => nodeAt(k, task, a))).toEqual([1, -1, 2, 0, 2, 0]);
    for (const i of [0, 2, 3, 4, 5]) expect(folioIntact(k, task, region, i)).toBe(true);
    // The pinned folio was put back; A5 was never looked at.
    expect(folioAt(task, pages[3])).toBe(pinned);
    expect(pinned.test(PG.lru)).toBe(true);
    expect(pinned.refcount).toBe(2);
    expect(a5.test(PG.lru)).toBe(true);
    expect(a5.refcount).toBe(a5refs);
    expect(isolatedPages(k)).toBe(0);
  });

  it("a run flushed because entry i was not queued returns N - 1: entry i has its status", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 3);
    gupPin(folioAt(task, addrs[0]));
    const there = populateRegion(k, task, { order: 0, count: 1, nid: 1, seed: 2 }).folioAddrs[0];
    const pages = [addrs[0], there, addrs[1], addrs[2]];
    // Run [0,1) leaves 1 folio; entries 2 and 3 are never looked at: 1 + (4 - 1) - 1.
    expect(movePages(k, task, { pages, nodes: [1, 1, 1, 1] })).toEqual({
      rc: 3,
      status: [U, 1, U, U],
    });
    expect(pages.map((a) => nodeAt(k, task, a))).toEqual([0, 1, 0, 0]);
  });

  it("the last run: N is the number of its folios not migrated", () => {
    const k = boot();
    const { task, addrs } = spawnWithRegion(k, 0, 3);
    gupPin(folioAt(task, addrs[0]));
    gupPin(folioAt(task, addrs[2]));
    expect(movePages(k, task, { pages: addrs, nodes: [1, 1, 1] })).toEqual({
      rc: 2,
      status: [U, U, U],
    });
    expect(addrs.map((a) => nodeAt(k, task, a))).toEqual([0, 1, 0]);
    expect(isolatedPages(k)).toBe(0);
  });
});

describe("move_pages(2) ENOMEM and splitting (§15.5, §9, §12)", () => {
  it("order-0 folios to a full node: -ENOMEM, the earlier run migrated and written", () => {
    const k = boot({ nodes: 3 });
    fillNode(k, 1);
    const { task, addrs } = spawnWithRegion(k, 0, 3);
    const r = movePages(k, task, { pages: addrs, nodes: [2, 1, 1] });
    expect(r).toEqual({ rc: -ENOMEM, status: [2, U, U] });
    expect(addrs.map((a) => nodeAt(k, task, a))).toEqual([2, 0, 0]);
    expect(folioAt(task, addrs[1]).test(PG.lru)).toBe(true);
    expect(isolatedPages(k)).toBe(0);
  });

  it("a THP that finds no huge block is split and its pieces migrate: rc 0", () => {
    const k = boot({ contents: true });
    fillNode(k, 1, HPAGE_PMD_NR);
    const { task, region, addrs } = spawnWithRegion(k, 9, 1);
    expect(movePages(k, task, { pages: addrs, nodes: [1] })).toEqual({ rc: 0, status: [1] });
    for (let p = 0; p < HPAGE_PMD_NR; p++) {
      const f = folioAt(task, addrs[0] + p * PAGE_SIZE);
      expect(f.nid).toBe(1);
      expect(f.order).toBe(0);
    }
    expect(folioIntact(k, task, region, 0)).toBe(true);
    const ev = k.ctx.vmstat.events;
    expect([ev.thp_migration_split, ev.thp_migration_fail, ev.thp_migration_success]).toEqual([
      1, 1, 0,
    ]);
    expect([ev.pgmigrate_success, ev.pgmigrate_fail]).toEqual([HPAGE_PMD_NR, 0]);
    expect(isolatedPages(k)).toBe(0);
  });

  it("a split THP whose pieces run out of memory counts once in the positive return", () => {
    const k = boot({ contents: true });
    fillNode(k, 1, 100);
    const { task, region, addrs } = spawnWithRegion(k, 9, 1);
    expect(movePages(k, task, { pages: addrs, nodes: [1] })).toEqual({ rc: 1, status: [U] });
    const nodes = Array.from({ length: HPAGE_PMD_NR }, (_, p) =>
      nodeAt(k, task, addrs[0] + p * PAGE_SIZE),
    );
    expect(nodes.filter((n) => n === 1).length).toBe(100);
    expect(nodes.filter((n) => n === 0).length).toBe(HPAGE_PMD_NR - 100);
    expect(folioIntact(k, task, region, 0)).toBe(true);
    const ev = k.ctx.vmstat.events;
    // The piece that found no memory fails; the pieces after it are not tried nor counted.
    expect([ev.pgmigrate_success, ev.pgmigrate_fail]).toEqual([100, 1]);
    expect([ev.thp_migration_split, ev.thp_migration_fail]).toEqual([1, 1]);
    expect(isolatedPages(k)).toBe(0);
  });
});

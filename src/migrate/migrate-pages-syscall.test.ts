import { describe, expect, it } from "vitest";
import { EFAULT, EINVAL, ENOMEM, EPERM, ESRCH } from "../mm/errno.js";
import { type Folio, HPAGE_PMD_NR, PAGE_SIZE, PG } from "../mm/folio.js";
import type { Task } from "../mm/task.js";
import { type MmStruct, shareRange, VM_IO, VM_READ, VM_WRITE } from "../mm/vm.js";
import { populateRegion, type Region } from "../workload/region.js";
import type { Kernel } from "./kernel.js";
import type { MigratePagesArgs } from "./migrate-pages-syscall.js";
import { MAX_NUMNODES } from "./modes.js";
import {
  boot,
  fillNode,
  folioAt,
  folioIntact,
  gupPin,
  migrateCalls,
  migratePagesSyscall,
  nodeAt,
  spawnWithRegion,
} from "./test-fixture.js";

/** maxnode for masks of nodes 0..7: the kernel reads maxnode - 1 bits. */
const MAXNODE = 9;

function args(o: Partial<MigratePagesArgs>): MigratePagesArgs {
  return { pid: 0, maxnode: MAXNODE, oldNodes: [0], newNodes: [1], ...o };
}

/** The node of every page of a region. */
function regionNodes(k: Kernel, task: Task, r: Region): number[] {
  const pages = r.count << r.order;
  return Array.from({ length: pages }, (_, p) => nodeAt(k, task, r.vma.start + p * PAGE_SIZE));
}

function setup(nodes: 2 | 3 = 2) {
  const k = boot({ nodes, trace: true });
  const { task, region: r0 } = spawnWithRegion(k, 0, 2);
  return { k, task, r0 };
}

describe("migrate_pages(2) checks, in order (§16)", () => {
  it("EFAULT when a mask cannot be read", () => {
    const { k, task, r0 } = setup();
    expect(migratePagesSyscall(k, task, args({ oldNodes: null }))).toBe(-EFAULT);
    expect(migratePagesSyscall(k, task, args({ newNodes: null }))).toBe(-EFAULT);
    // Before the pid lookup.
    expect(migratePagesSyscall(k, task, args({ pid: 999, newNodes: null }))).toBe(-EFAULT);
    expect(regionNodes(k, task, r0)).toEqual([0, 0]);
  });

  it("EINVAL when maxnode - 1 is above PAGE_SIZE * 8 bits", () => {
    const { k, task, r0 } = setup();
    const limit = PAGE_SIZE * 8 + 1;
    expect(migratePagesSyscall(k, task, args({ maxnode: limit + 1 }))).toBe(-EINVAL);
    expect(migratePagesSyscall(k, task, args({ pid: 999, maxnode: limit + 1 }))).toBe(-EINVAL);
    // maxnode is unsigned: maxnode - 1 wraps around for 0.
    expect(migratePagesSyscall(k, task, args({ pid: 999, maxnode: 0 }))).toBe(-EINVAL);
    expect(regionNodes(k, task, r0)).toEqual([0, 0]);
    expect(migratePagesSyscall(k, task, args({ maxnode: limit }))).toBe(0);
    expect(regionNodes(k, task, r0)).toEqual([1, 1]);
  });

  it("EINVAL for a set bit at or above MAX_NUMNODES, in either mask", () => {
    const { k, task, r0 } = setup();
    const maxnode = 2 * MAX_NUMNODES;
    expect(migratePagesSyscall(k, task, args({ maxnode, newNodes: [1, MAX_NUMNODES] }))).toBe(
      -EINVAL,
    );
    expect(migratePagesSyscall(k, task, args({ maxnode, oldNodes: [0, maxnode - 2] }))).toBe(
      -EINVAL,
    );
    expect(regionNodes(k, task, r0)).toEqual([0, 0]);
  });

  it("only maxnode - 1 bits of each mask are read", () => {
    const { k, task, r0 } = setup();
    // maxnode 2 reads bit 0 only: the new mask is empty, so nothing of it is in the cpuset.
    expect(migratePagesSyscall(k, task, args({ maxnode: 2 }))).toBe(-EINVAL);
    // A bit at or above MAX_NUMNODES that is not read is not an error.
    expect(migratePagesSyscall(k, task, args({ maxnode: 3, newNodes: [1, MAX_NUMNODES] }))).toBe(0);
    expect(regionNodes(k, task, r0)).toEqual([1, 1]);
  });

  it("ESRCH for a pid with no task", () => {
    const { k, task } = setup();
    expect(migratePagesSyscall(k, task, args({ pid: 999 }))).toBe(-ESRCH);
  });

  it("EPERM when the ptrace access check fails, before the cpuset and mm checks", () => {
    const { k, task: target, r0 } = setup();
    const caller = k.spawnProcess(1);
    caller.uid = 1000;
    target.uid = 1001;
    caller.memsAllowed = new Set([0]);
    expect(migratePagesSyscall(k, caller, args({ pid: target.pid }))).toBe(-EPERM);
    target.mm = null;
    expect(migratePagesSyscall(k, caller, args({ pid: target.pid }))).toBe(-EPERM);
    target.mm = r0.vma.mm;
    caller.memsAllowed = null;
    target.uid = 1000;
    expect(migratePagesSyscall(k, caller, args({ pid: target.pid }))).toBe(0);
    expect(regionNodes(k, target, r0)).toEqual([1, 1]);
  });

  it("EPERM for new nodes outside the target's cpuset without CAP_SYS_NICE", () => {
    const { k, task: target, r0 } = setup();
    const caller = k.spawnProcess(1);
    target.memsAllowed = new Set([0]);
    caller.capSysNice = false;
    expect(migratePagesSyscall(k, caller, args({ pid: target.pid }))).toBe(-EPERM);
    expect(regionNodes(k, target, r0)).toEqual([0, 0]);
    // CAP_SYS_NICE may move the pages outside the target's cpuset.
    caller.capSysNice = true;
    expect(migratePagesSyscall(k, caller, args({ pid: target.pid }))).toBe(0);
    expect(regionNodes(k, target, r0)).toEqual([1, 1]);
  });

  it("EINVAL when the new nodes and the caller's cpuset do not meet; else only their meet is used", () => {
    const { k, task: target, r0 } = setup(3);
    const caller = k.spawnProcess(1);
    caller.memsAllowed = new Set([0, 2]);
    expect(migratePagesSyscall(k, caller, args({ pid: target.pid, newNodes: [1] }))).toBe(-EINVAL);
    expect(regionNodes(k, target, r0)).toEqual([0, 0]);
    // {1, 2} ∩ {0, 2} = {2}.
    expect(migratePagesSyscall(k, caller, args({ pid: target.pid, newNodes: [1, 2] }))).toBe(0);
    expect(regionNodes(k, target, r0)).toEqual([2, 2]);
  });

  it("EINVAL for a target without an mm", () => {
    const { k, task: target } = setup();
    const caller = k.spawnProcess(1);
    target.mm = null;
    expect(migratePagesSyscall(k, caller, args({ pid: target.pid }))).toBe(-EINVAL);
  });
});

describe("migrate_pages(2) do_migrate_pages (§16)", () => {
  it("moves every folio of the old nodes and returns 0", () => {
    const k = boot({ contents: true });
    const task = k.spawnProcess(0);
    const regions = [0, 4, 9].map((order) =>
      populateRegion(k, task, { order, count: 2, nid: 0, seed: order }),
    );
    expect(migratePagesSyscall(k, task, args({}))).toBe(0);
    for (const r of regions) {
      expect(regionNodes(k, task, r).every((n) => n === 1)).toBe(true);
      for (let i = 0; i < r.count; i++) expect(folioIntact(k, task, r, i)).toBe(true);
    }
    expect(k.ctx.vmstat.events.pgmigrate_success).toBe(2 * (1 + 16 + HPAGE_PMD_NR));
    expect(k.ctx.vmstat.snapshot().nr_isolated_anon).toBe(0);
  });

  it("{0,1} -> {1,2} keeps the relative placement: node 1 is emptied to 2 before 0 moves to 1", () => {
    const { k, task, r0 } = setup(3);
    const r1 = populateRegion(k, task, { order: 0, count: 3, nid: 1, seed: 2 });
    expect(migratePagesSyscall(k, task, args({ oldNodes: [0, 1], newNodes: [1, 2] }))).toBe(0);
    expect(regionNodes(k, task, r0)).toEqual([1, 1]);
    expect(regionNodes(k, task, r1)).toEqual([2, 2, 2]);
    expect(migrateCalls(k).map((c) => c.succeeded)).toEqual([3, 2]);
  });

  it("{0,1} -> {1,0} is the identity: masks are sets, so nothing moves", () => {
    const { k, task, r0 } = setup();
    const r1 = populateRegion(k, task, { order: 0, count: 3, nid: 1, seed: 2 });
    expect(migratePagesSyscall(k, task, args({ oldNodes: [0, 1], newNodes: [1, 0] }))).toBe(0);
    expect(regionNodes(k, task, r0)).toEqual([0, 0]);
    expect(regionNodes(k, task, r1)).toEqual([1, 1, 1]);
    expect(migrateCalls(k)).toEqual([]);
  });

  it("masks of different sizes: old nodes that are also new ones are skipped", () => {
    const { k, task, r0 } = setup(3);
    const r1 = populateRegion(k, task, { order: 0, count: 1, nid: 1, seed: 2 });
    const r2 = populateRegion(k, task, { order: 0, count: 1, nid: 2, seed: 3 });
    expect(migratePagesSyscall(k, task, args({ oldNodes: [0, 1, 2], newNodes: [1, 2] }))).toBe(0);
    expect(regionNodes(k, task, r0)).toEqual([1, 1]);
    expect(regionNodes(k, task, r1)).toEqual([1]);
    expect(regionNodes(k, task, r2)).toEqual([2]);
    expect(migrateCalls(k)).toHaveLength(1);
  });

  it("several old nodes onto one new node", () => {
    const { k, task, r0 } = setup(3);
    const r1 = populateRegion(k, task, { order: 0, count: 1, nid: 1, seed: 2 });
    expect(migratePagesSyscall(k, task, args({ oldNodes: [0, 1], newNodes: [2] }))).toBe(0);
    expect(regionNodes(k, task, r0)).toEqual([2, 2]);
    expect(regionNodes(k, task, r1)).toEqual([2]);
  });

  it("shared folios are skipped, uncounted, without CAP_SYS_NICE (MOVE); MOVE_ALL moves them", () => {
    const { k, task, r0 } = setup();
    const other = k.spawnProcess(1);
    const thp = populateRegion(k, task, { order: 9, count: 1, nid: 0, seed: 2 });
    shareRange(task.mm as MmStruct, other.mm as MmStruct, r0.folioAddrs[0], PAGE_SIZE);
    shareRange(task.mm as MmStruct, other.mm as MmStruct, thp.folioAddrs[0], PAGE_SIZE << 9);
    task.capSysNice = false;
    expect(migratePagesSyscall(k, task, args({}))).toBe(0);
    expect(regionNodes(k, task, r0)).toEqual([0, 1]);
    expect(nodeAt(k, task, thp.folioAddrs[0])).toBe(0);
    task.capSysNice = true;
    expect(migratePagesSyscall(k, task, args({}))).toBe(0);
    expect(regionNodes(k, task, r0)).toEqual([1, 1]);
    expect(nodeAt(k, task, thp.folioAddrs[0])).toBe(1);
    expect(nodeAt(k, other, thp.folioAddrs[0])).toBe(1);
  });

  it("returns the folios not migrated plus those that could not be isolated", () => {
    const { k, task, r0 } = setup();
    const thp = populateRegion(k, task, { order: 9, count: 1, nid: 0, seed: 2 });
    const r2 = populateRegion(k, task, { order: 0, count: 1, nid: 0, seed: 3 });
    gupPin(folioAt(task, thp.folioAddrs[0]));
    const offLru: Folio = folioAt(task, r0.folioAddrs[1]);
    offLru.clear(PG.lru);
    expect(migratePagesSyscall(k, task, args({}))).toBe(2);
    expect(regionNodes(k, task, r0)).toEqual([1, 0]);
    expect(nodeAt(k, task, thp.folioAddrs[0])).toBe(0);
    expect(regionNodes(k, task, r2)).toEqual([1]);
    expect(k.ctx.vmstat.snapshot().nr_isolated_anon).toBe(0);
  });

  it("folios in a VM_IO VMA are skipped, uncounted", () => {
    const { k, task, r0 } = setup();
    const mm = task.mm as MmStruct;
    const vma = mm.mmap(PAGE_SIZE, VM_READ | VM_WRITE | VM_IO);
    mm.mapFolio(vma, vma.start, k.phys.allocFolio(0, 0) as Folio);
    expect(migratePagesSyscall(k, task, args({}))).toBe(0);
    expect(nodeAt(k, task, vma.start)).toBe(0);
    expect(regionNodes(k, task, r0)).toEqual([1, 1]);
  });

  it("-ENOMEM from a pair stops the walk: later pairs are not tried", () => {
    const { k, task, r0 } = setup(3);
    const r1 = populateRegion(k, task, { order: 0, count: 1, nid: 1, seed: 2 });
    fillNode(k, 2);
    expect(migratePagesSyscall(k, task, args({ oldNodes: [0, 1], newNodes: [1, 2] }))).toBe(
      -ENOMEM,
    );
    expect(regionNodes(k, task, r1)).toEqual([1]);
    expect(regionNodes(k, task, r0)).toEqual([0, 0]);
    expect(k.ctx.vmstat.snapshot().nr_isolated_anon).toBe(0);
  });
});

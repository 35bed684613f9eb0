/**
 * Shared fixture of the migration tests: a small booted machine, processes with regions of
 * folios, and the syscalls run to completion on the simulator.
 */
import { parseProfile } from "../machine/parse.js";
import { loadProfile } from "../machine/profile.js";
import { toProfileDocument } from "../machine/schema.js";
import { type Folio, MAX_PAGE_ORDER, PAGE_SIZE } from "../mm/folio.js";
import type { Task } from "../mm/task.js";
import { pageKey, populateRegion, type Region } from "../workload/region.js";
import type { MigGen } from "./core.js";
import type { Exec } from "./exec.js";
import { Kernel } from "./kernel.js";
import { type MigratePagesArgs, sysMigratePages } from "./migrate-pages-syscall.js";
import { MPOL_MF_MOVE } from "./modes.js";
import { sysMovePages } from "./move-pages.js";

export interface BootOptions {
  /** 3 adds a 64 MiB CPU-less node 2 to small-2node. */
  nodes?: 2 | 3;
  thpMigration?: boolean;
  contents?: boolean;
  trace?: boolean;
  nrMaxBatchedMigration?: number;
}

/** small-2node, optionally with a third node or without THP migration. */
export function boot(o: BootOptions = {}): Kernel {
  const doc = toProfileDocument(loadProfile("small-2node"));
  if (o.nodes === 3) doc.topology.nodes.push({ id: 2, socket: 0, memory: "64M", kind: "cxl" });
  if (o.thpMigration !== undefined) doc.kernel.thpMigration = o.thpMigration;
  const profile = parseProfile(JSON.stringify(doc), "test", { source: "test-fixture" });
  return new Kernel({
    profile,
    contents: o.contents,
    trace: o.trace,
    nrMaxBatchedMigration: o.nrMaxBatchedMigration,
  });
}

/** A new process on CPU 0 with `count` order-`order` folios faulted in on `nid`. */
export function spawnWithRegion(k: Kernel, order: number, count: number, nid = 0, seed = 1) {
  const task = k.spawnProcess(0);
  const region = populateRegion(k, task, { order, count, nid, seed });
  return { task, region, addrs: Array.from(region.folioAddrs) };
}

/** Run a kernel path as `task` on the simulator until it returns. */
export function runAs<T>(k: Kernel, task: Task, body: (exec: Exec) => MigGen<T>): T {
  const exec = k.newExec(task);
  const p = k.sim.spawn(
    (function* () {
      const rc = yield* body(exec);
      yield* exec.sync();
      return rc;
    })(),
  );
  return k.sim.runUntilDone(p);
}

/** What a status entry holds when the kernel never wrote it. */
export const UNWRITTEN = 0x5eed;

export interface MovePagesCall {
  pid?: number;
  pages: ArrayLike<number>;
  /** null: query mode. */
  nodes: ArrayLike<number> | null;
  flags?: number;
  /** pages.length by default. */
  count?: number;
  /** Length of the status array; count by default. */
  statusLength?: number;
}

/** move_pages(2) with `status` pre-filled with UNWRITTEN. */
export function movePages(
  k: Kernel,
  caller: Task,
  c: MovePagesCall,
): { rc: number; status: number[] } {
  const count = c.count ?? c.pages.length;
  const status = new Int32Array(c.statusLength ?? count).fill(UNWRITTEN);
  const rc = runAs(k, caller, (exec) =>
    sysMovePages(k, exec, {
      pid: c.pid ?? 0,
      count,
      pages: c.pages,
      nodes: c.nodes,
      status,
      flags: c.flags ?? MPOL_MF_MOVE,
    }),
  );
  return { rc, status: Array.from(status) };
}

export function migratePagesSyscall(k: Kernel, caller: Task, args: MigratePagesArgs): number {
  return runAs(k, caller, (exec) => sysMigratePages(k, exec, args));
}

/** The folio mapped at addr (it must be present). */
export function folioAt(task: Task, addr: number): Folio {
  const l = task.mm?.lookup(addr);
  if (l?.kind !== "present") throw new Error(`no folio mapped at 0x${addr.toString(16)}`);
  return l.folio;
}

/** The node of the page mapped at addr, or -1 when nothing is present there. */
export function nodeAt(k: Kernel, task: Task, addr: number): number {
  const e = task.mm?.entryAt(addr);
  return e?.kind === "present" ? k.phys.nidOf(e.pfn) : -1;
}

/** Bytes mode: every page of the region's i-th folio still holds what populateRegion wrote. */
export function folioIntact(k: Kernel, task: Task, region: Region, i: number): boolean {
  const contents = k.phys.contents;
  if (contents === null || task.mm === null) throw new Error("folioIntact needs bytes mode");
  const addr0 = region.folioAddrs[i];
  for (let j = 0; j < 1 << region.order; j++) {
    const addr = addr0 + j * PAGE_SIZE;
    const e = task.mm.entryAt(addr);
    if (e.kind !== "present") return false;
    if (!contents.checkPage(e.pfn, pageKey(region.seed, task.mm.id, addr / PAGE_SIZE))) {
      return false;
    }
  }
  return true;
}

/** A FOLL_PIN reference, which makes migration of an anon-exclusive folio fail with -EAGAIN. */
export function gupPin(folio: Folio): void {
  folio.pins++;
  folio.refcount++;
}

/**
 * Allocate all of a node's free memory, then give back `scatteredFree` order-0 pages (at most
 * 512) whose buddies stay allocated, so only order-0 allocations can succeed there.
 */
export function fillNode(k: Kernel, nid: number, scatteredFree = 0): void {
  const pairs: Folio[] = [];
  for (let i = 0; i < 2 * scatteredFree; i++) pairs.push(k.phys.allocFolio(nid, 0) as Folio);
  for (let order = MAX_PAGE_ORDER; order >= 0; order--) {
    while (k.phys.allocFolio(nid, order) !== null);
  }
  for (let i = 0; i < pairs.length; i += 2) {
    pairs[i].refcount = 0;
    k.phys.freeFolio(pairs[i]);
  }
}

/** The fields of every mm_migrate_pages event so far: one per migrate_pages() call. */
export function migrateCalls(k: Kernel): Record<string, number | string>[] {
  return k.ctx.trace.events.filter((e) => e.name === "mm_migrate_pages").map((e) => e.fields);
}

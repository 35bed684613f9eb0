/**
 * The selftest's checker: after every call, the state invariants of scanWorld plus what the
 * call's result promises, judged against a snapshot taken before the call and against the
 * argument rules of the semantics reference (§15 move_pages(2), §16 migrate_pages(2)).
 *
 * Pages are named by id (region, page), so "the same page" survives its frame changing; a
 * folio is named by the FolioView it had in the snapshot.
 */

import { MAX_NUMNODES, MPOL_MF_MOVE, MPOL_MF_MOVE_ALL } from "../../migrate/modes.js";
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
  errnoName,
} from "../../mm/errno.js";
import { PAGE_SIZE } from "../../mm/folio.js";
import type { Task } from "../../mm/task.js";
import { type CallResult, type MovePagesArrays, STATUS_SENTINEL } from "./calls.js";
import type { CallSpec, MigratePagesCallSpec, MovePagesCallSpec } from "./case.js";
import { type FolioView, popcount, type Scan, scanWorld, type Violations } from "./scan.js";
import { expectMapped, expectVma, regionPageOf, targetOf, type World } from "./world.js";

/**
 * Check the world after `call` returned `result`; `before` is the scan taken just before the
 * call. Returns the scan of the world now (the next call's `before`) with every violation.
 */
export function checkInvariants(
  world: World,
  before: Scan,
  call: CallSpec,
  result: CallResult,
): Scan {
  const after = scanWorld(world);
  const v = after.violations;
  if (result.rc === null) {
    v.add(`the call threw: ${result.thrown}`);
    return after;
  }
  const ctx: CallContext = { world, before, after, v, rc: result.rc };
  if (call.op === "move_pages") checkMovePages(ctx, call, result.arrays as MovePagesArrays);
  else checkMigratePages(ctx, call);
  return after;
}

interface CallContext {
  world: World;
  before: Scan;
  after: Scan;
  v: Violations;
  rc: number;
}

/** What an address of the target process held before the call. */
type Resolved =
  | { kind: "novma" }
  | { kind: "none" }
  | { kind: "present"; id: number; view: FolioView };

function resolve(ctx: CallContext, t: number, addr: number): Resolved {
  const rp = regionPageOf(ctx.world, addr);
  if (rp === null) return { kind: "novma" };
  const reg = ctx.world.regions[rp.r];
  if (!expectVma(reg, t, rp.p)) return { kind: "novma" };
  if (!expectMapped(reg, t, rp.p)) return { kind: "none" };
  const id = reg.firstId + rp.p;
  return { kind: "present", id, view: ctx.before.folio[id] as FolioView };
}

function ptraceMayAccess(caller: Task, target: Task): boolean {
  return caller === target || caller.uid === 0 || caller.uid === target.uid;
}

function nodeCount(world: World): number {
  return world.c.layout.nodes.length;
}

/** The nodes a task may use: its cpuset, or every node (all have memory). */
function memsOf(world: World, task: Task): Set<number> {
  if (task.memsAllowed !== null) return new Set(task.memsAllowed);
  return new Set(Array.from({ length: nodeCount(world) }, (_, i) => i));
}

/** Page ids whose node differs after the call. */
function movedIds(ctx: CallContext): number[] {
  const { before, after } = ctx;
  const moved: number[] = [];
  for (let id = 0; id < before.nid.length; id++) {
    if (before.nid[id] >= 0 && after.nid[id] >= 0 && before.nid[id] !== after.nid[id]) {
      moved.push(id);
    }
  }
  return moved;
}

function expectRc(ctx: CallContext, err: number, why: string): void {
  if (ctx.rc !== -err) {
    ctx.v.add(`returned ${describeRc(ctx.rc)}, expected -${errnoName(err)} (${why})`);
  }
}

function describeRc(rc: number): string {
  return rc < 0 ? `-${errnoName(rc)}` : String(rc);
}

/** A call that failed its argument checks changes nothing. */
function expectNothingMoved(ctx: CallContext): void {
  const moved = movedIds(ctx);
  if (moved.length > 0) ctx.v.add(`${moved.length} pages moved, but the call migrates nothing`);
  const delta = ctx.after.pgmigrateSuccess - ctx.before.pgmigrateSuccess;
  if (delta !== 0) ctx.v.add(`pgmigrate_success rose by ${delta}, but nothing was migrated`);
}

/** A folio the call may migrate: at most `moves` times; `once` when it can move only once. */
interface Involved {
  moves: number;
  once: boolean;
}

/**
 * pgmigrate_success counts base pages migrated. Each moved page moved at least once; a folio
 * counts all its pages, mapped or not, each time it moves. When every folio that could move
 * is fully mapped and can move only once, the count is exact.
 */
function checkCounter(ctx: CallContext, involved: Map<FolioView, Involved>): void {
  const changed = movedIds(ctx).length;
  const delta = ctx.after.pgmigrateSuccess - ctx.before.pgmigrateSuccess;
  let upper = 0;
  let exact = true;
  for (const [view, { moves, once }] of involved) {
    upper += view.nrPages * moves;
    if (!once || view.mappedPages !== view.nrPages) exact = false;
  }
  if (exact && delta !== changed) {
    ctx.v.add(`pgmigrate_success rose by ${delta}, but ${changed} pages changed node`);
  } else if (delta < changed || delta > upper) {
    ctx.v.add(
      `pgmigrate_success rose by ${delta}: ${changed} pages changed node, at most ${upper} could`,
    );
  }
}

/* ---------------------------------------------------------------- move_pages(2) */

/** §15.2: the syscall-level checks, in order; 0 when they pass. */
function movePagesSyscallError(world: World, call: MovePagesCallSpec): number {
  const caller = world.tasks[call.caller];
  if (call.flags & ~(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) return EINVAL;
  if (call.flags & MPOL_MF_MOVE_ALL && !caller.capSysNice) return EPERM;
  const target = targetOf(world, call.caller, call.pid);
  if (target === undefined) return ESRCH;
  if (!ptraceMayAccess(caller, target)) return EPERM;
  return 0;
}

function checkMovePages(ctx: CallContext, call: MovePagesCallSpec, a: MovePagesArrays): void {
  const { world, v } = ctx;
  const { count, pages, status } = a;
  for (let i = count; i < status.length; i++) {
    if (status[i] !== STATUS_SENTINEL) v.add(`status[${i}] past count ${count} was written`);
  }
  const sysErr = movePagesSyscallError(world, call);
  if (sysErr !== 0) {
    expectRc(ctx, sysErr, "argument check");
    for (let i = 0; i < status.length; i++) {
      if (status[i] !== STATUS_SENTINEL) v.add(`status[${i}] written by a call that failed early`);
    }
    expectNothingMoved(ctx);
    return;
  }
  const target = targetOf(world, call.caller, call.pid) as Task;
  const t = world.tasks.indexOf(target);
  let written = 0;
  for (let i = 0; i < Math.min(count, status.length); i++) {
    if (status[i] === STATUS_SENTINEL) continue;
    written++;
    if (i >= pages.length || (a.nodes !== null && i >= a.nodes.length)) {
      v.add(`status[${i}] written for an entry whose arrays fault`);
    }
  }
  if (a.nodes === null) checkQuery(ctx, t, a);
  else checkMoveMode(ctx, call, t, a, a.nodes, written);
}

/** §15.3: query mode reports each page's node and moves nothing. */
function checkQuery(ctx: CallContext, t: number, a: MovePagesArrays): void {
  const { v, rc } = ctx;
  const { count, pages, status } = a;
  const faults = pages.length < count || status.length < count;
  if (faults) expectRc(ctx, EFAULT, "an array is shorter than count");
  else if (rc !== 0) v.add(`query returned ${describeRc(rc)}, expected 0`);
  for (let i = 0; i < Math.min(count, status.length, pages.length); i++) {
    if (status[i] === STATUS_SENTINEL) {
      if (rc === 0) v.add(`query returned 0 but status[${i}] is unwritten`);
      continue;
    }
    const r = resolve(ctx, t, pages[i]);
    const want = r.kind === "novma" ? -EFAULT : r.kind === "none" ? -ENOENT : r.view.nid;
    if (status[i] !== want) v.add(`query status[${i}] is ${status[i]}, expected ${want}`);
  }
  expectNothingMoved(ctx);
}

/** Index and errno of the first entry that ends the loop of §15.4 step 1, or null. */
function firstEntryError(
  world: World,
  mems: Set<number>,
  a: MovePagesArrays,
  nodes: Int32Array,
): { at: number; err: number } | null {
  for (let i = 0; i < a.count; i++) {
    if (i >= a.pages.length || i >= nodes.length) return { at: i, err: EFAULT };
    const n = nodes[i];
    if (!(n >= 0 && n < MAX_NUMNODES && n < nodeCount(world))) return { at: i, err: ENODEV };
    if (!mems.has(n)) return { at: i, err: EACCES };
  }
  return null;
}

function checkMoveMode(
  ctx: CallContext,
  call: MovePagesCallSpec,
  t: number,
  a: MovePagesArrays,
  nodes: Int32Array,
  written: number,
): void {
  const { world, v, rc, before, after } = ctx;
  const { count, pages, status } = a;
  const moveAll = (call.flags & MPOL_MF_MOVE_ALL) !== 0;
  const entryErr = firstEntryError(world, memsOf(world, world.tasks[t]), a, nodes);
  const statusShort = count > 0 && status.length < count;

  // §15.6: the return value.
  if (rc === 0) {
    if (entryErr !== null) {
      v.add(`returned 0, but entry ${entryErr.at} should fail with ${errnoName(entryErr.err)}`);
    }
    if (statusShort) v.add(`returned 0, but status[] is shorter than count ${count}`);
    for (let i = 0; i < Math.min(count, status.length); i++) {
      if (status[i] === STATUS_SENTINEL) v.add(`returned 0, but status[${i}] is unwritten`);
    }
  } else if (rc > 0) {
    if (rc + written > count) {
      v.add(`returned ${rc} with ${written} statuses written: more than count ${count}`);
    }
  } else if (rc === -ENODEV || rc === -EACCES) {
    if (entryErr?.err !== -rc) v.add(`returned ${describeRc(rc)}, but no entry fails that way`);
  } else if (rc === -EFAULT) {
    if (entryErr?.err !== EFAULT && !statusShort) {
      v.add("returned -EFAULT, but every array covers count");
    }
  } else if (rc !== -ENOMEM) {
    v.add(`returned ${describeRc(rc)}, which move_pages(2) does not return after its checks`);
  }

  // The entries that were read, what they named, and which folios they could move.
  const n = Math.min(count, pages.length, nodes.length);
  const named: Resolved[] = [];
  const targets = new Map<FolioView, Set<number>>();
  for (let i = 0; i < n; i++) {
    const r = resolve(ctx, t, pages[i]);
    named.push(r);
    if (r.kind !== "present") continue;
    let set = targets.get(r.view);
    if (set === undefined) {
      set = new Set();
      targets.set(r.view, set);
    }
    set.add(nodes[i]);
  }

  // §15.7: every written status is one the kernel produces, for the reason it gives.
  for (let i = 0; i < Math.min(n, status.length); i++) {
    const s = status[i];
    if (s === STATUS_SENTINEL) continue;
    const r = named[i];
    const at = `status[${i}] = ${s < 0 ? `-${errnoName(s)}` : s}`;
    if (s >= 0) {
      if (s !== nodes[i]) v.add(`${at}, but nodes[${i}] is ${nodes[i]}`);
      else if (r.kind !== "present") v.add(`${at} for an address with no page (${r.kind})`);
      else if (after.nid[r.id] !== s && !movedAgainLater(named, nodes, i, r.view, n)) {
        v.add(`${at}, but the page is on node ${after.nid[r.id]}`);
      }
    } else if (s === -EFAULT) {
      if (r.kind !== "novma") v.add(`${at}, but the address has a VMA`);
    } else if (s === -ENOENT) {
      if (r.kind !== "none") v.add(`${at}, but the address is ${r.kind}`);
    } else if (s === -EACCES) {
      if (r.kind !== "present" || popcount(r.view.mms) < 2 || moveAll) {
        v.add(`${at}, but the page is not shared or MPOL_MF_MOVE_ALL was given`);
      }
    } else if (s === -EBUSY) {
      if (r.kind !== "present" || !named.slice(0, i).some((q) => sameFolio(q, r.view))) {
        v.add(`${at}, but no earlier entry named the same folio`);
      }
    } else {
      v.add(`${at}: not a status move_pages(2) produces`);
    }
  }

  // Only what was asked moved, where it was asked to, and only what may move.
  for (const id of movedIds(ctx)) {
    const view = before.folio[id] as FolioView;
    const to = after.nid[id];
    const why = pageMoveForbidden(view, moveAll);
    if (why !== null) v.add(`page id ${id} moved to node ${to} although ${why}`);
    if (!named.some((r, j) => sameFolio(r, view) && nodes[j] === to)) {
      v.add(`page id ${id} moved from node ${before.nid[id]} to ${to}, which no entry asked`);
    }
  }
  // Each entry naming a folio may move it once; entries to a single node move it once at most.
  const involved = new Map<FolioView, Involved>();
  for (const [view, set] of targets) {
    const moves = named.filter((r) => sameFolio(r, view)).length;
    involved.set(view, { moves, once: set.size === 1 });
  }
  checkCounter(ctx, involved);
}

function sameFolio(r: Resolved, view: FolioView): boolean {
  return r.kind === "present" && r.view === view;
}

/** A later entry names the same folio with another node, so it may have moved on. */
function movedAgainLater(
  named: readonly Resolved[],
  nodes: Int32Array,
  i: number,
  view: FolioView,
  n: number,
): boolean {
  for (let j = i + 1; j < n; j++)
    if (sameFolio(named[j], view) && nodes[j] !== nodes[i]) return true;
  return false;
}

/** Pinned folios never pass the refcount check; shared ones need MPOL_MF_MOVE_ALL. */
function pageMoveForbidden(view: FolioView, moveAll: boolean): string | null {
  if (view.pins > 0) return "its folio is pinned";
  if (popcount(view.mms) > 1 && !moveAll) return "it is shared and MPOL_MF_MOVE_ALL was not given";
  return null;
}

/* ---------------------------------------------------------------- migrate_pages(2) */

interface NodeMaps {
  /** The effective masks, as sorted node lists. */
  from: number[];
  to: number[];
}

/** §16: the argument checks in order; an errno, or the effective masks. */
function migratePagesArgs(world: World, call: MigratePagesCallSpec): number | NodeMaps {
  const caller = world.tasks[call.caller];
  // maxnode is unsigned: maxnode - 1 wraps for 0.
  const nbits = call.maxnode - 1;
  const mask = (bits: number[] | null): number | number[] => {
    if (bits === null) return EFAULT;
    if (nbits < 0 || nbits > PAGE_SIZE * 8) return EINVAL;
    const set = bits.filter((b) => b >= 0 && b < nbits);
    return set.some((b) => b >= MAX_NUMNODES) ? EINVAL : set;
  };
  const from = mask(call.oldNodes);
  if (typeof from === "number") return from;
  const to = mask(call.newNodes);
  if (typeof to === "number") return to;
  const target = targetOf(world, call.caller, call.pid);
  if (target === undefined) return ESRCH;
  if (!ptraceMayAccess(caller, target)) return EPERM;
  const targetMems = memsOf(world, target);
  if (!to.every((n) => targetMems.has(n)) && !caller.capSysNice) return EPERM;
  const callerMems = memsOf(world, caller);
  const newNodes = to.filter((n) => callerMems.has(n));
  if (newNodes.length === 0) return EINVAL;
  return { from, to: newNodes };
}

/** bitmap_bitremap(): the n-th node of `from` goes to the (n mod |to|)-th node of `to`. */
function remap(s: number, m: NodeMaps): number {
  const n = m.from.indexOf(s);
  return n < 0 ? s : m.to[n % m.to.length];
}

/** Source nodes do_migrate_pages() empties: in `from`, moved elsewhere, not skipped. */
function sourceNodes(m: NodeMaps): number[] {
  const skipInTo = m.from.length !== m.to.length;
  return m.from.filter((s) => !(skipInTo && m.to.includes(s)) && remap(s, m) !== s);
}

/** The source -> dest pairs chain into a cycle, so some pages move twice whatever the order. */
function hasCycle(sources: readonly number[], m: NodeMaps): boolean {
  for (const s of sources) {
    let d = remap(s, m);
    for (let step = 0; step < sources.length && sources.includes(d); step++) {
      if (d === s) return true;
      d = remap(d, m);
    }
  }
  return false;
}

function checkMigratePages(ctx: CallContext, call: MigratePagesCallSpec): void {
  const { world, v, rc, before, after } = ctx;
  const args = migratePagesArgs(world, call);
  if (typeof args === "number") {
    expectRc(ctx, args, "argument check");
    expectNothingMoved(ctx);
    return;
  }
  if (rc < 0 && rc !== -ENOMEM) {
    v.add(`returned ${describeRc(rc)}, which migrate_pages(2) does not return after its checks`);
  }
  const target = targetOf(world, call.caller, call.pid) as Task;
  const t = world.tasks.indexOf(target);
  const moveAll = world.tasks[call.caller].capSysNice;
  const sources = sourceNodes(args);
  const cycle = hasCycle(sources, args);
  const moves = cycle ? sources.length : 1;

  // Folios of the target on a source node: the only ones that may move. The page walk meets a
  // folio once per VMA, and each meeting after the first fails to isolate it.
  const involved = new Map<FolioView, Involved>();
  const meetings = new Set<string>();
  world.regions.forEach((reg, r) => {
    for (let p = 0; p < reg.pages; p++) {
      const id = reg.firstId + p;
      const view = before.folio[id];
      if (view === undefined || !(before.mms[id] & (1 << t)) || !sources.includes(view.nid)) {
        continue;
      }
      involved.set(view, { moves, once: !cycle });
      const vma = t === reg.owner && p >= reg.holeEnd && reg.holeEnd > reg.holeFirst ? 1 : 0;
      meetings.add(`${view.pfn}:${r}:${vma}`);
    }
  });
  if (rc > meetings.size * moves) {
    v.add(`returned ${rc}, but the walk met only ${meetings.size} folios on source nodes`);
  }

  for (const id of movedIds(ctx)) {
    const view = before.folio[id] as FolioView;
    const from = before.nid[id];
    const to = after.nid[id];
    const where = `page id ${id} moved from node ${from} to ${to}`;
    if (!involved.has(view)) {
      v.add(`${where}, but it was not the target's on a source node`);
      continue;
    }
    const why = pageMoveForbidden(view, moveAll);
    if (why !== null) v.add(`${where} although ${why}`);
    // Without a cycle the pairs can be ordered so every page moves once, to its remapped node.
    if (!cycle && to !== remap(from, args)) {
      v.add(
        `${where}, but ${from} maps to ${remap(from, args)} (old ${args.from}, new ${args.to})`,
      );
    } else if (!args.to.includes(to)) {
      v.add(`${where}, outside the new nodes ${args.to}`);
    }
  }
  // rc 0: nothing failed, so every movable page of the target on a source node moved.
  if (rc === 0 && !cycle) {
    for (let id = 0; id < before.folio.length; id++) {
      const view = before.folio[id];
      if (view === undefined || !involved.has(view) || pageMoveForbidden(view, moveAll) !== null) {
        continue;
      }
      const want = remap(view.nid, args);
      if (after.nid[id] !== want) {
        v.add(`returned 0, but page id ${id} is on node ${after.nid[id]}, not ${want}`);
      }
    }
  }
  checkCounter(ctx, involved);
}

/**
 * Migration drivers for applications: tasks that call move_pages(2) or migrate_pages(2) on an
 * application's memory while it runs.
 *
 * - `movePagesLoop` moves the whole region to each node of a list in turn, call after call, as
 *   the kernel selftest's migration thread does (tools/testing/selftests/mm/migration.c
 *   ping-pongs its pages between two nodes).
 * - `migratePagesLoop` moves the whole process to each node of a list in turn with
 *   migrate_pages(2), as migratepages(8) run back and forth does (the test of Linux 6.3's
 *   batched TLB flushing).
 * - `mbindOnce` is a thread of the application calling mbind(2) once on one of its regions, or
 *   on part of one.
 * - `cappedMover` moves the region to one node a chunk per tick, at most a bandwidth's worth of
 *   bytes per tick, as a user-space tiering daemon such as memtierd paces its moves so that
 *   the application keeps its memory bandwidth.
 *
 * Except for mbind's thread, the mover is a task of another process, which may move the application's pages (the model's
 * ptrace check passes for root); every unmap and remap is reported to the application.
 */
import type { MigGen } from "../../migrate/core.js";
import type { Exec } from "../../migrate/exec.js";
import type { Kernel } from "../../migrate/kernel.js";
import { sysMbind } from "../../migrate/mbind.js";
import { sysMigratePages } from "../../migrate/migrate-pages-syscall.js";
import { MAX_NUMNODES, MPOL_MF_MOVE } from "../../migrate/modes.js";
import { sysMovePages } from "../../migrate/move-pages.js";
import type { Mempolicy } from "../../mm/mempolicy.js";
import type { Task } from "../../mm/task.js";
import type { Yieldable } from "../../sim/simulator.js";
import type { App, AppRegion } from "./app.js";

export interface MoverStats {
  calls: number;
  /**
   * Calls that returned an error (move_pages(2) -ENOMEM when no destination folio could be
   * allocated, ...): the mover, a user program, goes on with its next call.
   */
  failedCalls: number;
  /** Folios the calls migrated (mapped again at their destination), and their bytes. */
  foliosMoved: number;
  bytesMoved: number;
  /** Virtual time inside move_pages(2), ns. */
  busyNs: number;
  /** CPU time of the calls that returned, ns: the task's own (without interrupts), and interrupts'. */
  taskCpuNs: number;
  irqNs: number;
  /** The call in progress, whose CPU time is still growing; null between calls. */
  inCall: Exec | null;
}

export function newMoverStats(): MoverStats {
  return {
    calls: 0,
    failedCalls: 0,
    foliosMoved: 0,
    bytesMoved: 0,
    busyNs: 0,
    taskCpuNs: 0,
    irqNs: 0,
    inCall: null,
  };
}

/** A mover's CPU time so far, calls in progress included: its task's own and interrupts', ns. */
export function moverCpuNs(stats: MoverStats): { task: number; irq: number } {
  const e = stats.inCall;
  const irq = stats.irqNs + (e?.irqNs ?? 0);
  return { task: stats.taskCpuNs + (e === null ? 0 : e.cpuTimeNs() - e.irqNs), irq };
}

type MoverGen = Generator<Yieldable, void, unknown>;

/** The address of each folio of `region`. */
function folioAddrs(region: AppRegion): Float64Array {
  const n = (region.end - region.start) / region.folioSizeBytes;
  return Float64Array.from({ length: n }, (_, i) => region.start + i * region.folioSizeBytes);
}

/** One move_pages(2) call of `pages` to `target`, counted in `stats`. */
function movePages(
  k: Kernel,
  mover: Task,
  app: App,
  pages: ArrayLike<number>,
  target: number,
  stats: MoverStats,
): MoverGen {
  return moverCall(k, mover, app, stats, (exec) =>
    sysMovePages(k, exec, {
      pid: app.task.pid,
      count: pages.length,
      pages,
      nodes: new Int32Array(pages.length).fill(target),
      status: new Int32Array(pages.length),
      flags: MPOL_MF_MOVE,
    }),
  );
}

/** One syscall of the mover, its folios' moves reported to the application and counted. */
function* moverCall(
  k: Kernel,
  mover: Task,
  app: App,
  stats: MoverStats,
  syscall: (exec: Exec) => MigGen<number>,
): MoverGen {
  const exec = k.newExec(mover);
  exec.folioEvents = {
    unmapped: app.watcher.unmapped,
    remapped: (folio, ns) => {
      stats.foliosMoved++;
      stats.bytesMoved += folio.sizeBytes;
      app.watcher.remapped(folio, ns);
    },
  };
  const start = k.sim.now;
  stats.inCall = exec;
  const rc = yield* syscall(exec);
  yield* exec.sync();
  stats.inCall = null;
  stats.taskCpuNs += exec.cpuTimeNs() - exec.irqNs;
  stats.irqNs += exec.irqNs;
  if (rc < 0) stats.failedCalls++;
  stats.calls++;
  stats.busyNs += k.sim.now - start;
}

/** Until `endNs` (or `maxCalls` calls), the whole region to nodes[0], nodes[1], ... and around. */
export function* movePagesLoop(
  k: Kernel,
  mover: Task,
  app: App,
  region: AppRegion,
  nodes: readonly number[],
  endNs: number,
  stats: MoverStats,
  maxCalls = Number.POSITIVE_INFINITY,
): MoverGen {
  const pages = folioAddrs(region);
  for (let call = 0; k.sim.now < endNs && call < maxCalls; call++) {
    yield* movePages(k, mover, app, pages, nodes[call % nodes.length], stats);
  }
}

/**
 * Until `endNs` (or `maxCalls` calls), migrate_pages(2) of the whole process to nodes[0],
 * nodes[1], ... and around, as `migratepages PID FROM TO` run back and forth: each call moves
 * what is on the other nodes to the call's node.
 */
export function* migratePagesLoop(
  k: Kernel,
  mover: Task,
  app: App,
  nodes: readonly number[],
  endNs: number,
  stats: MoverStats,
  maxCalls = Number.POSITIVE_INFINITY,
): MoverGen {
  const all = k.profile.topology.nodes.map((n) => n.id);
  for (let call = 0; k.sim.now < endNs && call < maxCalls; call++) {
    const target = nodes[call % nodes.length];
    yield* moverCall(k, mover, app, stats, (exec) =>
      sysMigratePages(k, exec, {
        pid: app.task.pid,
        maxnode: MAX_NUMNODES + 1,
        oldNodes: all.filter((n) => n !== target),
        newNodes: [target],
      }),
    );
  }
}

/**
 * Until the region is on `node` or `endNs`: every `tickNs`, one call moving the next folios
 * that are not on `node` yet, at most `bytesPerNs * tickNs` bytes of them (at least one
 * folio), walking the region once in address order. A call that takes longer than its tick
 * delays the next; the mover never runs two at once.
 */
export function* cappedMover(
  k: Kernel,
  mover: Task,
  app: App,
  region: AppRegion,
  node: number,
  bytesPerNs: number,
  tickNs: number,
  endNs: number,
  stats: MoverStats,
): MoverGen {
  const mm = app.task.mm;
  if (mm === null) throw new Error("cappedMover: the application has no mm");
  const all = folioAddrs(region);
  const chunk = Math.max(1, Math.floor((bytesPerNs * tickNs) / region.folioSizeBytes));
  let cursor = 0;
  while (cursor < all.length && k.sim.now < endNs) {
    const tickEnd = k.sim.now + tickNs;
    const pages: number[] = [];
    for (; cursor < all.length && pages.length < chunk; cursor++) {
      const e = mm.entryAt(all[cursor]);
      if (e.kind === "present" && k.phys.nidOf(e.pfn) !== node) pages.push(all[cursor]);
    }
    if (pages.length > 0) yield* movePages(k, mover, app, pages, node, stats);
    if (k.sim.now < tickEnd) yield tickEnd - k.sim.now;
  }
}

/**
 * One mbind(2) of `len` bytes of the region from `offset` with `policy` and `flags`, by
 * `thread` (of the application).
 */
export function mbindOnce(
  k: Kernel,
  thread: Task,
  app: App,
  range: { region: AppRegion; offset: number; len: number },
  policy: Mempolicy,
  flags: number,
  stats: MoverStats,
): MoverGen {
  const start = range.region.start + range.offset;
  return moverCall(k, thread, app, stats, (exec) =>
    sysMbind(k, exec, { start, len: range.len, policy, flags }),
  );
}

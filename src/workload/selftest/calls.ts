/** Runs one call of a selftest case: builds the user arrays and runs the syscall to completion. */

import type { MigGen } from "../../migrate/core.js";
import { sysMigratePages } from "../../migrate/migrate-pages-syscall.js";
import { sysMovePages } from "../../migrate/move-pages.js";
import { PAGE_SIZE } from "../../mm/folio.js";
import { TASK_SIZE } from "../../mm/vm.js";
import {
  type AddrSpec,
  type CallSpec,
  type MovePagesCallSpec,
  REGION_BASE,
  REGION_STRIDE,
} from "./case.js";
import { pidArg, type World } from "./world.js";

/** What an unwritten status slot holds: no node id and no errno. */
export const STATUS_SENTINEL = -0x5eed;

/** The user arrays of a move_pages(2) call. */
export interface MovePagesArrays {
  count: number;
  pages: Float64Array;
  nodes: Int32Array | null;
  status: Int32Array;
}

export interface CallResult {
  /** The syscall's return value; null when it threw. */
  rc: number | null;
  /** The message of an exception thrown by the model. */
  thrown: string | null;
  /** move_pages(2) only. */
  arrays: MovePagesArrays | null;
}

/** The address an AddrSpec names in the case's geometry. */
export function addressOf(world: World, a: AddrSpec): number {
  if ("outside" in a) {
    if (a.outside === "null") return 0;
    // Past the end of region 0's VMA but inside its stride: never mapped.
    if (a.outside === "gap") return REGION_BASE + REGION_STRIDE / 2;
    return TASK_SIZE + PAGE_SIZE;
  }
  const reg = world.regions[a.region];
  return reg.start + ((a.folio << reg.order) + a.page) * PAGE_SIZE + a.offset;
}

export function movePagesArrays(world: World, call: MovePagesCallSpec): MovePagesArrays {
  const n = call.entries.length;
  const count = n + call.extraCount;
  const pages = new Float64Array(n - call.dropPages);
  for (let i = 0; i < pages.length; i++) pages[i] = addressOf(world, call.entries[i].addr);
  let nodes: Int32Array | null = null;
  if (!call.query) {
    nodes = new Int32Array(n - call.dropNodes);
    for (let i = 0; i < nodes.length; i++) nodes[i] = call.entries[i].node;
  }
  const status = new Int32Array(count - call.dropStatus + call.statusGuard).fill(STATUS_SENTINEL);
  return { count, pages, nodes, status };
}

/** Run the call as its caller on the simulator until it returns. */
export function runCall(world: World, call: CallSpec): CallResult {
  const k = world.k;
  const exec = k.newExec(world.tasks[call.caller]);
  const pid = pidArg(world, call.caller, call.pid);
  let arrays: MovePagesArrays | null = null;
  let body: MigGen<number>;
  if (call.op === "move_pages") {
    arrays = movePagesArrays(world, call);
    body = sysMovePages(k, exec, {
      pid,
      count: arrays.count,
      pages: arrays.pages,
      nodes: arrays.nodes,
      status: arrays.status,
      flags: call.flags,
    });
  } else {
    body = sysMigratePages(k, exec, {
      pid,
      maxnode: call.maxnode,
      oldNodes: call.oldNodes,
      newNodes: call.newNodes,
    });
  }
  try {
    const p = k.sim.spawn(
      (function* () {
        const rc = yield* body;
        yield* exec.sync();
        return rc;
      })(),
      call.op,
    );
    return { rc: k.sim.runUntilDone(p), thrown: null, arrays };
  } catch (err) {
    return { rc: null, thrown: err instanceof Error ? err.message : String(err), arrays };
  }
}

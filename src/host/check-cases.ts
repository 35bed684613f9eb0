/**
 * The move_pages(2) calls `pagemig host check` makes on the running kernel and on the model,
 * written in symbols each side resolves in its own address space (semantics reference §15).
 * Every case runs on a fresh region of REGION_PAGES base pages:
 *
 *   page 0, 1  written (a private anonymous page each)
 *   page 2     never touched
 *   page 3, 5  read, never written (the shared zero page, where the kernel maps it)
 *   page 4     unmapped (a hole: munmap of that page)
 *   page 6, 7  written
 */
import { MPOL_MF_MOVE, MPOL_MF_MOVE_ALL, MPOL_MF_STRICT } from "../migrate/modes.js";

export const REGION_PAGES = 8;

/** A page of the region, or a page offset into it. */
export type PageRef = "written" | "written2" | "untouched" | "read" | "unmapped" | "unaligned";

export const PAGE_INDEX: Record<PageRef, number> = {
  written: 0,
  written2: 1,
  untouched: 2,
  read: 3,
  unmapped: 4,
  /** Page 6, 123 bytes in: move_pages takes any address inside a page. */
  unaligned: 6,
};
export const UNALIGNED_OFFSET = 123;

/**
 * here: the node the region is on; other: a second memory node; absent: an id no online node
 * has; beyond: past any MAX_NUMNODES; negative: -1; memoryless: an online node without memory.
 */
export type NodeRef = "here" | "other" | "absent" | "beyond" | "negative" | "memoryless";

/** self: the caller's own pid given explicitly; absent: a pid no process has. */
export type PidRef = 0 | "self" | "absent";

export type Need = "two-nodes" | "memoryless-node" | "zero-page" | "unprivileged";

export interface CheckCase {
  name: string;
  pid: PidRef;
  /** null: a NULL pages pointer. */
  pages: PageRef[] | null;
  /** pages.length by default. */
  count?: number;
  /** null: query mode. */
  nodes: NodeRef[] | null;
  /** A NULL status array. */
  nullStatus?: boolean;
  flags: number;
  /** Run by a user without CAP_SYS_NICE (a child process dropped to nobody when root). */
  unprivileged?: boolean;
  needs: Need[];
}

const M = MPOL_MF_MOVE;
const repeat = <T>(xs: T[], n: number): T[] =>
  Array.from({ length: n }, (_, i) => xs[i % xs.length]);
const MIX: PageRef[] = ["written", "untouched", "unmapped", "written2", "unaligned"];

export const CHECK_CASES: readonly CheckCase[] = [
  // Syscall-level checks, first failure wins (§15.2).
  {
    name: "flags MPOL_MF_STRICT",
    pid: 0,
    pages: ["written"],
    nodes: ["here"],
    flags: MPOL_MF_STRICT,
    needs: [],
  },
  {
    name: "flags 1<<3 (query mode)",
    pid: 0,
    pages: ["written"],
    nodes: null,
    flags: 1 << 3,
    needs: [],
  },
  {
    name: "bad flags before a missing pid",
    pid: "absent",
    pages: ["written"],
    nodes: null,
    flags: M | (1 << 5),
    needs: [],
  },
  {
    name: "pid that does not exist",
    pid: "absent",
    pages: ["written"],
    nodes: null,
    flags: 0,
    needs: [],
  },
  {
    name: "pid that does not exist (move)",
    pid: "absent",
    pages: ["written"],
    nodes: ["here"],
    flags: M,
    needs: [],
  },
  {
    name: "own pid given explicitly",
    pid: "self",
    pages: ["written", "untouched"],
    nodes: null,
    flags: 0,
    needs: [],
  },
  {
    name: "MPOL_MF_MOVE_ALL with CAP_SYS_NICE",
    pid: 0,
    pages: ["written"],
    nodes: ["here"],
    flags: MPOL_MF_MOVE_ALL,
    needs: [],
  },
  {
    name: "MPOL_MF_MOVE_ALL unprivileged",
    pid: 0,
    pages: ["written"],
    nodes: ["here"],
    flags: MPOL_MF_MOVE_ALL,
    unprivileged: true,
    needs: ["unprivileged"],
  },
  {
    name: "MPOL_MF_MOVE_ALL unprivileged, query mode",
    pid: 0,
    pages: ["written"],
    nodes: null,
    flags: MPOL_MF_MOVE_ALL,
    unprivileged: true,
    needs: ["unprivileged"],
  },
  {
    name: "MPOL_MF_MOVE unprivileged",
    pid: 0,
    pages: ["written"],
    nodes: ["here"],
    flags: M,
    unprivileged: true,
    needs: ["unprivileged"],
  },
  // Query mode (§15.3).
  {
    name: "query: written, untouched, unmapped",
    pid: 0,
    pages: ["written", "untouched", "unmapped"],
    nodes: null,
    flags: 0,
    needs: [],
  },
  {
    name: "query: an address inside a page",
    pid: 0,
    pages: ["unaligned"],
    nodes: null,
    flags: 0,
    needs: [],
  },
  {
    name: "query: read-only zero page",
    pid: 0,
    pages: ["read"],
    nodes: null,
    flags: 0,
    needs: ["zero-page"],
  },
  {
    name: "query: duplicates",
    pid: 0,
    pages: ["written", "written", "untouched", "untouched"],
    nodes: null,
    flags: 0,
    needs: [],
  },
  { name: "query: count 0", pid: 0, pages: [], nodes: null, flags: 0, needs: [] },
  {
    name: "query: 40 entries (chunks of 16)",
    pid: 0,
    pages: repeat(MIX, 40),
    nodes: null,
    flags: 0,
    needs: [],
  },
  { name: "query: NULL pages", pid: 0, pages: null, count: 1, nodes: null, flags: 0, needs: [] },
  {
    name: "query: NULL status",
    pid: 0,
    pages: ["written"],
    nodes: null,
    nullStatus: true,
    flags: 0,
    needs: [],
  },
  {
    name: "query: NULL status, count 0",
    pid: 0,
    pages: [],
    nodes: null,
    nullStatus: true,
    flags: 0,
    needs: [],
  },
  // Move mode (§15.4, §15.5).
  {
    name: "move: already on the node",
    pid: 0,
    pages: ["written", "written2"],
    nodes: ["here", "here"],
    flags: M,
    needs: [],
  },
  {
    name: "move: untouched and unmapped",
    pid: 0,
    pages: ["untouched", "unmapped", "written"],
    nodes: ["here", "here", "here"],
    flags: M,
    needs: [],
  },
  {
    name: "move: flags 0 moves too",
    pid: 0,
    pages: ["written"],
    nodes: ["here"],
    flags: 0,
    needs: [],
  },
  {
    name: "move: read-only zero page",
    pid: 0,
    pages: ["read"],
    nodes: ["here"],
    flags: M,
    needs: ["zero-page"],
  },
  {
    name: "move: node that does not exist",
    pid: 0,
    pages: ["written", "written2"],
    nodes: ["here", "absent"],
    flags: M,
    needs: [],
  },
  {
    name: "move: node past MAX_NUMNODES",
    pid: 0,
    pages: ["written"],
    nodes: ["beyond"],
    flags: M,
    needs: [],
  },
  {
    name: "move: node -1",
    pid: 0,
    pages: ["untouched", "written"],
    nodes: ["here", "negative"],
    flags: M,
    needs: [],
  },
  {
    name: "move: node without memory",
    pid: 0,
    pages: ["written"],
    nodes: ["memoryless"],
    flags: M,
    needs: ["memoryless-node"],
  },
  {
    name: "move: duplicates on their node",
    pid: 0,
    pages: ["written", "written", "written"],
    nodes: ["here", "here", "here"],
    flags: M,
    needs: [],
  },
  { name: "move: count 0", pid: 0, pages: [], nodes: [], flags: M, needs: [] },
  {
    name: "move: 40 entries",
    pid: 0,
    pages: repeat(MIX, 40),
    nodes: repeat(["here"], 40),
    flags: M,
    needs: [],
  },
  { name: "move: NULL pages", pid: 0, pages: null, count: 1, nodes: ["here"], flags: M, needs: [] },
  {
    name: "move: NULL status",
    pid: 0,
    pages: ["written"],
    nodes: ["here"],
    nullStatus: true,
    flags: M,
    needs: [],
  },
  // Two memory nodes.
  {
    name: "move: to the other node",
    pid: 0,
    pages: ["written", "written2"],
    nodes: ["other", "other"],
    flags: M,
    needs: ["two-nodes"],
  },
  {
    name: "move: duplicates to the other node",
    pid: 0,
    pages: ["written", "written"],
    nodes: ["other", "other"],
    flags: M,
    needs: ["two-nodes"],
  },
  {
    name: "move: alternating nodes (runs)",
    pid: 0,
    pages: ["written", "written2", "unaligned", "untouched"],
    nodes: ["other", "here", "other", "other"],
    flags: M,
    needs: ["two-nodes"],
  },
  {
    name: "move: 40 entries to the other node",
    pid: 0,
    pages: repeat(MIX, 40),
    nodes: repeat(["other"], 40),
    flags: M,
    needs: ["two-nodes"],
  },
  {
    name: "move: error after a queued run",
    pid: 0,
    pages: ["written", "written2"],
    nodes: ["other", "absent"],
    flags: M,
    needs: ["two-nodes"],
  },
  {
    name: "move: zero page to the other node",
    pid: 0,
    pages: ["read"],
    nodes: ["other"],
    flags: M,
    needs: ["two-nodes", "zero-page"],
  },
];

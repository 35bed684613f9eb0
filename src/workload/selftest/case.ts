/**
 * The selftest's case model: a machine layout and a list of syscalls, as plain JSON-able data,
 * so a failing case can be printed, read and replayed.
 *
 * Generated values are normalised (normalizeCase) into the form the runner uses: indices are
 * reduced into range and lists made unique and sorted, so a printed case says exactly what
 * was run.
 */
import { HPAGE_PMD_ORDER, PAGE_SIZE } from "../../mm/folio.js";

/** Page budget of one region, so a case stays a few milliseconds long. */
export const MAX_REGION_PAGES = 1024;
export const MAX_REGION_FOLIOS = 64;
/** Region r of either process lives at REGION_BASE + r * REGION_STRIDE (2 MiB aligned). */
export const REGION_BASE = 0x1_0000_0000;
export const REGION_STRIDE = 0x400_0000;

export interface NodeSpec {
  /** Memory of the node in MiB: a multiple of 4. */
  mib: number;
  /** Fill the node with filler allocations until this many pages are free; null: no filler. */
  leavePages: number | null;
  /** Fraction of the memory left free that PhysMem.fragment() fragments, after the fillers. */
  fragment: number;
}

export interface ProcSpec {
  uid: number;
  capSysNice: boolean;
  /** cpuset mems_allowed (nodes of the machine only); null: every node. */
  mems: number[] | null;
}

/** A page range of a region, in base pages from its start. */
export interface PageRange {
  first: number;
  pages: number;
}

export interface RegionSpec {
  /** Index of the owning process (0 or 1); sharing maps it into the other one. */
  owner: number;
  /** Folio order, 0..9. */
  order: number;
  /** Folios requested; fewer are mapped when the node runs out. */
  count: number;
  /** The node the folios are allocated on. */
  node: number;
  /** Folio indices never faulted in. */
  absent: number[];
  /** Folio indices with a long-term GUP pin (pins + 1, refcount + 1). */
  pinned: number[];
  /** Range mapped into the other process as fork() would (shareRange). */
  share: PageRange | null;
  /** Range unmapped from the owner after sharing. */
  hole: PageRange | null;
}

export interface Layout {
  nodes: NodeSpec[];
  /** CONFIG_ARCH_ENABLE_THP_MIGRATION of the profile. */
  thpMigration: boolean;
  /** NR_MAX_BATCHED_MIGRATION in base pages. */
  batchPages: number;
  procs: ProcSpec[];
  regions: RegionSpec[];
}

/** Which task a syscall names: 0 (the caller), the caller's pid, the other's pid, no task. */
export type PidSpec = "zero" | "self" | "other" | "none";
export const NO_SUCH_PID = 4242;

/** An address given to move_pages(2). */
export type AddrSpec =
  | { region: number; folio: number; page: number; offset: number }
  | { outside: "null" | "gap" | "high" };

export interface MoveEntry {
  addr: AddrSpec;
  node: number;
}

export interface MovePagesCallSpec {
  op: "move_pages";
  caller: number;
  pid: PidSpec;
  flags: number;
  /** Query mode: nodes == NULL. */
  query: boolean;
  entries: MoveEntry[];
  /** count = entries.length + extraCount: larger than the arrays when > 0. */
  extraCount: number;
  /** Elements dropped from the end of pages[], nodes[] and status[]. */
  dropPages: number;
  dropNodes: number;
  dropStatus: number;
  /** Slots of status[] past count, which must stay unwritten. */
  statusGuard: number;
}

export interface MigratePagesCallSpec {
  op: "migrate_pages";
  caller: number;
  pid: PidSpec;
  maxnode: number;
  /** Set bits of the masks; null: a mask whose memory faults. */
  oldNodes: number[] | null;
  newNodes: number[] | null;
}

export type CallSpec = MovePagesCallSpec | MigratePagesCallSpec;

export interface SelftestCase {
  /** Seeds the page contents, the fragmentation and the simulator. */
  seed: number;
  layout: Layout;
  calls: CallSpec[];
}

/** The most folios of `order` a region may hold. */
export function maxFolios(order: number): number {
  return Math.max(1, Math.min(MAX_REGION_FOLIOS, MAX_REGION_PAGES >> order));
}

function uniqueSorted(xs: readonly number[]): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

function normalizeRange(r: PageRange | null, pages: number): PageRange | null {
  if (r === null) return null;
  const first = mod(r.first, pages);
  return { first, pages: Math.max(1, Math.min(r.pages, pages - first)) };
}

function normalizeRegion(r: RegionSpec, nrNodes: number): RegionSpec {
  const order = Math.min(Math.max(r.order, 0), HPAGE_PMD_ORDER);
  const count = Math.max(1, Math.min(r.count, maxFolios(order)));
  const pages = count << order;
  return {
    owner: mod(r.owner, 2),
    order,
    count,
    node: mod(r.node, nrNodes),
    absent: uniqueSorted(r.absent.map((i) => mod(i, count))),
    pinned: uniqueSorted(r.pinned.map((i) => mod(i, count))),
    share: normalizeRange(r.share, pages),
    hole: normalizeRange(r.hole, pages),
  };
}

function normalizeAddr(a: AddrSpec, regions: readonly RegionSpec[]): AddrSpec {
  if ("outside" in a) return a;
  const region = mod(a.region, regions.length);
  const r = regions[region];
  return {
    region,
    folio: mod(a.folio, r.count),
    page: mod(a.page, 1 << r.order),
    offset: mod(a.offset, PAGE_SIZE),
  };
}

function normalizeCall(c: CallSpec, regions: readonly RegionSpec[]): CallSpec {
  const caller = mod(c.caller, 2);
  if (c.op === "migrate_pages") {
    return {
      ...c,
      caller,
      oldNodes: c.oldNodes && uniqueSorted(c.oldNodes),
      newNodes: c.newNodes && uniqueSorted(c.newNodes),
    };
  }
  const entries = c.entries.map((e) => ({ addr: normalizeAddr(e.addr, regions), node: e.node }));
  const n = entries.length;
  return {
    ...c,
    caller,
    entries,
    dropPages: Math.min(c.dropPages, n),
    dropNodes: Math.min(c.dropNodes, n),
    dropStatus: Math.min(c.dropStatus, n + c.extraCount),
  };
}

/** The canonical form of a generated case: every index in range, lists unique and sorted. */
export function normalizeCase(c: SelftestCase): SelftestCase {
  const nodes = c.layout.nodes;
  const regions = c.layout.regions.map((r) => normalizeRegion(r, nodes.length));
  return {
    seed: c.seed,
    layout: {
      ...c.layout,
      // A cpuset only ever holds nodes with memory.
      procs: c.layout.procs.map((p) => ({
        ...p,
        mems: p.mems && uniqueSorted(p.mems.filter((n) => n < nodes.length)),
      })),
      regions,
    },
    calls: c.calls.map((call) => normalizeCall(call, regions)),
  };
}

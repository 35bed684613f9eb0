/**
 * fast-check arbitraries for selftest cases. Most values are valid and a few are bad, so most
 * calls migrate something while every argument check still gets exercised. Indices are drawn
 * without knowing the layout and normalizeCase reduces them into range, which keeps the
 * arbitraries independent and shrinking effective.
 */
import fc from "fast-check";
import { MPOL_MF_MOVE, MPOL_MF_MOVE_ALL, MPOL_MF_STRICT } from "../../migrate/modes.js";
import { HPAGE_PMD_ORDER } from "../../mm/folio.js";
import {
  type AddrSpec,
  type CallSpec,
  type Layout,
  MAX_REGION_FOLIOS,
  MAX_REGION_PAGES,
  type MigratePagesCallSpec,
  type MoveEntry,
  type MovePagesCallSpec,
  type NodeSpec,
  normalizeCase,
  type PageRange,
  type PidSpec,
  type ProcSpec,
  type RegionSpec,
  type SelftestCase,
} from "./case.js";

/** Node ids of the largest machine (3 nodes); on a 2-node machine node 2 has no memory. */
const NODE = fc.integer({ min: 0, max: 2 });
/** Node ids move_pages(2) must refuse: negative, past MAX_NUMNODES, a node that is not there. */
const BAD_NODE = fc.constantFrom(-1, 5000, 1023, 3);

function weighted<T>(...pairs: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> {
  return fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}

const nodeSpec: fc.Arbitrary<NodeSpec> = fc.record({
  mib: fc.constantFrom(8, 12, 16, 32, 64),
  leavePages: weighted<number | null>(
    [4, fc.constant(null)],
    [2, fc.constantFrom(0, 1, 16, 511, 512, 513)],
    [2, fc.integer({ min: 0, max: 4096 })],
  ),
  fragment: weighted([8, fc.constant(0)], [1, fc.constantFrom(0.25, 0.5, 0.9)]),
});

const procSpec: fc.Arbitrary<ProcSpec> = fc.record({
  uid: weighted([6, fc.constant(0)], [1, fc.constantFrom(1000, 1001)]),
  capSysNice: weighted([6, fc.constant(true)], [1, fc.constant(false)]),
  mems: weighted<number[] | null>(
    [8, fc.constant(null)],
    [1, fc.uniqueArray(NODE, { maxLength: 3 })],
  ),
});

const pageRange: fc.Arbitrary<PageRange> = fc.record({
  first: fc.nat({ max: MAX_REGION_PAGES - 1 }),
  pages: weighted(
    [2, fc.integer({ min: 1, max: 16 })],
    [1, fc.integer({ min: 1, max: MAX_REGION_PAGES })],
  ),
});

const folioIndex = fc.nat({ max: MAX_REGION_FOLIOS - 1 });

const regionSpec: fc.Arbitrary<RegionSpec> = fc.record({
  owner: weighted([3, fc.constant(0)], [1, fc.constant(1)]),
  order: weighted(
    [3, fc.constantFrom(0, 2, 4, HPAGE_PMD_ORDER)],
    [2, fc.integer({ min: 0, max: HPAGE_PMD_ORDER })],
  ),
  count: weighted([3, fc.integer({ min: 1, max: 8 })], [1, fc.integer({ min: 1, max: 64 })]),
  node: NODE,
  absent: weighted([3, fc.constant([])], [1, fc.array(folioIndex, { maxLength: 3 })]),
  pinned: weighted([2, fc.constant([])], [1, fc.array(folioIndex, { maxLength: 3 })]),
  share: weighted<PageRange | null>([2, fc.constant(null)], [1, pageRange]),
  hole: weighted<PageRange | null>([4, fc.constant(null)], [1, pageRange]),
});

const layout: fc.Arbitrary<Layout> = fc.record({
  nodes: weighted<NodeSpec[]>(
    [3, fc.tuple(nodeSpec, nodeSpec, nodeSpec)],
    [1, fc.tuple(nodeSpec, nodeSpec)],
  ),
  thpMigration: weighted([4, fc.constant(true)], [1, fc.constant(false)]),
  batchPages: weighted([2, fc.constant(512)], [1, fc.constantFrom(1, 3, 16, 64)]),
  procs: fc.tuple(procSpec, procSpec),
  regions: fc.array(regionSpec, { minLength: 1, maxLength: 3 }),
});

const addr: fc.Arbitrary<AddrSpec> = weighted<AddrSpec>(
  [
    20,
    fc.record({
      region: fc.nat({ max: 2 }),
      folio: folioIndex,
      page: weighted([2, fc.constant(0)], [1, fc.nat({ max: 511 })]),
      offset: weighted([3, fc.constant(0)], [1, fc.nat({ max: 4095 })]),
    }),
  ],
  [1, fc.record({ outside: fc.constantFrom("null" as const, "gap" as const, "high" as const) })],
);

const caller = weighted([4, fc.constant(0)], [1, fc.constant(1)]);
const pid: fc.Arbitrary<PidSpec> = weighted<PidSpec>(
  [8, fc.constant("zero")],
  [2, fc.constant("self")],
  [3, fc.constant("other")],
  [1, fc.constant("none")],
);

/** Entries: random addresses, or a sweep over consecutive folios of a region (long runs). */
const entries: fc.Arbitrary<MoveEntry[]> = weighted(
  [
    2,
    fc
      .tuple(NODE, fc.array(fc.tuple(addr, weighted([6, NODE], [1, BAD_NODE])), { maxLength: 16 }))
      .map(([dflt, list]) =>
        // Half the entries go to one node, so consecutive entries form runs.
        list.map(([a, n], i) => ({ addr: a, node: i % 2 === 0 ? dflt : n })),
      ),
  ],
  [
    1,
    fc
      .record({
        region: fc.nat({ max: 2 }),
        first: folioIndex,
        n: fc.integer({ min: 1, max: 64 }),
        node: weighted([6, NODE], [1, BAD_NODE]),
        // One entry to another node cuts the sweep into runs.
        breakAt: weighted([5, fc.constant(-1)], [1, fc.nat({ max: 63 })]),
      })
      .map(({ region, first, n, node, breakAt }) =>
        Array.from({ length: n }, (_, i) => ({
          addr: { region, folio: first + i, page: 0, offset: 0 },
          node: i === breakAt ? (node + 1) % 3 : node,
        })),
      ),
  ],
);

const movePagesCall: fc.Arbitrary<MovePagesCallSpec> = fc.record({
  op: fc.constant("move_pages" as const),
  caller,
  pid,
  flags: weighted(
    [12, fc.constant(MPOL_MF_MOVE)],
    [3, fc.constant(MPOL_MF_MOVE_ALL)],
    [1, fc.constantFrom(0, MPOL_MF_MOVE | MPOL_MF_MOVE_ALL, MPOL_MF_STRICT, 8)],
  ),
  query: weighted([5, fc.constant(false)], [1, fc.constant(true)]),
  entries,
  extraCount: weighted([8, fc.constant(0)], [1, fc.integer({ min: 1, max: 20 })]),
  dropPages: weighted([12, fc.constant(0)], [1, fc.integer({ min: 1, max: 3 })]),
  dropNodes: weighted([12, fc.constant(0)], [1, fc.integer({ min: 1, max: 3 })]),
  dropStatus: weighted([12, fc.constant(0)], [1, fc.integer({ min: 1, max: 3 })]),
  statusGuard: weighted([3, fc.constant(0)], [1, fc.constant(2)]),
});

const nodeMask = weighted<number[] | null>(
  [12, fc.uniqueArray(NODE, { minLength: 1, maxLength: 3 })],
  [2, fc.uniqueArray(weighted([4, NODE], [1, fc.constantFrom(3, 1023, 1500)]), { maxLength: 4 })],
  [1, fc.constant(null)],
);

const migratePagesCall: fc.Arbitrary<MigratePagesCallSpec> = fc.record({
  op: fc.constant("migrate_pages" as const),
  caller,
  pid,
  maxnode: weighted(
    [6, fc.constant(1025)],
    [2, fc.constantFrom(3, 4, 64)],
    [1, fc.constantFrom(0, 1, 2, 2000, 32769, 32770)],
  ),
  oldNodes: nodeMask,
  newNodes: nodeMask,
});

const call: fc.Arbitrary<CallSpec> = weighted<CallSpec>([3, movePagesCall], [1, migratePagesCall]);

/** A random normalised selftest case. */
export function selftestCase(): fc.Arbitrary<SelftestCase> {
  return fc
    .record({
      seed: fc.nat(),
      layout,
      calls: fc.array(call, { minLength: 1, maxLength: 6 }),
    })
    .map(normalizeCase);
}

import { describe, expect, it } from "vitest";
import { folioIsolateLru } from "../../migrate/isolate.js";
import { MPOL_MF_MOVE } from "../../migrate/modes.js";
import { EBUSY, ENOENT } from "../../mm/errno.js";
import { type Folio, PAGE_SIZE } from "../../mm/folio.js";
import { tryToMigrate } from "../../mm/rmap.js";
import { type MmStruct, type PteTable, pmdIndex, pteIndex } from "../../mm/vm.js";
import { type MovePagesArrays, runCall } from "./calls.js";
import {
  type CallSpec,
  type MigratePagesCallSpec,
  type MovePagesCallSpec,
  normalizeCase,
  type RegionSpec,
  type SelftestCase,
} from "./case.js";
import { checkInvariants } from "./invariants.js";
import { scanWorld } from "./scan.js";
import { buildWorld, type World } from "./world.js";

const node = { mib: 8, leavePages: null, fragment: 0 };
const proc = { uid: 0, capSysNice: true, mems: null };

function region(o: Partial<RegionSpec> = {}): RegionSpec {
  return {
    owner: 0,
    order: 0,
    count: 4,
    node: 0,
    absent: [],
    pinned: [],
    share: null,
    hole: null,
    ...o,
  };
}

/** Region 0: four small folios on node 0; region 1: a THP on node 0. */
function smallCase(calls: CallSpec[] = [], regions = [region(), region({ order: 9, count: 1 })]) {
  return normalizeCase({
    seed: 7,
    layout: {
      nodes: [node, node, node],
      thpMigration: true,
      batchPages: 512,
      procs: [proc, proc],
      regions,
    },
    calls,
  });
}

function movePages(
  entries: { folio: number; node: number; region?: number }[],
  o: Partial<MovePagesCallSpec> = {},
): MovePagesCallSpec {
  return {
    op: "move_pages",
    caller: 0,
    pid: "zero",
    flags: MPOL_MF_MOVE,
    query: false,
    entries: entries.map((e) => ({
      addr: { region: e.region ?? 0, folio: e.folio, page: 0, offset: 0 },
      node: e.node,
    })),
    extraCount: 0,
    dropPages: 0,
    dropNodes: 0,
    dropStatus: 0,
    statusGuard: 0,
    ...o,
  };
}

function migratePages(
  oldNodes: number[],
  newNodes: number[],
  o: Partial<MigratePagesCallSpec> = {},
) {
  const call: MigratePagesCallSpec = {
    op: "migrate_pages",
    caller: 0,
    pid: "zero",
    maxnode: 1025,
    oldNodes,
    newNodes,
    ...o,
  };
  return call;
}

function mmOf(world: World): MmStruct {
  return world.tasks[0].mm as MmStruct;
}

/** Frame and folio of page p of region r, as mapped by process 0. */
function pageAt(world: World, r: number, p: number): { pfn: number; folio: Folio } {
  const e = mmOf(world).entryAt(world.regions[r].start + p * PAGE_SIZE);
  if (e.kind !== "present") throw new Error("page not mapped");
  return { pfn: e.pfn, folio: world.k.phys.folioOf(e.pfn) as Folio };
}

function violationsAfter(world: World, corrupt: (w: World) => void): string {
  corrupt(world);
  return scanWorld(world).violations.format();
}

/** Run call 0 of the case, optionally corrupt the world, and check it. */
function checkCall(c: SelftestCase, edit?: (w: World) => void): string {
  const world = buildWorld(c);
  const before = scanWorld(world);
  expect(before.violations.format()).toBe("");
  const result = runCall(world, c.calls[0]);
  edit?.(world);
  return checkInvariants(world, before, c.calls[0], result).violations.format();
}

describe("scanWorld: a clean world", () => {
  it("finds nothing wrong with a fresh layout, shared ranges, holes and pins included", () => {
    const c = smallCase(
      [],
      [
        region({ share: { first: 1, pages: 2 }, hole: { first: 2, pages: 1 }, pinned: [0] }),
        region({ order: 9, count: 1, share: { first: 0, pages: 100 } }),
        region({ owner: 1, order: 2, count: 3, node: 1, absent: [1] }),
      ],
    );
    const scan = scanWorld(buildWorld(c));
    expect(scan.violations.format()).toBe("");
    expect(scan.violations.ok).toBe(true);
  });
});

describe("scanWorld: it reports corrupted state", () => {
  it("a flipped byte in a page", () => {
    const world = buildWorld(smallCase());
    const out = violationsAfter(world, (w) => {
      const { buffer, offset } = (
        w.k.phys.contents as NonNullable<typeof w.k.phys.contents>
      ).locate(pageAt(w, 0, 2).pfn);
      new Uint8Array(buffer)[offset + 1234] ^= 0x40;
    });
    expect(out).toMatch(/page at 0x[0-9a-f]+ \(pfn \d+\) does not hold its contents/);
  });

  it("a migration entry left behind, PTE and PMD", () => {
    const world = buildWorld(smallCase());
    const out = violationsAfter(world, (w) => {
      tryToMigrate(pageAt(w, 0, 1).folio, w.tasks[0], false, w.k.ctx);
      tryToMigrate(pageAt(w, 1, 0).folio, w.tasks[0], false, w.k.ctx);
    });
    expect(out).toMatch(/process 0: migration entry left behind at 0x/);
    expect(out).toMatch(/process 0: PMD migration entry left behind at 0x/);
    expect(out).toMatch(/process 0: page at 0x[0-9a-f]+ is not mapped \(entry: migration\)/);
  });

  it("a leaked folio: allocated, then dropped", () => {
    const world = buildWorld(smallCase());
    const out = violationsAfter(world, (w) => {
      w.k.phys.allocFolio(1, 3);
    });
    expect(out).toMatch(/node 1: 8 pages in use, 0 in mapped folios and fillers/);
    expect(out).toMatch(/leaked folio at pfn \d+ \(order 3, refcount 1, mapcount 0, pins 0\)/);
  });

  it("unbalanced refcount and mapcount", () => {
    const world = buildWorld(smallCase());
    const out = violationsAfter(world, (w) => {
      pageAt(w, 0, 0).folio.refcount++;
      pageAt(w, 0, 1).folio.mapcount++;
    });
    expect(out).toMatch(/refcount 2, expected mapcount 1 \+ pins 0/);
    expect(out).toMatch(/mapcount 2, but 1 entries map it/);
  });

  it("a folio left isolated", () => {
    const world = buildWorld(smallCase());
    const out = violationsAfter(world, (w) => {
      folioIsolateLru(pageAt(w, 0, 3).folio, w.k.ctx);
    });
    expect(out).toMatch(/is still isolated/);
    expect(out).toMatch(/is not on the LRU/);
    expect(out).toMatch(/node 0: nr_isolated_anon is 1 after the call/);
  });

  it("one frame mapped at two virtual pages", () => {
    const world = buildWorld(smallCase());
    const out = violationsAfter(world, (w) => {
      const addr = w.regions[0].start + PAGE_SIZE;
      const table = mmOf(w).pmds.get(pmdIndex(addr)) as PteTable;
      table.pfn[pteIndex(addr)] = pageAt(w, 0, 0).pfn;
    });
    expect(out).toMatch(/pfn \d+ is mapped at two virtual pages/);
  });

  it("a frame freed while still mapped", () => {
    const world = buildWorld(smallCase());
    const out = violationsAfter(world, (w) => {
      const { folio } = pageAt(w, 0, 2);
      folio.refcount = 0;
      folio.mapcount = 0;
      w.k.phys.freeFolio(folio);
    });
    expect(out).toMatch(/PTE at 0x[0-9a-f]+ maps pfn \d+, which is in no live folio/);
  });
});

describe("checkInvariants: it reports results that disagree with the state", () => {
  const move = smallCase([
    movePages([
      { folio: 0, node: 1 },
      { folio: 1, node: 1 },
    ]),
  ]);

  it("a correct move passes", () => {
    expect(checkCall(move)).toBe("");
  });

  it("a return value move_pages(2) cannot give", () => {
    const world = buildWorld(move);
    const before = scanWorld(world);
    const result = runCall(world, move.calls[0]);
    const out = checkInvariants(world, before, move.calls[0], { ...result, rc: -EBUSY });
    expect(out.violations.format()).toMatch(
      /returned -EBUSY, which move_pages\(2\) does not return/,
    );
  });

  it("a status naming another node, or an error the page does not have", () => {
    const world = buildWorld(move);
    const before = scanWorld(world);
    const result = runCall(world, move.calls[0]);
    const status = result.arrays?.status as Int32Array;
    status[0] = 2;
    status[1] = -ENOENT;
    const out = checkInvariants(world, before, move.calls[0], result).violations.format();
    expect(out).toMatch(/status\[0\] = 2, but nodes\[0\] is 1/);
    expect(out).toMatch(/status\[1\] = -ENOENT, but the address is present/);
  });

  it("pgmigrate_success that does not match the pages moved", () => {
    const out = checkCall(move, (w) => w.k.ctx.vmstat.count("pgmigrate_success", 1));
    expect(out).toMatch(/pgmigrate_success rose by 3, but 2 pages changed node/);
  });

  it("a page moved that no entry asked for", () => {
    const world = buildWorld(move);
    const before = scanWorld(world);
    const result = runCall(world, move.calls[0]);
    const a = result.arrays as MovePagesArrays;
    // As if the call had been given only its first entry.
    const first = {
      count: 1,
      pages: a.pages.subarray(0, 1),
      nodes: (a.nodes as Int32Array).subarray(0, 1),
      status: a.status.subarray(0, 1),
    };
    const call = movePages([{ folio: 0, node: 1 }]);
    const out = checkInvariants(world, before, call, { ...result, arrays: first });
    expect(out.violations.format()).toMatch(
      /page id 1 moved from node 0 to 1, which no entry asked/,
    );
  });

  it("a pinned page that moved", () => {
    const world = buildWorld(move);
    const { folio } = pageAt(world, 0, 0);
    folio.pins++;
    folio.refcount++;
    const before = scanWorld(world);
    folio.pins--;
    folio.refcount--;
    const result = runCall(world, move.calls[0]);
    const out = checkInvariants(world, before, move.calls[0], result).violations.format();
    expect(out).toMatch(/page id 0 moved to node 1 although its folio is pinned/);
  });

  it("an argument error that was not reported", () => {
    const c = smallCase([migratePages([0], [1], { pid: "none" })]);
    const world = buildWorld(c);
    const before = scanWorld(world);
    const out = checkInvariants(world, before, c.calls[0], { rc: 0, thrown: null, arrays: null });
    expect(out.violations.format()).toMatch(/returned 0, expected -ESRCH \(argument check\)/);
  });

  it("a call that threw", () => {
    const world = buildWorld(move);
    const before = scanWorld(world);
    const out = checkInvariants(world, before, move.calls[0], {
      rc: null,
      thrown: "boom",
      arrays: null,
    });
    expect(out.violations.format()).toBe("the call threw: boom");
  });
});

describe("checkInvariants: calls the model gets right", () => {
  it("migrate_pages(2) moves each page once along a chain 0 -> 1 -> 2", () => {
    const c = smallCase([migratePages([0, 1], [1, 2])], [region(), region({ node: 1, count: 2 })]);
    expect(checkCall(c)).toBe("");
    const world = buildWorld(c);
    runCall(world, c.calls[0]);
    expect(pageAt(world, 0, 0).folio.nid).toBe(1);
    expect(pageAt(world, 1, 0).folio.nid).toBe(2);
  });

  it("move_pages(2) of a shared THP with and without MPOL_MF_MOVE_ALL", () => {
    const regions = [region({ order: 9, count: 1, share: { first: 0, pages: 512 } })];
    const entries = [{ folio: 0, node: 1 }];
    expect(checkCall(smallCase([movePages(entries)], regions))).toBe("");
    const all = smallCase([movePages(entries, { flags: 4 })], regions);
    expect(checkCall(all)).toBe("");
  });
});

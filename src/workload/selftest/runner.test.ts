import { describe, expect, it } from "vitest";
import { ENOMEM } from "../../mm/errno.js";
import { PAGE_SIZE } from "../../mm/folio.js";
import { normalizeCase, type SelftestCase } from "./case.js";
import { describeFailure, formatCase, runCase, runSelftest } from "./runner.js";
import type { World } from "./world.js";

/** Flip a byte of the first page some region still maps: what a bad copy would leave. */
function corruptFirstPage(world: World): void {
  for (const reg of world.regions) {
    for (let p = 0; p < reg.pages; p++) {
      const e = world.tasks[reg.owner].mm?.entryAt(reg.start + p * PAGE_SIZE);
      if (e?.kind !== "present") continue;
      const { buffer, offset } = world.k.phys.contents?.locate(e.pfn) ?? {
        buffer: null,
        offset: 0,
      };
      if (buffer !== null) new Uint8Array(buffer)[offset + 7] ^= 1;
      return;
    }
  }
}

describe("runCase", () => {
  const c: SelftestCase = normalizeCase({
    seed: 3,
    layout: {
      nodes: [
        { mib: 8, leavePages: null, fragment: 0 },
        { mib: 8, leavePages: 0, fragment: 0 },
      ],
      thpMigration: true,
      batchPages: 512,
      procs: [
        { uid: 0, capSysNice: true, mems: null },
        { uid: 0, capSysNice: true, mems: null },
      ],
      regions: [
        {
          owner: 0,
          order: 0,
          count: 4,
          node: 0,
          absent: [],
          pinned: [],
          share: null,
          hole: null,
        },
      ],
    },
    calls: [
      {
        op: "migrate_pages",
        caller: 0,
        pid: "zero",
        maxnode: 1025,
        oldNodes: [0],
        newNodes: [1],
      },
    ],
  });

  it("passes a case whose target node is full (migrate_pages returns -ENOMEM)", () => {
    expect(runCase(c)).toBeNull();
  });

  it("reports the call after which an invariant broke", () => {
    const f = runCase(c, corruptFirstPage);
    expect(f).not.toBeNull();
    expect(f?.callIndex).toBe(0);
    expect(f?.rc).toBe(-ENOMEM);
    expect(describeFailure(f as NonNullable<typeof f>, 1)).toMatch(
      /^violation after call 1 of 1 \(migrate_pages, returned -ENOMEM\):\n {2}page at 0x[0-9a-f]+ \(pfn \d+\) does not hold its contents$/,
    );
  });
});

describe("runSelftest", () => {
  it("runs every case when nothing breaks", () => {
    const s = runSelftest({ cases: 5, seed: 42 });
    expect(s).toMatchObject({ ran: 5, passed: 5, failed: 0, failure: null });
  });

  it("stops at the first failure and shrinks it to a small case", () => {
    const seen: boolean[] = [];
    const s = runSelftest({
      cases: 50,
      seed: 42,
      inject: corruptFirstPage,
      onCase: (_i, failure) => seen.push(failure === null),
    });
    expect(s.failed).toBe(1);
    expect(s.passed).toBe(s.ran - 1);
    expect(seen).toHaveLength(s.ran);
    const f = s.failure as NonNullable<typeof s.failure>;
    // A single call and a single small region are enough to show a corrupted page.
    expect(f.case.calls).toHaveLength(1);
    expect(f.case.layout.regions).toHaveLength(1);
    expect(f.detail.violations).toMatch(/does not hold its contents/);
    expect(f.path).toMatch(/^\d+(:\d+)*$/);
    expect(JSON.parse(formatCase(f.case))).toEqual(f.case);
    // The path replays the shrunk case.
    const replay = runSelftest({ cases: 50, seed: 42, path: f.path, inject: corruptFirstPage });
    expect(replay.failure?.case).toEqual(f.case);
  });
});

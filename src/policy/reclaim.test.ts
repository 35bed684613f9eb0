import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { MR_DEMOTION } from "../migrate/modes.js";
import { MemoryTiers } from "../mm/memory-tiers.js";
import { defaultMinFreeKbytes, setupPerZoneWmarks } from "../mm/watermarks.js";
import { runScenario } from "../workload/app/run-scenario.js";
import { checkScenarioOnProfile, validateScenario } from "../workload/app/scenario.js";

const small = loadProfile("small-cxl");

describe("memory tiers", () => {
  it("put a CXL node below DRAM by its latency (adist 576 * 250 / 115), demoting DRAM to it", () => {
    const t = new MemoryTiers(small);
    expect(t.adist.get(0)).toBe(576);
    expect(t.adist.get(1)).toBe(1252);
    expect(t.tiers.map((x) => [x.adistanceStart, x.nodes])).toEqual([
      [512, [0]],
      [1152, [1]],
    ]);
    expect([t.nodeIsToptier(0), t.nodeIsToptier(1)]).toEqual([true, false]);
    expect([t.nextDemotionNode(0, 0.5), t.nextDemotionNode(1, 0.5)]).toEqual([1, -1]);
  });

  it("demote both sockets' DRAM of zen5-2s-cxl to its one CXL node", () => {
    const t = new MemoryTiers(loadProfile("zen5-2s-cxl"));
    expect([0, 1, 2].map((n) => t.nextDemotionNode(n, 0.99))).toEqual([2, 2, -1]);
    expect(t.lowerTiers(0)).toEqual([2]);
  });
});

describe("watermarks", () => {
  it("share min_free_kbytes by node size and space low, high and promo by the scale factor", () => {
    // 768 MiB: sqrt(786432 * 16) = 3547 KiB = 886 pages; node 0 has a third of them.
    expect(defaultMinFreeKbytes(786432)).toBe(3547);
    const w = setupPerZoneWmarks(
      new Map([
        [0, 65536],
        [1, 131072],
      ]),
      undefined,
      10,
    );
    expect(w.get(0)).toEqual({ min: 295, low: 368, high: 441, promo: 514 });
    // A big node's gap is the scale factor's 0.1%, not min / 4.
    const big = setupPerZoneWmarks(new Map([[0, 8 << 20]]), 65536, 100);
    expect(big.get(0)).toEqual({ min: 16384, low: 100270, high: 184156, promo: 268042 });
  });
});

function scenario(doc: object) {
  const s = validateScenario(doc, "test");
  checkScenarioOnProfile(s, small, "test");
  return s;
}

describe("reclaim by demotion", () => {
  it("makes room on a full DRAM node for a fault bound to it: direct reclaim and kswapd demote its coldest folios, every page keeps its bytes", () => {
    const r = runScenario(
      scenario({
        profile: "small-cxl",
        duration: "2ms",
        verify: true,
        sysctl: { mm: { numa: { demotion_enabled: true } } },
        processes: [
          {
            name: "app",
            regions: [
              { name: "heap", size: "320M", folioSize: "2M", policy: { mode: "bind", nodes: [0] } },
            ],
            threads: [{ cpu: 0, region: "heap", pattern: "uniform" }],
          },
        ],
      }),
      small,
    );
    const v = r.vmstat;
    expect(r.pagesVerified).toBe(320 * 256);
    const demoted = (v.pgdemote_direct ?? 0) + (v.pgdemote_kswapd ?? 0);
    expect(demoted).toBeGreaterThan(0);
    expect(v.pgdemote_direct).toBeGreaterThan(0);
    expect(r.series).toBeDefined();
    expect(v.pgmigrate_success).toBe(demoted);
    expect(MR_DEMOTION).toBe(8);
  });
});

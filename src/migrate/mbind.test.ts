import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { EFAULT, EINVAL } from "../mm/errno.js";
import { PAGE_SIZE } from "../mm/folio.js";
import { iwTableFromBandwidth, type Mempolicy, MPOL_INTERLEAVE } from "../mm/mempolicy.js";
import { type MmStruct, shareRange } from "../mm/vm.js";
import { threadsOpsPerSec } from "../test-support/scenario-result.js";
import { runScenario, type ScenarioResult } from "../workload/app/run-scenario.js";
import { parseScenario, type Scenario } from "../workload/app/scenario.js";
import { type MbindArgs, sysMbind } from "./mbind.js";
import { MPOL_MF_MOVE, MPOL_MF_MOVE_ALL } from "./modes.js";
import { boot, migrateCalls, nodeAt, runAs, spawnWithRegion } from "./test-fixture.js";

const lastBytes = (r: ScenarioResult, nid: number) =>
  r.series.processes[0].bytesByNode[String(nid)]?.at(-1) ?? 0;

describe("iwTableFromBandwidth (reduce_interleave_weights)", () => {
  it("weights nodes by bandwidth in 1..32, reduced by their GCD", () => {
    // turin-cxl: DRAM 338 GB/s, CXL 64: 32 * 338 / 402 = 26.9, 32 * 64 / 402 = 5.1.
    expect(iwTableFromBandwidth(loadProfile("turin-cxl"))).toEqual([26, 5]);
    // Equal bandwidths: 16:16, reduced to 1:1.
    expect(iwTableFromBandwidth(loadProfile("zen3-2s-ptdma"))).toEqual([1, 1]);
  });
});

describe("scenarios/hotspot-spread.yaml", () => {
  const profile = loadProfile("turin-cxl");
  const s = parseScenario(readFileSync("scenarios/hotspot-spread.yaml", "utf8"), "hotspot-spread");
  const r = runScenario(s, profile);

  it("mbind(weighted interleave [0, 1], MPOL_MF_MOVE) over a region on node 0 moves nothing (MPOL_MF_INVERT)", () => {
    expect(r.movers[0]).toMatchObject({ region: "hot", calls: 1, foliosMoved: 0 });
    expect(threadsOpsPerSec(r, 20, 60) / threadsOpsPerSec(r, 0, 20)).toBeCloseTo(1, 2);
  });

  it("mbind(interleave [1]) moves the side region to CXL and the DRAM-bound application gains", () => {
    expect(r.movers[1]).toMatchObject({ region: "side", calls: 1, foliosMoved: 128 });
    expect(r.callers).toEqual([
      expect.objectContaining({ reason: "MR_MEMPOLICY_MBIND", calls: 1, foliosMoved: 128 }),
    ]);
    expect(r.vmstat.pgmigrate_success).toBe(65536);
    expect(lastBytes(r, 1)).toBe(256 << 20);
    // Windows of whole 10 ms: the threads' throughput alternates from one 5 ms to the next.
    const gain = threadsOpsPerSec(r, 100, 120) / threadsOpsPerSec(r, 20, 60);
    expect(gain).toBeGreaterThan(1.1);
  });

  it("an interleave mask that holds the region's node moves nothing, and ops/s stay", () => {
    const movers = s.movers.map((m, i) =>
      i === 1 && m.kind === "mbind" ? { ...m, policy: { ...m.policy, nodes: [0, 1] } } : m,
    );
    const same = runScenario({ ...s, movers }, profile);
    expect(same.callers).toEqual([]);
    expect(threadsOpsPerSec(same, 100, 120) / threadsOpsPerSec(same, 20, 60)).toBeCloseTo(1, 2);
  });
});

describe("mbind placing the folios it moves by the policy's interleave index", () => {
  const scenario = (weights?: number[]): Scenario =>
    parseScenario(
      `profile: zen5-2s-cxl
duration: 5ms
processes:
  - name: app
    regions: [{ name: buf, size: 64M, folioSize: 2M, policy: { mode: bind, nodes: [2] } }]
    threads: [{ cpu: 0, region: buf }]
movers:
  - { kind: mbind, cpu: 1, process: app, region: buf, start: 1ms, flags: [move],
      policy: { mode: weighted_interleave, nodes: [0, 1]${weights ? `, weights: [${weights}]` : ""} } }
`,
      "inline",
    );

  it("spreads a region moved off the CXL node over the mask's nodes by their weights", () => {
    const profile = loadProfile("zen5-2s-cxl");
    const even = runScenario(scenario(), profile);
    expect([lastBytes(even, 0), lastBytes(even, 1), lastBytes(even, 2)]).toEqual([
      32 << 20,
      32 << 20,
      0,
    ]);
    const skewed = runScenario(scenario([3, 1]), profile);
    expect([lastBytes(skewed, 0), lastBytes(skewed, 1)]).toEqual([48 << 20, 16 << 20]);
  });
});

describe("sysMbind", () => {
  const interleave = (nodes: number[]): Mempolicy => ({ mode: MPOL_INTERLEAVE, nodes });

  it("refuses bad flags, an unaligned start, an invalid policy, and a hole in the range", () => {
    const k = boot();
    const { task, region } = spawnWithRegion(k, 0, 4);
    const start = region.vma.start;
    const call = (a: Partial<MbindArgs>) =>
      runAs(k, task, (exec) =>
        sysMbind(k, exec, {
          start,
          len: 4 * PAGE_SIZE,
          policy: interleave([1]),
          flags: MPOL_MF_MOVE,
          ...a,
        }),
      );
    expect(call({ flags: 1 << 5 })).toBe(-EINVAL);
    expect(call({ start: start + 1 })).toBe(-EINVAL);
    expect(call({ policy: interleave([7]) })).toBe(-EINVAL);
    expect(call({ len: 8 * PAGE_SIZE })).toBe(-EFAULT);
    expect(call({ len: 0 })).toBe(0);
    expect(region.vma.policy).toBeNull();
    expect(migrateCalls(k)).toEqual([]);
  });

  it("moves only folios outside the mask, with MR_MEMPOLICY_MBIND, and leaves shared ones without MPOL_MF_MOVE_ALL", () => {
    const k = boot({ trace: true });
    const { task, region } = spawnWithRegion(k, 0, 4);
    const other = k.spawnProcess(1);
    shareRange(task.mm as MmStruct, other.mm as MmStruct, region.folioAddrs[0], PAGE_SIZE);
    const start = region.vma.start;
    const mbind = (policy: Mempolicy, flags: number) =>
      runAs(k, task, (exec) => sysMbind(k, exec, { start, len: 4 * PAGE_SIZE, policy, flags }));
    expect(mbind(interleave([0, 1]), MPOL_MF_MOVE)).toBe(0);
    expect(migrateCalls(k)).toEqual([]);
    expect(region.vma.policy).toEqual(interleave([0, 1]));
    expect(mbind(interleave([1]), MPOL_MF_MOVE)).toBe(0);
    const nodes = region.folioAddrs.map((a) => nodeAt(k, task, a));
    expect(Array.from(nodes)).toEqual([0, 1, 1, 1]);
    expect(migrateCalls(k)).toEqual([
      expect.objectContaining({ reason: "mempolicy_mbind", mode: "MIGRATE_SYNC", succeeded: 3 }),
    ]);
    expect(mbind(interleave([1]), MPOL_MF_MOVE_ALL)).toBe(0);
    expect(nodeAt(k, task, region.folioAddrs[0])).toBe(1);
  });
});

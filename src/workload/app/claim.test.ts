/**
 * The claim family (scenarios/claim-*.yaml, README "The 20-30% claim, tested"): each scenario
 * run once on the vanilla kernel, short, to check the mechanism the README states: every
 * caller offers the copy engine one THP at a time (hint-fault promotion one folio per fault,
 * kswapd's demotion one THP per shrink, move_pages(2) one THP per NR_MAX_BATCHED_MIGRATION
 * batch; compaction a handful of small folios), and the share of the application's time spent on migration is what bounds any gain:
 * small on the tiered machine, large when the two-socket application's placement goes wrong.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { explainScenario, type ScenarioExplanation } from "../../explain/scenario.js";
import { loadProfile } from "../../machine/profile.js";
import { runScenario } from "./run-scenario.js";
import { parseScenario } from "./scenario.js";

/** The scenario file run on the vanilla kernel for `durationNs`. */
function vanilla(file: string, durationNs: number): ScenarioExplanation {
  const s = parseScenario(readFileSync(file, "utf8"), file);
  const r = runScenario({ ...s, duration: durationNs }, loadProfile(s.profile));
  return explainScenario(r, file);
}

const meanBatch = (e: ScenarioExplanation, reason: string) =>
  e.callers.find((c) => c.reason === reason)?.meanBatch;

/** The app's share of its time waiting on migration: migration entries and hint faults. */
function migrationShare(e: ScenarioExplanation): number {
  const app = e.processes.find((p) => p.process === "app");
  if (app === undefined) throw new Error("no process 'app'");
  return app.shares.migrationStall + app.shares.hintFault;
}

describe("scenarios/claim-2socket.yaml, vanilla kernel, 1.5 s", () => {
  const e = vanilla("scenarios/claim-2socket.yaml", 1_500_000_000);

  it("NUMA balancing promotes one folio per hint fault; move_pages(2) offers the whole region per call", () => {
    expect(meanBatch(e, "MR_NUMA_MISPLACED")).toBe(1);
    expect(meanBatch(e, "MR_SYSCALL")).toBeGreaterThan(512);
  });

  it("the application spends over a fifth of its time on migration: the room a faster copy has", () => {
    expect(migrationShare(e)).toBeGreaterThan(0.2);
  });
});

describe("scenarios/claim-tiering.yaml, vanilla kernel, 4.6 s (the hot set reaches CXL at 4 s)", () => {
  const e = vanilla("scenarios/claim-tiering.yaml", 4_600_000_000);

  it("promotion gives one folio per hint fault and kswapd's demotion one THP per shrink", () => {
    expect(meanBatch(e, "MR_NUMA_MISPLACED")).toBe(1);
    expect(meanBatch(e, "MR_DEMOTION")).toBe(1);
  });

  it("the application spends under a tenth of its time on migration, which bounds any copy engine's gain", () => {
    const share = migrationShare(e);
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(0.1);
  });
});

describe("scenarios/claim-compaction.yaml, vanilla kernel, 100 ms (the application's fault-in is over by 50 ms)", () => {
  const s = parseScenario(readFileSync("scenarios/claim-compaction.yaml", "utf8"), "compaction");
  const r = runScenario({ ...s, duration: 100_000_000 }, loadProfile(s.profile));
  const e = explainScenario(r, "compaction");

  it("direct compaction hands migrate_pages() a few small folios a call, within COMPACT_CLUSTER_MAX", () => {
    const c = e.callers.find((x) => x.reason === "MR_COMPACTION");
    expect(c).toBeDefined();
    const batch = c?.meanBatch ?? 0;
    expect(batch).toBeGreaterThan(1);
    expect(batch).toBeLessThanOrEqual(32);
    // Orders 0-3 of the churn: well under 64 KiB a folio, so a batch is a few tens of KiB.
    expect((c?.bytesMoved ?? 0) / (c?.foliosMoved ?? 1)).toBeLessThan(64 << 10);
    expect(r.vmstat.thp_fault_alloc).toBeGreaterThan(0);
  });
});

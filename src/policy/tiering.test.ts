import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { migratedPages } from "../test-support/scenario-result.js";
import { runScenario, type ScenarioResult } from "../workload/app/run-scenario.js";
import { parseScenario, type Scenario } from "../workload/app/scenario.js";

const profile = loadProfile("small-cxl");
const MS = 1e6;
const SEC = 1000 * MS;

function scenario(): Scenario {
  return parseScenario(readFileSync("scenarios/tiering.yaml", "utf8"), "tiering");
}

/** Operations per second of the process over [fromMs, toMs), from the series. */
function opsPerSec(r: ScenarioResult, fromMs: number, toMs: number): number {
  const s = r.series;
  const xs = s.processes[0].opsPerSec.filter((_, i) => {
    const t = s.timeNs[i] - s.intervalNs;
    return t >= fromMs * MS && t < toMs * MS;
  });
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The most of vmstat counter `name` counted in any window of `windowNs` starting at an interval. */
function maxPerWindow(r: ScenarioResult, name: string, windowNs: number): number {
  const xs = r.series.vmstat[name] ?? [];
  const per = Math.round(windowNs / r.series.intervalNs);
  let max = 0;
  for (let i = 0; i < xs.length; i++) {
    let sum = 0;
    for (let j = i; j < Math.min(xs.length, i + per); j++) sum += xs[j];
    max = Math.max(max, sum);
  }
  return max;
}

function consistent(r: ScenarioResult): void {
  const v = r.vmstat;
  const demoted = (v.pgdemote_kswapd ?? 0) + (v.pgdemote_direct ?? 0);
  const promoted = v.pgpromote_success ?? 0;
  expect(Math.round(migratedPages(r, "MR_DEMOTION"))).toBe(demoted);
  expect(Math.round(migratedPages(r, "MR_NUMA_MISPLACED"))).toBe(v.numa_pages_migrated ?? 0);
  // Every NUMA balancing migration here goes from CXL up to DRAM.
  expect(promoted).toBe(v.numa_pages_migrated ?? 0);
  expect(v.pgmigrate_success).toBe(demoted + promoted);
  expect(v.pgmigrate_fail).toBe(0);
  // A promotion was a candidate first (or found DRAM with room to spare: _nrl).
  expect(promoted).toBeLessThanOrEqual(
    (v.pgpromote_candidate ?? 0) + (v.pgpromote_candidate_nrl ?? 0),
  );
  expect(v.numa_hint_faults).toBeLessThanOrEqual(v.numa_huge_pte_updates ?? 0);
  const bytes = r.series.processes[0].bytesByNode;
  expect((bytes["0"]?.at(-1) ?? 0) + (bytes["1"]?.at(-1) ?? 0)).toBe(384 << 20);
}

describe("scenarios/tiering.yaml", () => {
  const s = scenario();
  const on = runScenario(s, profile);
  const off = runScenario(
    { ...s, sysctl: { ...s.sysctl, kernel: { ...s.sysctl.kernel, numa_balancing: 0 } } },
    profile,
  );

  it("brings the hot set back into DRAM after each move onto CXL pages: ops/s fall, then recover to the all-DRAM rate", () => {
    // The hot set starts mostly in DRAM and moves onto CXL pages at 5, 10 and 15 s.
    const dram = opsPerSec(on, 3000, 5000);
    for (const move of [5000, 10000, 15000]) {
      expect(opsPerSec(on, move, move + 300)).toBeLessThan(0.6 * dram);
      expect(opsPerSec(on, move + 3000, move + 5000)).toBeGreaterThan(0.98 * dram);
      // Without promotion the hot set stays where the fault-in put it.
      expect(opsPerSec(off, move + 3000, move + 5000)).toBeLessThan(0.6 * dram);
    }
    expect(on.vmstat.pgpromote_success).toBeGreaterThan(0);
    expect(on.vmstat.pgdemote_kswapd).toBeGreaterThan(0);
    expect(off.vmstat.pgmigrate_success).toBe(0);
  });

  it("keeps its counters consistent with what moved: pgdemote_* are the MR_DEMOTION pages, pgpromote_success the promotions", () => {
    consistent(on);
  });

  it("with kpromoted (the batched promotion proposed upstream) promotes the hot set in batches, not one folio per fault", () => {
    const batched = runScenario(
      { ...s, sysctl: { ...s.sysctl, kernel: { ...s.sysctl.kernel, kpromoted_period_ms: 100 } } },
      profile,
    );
    consistent(batched);
    const calls = (r: ScenarioResult) => r.callers.find((c) => c.reason === "MR_NUMA_MISPLACED");
    const perFault = calls(on);
    const batches = calls(batched);
    // One folio per call from the faults; several per call from kpromoted.
    expect(perFault?.folios).toBe(perFault?.calls);
    expect((batches?.foliosMoved ?? 0) / (batches?.calls ?? 1)).toBeGreaterThan(4);
    expect(batched.cpu.byKind.kpromoted).toBeGreaterThan(0);
    for (const move of [5000, 10000, 15000]) {
      expect(opsPerSec(batched, move + 3000, move + 5000)).toBeGreaterThan(
        0.98 * opsPerSec(on, 3000, 5000),
      );
    }
  });

  it("promotes no more than the rate limit allows per second (plus the one folio that crosses it)", () => {
    const limitMBps = 8;
    const slow = runScenario(
      {
        ...s,
        sysctl: {
          ...s.sysctl,
          kernel: { ...s.sysctl.kernel, numa_balancing_promote_rate_limit_MBps: limitMBps },
        },
      },
      profile,
    );
    consistent(slow);
    const limitPages = limitMBps * 256;
    expect(slow.vmstat.pgpromote_success).toBeGreaterThan(0);
    // The kernel's windows start at the first candidate after the last one expired, so a window
    // of the series may straddle two of them; over the run, one window's worth per second.
    const perWindow = limitPages + 512;
    expect(maxPerWindow(slow, "pgpromote_success", SEC)).toBeLessThanOrEqual(2 * perWindow);
    expect(slow.vmstat.pgpromote_success).toBeLessThanOrEqual(
      Math.ceil(slow.durationNs / SEC) * perWindow,
    );
    expect(maxPerWindow(on, "pgpromote_success", SEC)).toBeGreaterThan(2 * perWindow);
    expect(slow.vmstat.pgpromote_success).toBeLessThan(on.vmstat.pgpromote_success);
  });
});

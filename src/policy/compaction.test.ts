import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../machine/package-root.js";
import { loadProfile } from "../machine/profile.js";
import { Kernel } from "../migrate/kernel.js";
import { HPAGE_PMD_ORDER, PAGE_SIZE } from "../mm/folio.js";
import { Rng } from "../sim/rng.js";
import { runScenario, type ScenarioResult } from "../workload/app/run-scenario.js";
import { parseScenario, type Scenario } from "../workload/app/scenario.js";
import { Churn } from "../workload/churn.js";
import { fragmentationIndex, fragmentationScore, fragmentationScoreWmark } from "./compaction.js";
import { startCompaction, wakeupKcompactd } from "./kcompactd.js";
import { SysctlSchema } from "./sysctl.js";

const profile = loadProfile("small-2node");
const shipped = parseScenario(
  readFileSync(join(packageRoot(), "scenarios", "compaction.yaml"), "utf8"),
  "compaction.yaml",
);

function withSysctl(
  s: Scenario,
  vm: Partial<Scenario["sysctl"]["vm"]>,
  defrag: Scenario["sysctl"]["mm"]["transparent_hugepage"]["defrag"],
): Scenario {
  return {
    ...s,
    sysctl: {
      ...s.sysctl,
      vm: { ...s.sysctl.vm, ...vm },
      mm: { ...s.sysctl.mm, transparent_hugepage: { defrag } },
    },
  };
}

/** The counters agree with what compaction isolated and moved. */
function expectConsistent(r: ScenarioResult): void {
  const c = r.compaction;
  if (c === undefined) throw new Error("no compaction result");
  const v = (name: string) => r.vmstat[name] ?? 0;
  expect(v("compact_isolated")).toBe(c.migrateIsolated + c.freeIsolated);
  // Every page the migrate scanner isolated was migrated (MR_COMPACTION) or put back.
  expect(c.migratedBytes / PAGE_SIZE).toBeLessThanOrEqual(c.migrateIsolated);
  expect(v("pgmigrate_success") + v("pgmigrate_fail")).toBeLessThanOrEqual(c.migrateIsolated);
  expect(v("compact_stall")).toBe(v("compact_success") + v("compact_fail"));
  expect(v("compact_stall")).toBe(c.directCompactions);
}

describe("scenarios/compaction.yaml", () => {
  it("compaction raises THP allocation success on the fragmented node; with it off every THP fault falls back", () => {
    const on = runScenario(shipped, profile);
    const off = runScenario(withSysctl(shipped, { compaction_proactiveness: 0 }, "never"), profile);
    const faults = (256 << 20) / (PAGE_SIZE << HPAGE_PMD_ORDER);
    for (const r of [on, off]) {
      expectConsistent(r);
      expect((r.compaction?.thpFaultAlloc ?? 0) + (r.compaction?.thpFaultFallback ?? 0)).toBe(
        faults,
      );
    }
    expect(off.compaction?.thpSuccess).toBe(0);
    expect(off.vmstat.compact_stall).toBeUndefined();
    expect(on.compaction?.thpSuccess).toBeGreaterThan(0.9);
    // The cost: the faulting thread's time in direct compaction, which moved the churn's folios.
    expect(on.compaction?.directCompactNs).toBeGreaterThan(0);
    expect(on.compaction?.faultInNs).toBe(on.compaction?.directCompactNs);
    expect(on.compaction?.migratedFolios).toBeGreaterThan(0);
    expect(on.vmstat.pgmigrate_success).toBe((on.compaction?.migratedBytes ?? 0) / PAGE_SIZE);
  });

  it("kcompactd's proactive compaction, before the process starts, serves its THP faults without direct compaction", () => {
    const late = {
      ...shipped,
      duration: 700e6,
      processes: [{ ...shipped.processes[0], start: 600e6 }],
    };
    const success = [0, 20, 100].map((p) => {
      const r = runScenario(withSysctl(late, { compaction_proactiveness: p }, "never"), profile);
      expectConsistent(r);
      expect(r.vmstat.compact_stall).toBeUndefined();
      if (p > 0) expect(r.compaction?.kcompactdCpuNs).toBeGreaterThan(0);
      return r.compaction?.thpSuccess ?? 0;
    });
    expect(success[0]).toBe(0);
    expect(success[1]).toBeGreaterThan(0);
    expect(success[2]).toBeGreaterThan(success[1]);
  });

  it("fails, and says so, where unmovable pages in every pageblock leave nothing to free", () => {
    const s = {
      ...shipped,
      churn: [{ ...shipped.churn[0], unmovable: 0.5 }],
      processes: [
        {
          ...shipped.processes[0],
          regions: [{ ...shipped.processes[0].regions[0], size: 32 << 20 }],
        },
      ],
    };
    const r = runScenario(s, profile);
    expectConsistent(r);
    expect(r.compaction?.thpSuccess).toBe(0);
    expect(r.vmstat.thp_fault_fallback).toBe(16);
    // Each fault tries ASYNC then SYNC_LIGHT, a deferred attempt counting as a stall too.
    expect(r.vmstat.compact_fail).toBe(32);
    expect(r.compaction?.directCompactNs).toBeGreaterThan(0);
  });

  it("in bytes mode loses nothing: every page of the process and of the churn keeps its bytes, no frame leaked", () => {
    const s = {
      ...shipped,
      verify: true,
      processes: [
        {
          ...shipped.processes[0],
          regions: [{ ...shipped.processes[0].regions[0], size: 32 << 20 }],
        },
      ],
    };
    const r = runScenario(s, profile);
    expect(r.compaction?.thpSuccess).toBe(1);
    expect(r.compaction?.migratedFolios).toBeGreaterThan(0);
    // runScenario checks the frames and throws on any lost page; the churn's pages count too.
    expect(r.pagesVerified).toBeGreaterThan((32 << 20) / PAGE_SIZE);
  });
});

describe("kcompactd", () => {
  it("woken for an order by wakeupKcompactd (kswapd's call), compacts until a block of it is free", () => {
    const k = new Kernel({ profile });
    new Churn(
      k,
      { node: 0, bytes: 1 << 30, keep: 0.3, orders: [0, 1, 2, 3], unmovable: 0 },
      new Rng(3),
    );
    const sysctl = SysctlSchema.parse({});
    startCompaction(k, sysctl, null, 100e6);
    expect(k.phys.freeBlocks(0, HPAGE_PMD_ORDER) + k.phys.freeBlocks(0, 10)).toBe(0);
    k.sim.at(1e6, () => wakeupKcompactd(k, 0, HPAGE_PMD_ORDER));
    k.sim.run();
    const v = k.ctx.vmstat.events;
    expect(v.compact_daemon_wake).toBe(1);
    expect(v.compact_daemon_migrate_scanned).toBe(v.compact_migrate_scanned);
    expect(k.phys.freeBlocks(0, HPAGE_PMD_ORDER) + k.phys.freeBlocks(0, 10)).toBeGreaterThan(0);
    expect(k.sched.cpuTimeByKind().kcompactd).toBeGreaterThan(0);
    k.phys.checkNode(0);
  });

  it("is not woken for order 0, nor on a node where compaction cannot help", () => {
    const k = new Kernel({ profile });
    startCompaction(k, SysctlSchema.parse({}), null, 10e6);
    k.sim.at(1e6, () => {
      wakeupKcompactd(k, 0, 0);
      // Node 1 is untouched: a 2M block is free already.
      wakeupKcompactd(k, 1, HPAGE_PMD_ORDER);
    });
    k.sim.run();
    expect(k.ctx.vmstat.events.compact_daemon_wake).toBe(0);
  });
});

describe("fragmentation measures", () => {
  it("score, index and watermarks as the kernel computes them", () => {
    const k = new Kernel({ profile });
    // An untouched node is whole free MAX_PAGE_ORDER blocks: nothing fragmented.
    expect(fragmentationScore(k, 0)).toBe(0);
    expect(fragmentationIndex(k, 0, HPAGE_PMD_ORDER)).toBe(-1000);
    new Churn(k, { node: 0, bytes: 1 << 30, keep: 0.5, orders: [0], unmovable: 0 }, new Rng(1));
    expect(fragmentationScore(k, 0)).toBe(100);
    // Free memory in order-0 pages only: fragmentation, not want of memory, fails a THP.
    expect(fragmentationIndex(k, 0, HPAGE_PMD_ORDER)).toBeGreaterThan(900);
    expect(fragmentationScoreWmark(20, true)).toBe(80);
    expect(fragmentationScoreWmark(20, false)).toBe(90);
    expect(fragmentationScoreWmark(100, true)).toBe(5);
  });
});

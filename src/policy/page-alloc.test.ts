import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { Kernel } from "../migrate/kernel.js";
import { type Folio, HPAGE_PMD_ORDER, PAGE_SIZE } from "../mm/folio.js";
import { MPOL_BIND } from "../mm/mempolicy.js";
import { Rng } from "../sim/rng.js";
import { App } from "../workload/app/app.js";
import { runScenario } from "../workload/app/run-scenario.js";
import { checkScenarioOnProfile, validateScenario } from "../workload/app/scenario.js";
import { bootReclaim, startPolicies } from "./index.js";
import { allocPagesSlowpath, getPageFromFreelist, vmaThpGfpMask } from "./page-alloc.js";
import { reclaimOf } from "./reclaim.js";
import { SysctlSchema, type ThpDefrag } from "./sysctl.js";

const small = loadProfile("small-cxl");
const FILLER = 251 << 20;

/**
 * small-cxl with demotion on, its 256 MiB DRAM node 0 filled at boot by a 4K region but for
 * 5 MiB (1280 pages; the min watermark is 295 pages, low 368); then a task faults THPs bound
 * to node 0 as a late process's fault does, under `defrag`. Returns the folios it got and node
 * 0's free pages after each fault.
 */
function lateThpFaults(defrag: ThpDefrag, faults: number) {
  const k = new Kernel({ profile: small });
  const sysctl = SysctlSchema.parse({
    mm: { numa: { demotion_enabled: true }, transparent_hugepage: { defrag } },
  });
  bootReclaim(k, sysctl);
  const filler = new App(
    k,
    {
      regions: [
        { bytes: FILLER, folioSizeBytes: PAGE_SIZE, policy: { mode: MPOL_BIND, nodes: [0] } },
      ],
      threads: [{ cpu: 0, region: 0, pattern: { kind: "uniform" }, computeNs: 1e6, mlp: 1 }],
    },
    new Rng(1),
  );
  startPolicies({ k, sysctl, processes: [filler.task], endNs: 10e6, watcher: filler.watcher });
  const task = k.spawnProcess(1);
  const exec = k.newExec(task);
  const got: (Folio | null)[] = [];
  const free: number[] = [];
  k.sim.spawn(
    (function* () {
      for (let i = 0; i < faults; i++) {
        const fast = getPageFromFreelist(k, [0], HPAGE_PMD_ORDER, "low");
        got.push(
          fast ??
            (yield* allocPagesSlowpath(k, task, [0], HPAGE_PMD_ORDER, vmaThpGfpMask(defrag), exec)),
        );
        free.push(k.phys.freePages(0));
      }
    })(),
    "late THP faults",
  );
  k.sim.run();
  const w = reclaimOf(k)?.wmark(0);
  if (w === undefined) throw new Error("no reclaim booted");
  return { k, got, free, w };
}

describe("a late THP fault goes through the page allocator's watermarks and slow path", () => {
  it("madvise: never takes a THP below the min watermark; direct reclaim demotes the filler's cold pages to make room", () => {
    const { k, got, free, w } = lateThpFaults("madvise", 4);
    expect([w.min, w.low]).toEqual([295, 368]);
    // The first fits above the low watermark; the buddy allocator alone would have given the
    // second too, leaving 256 pages, below min.
    expect(got[0]).not.toBeNull();
    expect(free[0]).toBe(1280 - 512);
    for (const f of free) expect(f).toBeGreaterThanOrEqual(w.min);
    expect(k.ctx.vmstat.nodeStat(0, "pgdemote_direct")).toBeGreaterThan(0);
    expect(k.ctx.vmstat.nodeStat(0, "pgdemote_kswapd")).toBe(0);
  });

  it("defer: cannot reclaim itself, so fails at once below the low watermark and wakes kswapd", () => {
    const { k, got, free, w } = lateThpFaults("defer", 2);
    expect(got[0]).not.toBeNull();
    expect(got[1]).toBeNull();
    expect(free[1]).toBe(free[0]);
    expect(free[1]).toBeGreaterThanOrEqual(w.min);
    expect(k.ctx.vmstat.nodeStat(0, "pgdemote_direct")).toBe(0);
    expect(k.ctx.vmstat.events.compact_stall).toBe(0);
    expect(reclaimOf(k)?.kswapd.get(0)?.runs).toBeGreaterThan(0);
  });
});

describe("a process that starts during the run on a full node", () => {
  it("faults its THPs in under the watermarks, falling back to 4K pages it reclaims room for", () => {
    const s = validateScenario(
      {
        profile: "small-cxl",
        duration: "5ms",
        sysctl: { mm: { numa: { demotion_enabled: true } } },
        processes: [
          {
            name: "filler",
            regions: [
              { name: "cold", size: "250M", folioSize: "4K", policy: { mode: "bind", nodes: [0] } },
            ],
            threads: [{ cpu: 0, region: "cold", pattern: "uniform", compute: "1ms" }],
          },
          {
            name: "app",
            start: "1ms",
            regions: [
              { name: "heap", size: "8M", folioSize: "2M", policy: { mode: "bind", nodes: [0] } },
            ],
            threads: [{ cpu: 1, region: "heap", pattern: "uniform", compute: "10ns" }],
          },
        ],
      },
      "test",
    );
    checkScenarioOnProfile(s, small, "test");
    const r = runScenario(s, small);
    const v = r.vmstat;
    expect((v.thp_fault_alloc ?? 0) + (v.thp_fault_fallback ?? 0)).toBe(4);
    expect(v.thp_fault_fallback).toBeGreaterThan(0);
    // The fallback's 4K faults reclaimed in the faulting thread's time (they used to need the
    // simulation run from inside itself, and failed).
    expect(v.pgdemote_direct).toBeGreaterThan(0);
    expect(r.compaction?.faultInNs).toBeGreaterThan(0);
  });
});

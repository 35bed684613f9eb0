import { beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { dominates } from "./pareto.js";
import { THROUGHPUT_TIE } from "./recommend.js";
import { type TuneResult, tune } from "./tune.js";
import { workloadFromFlags } from "./workload.js";

const workload = workloadFromFlags({
  folioSize: "2M:0.5,64K:0.5",
  total: "64M",
  reasons: "syscall:0.5,demotion:0.5",
  latencyBudget: "1ms",
});

describe("tune", () => {
  let one: TuneResult;
  let two: TuneResult;
  beforeAll(async () => {
    one = await tune(workload, { profile: "zen3-2s-ptdma", threads: 1 });
    two = await tune(workload, { profile: "zen3-2s-ptdma", threads: 2 });
  }, 120_000);

  it("finds the same front and recommendation with one worker as with two", () => {
    expect(two.front).toEqual(one.front);
    expect(two.recommendation).toEqual(one.recommendation);
    expect(two.candidates).toEqual(one.candidates);
  });

  it("recommends the fastest setting within the budgets, the least CPU among near ties", () => {
    const r = two;
    expect(r.vanilla.config).toMatchObject({ migrator: "serial", batchPages: 512 });
    const feasible = r.candidates.filter((c) => c.exceeds.length === 0);
    expect(r.feasible).toBe(feasible.length);
    expect(feasible.length).toBeGreaterThan(0);
    expect(feasible.length).toBeLessThan(r.candidates.length);
    for (const c of r.candidates) {
      expect(c.exceeds.includes("latency")).toBe(c.metrics.firstFolioNs > 1e6);
    }
    // The front: feasible, non-dominated among the feasible, and covering them.
    for (const f of r.front) {
      expect(f.exceeds).toEqual([]);
      expect(feasible.some((c) => dominates(c.metrics, f.metrics))).toBe(false);
    }
    const rec = r.recommendation;
    if (rec === null) throw new Error("no recommendation");
    const best = Math.max(...feasible.map((c) => c.metrics.throughputGBps));
    const m = rec.candidate.metrics;
    expect(m.throughputGBps).toBeGreaterThanOrEqual(best * (1 - THROUGHPUT_TIE));
    for (const c of feasible) {
      if (c.metrics.throughputGBps >= best * (1 - THROUGHPUT_TIE)) {
        expect(c.metrics.cpuNsPerGiB).toBeGreaterThanOrEqual(m.cpuNsPerGiB);
      }
    }
    expect(r.front).toContain(rec.candidate);
    expect(rec.gain).toBeCloseTo(m.throughputGBps / r.vanilla.metrics.throughputGBps - 1, 12);
    expect(rec.reasoning.join(" ")).toMatch(/The latency budget \(1 ms to the first folio\) binds/);
    // None for the vanilla flow; both reasons, either one alone for the others.
    const masks = new Set(r.candidates.map((c) => c.reasonMask));
    expect(masks.size).toBe(4);
  });

  it("says when nothing meets the budgets, and shows the front of all settings", async () => {
    const tight = workloadFromFlags({ total: "16M", latencyBudget: "1ns" });
    const r = await tune(tight, { profile: "zen3-2s-ptdma", threads: 2 });
    expect(r.feasible).toBe(0);
    expect(r.recommendation).toBeNull();
    expect(r.front.length).toBeGreaterThan(0);
  });

  it("refuses a call that does not fit on the profile's nodes before simulating", async () => {
    const big = { ...workload, totalBytes: 2 ** 40 };
    await expect(tune(big, { profile: "small-2node", threads: 1 })).rejects.toThrow(UsageError);
    await expect(tune(big, { profile: "small-2node", threads: 1 })).rejects.toThrow(
      /--total 1T: does not fit on node 0 of profile small-2node/,
    );
  });

  it("on a profile without DMA engines, searches and recommends without dcbm", async () => {
    const r = await tune(workloadFromFlags({ folioSize: "2M", total: "16M" }), {
      profile: "small-2node",
      threads: 2,
    });
    const migrators = new Set(r.candidates.map((c) => c.config.migrator));
    expect([...migrators].sort()).toEqual(["batch-cpu", "mtcopy", "serial"]);
    expect(r.breakEvens.map((b) => b.config.migrator)).not.toContain("dcbm");
    expect(r.recommendation?.candidate.config.migrator).not.toBe("dcbm");
  }, 60_000);

  it("with small calls of 4K folios, finds dcbm's break-even above the call and keeps the CPU copy", async () => {
    const small = workloadFromFlags({ folioSize: "4K", total: "128K" });
    const r = await tune(small, { profile: "zen3-2s-ptdma", threads: 2 });
    expect(r.recommendation?.candidate.config.migrator).toBe("serial");
    const dcbm = r.breakEvens.filter((b) => b.config.migrator === "dcbm");
    expect(dcbm.map((b) => b.config.workers)).toEqual([1, 2, 4, 8, 16]);
    // Every dcbm setting loses on the call's 32-folio batches, and one channel on any batch.
    for (const b of dcbm) expect(b.folios === null || b.folios > 32).toBe(true);
    expect(dcbm[0].folios).toBeNull();
    const best = Math.min(...dcbm.map((b) => b.folios ?? Infinity));
    // Taking the batches costs dcbm throughput; declining them (min-batch) gives the CPU copy's.
    const take = r.candidates.filter(
      (c) => c.config.migrator === "dcbm" && c.config.minBatchFolios === 0,
    );
    const decline = r.candidates.filter(
      (c) => c.config.migrator === "dcbm" && c.config.minBatchFolios > 32,
    );
    const v = r.vanilla.metrics.throughputGBps;
    for (const c of take) expect(c.metrics.throughputGBps).toBeLessThan(v);
    for (const c of decline) expect(c.metrics.throughputGBps / v).toBeCloseTo(1, 2);
    expect(r.recommendation?.reasoning.join(" ")).toContain(
      `dcbm pays from ${best} folios at best`,
    );
  }, 60_000);
});

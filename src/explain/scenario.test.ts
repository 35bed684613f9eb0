import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ThreadResult } from "../workload/app/run-scenario.js";
import { TIME_PARTS, threadTime } from "./scenario.js";

const D = 1e8;

/** A thread whose figures are consistent: its CPU, lost CPU and waits fit in the run. */
const thread = fc
  .record({
    cpu: fc.double({ min: 0, max: 1, noNaN: true }),
    lost: fc.double({ min: 0, max: 1, noNaN: true }),
    stall: fc.double({ min: 0, max: 1, noNaN: true }),
    fault: fc.double({ min: 0, max: 1, noNaN: true }),
    ran: fc.double({ min: 0, max: 1, noNaN: true }),
    computeNs: fc.integer({ min: 0, max: 200 }),
    localAccessNs: fc.integer({ min: 50, max: 200 }),
    extraNs: fc.integer({ min: 0, max: 500 }),
    mlp: fc.integer({ min: 1, max: 16 }),
  })
  .map((x): ThreadResult => {
    const cpuNs = x.cpu * D;
    const cpuLostNs = x.lost * (D - cpuNs);
    const stallNs = x.stall * cpuNs;
    const hintFaultNs = x.fault * (cpuNs - stallNs);
    const own = cpuNs - stallNs - hintFaultNs;
    const meanAccessNs = x.localAccessNs + x.extraNs;
    // It ran operations for some of its own time (the rest waited for bandwidth).
    const ops = (x.ran * own) / (x.computeNs + meanAccessNs / x.mlp);
    return {
      process: "p",
      cpu: 0,
      region: "r",
      opsPerSec: (ops / D) * 1e9,
      stallNs,
      stalls: 1,
      nice: 0,
      cpuNs,
      cpuLostNs,
      computeNs: x.computeNs,
      mlp: x.mlp,
      meanAccessNs,
      localAccessNs: x.localAccessNs,
      bandwidthBoundShare: 0,
      remoteShare: 0,
      latency: [],
      opsPerSecSeries: [],
      hintFaults: 0,
      hintFaultNs,
      runNs: D,
    };
  });

describe("threadTime", () => {
  it("splits a thread's run into parts that are never negative and sum to the run", () => {
    fc.assert(
      fc.property(thread, (t) => {
        const parts = threadTime(t, D);
        for (const p of TIME_PARTS) expect(parts[p]).toBeGreaterThanOrEqual(-1e-6);
        const sum = TIME_PARTS.reduce((a, p) => a + parts[p], 0);
        expect(sum).toBeCloseTo(D, 0);
        expect(parts.migrationStall).toBeCloseTo(t.stallNs, 3);
        expect(parts.kernelWork).toBe(t.cpuLostNs);
      }),
    );
  });

  it("charges a latency-bound thread's time to compute and memory, none to bandwidth", () => {
    const ops = 1e6;
    const t: ThreadResult = {
      ...fc.sample(thread, { numRuns: 1, seed: 1 })[0],
      cpuNs: D,
      cpuLostNs: 0,
      stallNs: 0,
      hintFaultNs: 0,
      computeNs: 20,
      localAccessNs: 60,
      meanAccessNs: 80,
      mlp: 1,
      opsPerSec: (ops / D) * 1e9,
    };
    const parts = threadTime(t, D);
    expect(parts.compute).toBeCloseTo(20 * ops, 3);
    expect(parts.memoryLocal).toBeCloseTo(60 * ops, 3);
    expect(parts.memoryExtra).toBeCloseTo(20 * ops, 3);
    expect(parts.bandwidth).toBeCloseTo(0, 3);
  });
});

import { describe, expect, it } from "vitest";
import { MR_DEMOTION, MR_SYSCALL } from "../migrate/modes.js";
import { evaluate } from "./evaluate.js";
import type { SimOutcome } from "./sim-job.js";
import { type EngineConfig, VANILLA } from "./space.js";
import type { Workload } from "./workload.js";

const GiB = 2 ** 30;
const w: Workload = {
  folioMix: [
    { key: 4096, weight: 0.25 },
    { key: 2 << 20, weight: 0.75 },
  ],
  totalBytes: GiB,
  reasons: [
    { key: MR_SYSCALL, weight: 0.5 },
    { key: MR_DEMOTION, weight: 0.5 },
  ],
  budgets: {},
};
const dcbm: EngineConfig = { ...VANILLA, migrator: "dcbm", workers: 4, batchPages: 4096 };

/** Calls of 1 GiB: the offload engine takes 100 ms (4K) or 50 ms (2M), vanilla twice as long. */
function outcome(c: EngineConfig, size: number): SimOutcome {
  expect(c.batchPages).toBe(4096);
  const base = size === 4096 ? 100e6 : 50e6;
  const vanilla = c.migrator === "serial";
  return {
    callNs: vanilla ? 2 * base : base,
    cpuNs: vanilla ? 2 * base : 3 * base,
    firstFolioNs: vanilla ? 10e3 : size === 4096 ? 300e3 : 200e3,
    perCallNs: 0,
  };
}

describe("evaluate", () => {
  it("weights folio sizes by bytes and reasons by share, the worst for the limits", () => {
    const m = evaluate(w, dcbm, (1 << MR_SYSCALL) | (1 << MR_DEMOTION), outcome);
    const call = 0.25 * 100e6 + 0.75 * 50e6;
    expect(m.callNs).toBeCloseTo(call, 6);
    expect(m.throughputGBps).toBeCloseTo(GiB / call, 9);
    expect(m.cpuNsPerGiB).toBeCloseTo(3 * call, 6);
    expect(m.cores).toBeCloseTo(3, 12);
    expect(m.firstFolioNs).toBe(300e3);
  });

  it("runs reasons outside the mask on the vanilla flow at the same batch limit", () => {
    const m = evaluate(w, dcbm, 1 << MR_SYSCALL, outcome);
    const offloaded = 0.25 * 100e6 + 0.75 * 50e6;
    const vanilla = 2 * offloaded;
    expect(m.callNs).toBeCloseTo(vanilla, 6);
    expect(m.throughputGBps).toBeCloseTo(GiB / (0.5 * offloaded + 0.5 * vanilla), 9);
    expect(m.cpuNsPerGiB).toBeCloseTo(0.5 * 3 * offloaded + 0.5 * vanilla, 6);
    expect(m.firstFolioNs).toBe(300e3);
  });
});

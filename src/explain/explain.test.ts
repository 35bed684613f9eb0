import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import type { RunMeasurements } from "../workload/measurements.js";
import { amdahlCeiling, amdahlSpeedup } from "./amdahl.js";
import { type ExplainConfig, explain } from "./explain.js";
import { formatExplanation } from "./format.js";
import {
  AROUND_2M,
  dcbm1ch4K,
  dcbm2ch2M,
  measurements,
  mtcopyFill16,
  serial2M,
  serial4K,
} from "./test-fixtures.js";

const profile = loadProfile("zen3-2s-ptdma");
const of = (f: { config: ExplainConfig; run: RunMeasurements }, base = f) =>
  explain({ profile, config: f.config, run: f.run, baseline: base.run });

describe("the bound", () => {
  it("serial 4K: per-folio CPU, at the cost model's 731 ns per folio", () => {
    const e = of(serial4K);
    expect(e.bound.kind).toBe("per-folio-cpu");
    expect(e.bound.decisions).toHaveLength(1);
    expect(e.perFolio.pmdMapped).toBe(false);
    expect(e.perFolio.measuredNs).toBeCloseTo(731, 0);
    expect(e.perFolio.modelNs / e.perFolio.measuredNs).toBeCloseTo(1, 3);
    expect(e.sentences[0]).toMatch(/^Bound: per-folio CPU\. .* 191\.6 ms \(66% of the call\)/);
  });

  it("serial 2M: copy bandwidth, the core's own rate, 3% below CCD 0's cross-socket limit", () => {
    const e = of(serial2M);
    expect(e.bound.kind).toBe("copy-bandwidth");
    expect(e.bound.limit).toMatchObject({ name: "cap", param: "cpu.copyGBps" });
    expect(e.perFolio.pmdMapped).toBe(true);
    expect(e.copy.achievedGBps).toBeCloseTo(10.8, 6);
    expect(e.copy.overheadUs).toBeCloseTo(0, 3);
    expect(e.copy.bandwidth.slowestOnPath.name).toBe("ccd0.remote");
    expect(e.sentences.join("\n")).toContain("so the core's own rate binds, 3% below it");
  });

  it("dcbm 1 channel 4K: DMA setup, which the profile's costs account for exactly", () => {
    const e = of(dcbm1ch4K, serial4K);
    expect(e.bound.kind).toBe("dma-setup");
    const [phase, within] = e.bound.decisions;
    expect(phase.winner).toBe("the copy phase");
    expect(within.winner).toBe("DMA setup");
    // 16384 descriptors x 1.5 us + 262144 IOMMU pages x 0.3 us on the engine, and the
    // driver's CPU: the measured overhead beyond the bytes at 12.6 GB/s.
    const predicted = e.copy.overheadTerms.reduce((a, t) => a + t.us, 0);
    expect(predicted / e.copy.overheadUs).toBeCloseTo(1, 3);
    expect(e.copy.overheadTerms.map((t) => t.name)).toContain("IOMMU translation");
    expect(e.copy.transferUs).toBeCloseTo((1 << 30) / 12.6 / 1000, 3);
  });

  it("dcbm 2 channels 2M at batch 512: one channel's rate, the other channel idle", () => {
    const e = of(dcbm2ch2M, serial2M);
    expect(e.bound.kind).toBe("copy-bandwidth");
    expect(e.bound.limit).toMatchObject({ name: "cap", param: "dma channelGBps" });
    expect(e.copy.bandwidth.copiers).toBe(1);
    expect(e.sentences.join("\n")).toContain("Only 1 of the 2 channels works");
  });

  it("mtcopy fill 16 threads 2M: a shared link, quadrant 0's port crossed by all 16", () => {
    const e = of(mtcopyFill16, serial2M);
    expect(e.bound.kind).toBe("shared-link");
    expect(e.bound.limit).toMatchObject({ name: "quad0.remote", sharedBy: 16 });
    expect(e.cpusUsed).toBe(16);
    expect(e.sentences[0]).toContain("Bound: a shared link, IO-die quadrant 0's cross-socket port");
  });

  it("is per-folio CPU exactly when the work around the copy outweighs the copy phase", () => {
    const aroundUs = Object.values(AROUND_2M).reduce((a, b) => a + b, 0);
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e6, noNaN: true }), (copyUs) => {
        const run = measurements({ wallUs: { ...AROUND_2M, copy: copyUs }, firstFolioUs: 1 });
        const e = of({ config: serial2M.config, run });
        expect(e.bound.kind === "per-folio-cpu").toBe(aroundUs >= copyUs);
        if (e.bound.kind !== "per-folio-cpu") expect(e.bound.kind).toBe("copy-bandwidth");
      }),
    );
  });

  it("turns to the engine's overhead once it outweighs the bytes", () => {
    // The same runs with the copy phase stretched: the overhead, then back to bandwidth.
    for (const [fx, rateGBps, overhead, bandwidth] of [
      [dcbm2ch2M, 12.6, "dma-setup", "copy-bandwidth"],
      [mtcopyFill16, 17.7, "thread-dispatch", "shared-link"],
    ] as const) {
      const bytesUs = (1 << 30) / rateGBps / 1000;
      for (const [extra, kind] of [
        [bytesUs * 1.01, overhead],
        [bytesUs * 0.99, bandwidth],
      ] as const) {
        const run = measurements({
          wallUs: { ...AROUND_2M, copy: bytesUs + extra },
          firstFolioUs: 1,
        });
        expect(of({ config: fx.config, run }, serial2M).bound.kind).toBe(kind);
      }
    }
  });
});

describe("Amdahl", () => {
  it("uses the serial baseline's copy share and the engine's bandwidth bound", () => {
    const e = of(dcbm2ch2M, serial2M);
    const f = 99420.53925926 / serial2M.run.callTimeUs;
    expect(e.amdahl.copyShare).toBeCloseTo(f, 12);
    expect(e.amdahl.ceiling).toBeCloseTo(amdahlCeiling(f), 9);
    const [w] = e.amdahl.whatIf;
    expect(w.rateGBps).toBeCloseTo(12.6, 9);
    expect(w.copySpeedup).toBeCloseTo(12.6 / e.amdahl.serialCopyGBps, 9);
    expect(w.callSpeedup).toBeCloseTo(amdahlSpeedup(f, w.copySpeedup), 9);
    expect(e.amdahl.measured?.callSpeedup).toBeCloseTo(
      serial2M.run.callTimeUs / dcbm2ch2M.run.callTimeUs,
      9,
    );
    // The measured gain falls short of Amdahl's by the DMA setup.
    expect(e.amdahl.measured?.callSpeedup).toBeLessThan(w.callSpeedup);
  });

  it("for a CPU copy, offers the offload engines at their bounds and measures nothing", () => {
    const e = of(serial4K);
    expect(e.amdahl.measured).toBeUndefined();
    expect(e.amdahl.ceiling).toBeCloseTo(1 / (1 - 99420.53925926 / serial4K.run.callTimeUs), 9);
    expect(e.amdahl.whatIf.map((w) => [w.engine, w.rateGBps])).toEqual([
      ["dcbm (16 channels)", 66],
      ["mtcopy (4 threads, spread)", 31],
    ]);
  });
});

describe("first folio", () => {
  it("serial 4K: isolation of every folio, then the first batch's unmap, then one copy", () => {
    const e = of(serial4K);
    expect(e.firstFolio.batchFolios).toBe(512);
    expect(e.firstFolio.batchCopy).toBe(false);
    expect(e.firstFolio.predictedUs / e.firstFolio.latencyUs.first).toBeCloseTo(1, 4);
  });

  it("a copy engine copies the whole first batch before the first remap", () => {
    const e = of(dcbm1ch4K, serial4K);
    expect(e.firstFolio.batchCopy).toBe(true);
    expect(e.firstFolio.predictedUs / e.firstFolio.latencyUs.first).toBeCloseTo(1, 3);
  });
});

describe("formatExplanation", () => {
  it("prints the header, the phases by size, CPU time and the sentences", () => {
    const text = formatExplanation(of(serial2M));
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe(
      "serial, 2M folios × 512 (1G), zen3-2s-ptdma, batch 512 pages: 100.3 ms, 10.7 GB/s",
    );
    expect(lines[1]).toMatch(
      /^Where the time went \(syscall task\): copy 99\.4 ms \(99%\) {2}unmap/,
    );
    expect(lines[2]).toBe("CPU time: 100.3 ms on 1 CPU: syscall task 100.3 ms");
    expect(lines[3]).toMatch(/^Bound: copy bandwidth/);
    expect(text).toMatch(/^Amdahl: the copy is 99% of the serial call .* at most 116×/m);
    expect(text).toMatch(/^First folio: accessible after 274 µs/m);
  });
});

describe("bad input", () => {
  it("rejects a run without time and a configuration without folios", () => {
    const run = { ...serial2M.run, callTimeUs: 0 };
    expect(() => of({ config: serial2M.config, run })).toThrow(/call time is 0/);
    expect(() => of({ config: { ...serial2M.config, folioCount: 0 }, run: serial2M.run })).toThrow(
      /bad configuration/,
    );
  });
});

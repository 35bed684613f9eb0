import { describe, expect, it } from "vitest";
import {
  canonicalMinBatch,
  REGION_BYTES,
  regionBytes,
  scaleToCall,
  simJob,
  simKey,
} from "./sim-job.js";
import { simulate } from "./simulate.js";
import type { EngineConfig } from "./space.js";

const GiB = 2 ** 30;
const engine = (o: Partial<EngineConfig>): EngineConfig => ({
  migrator: "dcbm",
  workers: 4,
  placement: "spread",
  minBatchFolios: 0,
  batchPages: 512,
  ...o,
});

describe("simulation jobs", () => {
  it("simulate whole batches of at least REGION_BYTES, or the whole call", () => {
    expect(regionBytes(GiB, 512)).toBe(REGION_BYTES);
    expect(regionBytes(GiB, 32768)).toBe(128 << 20);
    expect(regionBytes(GiB, 262144)).toBe(GiB);
    expect(regionBytes(16 << 20, 512)).toBe(16 << 20);
    // Not a whole number of batches: the last batch differs, so nothing is left out.
    expect(regionBytes(GiB + (2 << 20), 4096)).toBe(GiB + (2 << 20));
  });

  it("a minimum batch stands for the batch sizes it declines", () => {
    expect(canonicalMinBatch(0, [512])).toBe(0);
    expect(canonicalMinBatch(16, [512])).toBe(0);
    expect(canonicalMinBatch(4, [1])).toBe(2);
    expect(canonicalMinBatch(16, [1])).toBe(2);
    expect(canonicalMinBatch(16, [8, 2])).toBe(9);
    expect(canonicalMinBatch(8, [8, 2])).toBe(3);
  });

  it("settings that must behave the same share one simulation", () => {
    const key = (c: Partial<EngineConfig>, size: number, total = GiB) =>
      simKey(simJob("p", engine(c), size, total));
    // 512 4K folios per batch: no minimum up to 16 declines any.
    expect(key({ minBatchFolios: 16 }, 4096)).toBe(key({ minBatchFolios: 0 }, 4096));
    // One 2M folio per batch: 4 and 16 both decline every batch, 1 none.
    expect(key({ minBatchFolios: 16 }, 2 << 20)).toBe(key({ minBatchFolios: 4 }, 2 << 20));
    expect(key({ minBatchFolios: 1 }, 2 << 20)).toBe(key({ minBatchFolios: 0 }, 2 << 20));
    expect(key({ minBatchFolios: 4 }, 2 << 20)).not.toBe(key({ minBatchFolios: 0 }, 2 << 20));
    // A batch limit above the call is one batch of the whole call.
    expect(key({ batchPages: 262144 }, 4096, 64 << 20)).toBe(
      key({ batchPages: 32768 }, 4096, 64 << 20),
    );
    expect(key({ batchPages: 4096 }, 4096, 64 << 20)).not.toBe(
      key({ batchPages: 32768 }, 4096, 64 << 20),
    );
  });

  it.each([
    [engine({ migrator: "serial", workers: 1 }), 4096],
    [engine({}), 4096],
    [engine({ migrator: "mtcopy", workers: 8, batchPages: 4096 }), 65536],
    [engine({ migrator: "mtcopy", workers: 8, batchPages: 4096 }), 2 << 20],
    [engine({ workers: 16, batchPages: 4096 }), 2 << 20],
    [engine({ minBatchFolios: 4 }), 2 << 20],
  ])("a region scaled to the call matches simulating the whole call (%j, %d)", async (c, size) => {
    const total = 256 << 20;
    const job = simJob("zen3-2s-ptdma", c, size, total);
    expect(job.folioCount * size).toBeLessThan(total);
    const scaled = scaleToCall(job, await simulate(job), total);
    const full = await simulate({ ...job, folioCount: total / size });
    expect(scaled.callNs / full.callNs).toBeCloseTo(1, 3.3);
    expect(scaled.cpuNs / full.cpuNs).toBeCloseTo(1, 3.3);
    expect(scaled.firstFolioNs / full.firstFolioNs).toBeCloseTo(1, 9);
  });
});

import { describe, expect, it } from "vitest";
import { MR_COMPACTION, MR_DEMOTION, MR_SYSCALL } from "../migrate/modes.js";
import { engineConfigs, reasonMasks, VANILLA } from "./space.js";

describe("the search space", () => {
  const configs = engineConfigs({ dma: true });

  it("holds each setting once, vanilla first, with knobs only where they matter", () => {
    expect(configs[0]).toEqual(VANILLA);
    expect(new Set(configs.map((c) => JSON.stringify(c))).size).toBe(configs.length);
    for (const c of configs) {
      if (c.migrator !== "mtcopy") expect(c.placement).toBe("spread");
      if (c.migrator !== "dcbm") expect(c.minBatchFolios).toBe(0);
      if (c.migrator === "serial" || c.migrator === "batch-cpu") expect(c.workers).toBe(1);
    }
    // Per batch limit: serial, batch-cpu, 4 threads x 2 placements, 5 channels x 7 minimums.
    expect(configs).toHaveLength(4 * (1 + 1 + 8 + 35));
  });

  it("leaves dcbm out on a machine without DMA channels", () => {
    const cpuOnly = engineConfigs({ dma: false });
    expect(cpuOnly).toEqual(configs.filter((c) => c.migrator !== "dcbm"));
    expect(cpuOnly).toHaveLength(4 * (1 + 1 + 8));
  });

  it("tries every non-empty subset of the workload's reasons, the full set first", () => {
    const mtcopy = configs.find((c) => c.migrator === "mtcopy");
    if (mtcopy === undefined) throw new Error("no mtcopy");
    const masks = reasonMasks(mtcopy, [MR_SYSCALL, MR_DEMOTION, MR_COMPACTION]);
    expect(masks).toHaveLength(7);
    expect(masks[0]).toBe((1 << MR_SYSCALL) | (1 << MR_DEMOTION) | (1 << MR_COMPACTION));
    expect(new Set(masks).size).toBe(7);
    expect(reasonMasks(VANILLA, [MR_SYSCALL, MR_DEMOTION])).toEqual([0]);
  });
});

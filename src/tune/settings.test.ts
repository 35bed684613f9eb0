import { describe, expect, it } from "vitest";
import { MR_DEMOTION, MR_SYSCALL } from "../migrate/modes.js";
import { settingsFor } from "./settings.js";
import { VANILLA } from "./space.js";

const mask = (1 << MR_SYSCALL) | (1 << MR_DEMOTION);

describe("settingsFor", () => {
  it("writes dcbm's module parameters, and says what the series has no knob for", () => {
    const s = settingsFor(
      { ...VANILLA, migrator: "dcbm", workers: 8, minBatchFolios: 4, batchPages: 4096 },
      mask,
    );
    expect(s.lines).toEqual([
      "# rebuild with NR_MAX_BATCHED_MIGRATION=4096 (16M per batch; a compile-time constant, upstream HPAGE_PMD_NR = 512)",
      "echo 8 > /sys/module/dcbm/parameters/nr_dma_chan",
      "echo syscall_or_cpuset,demotion > /sys/module/dcbm/parameters/reason_mask",
      "echo 1 > /sys/module/dcbm/parameters/offloading",
      "# min batch 4 folios: no dcbm parameter in the series (dcbm never declines); a driver change returning -EOPNOTSUPP for batches of fewer folios",
    ]);
    expect(s.driver).toEqual({
      migrator: "dcbm",
      batchPages: 4096,
      channels: 8,
      minBatchFolios: 4,
      reasonMask: "syscall_or_cpuset,demotion",
    });
    expect(s.bench).toBe(
      "pagemig bench move-pages --migrator dcbm --batch-pages 4096 --channels 8 --min-batch 4",
    );
  });

  it("writes mtcopy's sysfs files of v3 and its placement", () => {
    const s = settingsFor({ ...VANILLA, migrator: "mtcopy", workers: 16, placement: "fill" }, mask);
    expect(s.lines.slice(0, 3)).toEqual([
      "# NR_MAX_BATCHED_MIGRATION: upstream 512 pages, no rebuild",
      "echo 16 > /sys/kernel/cpu_mt/threads",
      "echo 1 > /sys/kernel/cpu_mt/offloading",
    ]);
    expect(s.lines[3]).toMatch(/^# placement fill: .*not a series knob/);
    expect(s.lines[4]).toMatch(/mtcopy \(v3\) has no reason_mask parameter/);
    expect(s.driver).toMatchObject({ threads: 16, placement: "fill" });
  });

  it("writes no offload for the vanilla flow", () => {
    const s = settingsFor(VANILLA, 0);
    expect(s.driver).toEqual({ migrator: "serial", batchPages: 512, reasonMask: "none" });
    expect(s.lines.every((l) => l.startsWith("#"))).toBe(true);
  });
});

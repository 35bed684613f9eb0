import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { runJobs } from "./pool.js";
import { type SimJob, simJob } from "./sim-job.js";
import { engineConfigs } from "./space.js";

// small-2node has no DMA engine, so no dcbm setting.
const jobs: SimJob[] = engineConfigs({ dma: false })
  .filter((c) => c.batchPages === 4096 && c.minBatchFolios === 0)
  .flatMap((c) => [65536, 2 << 20].map((size) => simJob("small-2node", c, size, 16 << 20)));

describe("the simulation pool", () => {
  it("gives every job its own outcome whatever the number of workers", async () => {
    let calls = 0;
    const one = await runJobs(jobs, { threads: 1 });
    const two = await runJobs(jobs, {
      threads: 2,
      onDone: (done, total) => {
        expect(done).toBe(calls++);
        expect(total).toBe(jobs.length);
      },
    });
    expect(calls).toBe(jobs.length + 1);
    expect(two).toEqual(one);
    expect(one.every((o) => o.callNs > 0 && o.cpuNs > 0 && o.firstFolioNs > 0)).toBe(true);
    // Jobs differ, so outcomes do: an outcome at the wrong index would show.
    expect(new Set(one.map((o) => o.callNs)).size).toBeGreaterThan(jobs.length / 2);
  });

  it("raises a worker's bad-input error as a UsageError", async () => {
    const bad = { ...jobs[0], profile: "no-such-profile" };
    await expect(runJobs([jobs[1], bad], { threads: 2 })).rejects.toThrow(UsageError);
    await expect(runJobs([bad], { threads: 1 })).rejects.toThrow(/profile 'no-such-profile'/);
  });

  it("runs nothing for no jobs", async () => {
    expect(await runJobs([], { threads: 4 })).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import type { Explanation } from "../../explain/explain.js";
import { runCaptured } from "../../test-support/cli.js";

/** 64 MiB keeps the runs short; every bound below holds per batch, so at any size. */
async function explainJson(args: string[]): Promise<Explanation> {
  const r = await runCaptured(["explain", "--total", "64M", ...args, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Explanation;
}

describe("pagemig explain, end to end on zen3-2s-ptdma", () => {
  it("serial 4K is bound by per-folio CPU, at the cost model's per-folio time", async () => {
    const e = await explainJson(["--folio-size", "4K"]);
    expect(e.bound.kind).toBe("per-folio-cpu");
    expect(e.perFolio.measuredNs / e.perFolio.modelNs).toBeCloseTo(1, 2);
    // The phases' wall times add up to the call.
    const sum = e.phases.reduce((a, p) => a + p.wallUs, 0);
    expect(sum / e.callTimeUs).toBeCloseTo(1, 9);
    expect(e.firstFolio.predictedUs / e.firstFolio.latencyUs.first).toBeCloseTo(1, 2);
  });

  it("accounts a one-page call term by term, and names lru_cache_disable() as most of it", async () => {
    const r = await runCaptured(["explain", "--folio-size", "4K", "--count", "1"]);
    expect(r.code).toBe(0);
    const e = JSON.parse(
      (await runCaptured(["explain", "--folio-size", "4K", "--count", "1", "--json"])).stdout,
    ) as Explanation;
    expect(e.perFolio.measuredNs / e.perFolio.modelNs).toBeCloseTo(1, 2);
    const drain = e.perFolio.modelTerms.find((t) => t.name.startsWith("lru_cache_disable"));
    // 128 CPUs of zen3-2s-ptdma x lruDrainCpuNs 462.
    expect(drain?.us).toBeCloseTo(59.136, 6);
    const call = e.perFolio.modelTerms.find((t) => t.name.startsWith("migrate_pages()"));
    expect(call?.us).toBeCloseTo(7.44, 6);
    expect(r.stdout).toMatch(
      /^Most of it is lru_cache_disable\(\) on every CPU: 59 µs per folio, 86% /m,
    );
  });

  // T7's sweep: a one-folio call's per-call account predicts what calls of many folios get.
  for (const engine of [
    [],
    ["--migrator", "mtcopy", "--threads", "1"],
    ["--migrator", "dcbm", "--channels", "1"],
  ]) {
    it(`${engine[1] ?? "serial"}: one 2M folio per call pays a quarter of its time per call, and its rest per folio predicts 2048-folio calls`, async () => {
      const args = ["--folio-size", "2M", "--batch-pages", "262144", ...engine];
      const one = await runCaptured(["explain", ...args, "--count", "1", "--json"]);
      expect(one.code).toBe(0);
      const e = JSON.parse(one.stdout) as Explanation;
      expect(e.perCall.callTerms.map((t) => t.name)).toEqual([
        "lru_cache_disable() on every CPU",
        "migrate_pages()'s per-call work",
        "the syscall",
      ]);
      expect(e.perCall.fixedShare).toBeGreaterThan(0.2);
      expect(e.perCall.fixedShare).toBeLessThan(0.35);
      expect(e.perCall.folios90).toBe(4);
      const many = await runCaptured([
        "bench",
        "move-pages",
        ...args,
        "--count",
        "2048",
        "--runs",
        "1",
        "--json",
      ]);
      expect(many.code).toBe(0);
      const gbps = JSON.parse(many.stdout).results[0].throughputGBps.mean as number;
      expect(gbps / e.perCall.limitGBps).toBeCloseTo(1, 2);
      expect(gbps / e.throughputGBps).toBeGreaterThan(1.3);
    });
  }

  it("dcbm with 1 channel at 4K is bound by DMA setup, as the profile's DMA costs predict", async () => {
    const e = await explainJson(["--migrator", "dcbm", "--channels", "1", "--folio-size", "4K"]);
    expect(e.bound.kind).toBe("dma-setup");
    const predicted = e.copy.overheadTerms.reduce((a, t) => a + t.us, 0);
    expect(predicted / e.copy.overheadUs).toBeCloseTo(1, 2);
    // Slower than the vanilla kernel: the measured gain is below 1.
    expect(e.amdahl.measured?.callSpeedup).toBeLessThan(1);
  });

  it("mtcopy with 16 threads filling CCDs is bound by quadrant 0's shared port", async () => {
    const e = await explainJson([
      "--migrator",
      "mtcopy",
      "--threads",
      "16",
      "--placement",
      "fill",
      "--folio-size",
      "2M",
    ]);
    expect(e.bound.kind).toBe("shared-link");
    expect(e.bound.limit).toMatchObject({ name: "quad0.remote", sharedBy: 16 });
    expect(e.cpusUsed).toBe(16);
    expect(e.cpuByKind.copyThreads).toBeGreaterThan(0);
  });

  it("prints the key sentences for dcbm with 2 channels at 2M", async () => {
    const r = await runCaptured([
      "explain",
      "--migrator",
      "dcbm",
      "--channels",
      "2",
      "--folio-size",
      "2M",
      "--total",
      "64M",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^dcbm \(2 channels\), 2M folios × 32 \(64M\), zen3-2s-ptdma, batch 512 pages: [\d.]+ ms, [\d.]+ GB\/s$/,
    );
    expect(lines[1]).toMatch(/^Where the time went \(syscall task\): copy /);
    expect(lines[2]).toMatch(/^CPU time: .* syscall task .*, DMA interrupts /);
    expect(r.stdout).toContain("Bound: copy bandwidth, one DMA channel's copy rate.");
    expect(r.stdout).toContain("Only 1 of the 2 channels works");
    expect(r.stdout).toMatch(/^DMA setup: engine time per descriptor .* predicted; /m);
    expect(r.stdout).toMatch(/^Amdahl: the copy is 98% of the serial call .* measured [\d.]+×/m);
    expect(r.stdout).toMatch(/^First folio: accessible after /m);
  });

  it("takes bench's --cpu-load, --min-batch, --inject, --from and --to, and says what they did", async () => {
    const idle = await explainJson(["--migrator", "mtcopy", "--folio-size", "2M"]);
    const busy = await explainJson([
      "--migrator",
      "mtcopy",
      "--folio-size",
      "2M",
      "--cpu-load",
      "3",
    ]);
    expect(busy.config.cpuLoad).toBe(3);
    expect(busy.callTimeUs).toBeGreaterThan(idle.callTimeUs);
    expect(busy.sentences[0]).toMatch(/^A busy machine: 3 other tasks always runnable/);
    const declined = await explainJson([
      ...["--migrator", "dcbm", "--folio-size", "2M", "--min-batch", "64"],
      ...["--inject", "dma-timeout=0.5", "--from", "1", "--to", "0"],
    ]);
    expect(declined.config).toMatchObject({
      minBatchFolios: 64,
      inject: "dma-timeout=0.5",
      fromNode: 1,
      toNode: 0,
    });
    expect(declined.sentences[0]).toContain("so they are declined (-EOPNOTSUPP)");
    expect(declined.sentences[1]).toMatch(/^Faults injected \(dma-timeout=0.5\)/);
  });

  // Before, an explanation of a call whose folios all stayed pinned threw an internal error.
  it("refuses, in one line, a call that injected faults left unmigrated", async () => {
    const r = await runCaptured(["explain", "--total", "4M", "--inject", "pin-during-migration"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^pagemig: explain: with --inject pin-during-migration, the call left \d+ of 2 folios where they were; /,
    );
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("refuses dcbm and dcbm-v2 on a profile without DMA engines, naming the flag and profile", async () => {
    for (const migrator of ["dcbm", "dcbm-v2"]) {
      const r = await runCaptured(["explain", "--profile", "small-2node", "--migrator", migrator]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        `pagemig: --migrator ${migrator}: profile small-2node has no DMA engine (dma.devices)\n`,
      );
    }
  });
});

describe("pagemig explain, bad flags", () => {
  it.each([
    [["--folio-size", "4K,2M"], "--folio-size: explain takes one configuration, not a list of 2"],
    [["--migrator", "serial,dcbm"], "--migrator: explain takes one configuration"],
    [["--migrator", "mtcopy", "--threads", "4,8"], "--threads: explain takes one configuration"],
    [["--migrator", "dcbm", "--channels", "1,2"], "--channels: explain takes one configuration"],
    [["--batch-pages", "512,1024"], "--batch-pages: explain takes one configuration"],
    [["--cpu-load", "0,3"], "--cpu-load: explain takes one configuration"],
    [["--threads", "4"], "--threads: no --migrator given that has threads"],
    [["--migrator", "nope"], "--migrator: unknown migrator 'nope'"],
    [["--total", "1G", "--count", "4"], "--total and --count: give one, not both"],
    [["--profile", "no-such-machine"], "no-such-machine"],
  ])("%j exits 2 with one line", async (args, message) => {
    const r = await runCaptured(["explain", ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MigratorName } from "../copy/engines.js";
import { loadProfile } from "../machine/profile.js";
import { PHASES } from "../migrate/exec.js";
import type { Slice } from "../sim/timeline.js";
import type { Recording } from "./measurements.js";
import { type MovePagesBenchOptions, meanSd, runMovePagesBench } from "./move-pages-bench.js";

const profile = loadProfile("zen3-2s-ptdma");
const MiB = 1 << 20;

function bench(
  migrator: MigratorName,
  folioSizeBytes: number,
  more: Partial<MovePagesBenchOptions> = {},
) {
  return runMovePagesBench({
    migrator,
    profile,
    folioSizeBytes,
    folioCount: (8 * MiB) / folioSizeBytes,
    runs: 2,
    seed: 1,
    verify: false,
    batchPages: 512,
    ...more,
  });
}

const sum = (xs: Iterable<number>) => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};

/** Every two slices of the track either nest or do not overlap. */
function expectNested(slices: readonly Slice[]): void {
  const sorted = [...slices].sort((a, b) => a.startNs - b.startNs || b.endNs - a.endNs);
  const open: Slice[] = [];
  for (const s of sorted) {
    expect(s.endNs).toBeGreaterThanOrEqual(s.startNs);
    while (open.length > 0 && open[open.length - 1].endNs <= s.startNs) open.pop();
    const parent = open[open.length - 1];
    if (parent !== undefined) expect(s.endNs).toBeLessThanOrEqual(parent.endNs);
    open.push(s);
  }
}

function slicesOf(rec: Recording, kind: string): Slice[] {
  const ids = new Set(rec.tracks.filter((t) => t.kind === kind).map((t) => t.id));
  return rec.slices.filter((s) => ids.has(s.track));
}

describe("the measurements of every run", () => {
  const engines: [MigratorName, number][] = [
    ["serial", 1],
    ["mtcopy", 4],
    ["dcbm", 2],
    ["dcbm-v2", 2],
  ];
  for (const [migrator, workers] of engines) {
    it(`${migrator}: the phases' wall times add up to the call time, CPU kinds and CPUs to the CPU time`, async () => {
      for (const size of [4096, 64 * 1024, 2 * MiB]) {
        const r = await bench(migrator, size, { workers });
        // GB/s is bytes per ns.
        expect(r.callTimeUs).toBeCloseTo((8 * MiB) / r.throughputGBps.mean / 1000, 6);
        expect(sum(PHASES.map((p) => r.phases[p].wallUs))).toBeCloseTo(r.callTimeUs, 6);
        for (const p of PHASES) {
          expect(r.phases[p].cpuUs).toBe(r.phasesUs[p]);
          expect(r.phases[p].wallUs).toBeGreaterThanOrEqual(0);
        }
        const k = r.cpuByKind;
        expect(k.syscall + k.copyThreads + k.irq).toBeCloseTo(r.cpuTimeUs, 6);
        expect(sum(Object.values(r.cpuByCpu))).toBeCloseTo(r.cpuTimeUs, 6);
        const l = r.folioLatencyUs;
        expect(l.first).toBe(r.firstFolioLatencyUs);
        expect(l.first).toBeLessThanOrEqual(l.median);
        expect(l.median).toBeLessThanOrEqual(l.p99);
        expect(l.p99).toBeLessThanOrEqual(l.last);
        expect(l.last).toBeLessThanOrEqual(r.callTimeUs + 1e-9);
        expect(r.vmstat.pgmigrate_success).toBe((8 * MiB) / 4096);
        for (const v of Object.values(r.vmstat)) expect(v).not.toBe(0);
      }
    });
  }

  it("on a busy machine: the task's work takes load + 1 times as long for the same CPU time", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<MigratorName>("serial", "batch-cpu"),
        fc.constantFrom(4096, 64 * 1024, 2 * MiB),
        fc.integer({ min: 1, max: 8 }),
        async (migrator, size, cpuLoad) => {
          const idle = await bench(migrator, size);
          const busy = await bench(migrator, size, { cpuLoad });
          expect(busy.cpuLoad).toBe(cpuLoad);
          expect(busy.callTimeUs).toBeCloseTo(idle.callTimeUs * (cpuLoad + 1), 3);
          expect(busy.throughputGBps.mean).toBeCloseTo(idle.throughputGBps.mean / (cpuLoad + 1), 6);
          expect(busy.cpuTimeUs).toBeCloseTo(idle.cpuTimeUs, 6);
          expect(sum(PHASES.map((p) => busy.phases[p].wallUs))).toBeCloseTo(busy.callTimeUs, 6);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("on a busy machine: a copy thread gets its CPU share, a DMA engine does not need one", async () => {
    // 64 folios: the call's fixed work (lru_cache_disable), which a load stretches too, stays
    // small beside the copy.
    const rate = async (migrator: MigratorName, workers: number, cpuLoad: number) =>
      (await bench(migrator, 2 * MiB, { workers, cpuLoad, batchPages: 262144, folioCount: 64 }))
        .throughputGBps.mean;
    // One copy thread is bound by its core's copy rate, which it now shares.
    const one = await rate("mtcopy", 1, 0);
    expect(await rate("mtcopy", 1, 1)).toBeLessThan(0.6 * one);
    // DMA only needs the CPU to submit and take the interrupt.
    const dma = await rate("dcbm", 2, 0);
    expect(await rate("dcbm", 2, 3)).toBeGreaterThan(0.85 * dma);
    expect(await rate("dcbm", 2, 3)).toBeLessThan(dma);
    for (const [migrator, workers] of engines) {
      const r = await bench(migrator, 64 * 1024, { workers, cpuLoad: 2 });
      expect(sum(PHASES.map((p) => r.phases[p].wallUs))).toBeCloseTo(r.callTimeUs, 6);
    }
  });

  it("counts copy threads' CPU for mtcopy, on their CPUs, and none for serial", async () => {
    const serial = await bench("serial", 64 * 1024);
    expect(serial.cpuByKind.copyThreads).toBe(0);
    expect(serial.cpuByKind.irq).toBe(0);
    expect(Object.keys(serial.cpuByCpu)).toEqual(["0"]);
    expect(serial.cpuByCpu["0"]).toBeCloseTo(serial.callTimeUs, 6);
    // Serial: the task never sleeps, so wall time is CPU time in every phase.
    for (const p of PHASES) expect(serial.phases[p].wallUs).toBeCloseTo(serial.phases[p].cpuUs, 6);

    const mt = await bench("mtcopy", 64 * 1024, { workers: 4 });
    expect(mt.cpuByKind.copyThreads).toBeGreaterThan(0);
    expect(Object.keys(mt.cpuByCpu).length).toBe(4);
    // The task sleeps while the threads copy: wall time of copy beyond its own CPU there.
    expect(mt.phases.copy.wallUs).toBeGreaterThan(mt.phases.copy.cpuUs - mt.cpuByKind.copyThreads);
    expect(mt.phases.copy.cpuUs).toBeGreaterThan(mt.phases.copy.wallUs);
  });

  it("dcbm: one descriptor per folio of a maximum segment or more, one interrupt per channel per batch", async () => {
    const interruptUs = (profile.dma?.cpu.interruptNs ?? Number.NaN) / 1000;
    // 64 KiB folios (= the maximum segment, so never merged), 32 per batch of 512 pages.
    const r = await bench("dcbm", 64 * 1024, { workers: 2 });
    expect(r.dmaDescriptors).toBe(128);
    expect(r.dmaInterrupts).toBe(4 * 2);
    expect(r.cpuByKind.irq).toBeCloseTo(r.dmaInterrupts * interruptUs, 9);
    // 2 MiB folios: one per batch, so one channel of the 4 has work.
    const thp = await bench("dcbm", 2 * MiB, { workers: 4 });
    expect(thp.dmaDescriptors).toBe(4);
    expect(thp.dmaInterrupts).toBe(4);
    expect(thp.cpuByKind.irq).toBeCloseTo(4 * interruptUs, 9);
    // dcbm-v2 interrupts on every descriptor.
    const v2 = await bench("dcbm-v2", 64 * 1024, { workers: 2 });
    expect(v2.dmaDescriptors).toBe(128);
    expect(v2.dmaInterrupts).toBe(128);
    const serial = await bench("serial", 64 * 1024);
    expect([serial.dmaDescriptors, serial.dmaInterrupts]).toEqual([0, 0]);
  });

  it("reports the DMA channels batches really obtained, not the nr_dma_chan asked for", async () => {
    const cut = await bench("dcbm", 4096, { workers: 17 });
    expect([cut.workers, cut.channelsUsed]).toEqual([17, 16]);
    // 2M folios, one per batch of 512 pages: one channel of the 4 asked for has work.
    const thp = await bench("dcbm", 2 * MiB, { workers: 4 });
    expect(thp.channelsUsed).toBe(1);
    expect((await bench("mtcopy", 4096, { workers: 4 })).channelsUsed).toBeUndefined();
  });
});

describe("the recording of the last run", () => {
  it("is absent without record, and recording changes no measurement", async () => {
    const plain = await bench("dcbm", 64 * 1024, { workers: 2 });
    expect(plain.recording).toBeUndefined();
    const { recording, ...recorded } = await bench("dcbm", 64 * 1024, { workers: 2, record: true });
    expect(recording).toBeDefined();
    expect(recorded).toEqual(plain);
  });

  it("serial: a cpu track of batches with their phases nested, the tracepoints, per-folio times", async () => {
    const r = await bench("serial", 4096, { record: true, runs: 1 });
    const rec = r.recording as Recording;
    expect(rec.endNs - rec.startNs).toBeCloseTo(r.callTimeUs * 1000, 3);
    expect(rec.tracks).toEqual([{ id: 0, kind: "cpu", name: "cpu0 move_pages", cpu: 0 }]);
    expectNested(rec.slices);
    const batches = rec.slices.filter((s) => s.name === "batch");
    expect(batches).toHaveLength(4);
    for (const b of batches) {
      expect(b.args).toEqual({ folios: 512, pages: 512 });
      const inside = rec.slices.filter(
        (s) => s !== b && s.startNs >= b.startNs && s.endNs <= b.endNs,
      );
      expect(inside.map((s) => s.name)).toEqual(["unmap", "flush", "move"]);
    }
    expect(rec.slices[0]).toMatchObject({ name: "isolate", startNs: rec.startNs });
    expect(Math.max(...rec.slices.map((s) => s.endNs))).toBeCloseTo(rec.endNs, 3);

    const names = new Set(rec.trace.map((e) => e.name));
    for (const n of [
      "mm_migrate_pages_start",
      "mm_migrate_pages",
      "set_migration_pte",
      "remove_migration_pte",
      "tlb_flush",
    ] as const) {
      expect(names.has(n)).toBe(true);
    }
    // The task's time: the stream is in order and spreads over the call.
    for (let i = 1; i < rec.trace.length; i++) {
      expect(rec.trace[i].ts).toBeGreaterThanOrEqual(rec.trace[i - 1].ts);
    }
    const unmaps = rec.trace.filter((e) => e.name === "set_migration_pte").map((e) => e.ts);
    expect(new Set(unmaps).size).toBe(2048);

    expect(rec.unmapNs).toHaveLength(2048);
    for (let i = 0; i < 2048; i++) {
      expect(rec.unmapNs[i]).toBeGreaterThan(rec.startNs);
      expect(rec.remapNs[i]).toBeGreaterThan(rec.unmapNs[i]);
      expect(rec.remapNs[i]).toBeLessThanOrEqual(rec.endNs);
    }
    const remaps = [...rec.remapNs].sort((a, b) => a - b);
    expect((remaps[0] - rec.startNs) / 1000).toBeCloseTo(r.folioLatencyUs.first, 6);
    expect((remaps[2047] - rec.startNs) / 1000).toBeCloseTo(r.folioLatencyUs.last, 6);
    expect((remaps[1023] - rec.startNs) / 1000).toBeCloseTo(r.folioLatencyUs.median, 6);
  });

  it("mtcopy: a kworker track per copy thread with a slice per work item", async () => {
    const r = await bench("mtcopy", 64 * 1024, { workers: 4, record: true });
    const rec = r.recording as Recording;
    const kworkers = rec.tracks.filter((t) => t.kind === "kworker");
    expect(kworkers).toHaveLength(4);
    for (const t of kworkers) {
      expect(t.name).toBe(`kworker/${t.cpu}`);
      expect(r.cpuByCpu[String(t.cpu)]).toBeGreaterThan(0);
      const items = rec.slices.filter((s) => s.track === t.id);
      // One work item per batch (4 batches of 32 folios), 8 folios of 64 KiB each.
      expect(items).toHaveLength(4);
      for (const s of items) expect(s.args).toMatchObject({ folios: 8, bytes: 8 * 64 * 1024 });
      expectNested(items);
    }
    const busy = slicesOf(rec, "kworker").reduce((a, s) => a + s.endNs - s.startNs, 0);
    // The slices span the items; the kworkers ran all of it but for what the caller took from
    // kworker/0 on CPU 0 while it queued the other three: half of each of those 2 x dispatch ns.
    const callerTookUs = (4 * 3 * profile.costs.workDispatchNs) / 1000;
    expect(busy / 1000 - r.cpuByKind.copyThreads).toBeCloseTo(callerTookUs, 6);
    const cpu = slicesOf(rec, "cpu");
    expectNested(cpu);
    expect(cpu.filter((s) => s.name === "copy")).toHaveLength(4);
  });

  it("dcbm: a dma track per channel with a slice per run of descriptors", async () => {
    const r = await bench("dcbm", 64 * 1024, { workers: 2, record: true });
    const rec = r.recording as Recording;
    const dma = rec.tracks.filter((t) => t.kind === "dma");
    expect(dma.map((t) => t.name)).toEqual(["ptdma0 chan0", "ptdma0 chan1"]);
    const runs = slicesOf(rec, "dma");
    expect(runs).toHaveLength(8);
    for (const s of runs) expect(s.args).toEqual({ descriptors: 16, bytes: 16 * 64 * 1024 });
    for (const t of dma) expectNested(rec.slices.filter((s) => s.track === t.id));
    expectNested(slicesOf(rec, "cpu"));
    // The engines copy inside the task's copy phase.
    const copies = slicesOf(rec, "cpu").filter((s) => s.name === "copy");
    for (const s of runs) {
      expect(copies.some((c) => c.startNs <= s.startNs && s.endNs <= c.endNs)).toBe(true);
    }
  });
});

describe("throughput under injected faults", () => {
  it("counts only the bytes the call migrated", async () => {
    const r = await runMovePagesBench({
      migrator: "serial",
      profile: loadProfile("small-2node"),
      folioSizeBytes: 64 << 10,
      folioCount: 256,
      runs: 1,
      seed: 3,
      verify: false,
      inject: "alloc-fail=0.3",
    });
    const left = r.foliosNotMigrated ?? 0;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(256);
    const movedBytes = (256 - left) * (64 << 10);
    expect(r.throughputGBps.mean).toBeCloseTo(movedBytes / (r.callTimeUs * 1000), 6);
  });
});

describe("meanSd", () => {
  const sample = fc.double({ min: -1e6, max: 1e6, noNaN: true });

  it("gives identical samples an SD of exactly 0, and any samples one of at least 0", () => {
    fc.assert(
      fc.property(sample, fc.integer({ min: 1, max: 50 }), (x, n) => {
        expect(meanSd(Array(n).fill(x)).sd).toBe(0);
      }),
    );
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 50 }), (xs) => {
        expect(meanSd(xs).sd).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("is the sample SD of samples that differ", () => {
    expect(meanSd([1, 2, 3, 4])).toEqual({ mean: 2.5, sd: Math.sqrt(5 / 3) });
    expect(meanSd([2, 4])).toEqual({ mean: 3, sd: Math.SQRT2 });
    // A part per million is a difference; the clock's rounding, some 1e-15 of a value, is not.
    expect(meanSd([1, 1 + 1e-6]).sd).toBeCloseTo(1e-6 / Math.SQRT2, 12);
    expect(meanSd([9.856670765554304, 9.856670765554302]).sd).toBe(0);
  });

  it("gives identical calls 0, though their float times differ in the last bits", async () => {
    // Each call starts later on the clock, so its time rounds differently (sd was 1.3e-15).
    const r = await bench("serial", 2 * MiB, { runs: 3 });
    expect(r.throughputGBps.sd).toBe(0);
  });
});

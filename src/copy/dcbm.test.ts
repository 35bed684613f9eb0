import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { PH_COPY } from "../migrate/exec.js";
import type { Kernel } from "../migrate/kernel.js";
import { movePages, spawnWithRegion } from "../migrate/test-fixture.js";
import { EINVAL, EIO, ENODEV, ENOMEM, EOPNOTSUPP, ETIMEDOUT } from "../mm/errno.js";
import type { Folio } from "../mm/folio.js";
import { verifyRegion } from "../workload/region.js";
import { createDcbm, DCBM_TIMEOUT_NS, dcbmChannels, MAX_DMA_CHANNELS, sliceStart } from "./dcbm.js";
import { DmaEngines } from "./dma-device.js";
import { allocFolios, bootDma, marked, runCopy, zen3Dma } from "./dma-test-fixture.js";
import { MIGRATE_OFFLOAD_REASONS_ALLOWED } from "./reason-mask.js";

const cpu = zen3Dma().cpu;
const ptdma = zen3Dma().devices[0];
const GiB = 2 ** 30;

function sliceSizes(n: number, c: number): number[] {
  return Array.from({ length: c }, (_, i) => sliceStart(n, c, i + 1) - sliceStart(n, c, i));
}

/** Order-0 folios at every other pfn of a fresh run: no two are physically contiguous. */
function scattered(k: Kernel, nid: number, count: number): Folio[] {
  return allocFolios(k, nid, 0, 2 * count).filter((_, i) => i % 2 === 0);
}

describe("splitting a batch over channels", () => {
  it("uses min(nr_dma_chan, nr_folios, 16) channels", () => {
    expect(dcbmChannels(1, 512)).toBe(1);
    expect(dcbmChannels(4, 3)).toBe(3);
    expect(dcbmChannels(32, 512)).toBe(MAX_DMA_CHANNELS);
  });

  it("gives channel i folios n*(i+1)/C - n*i/C: 3, 3, 4 for n = 10, C = 3", () => {
    expect(sliceSizes(10, 3)).toEqual([3, 3, 4]);
    expect(sliceSizes(512, 16)).toEqual(Array(16).fill(32));
    expect(sliceSizes(5, 4)).toEqual([1, 1, 1, 2]);
  });

  it("covers the batch with contiguous slices whose sizes differ by at most one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 16 }), (n, m) => {
        const c = dcbmChannels(m, n);
        const sizes = sliceSizes(n, c);
        expect(sliceStart(n, c, 0)).toBe(0);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe("dcbm descriptors and interrupts", () => {
  it("merges a contiguous slice into segments of the device's maximum size, one interrupt per channel", () => {
    const { k, engines } = bootDma();
    const src = allocFolios(k, 0, 0, 512);
    const dst = allocFolios(k, 1, 0, 512);
    const m = createDcbm(k, { channels: 4, engines });
    expect(runCopy(k, m, dst, src).rc).toBe(0);
    // 128 contiguous 4K folios per channel: 64 KiB segments of 16 folios, 8 per channel.
    expect(ptdma.maxSegmentBytes).toBe(65536);
    expect([engines.descriptors, engines.interrupts]).toEqual([32, 4]);
    expect(marked(dst)).toBe(512);
    expect(m.counters).toEqual({ foliosMigrated: 512, foliosFailures: 0 });
  });

  it("submits one descriptor per folio when no two folios are contiguous", () => {
    const { k, engines } = bootDma();
    const src = scattered(k, 0, 512);
    const dst = scattered(k, 1, 512);
    const m = createDcbm(k, { channels: 4, engines });
    expect(runCopy(k, m, dst, src).rc).toBe(0);
    expect([engines.descriptors, engines.interrupts]).toEqual([512, 4]);
  });

  it("merges each run of contiguous folios into one segment", () => {
    const { k, engines } = bootDma();
    // gaps[i]: folio i + 1 does not follow folio i. Both sides get the same layout.
    const gaps = fc.array(fc.boolean(), { minLength: 1, maxLength: 80 });
    fc.assert(
      fc.property(gaps, fc.integer({ min: 1, max: 6 }), (gap, chans) => {
        const n = gap.length + 1;
        const pick = (nid: number) => {
          const pool = allocFolios(k, nid, 0, 2 * n);
          const out = [pool[0]];
          let p = 0;
          for (const g of gap) {
            p += g ? 2 : 1;
            out.push(pool[p]);
          }
          return out;
        };
        const src = pick(0);
        const dst = pick(1);
        const c = dcbmChannels(chans, n);
        let expected = 0;
        for (let i = 0; i < c; i++) {
          const lo = sliceStart(n, c, i);
          const hi = sliceStart(n, c, i + 1);
          expected += 1 + gap.slice(lo, hi - 1).filter(Boolean).length;
        }
        const before = engines.descriptors;
        expect(runCopy(k, createDcbm(k, { channels: chans, engines }), dst, src).rc).toBe(0);
        expect(engines.descriptors - before).toBe(expected);
        expect(marked(dst)).toBe(n);
      }),
      { numRuns: 60 },
    );
  });

  it("fails with -EINVAL when the two sides map to different segments", () => {
    const { k, engines } = bootDma();
    const m = createDcbm(k, { engines });
    const src = allocFolios(k, 0, 0, 8);
    const dst = scattered(k, 1, 8);
    expect(runCopy(k, m, dst, src).rc).toBe(-EINVAL);
    // Same count (2 segments each) but different boundaries: [0 1][3] against [0][2 3].
    const pool = allocFolios(k, 0, 0, 8);
    const pool1 = allocFolios(k, 1, 0, 8);
    const r = runCopy(k, m, [pool1[0], pool1[2], pool1[3]], [pool[0], pool[1], pool[3]]);
    expect(r.rc).toBe(-EINVAL);
    expect(engines.descriptors).toBe(0);
    expect(m.counters).toEqual({ foliosMigrated: 0, foliosFailures: 11 });
  });
});

describe("dcbm channel requests", () => {
  it("asks for 17 channels of 16 and runs the batch on the 16 it gets", () => {
    const { k, engines } = bootDma();
    const src = allocFolios(k, 0, 0, 64);
    const dst = allocFolios(k, 1, 0, 64);
    const m = createDcbm(k, { channels: 17, engines });
    expect(runCopy(k, m, dst, src).rc).toBe(0);
    expect(m.channelsUsed).toBe(16);
    expect(engines.channels.every((c) => !c.held)).toBe(true);
  });

  it("runs on the channels the machine has free when it asks for more", () => {
    // One engine of two channels: the request loop stops at its third request.
    const dma = { ...zen3Dma(), devices: [{ ...ptdma, sockets: [0] }] };
    const { k, engines } = bootDma({ dma });
    const src = allocFolios(k, 0, 0, 64);
    const dst = allocFolios(k, 1, 0, 64);
    const m = createDcbm(k, { channels: 8, engines });
    expect(runCopy(k, m, dst, src).rc).toBe(0);
    expect(m.channelsUsed).toBe(2);
    expect(m.counters.foliosMigrated).toBe(64);
  });
});

describe("dcbm timing", () => {
  it("copies 512 x 2M on one channel in bytes / channelGBps plus the driver's overheads", () => {
    const { k, engines } = bootDma();
    const src = allocFolios(k, 0, 9, 512);
    const dst = allocFolios(k, 1, 9, 512);
    const r = runCopy(k, createDcbm(k, { engines }), dst, src);
    expect(r.rc).toBe(0);
    // A 2M entry is larger than the maximum segment: one descriptor per folio.
    expect(engines.descriptors).toBe(512);
    const driverCpu =
      cpu.channelSetupNs +
      2 * 512 * cpu.mapSegmentNs +
      512 * cpu.prepDescriptorNs +
      cpu.interruptNs;
    expect(r.exec.phaseNs[PH_COPY]).toBeCloseTo(driverCpu, 6);
    // Each descriptor: its setup and one IOMMU page for the engine, then its bytes.
    expect(r.ns).toBeCloseTo(
      driverCpu + 512 * (ptdma.descriptorNs + ptdma.iommuPageNs) + GiB / ptdma.channelGBps,
      0,
    );
  });

  it("on two channels of one engine is limited by the engine's rate", () => {
    const { k, engines } = bootDma();
    const src = allocFolios(k, 0, 9, 512);
    const dst = allocFolios(k, 1, 9, 512);
    const r = runCopy(k, createDcbm(k, { channels: 2, engines }), dst, src);
    expect(r.rc).toBe(0);
    expect(engines.descriptors).toBe(512);
    expect(2 * ptdma.channelGBps).toBeGreaterThan(ptdma.deviceGBps);
    const driverCpu =
      2 * cpu.channelSetupNs +
      2 * 512 * cpu.mapSegmentNs +
      512 * cpu.prepDescriptorNs +
      2 * cpu.interruptNs;
    // While both channels move bytes they share the engine; their setups overlap.
    const setups = 256 * (ptdma.descriptorNs + ptdma.iommuPageNs);
    expect(r.ns).toBeGreaterThan(driverCpu + setups + GiB / ptdma.deviceGBps - 1);
    expect(r.ns).toBeLessThan(driverCpu + 2 * setups + GiB / ptdma.deviceGBps);
  });

  it("spends the wait asleep: only the driver's work is CPU time", () => {
    const { k, engines } = bootDma();
    const src = scattered(k, 0, 64);
    const dst = scattered(k, 1, 64);
    const r = runCopy(k, createDcbm(k, { channels: 2, engines }), dst, src);
    const driverCpu =
      2 * cpu.channelSetupNs +
      2 * 64 * cpu.mapSegmentNs +
      64 * cpu.prepDescriptorNs +
      2 * cpu.interruptNs;
    expect(r.exec.cpuTimeNs()).toBeCloseTo(driverCpu, 6);
    expect(r.ns).toBeGreaterThan(driverCpu + 32 * ptdma.descriptorNs);
  });
});

describe("dcbm errors", () => {
  const cases: [string, number][] = [
    ["dma-desc-error", -EIO],
    ["dma-map-error", -ENOMEM],
    ["dma-timeout", -ETIMEDOUT],
  ];
  for (const [kind, err] of cases) {
    it(`${kind}: returns ${err}, marks nothing, counts the batch as failed`, () => {
      const { k, engines } = bootDma({ inject: kind });
      const src = allocFolios(k, 0, 0, 100);
      const dst = allocFolios(k, 1, 0, 100);
      const m = createDcbm(k, { channels: 4, engines });
      const r = runCopy(k, m, dst, src);
      expect(r.rc).toBe(err);
      expect(marked(dst)).toBe(0);
      expect(m.counters).toEqual({ foliosMigrated: 0, foliosFailures: 100 });
      expect(engines.channels.every((c) => !c.held)).toBe(true);
      if (kind === "dma-timeout") expect(r.ns).toBeGreaterThan(DCBM_TIMEOUT_NS);
      else expect(r.ns).toBeLessThan(1e6);
    });
  }

  it("partial-batch: marks a prefix only and returns -EIO", () => {
    const { k, engines } = bootDma({ inject: "partial-batch" });
    const src = allocFolios(k, 0, 0, 100);
    const dst = allocFolios(k, 1, 0, 100);
    const m = createDcbm(k, { channels: 4, engines });
    expect(runCopy(k, m, dst, src).rc).toBe(-EIO);
    const n = m.counters.foliosMigrated;
    expect(n).toBeLessThan(100);
    expect(marked(dst)).toBe(n);
    expect(marked(dst.slice(0, n))).toBe(n);
    expect(m.counters.foliosFailures).toBe(100 - n);
  });

  it("fails with -EIO when a source page is poisoned", () => {
    const { k, engines } = bootDma();
    const src = allocFolios(k, 0, 0, 16);
    const dst = allocFolios(k, 1, 0, 16);
    k.phys.setHwPoison(src[5].pfn, true);
    expect(runCopy(k, createDcbm(k, { channels: 2, engines }), dst, src).rc).toBe(-EIO);
    expect(marked(dst)).toBe(0);
  });

  it("returns -ENODEV without a free channel", () => {
    const { k, engines } = bootDma();
    const src = allocFolios(k, 0, 0, 4);
    const dst = allocFolios(k, 1, 0, 4);
    const none = createDcbm(k, { engines: new DmaEngines(k, undefined) });
    expect(runCopy(k, none, dst, src).rc).toBe(-ENODEV);
    expect(none.counters.foliosFailures).toBe(4);
    for (let i = 0; i < 16; i++) engines.requestChannel();
    expect(runCopy(k, createDcbm(k, { engines }), dst, src)).toMatchObject({ rc: -ENODEV, ns: 0 });
  });

  it("declines batches below minBatchFolios with -EOPNOTSUPP and does nothing", () => {
    const { k, engines } = bootDma();
    const src = allocFolios(k, 0, 0, 8);
    const dst = allocFolios(k, 1, 0, 8);
    const m = createDcbm(k, { channels: 2, minBatchFolios: 9, engines });
    const r = runCopy(k, m, dst, src);
    expect([r.rc, r.ns, engines.descriptors, marked(dst)]).toEqual([-EOPNOTSUPP, 0, 0, 0]);
    expect(m.counters).toEqual({ foliosMigrated: 0, foliosFailures: 0 });
    expect(runCopy(k, createDcbm(k, { minBatchFolios: 8, engines }), dst, src).rc).toBe(0);
  });

  it("rejects bad options", () => {
    const { k, engines } = bootDma();
    expect(() => createDcbm(k, { channels: 0, engines })).toThrow(UsageError);
    expect(() => createDcbm(k, { channels: 1.5, engines })).toThrow(UsageError);
    expect(() => createDcbm(k, { minBatchFolios: -1, engines })).toThrow(UsageError);
  });
});

describe("dcbm in move_pages(2)", () => {
  const runs: [string, number, number][] = [
    ["", 0, 600],
    ["", 9, 3],
    ["dma-desc-error", 0, 600],
    ["dma-map-error", 4, 40],
    ["dma-timeout", 0, 600],
    ["partial-batch", 0, 600],
    ["dma-desc-error=0.02,dma-map-error=0.05,dma-timeout@3,partial-batch@2", 0, 4000],
  ];
  for (const [inject, order, count] of runs) {
    it(`moves ${count} order-${order} folios intact with ${inject || "no faults"}`, () => {
      const { k, engines } = bootDma({ contents: true, inject });
      const m = createDcbm(k, { channels: 4, engines });
      expect(k.offload.register(m, MIGRATE_OFFLOAD_REASONS_ALLOWED)).toBe(0);
      const { task, region, addrs } = spawnWithRegion(k, order, count, 0);
      const t0 = k.sim.now;
      const r = movePages(k, task, { pages: addrs, nodes: addrs.map(() => 1) });
      expect(r.rc).toBe(0);
      expect(r.status.every((s) => s === 1)).toBe(true);
      expect(verifyRegion(k, task, region, 1)).toBe(count << order);
      expect(m.counters.foliosMigrated + m.counters.foliosFailures).toBe(count);
      if (inject === "") expect(m.counters.foliosFailures).toBe(0);
      if (inject.includes(",")) {
        expect(k.faults.fired.size).toBeGreaterThanOrEqual(3);
        expect(m.counters.foliosMigrated).toBeGreaterThan(0);
        return;
      }
      if (inject !== "") expect(m.counters.foliosMigrated).toBeLessThan(count);
      expect(k.sim.now - t0 >= DCBM_TIMEOUT_NS).toBe(inject === "dma-timeout");
    });
  }
});

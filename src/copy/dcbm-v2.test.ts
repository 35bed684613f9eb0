import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { PH_COPY } from "../migrate/exec.js";
import { movePages, spawnWithRegion } from "../migrate/test-fixture.js";
import { FOLIO_CONTENT_COPIED, type Folio } from "../mm/folio.js";
import { verifyRegion } from "../workload/region.js";
import { createDcbm, DCBM_TIMEOUT_NS } from "./dcbm.js";
import { createDcbmV2 } from "./dcbm-v2.js";
import { DmaEngines } from "./dma-device.js";
import { allocFolios, bootDma, marked, runCopy, zen3Dma } from "./dma-test-fixture.js";
import { MIGRATE_OFFLOAD_REASONS_ALLOWED } from "./reason-mask.js";

const cpu = zen3Dma().cpu;

/** Indexes of the destinations left for the CPU. */
const unmarked = (dst: readonly Folio[]) =>
  dst.flatMap((f, i) => (f.migrateInfo & FOLIO_CONTENT_COPIED ? [] : [i]));

function batch(o: { count: number; order?: number; inject?: string; channels?: number }) {
  const { k, engines } = bootDma({ inject: o.inject });
  const src = allocFolios(k, 0, o.order ?? 0, o.count);
  const dst = allocFolios(k, 1, o.order ?? 0, o.count);
  const m = createDcbmV2(k, { channels: o.channels ?? 1, engines });
  return { k, engines, src, dst, m };
}

describe("dcbm-v2", () => {
  it("submits one descriptor per folio, each with an interrupt, even when contiguous", () => {
    const { k, engines, src, dst, m } = batch({ count: 10, channels: 3 });
    const r = runCopy(k, m, dst, src);
    expect(r.rc).toBe(0);
    expect([engines.descriptors, engines.interrupts, marked(dst)]).toEqual([10, 10, 10]);
    expect(m.counters).toEqual({ foliosMigrated: 10, foliosFailures: 0 });
    const driverCpu =
      3 * cpu.channelSetupNs + 10 * (2 * cpu.mapSegmentNs + cpu.prepDescriptorNs + cpu.interruptNs);
    expect(r.exec.phaseNs[PH_COPY]).toBeCloseTo(driverCpu, 6);
  });

  it("is several times slower than dcbm on a batch of 512 4K folios", () => {
    const v2 = batch({ count: 512 });
    const t2 = runCopy(v2.k, v2.m, v2.dst, v2.src).ns;
    const v3 = batch({ count: 512 });
    const t3 = runCopy(v3.k, createDcbm(v3.k, { engines: v3.engines }), v3.dst, v3.src).ns;
    // v3 pays one IOMMU walk per page like v2, but one descriptor, mapping and interrupt per
    // channel instead of per folio.
    expect(t2).toBeGreaterThan(2 * t3);
  });

  it("deals folios round-robin: a hung channel leaves exactly its folios to the CPU", () => {
    const { k, engines, src, dst, m } = batch({ count: 9, channels: 3, inject: "dma-timeout@2" });
    const r = runCopy(k, m, dst, src);
    expect(r.rc).toBe(0);
    expect(unmarked(dst)).toEqual([1, 4, 7]);
    expect(r.ns).toBeGreaterThan(DCBM_TIMEOUT_NS);
    expect(m.counters).toEqual({ foliosMigrated: 6, foliosFailures: 3 });
    expect(engines.channels.every((c) => !c.held)).toBe(true);
  });

  it("leaves only the folio whose mapping or descriptor failed to the CPU", () => {
    // Map calls go src, dst per folio: chance 4 is folio 1's destination.
    const map = batch({ count: 6, channels: 2, inject: "dma-map-error@4" });
    expect(runCopy(map.k, map.m, map.dst, map.src).rc).toBe(0);
    expect(unmarked(map.dst)).toEqual([1]);
    expect(map.engines.descriptors).toBe(5);
    const desc = batch({ count: 6, channels: 2, inject: "dma-desc-error@3+6" });
    expect(runCopy(desc.k, desc.m, desc.dst, desc.src).rc).toBe(0);
    expect(unmarked(desc.dst)).toEqual([2, 5]);
    expect(desc.m.counters).toEqual({ foliosMigrated: 4, foliosFailures: 2 });
  });

  it("leaves a folio with a poisoned source page to the CPU", () => {
    const { k, src, dst, m } = batch({ count: 4, order: 2, channels: 2 });
    k.phys.setHwPoison(src[2].pfn + 3, true);
    expect(runCopy(k, m, dst, src).rc).toBe(0);
    expect(unmarked(dst)).toEqual([2]);
  });

  it("copies nothing and returns 0 without a channel", () => {
    const { k, src, dst } = batch({ count: 4 });
    const m = createDcbmV2(k, { engines: new DmaEngines(k, undefined) });
    expect(runCopy(k, m, dst, src)).toMatchObject({ rc: 0, ns: 0 });
    expect(m.counters).toEqual({ foliosMigrated: 0, foliosFailures: 4 });
  });

  it("rejects bad options", () => {
    const { k, engines } = bootDma();
    expect(() => createDcbmV2(k, { channels: 0, engines })).toThrow(UsageError);
  });

  for (const inject of ["", "dma-desc-error=0.1,dma-map-error=0.1,dma-timeout@3"]) {
    it(`moves folios intact in move_pages(2) with ${inject || "no faults"}`, () => {
      const { k, engines } = bootDma({ contents: true, inject });
      const m = createDcbmV2(k, { channels: 4, engines });
      expect(k.offload.register(m, MIGRATE_OFFLOAD_REASONS_ALLOWED)).toBe(0);
      const { task, region, addrs } = spawnWithRegion(k, 1, 600, 0);
      const r = movePages(k, task, { pages: addrs, nodes: addrs.map(() => 1) });
      expect(r.rc).toBe(0);
      expect(verifyRegion(k, task, region, 1)).toBe(1200);
      expect(m.counters.foliosMigrated + m.counters.foliosFailures).toBe(600);
      expect(m.counters.foliosFailures > 0).toBe(inject !== "");
    });
  }
});

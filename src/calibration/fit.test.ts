import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { fitProfile } from "./fit.js";
import { reportCells } from "./fit-cells.js";
import { FIT_PARAMETERS, readParam, withParams } from "./fit-params.js";
import { publishedReport } from "./published-report.js";
import { PUBLISHED_PROFILE } from "./validate.js";

/** Each cell simulated on 64 MiB: 1 GiB cells differ from it by under 1% (per-call costs). */
const FIT = { maxRegionBytes: 64 << 20 };
const T1_FITTED = ["cpu.copyGBps", "costs.folioNs", "costs.pteNs"];

/** The shipped profile with the parameters `ids` scaled by `factors`, and their shipped values. */
function perturbed(ids: readonly string[], factors: readonly number[]) {
  const shipped = loadProfile(PUBLISHED_PROFILE);
  const params = FIT_PARAMETERS.filter((p) => ids.includes(p.id));
  const truth = params.map((p) => readParam(shipped, p) as number);
  const start = withParams(
    shipped,
    params,
    truth.map((v, i) => v * factors[i]),
  );
  if (start === null) throw new Error("the perturbed profile does not validate");
  return { params, truth, start };
}

describe("calibrate fed the published T1 report", () => {
  // copyGBps starts 30% low: 30% high (14.0 GB/s) would put it above fabric.ccdRemoteGBps
  // (11.1), which then bounds the copy, and T1 could not see it (README, `pagemig calibrate`).
  it("recovers copyGBps, folioNs and pteNs within 5% from a start 30% off, and T1 within its ±15% band", async () => {
    const { truth, start } = perturbed(T1_FITTED, [0.7, 1.3, 0.7]);
    const cells = reportCells("T1", publishedReport(["T1"]), start);
    const fit = await fitProfile(start, cells, FIT);

    expect(fit.fitted.map((f) => f.param.id)).toEqual(T1_FITTED);
    for (const [i, f] of fit.fitted.entries()) {
      expect(Math.abs(f.value / truth[i] - 1), f.param.id).toBeLessThan(0.05);
    }
    // The rest of the CPU costs are left as they were, each with its reason.
    expect(fit.left.map((l) => l.param.id)).toContain("costs.pageWalkNs");
    expect(fit.left.find((l) => l.param.id === "costs.pageWalkNs")?.why).toMatch(/not separable/);
    for (const c of fit.cells)
      expect(Math.abs(c.after / c.cell.measured - 1), c.cell.label).toBeLessThan(0.15);
    expect(fit.rmsAfter).toBeLessThan(fit.rmsBefore);
  }, 300_000);
});

/** The fabric links and DMA rates: each bounds one 2M cell of T2 or T3 (docs/probe.md). */
const RATES = [
  "fabric.quadrantRemoteGBps",
  "fabric.socketRemoteGBps",
  "fabric.coherentRemoteGBps",
  "fabric.interSocketGBps",
  "dma.devices.0.channelGBps",
  "dma.devices.0.deviceGBps",
];

describe("calibrate fed the published T1+T2+T3 report's 2M column", () => {
  // The whole 1 GiB of every cell: a smaller region adds its per-call costs (lru drain on 128
  // CPUs, DMA channel setup) to fewer bytes, and T3's 16-channel 2M cell loses 10%. The 2M
  // cells are 512 folios each, so the fit takes 20-40 s here.
  const WHOLE = { maxRegionBytes: 1 << 30 };
  it("recovers the fabric links and DMA rates within 5% from a start 30% low, every cell within its band", async () => {
    const { params, truth, start } = perturbed(
      RATES,
      RATES.map(() => 0.7),
    );
    const report = publishedReport(["T1", "T2", "T3"], [2 << 20]);
    const cells = reportCells("T123", report, start);
    const fit = await fitProfile(start, cells, WHOLE);

    for (const [i, p] of params.entries()) {
      const f = fit.fitted.find((x) => x.param.id === p.id);
      expect(f, p.id).toBeDefined();
      expect(Math.abs((f?.value ?? 0) / truth[i] - 1), p.id).toBeLessThan(0.05);
    }
    // The per-folio, per-PTE and DMA per-descriptor costs are hidden behind 2M copies.
    for (const id of ["costs.folioNs", "costs.pteNs", "dma.devices.0.descriptorNs"])
      expect(fit.left.find((l) => l.param.id === id)?.why, id).toMatch(/too little/);
    for (const c of fit.cells) {
      const band = c.cell.migrator === "serial" ? 0.15 : 0.3;
      expect(Math.abs(c.after / c.cell.measured - 1), c.cell.label).toBeLessThan(band);
    }
    expect(fit.rmsAfter).toBeLessThan(fit.rmsBefore);
  }, 180_000);
});

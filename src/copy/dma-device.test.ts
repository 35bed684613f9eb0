import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadProfile, profilesDir } from "../machine/profile.js";
import { toProfileDocument, validateProfile } from "../machine/schema.js";
import { Kernel } from "../migrate/kernel.js";
import { PAGE_SIZE } from "../mm/folio.js";
import { DMA_PREP_INTERRUPT, DmaEngines } from "./dma-device.js";
import { allocFolios, bootDma, zen3, zen3Dma } from "./dma-test-fixture.js";

const MiB = 1 << 20;

// biome-ignore lint/suspicious/noExplicitAny: tests write values the type forbids.
function zen3Doc(): Record<string, any> {
  return parse(readFileSync(join(profilesDir(), "zen3-2s-ptdma.yaml"), "utf8"));
}

function problems(data: unknown): string[] {
  const r = validateProfile(data);
  return r.ok ? [] : r.problems;
}

describe("the dma profile section", () => {
  it("is optional, and zen3-2s-ptdma has 8 PTDMA engines of 2 channels, 4 per socket", () => {
    const d = zen3Doc();
    const dma = zen3Dma();
    expect(dma.devices).toHaveLength(1);
    expect(dma.devices[0]).toMatchObject({ kind: "ptdma", channelsPerDevice: 2 });
    expect(dma.devices[0].sockets).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    delete d.dma;
    expect(problems(d)).toEqual([]);
  });

  it("names an engine socket out of range and unknown keys", () => {
    const d = zen3Doc();
    d.dma.devices[0].sockets[5] = 2;
    d.dma.cpu.extraNs = 1;
    expect(problems(d)).toEqual([
      "dma.cpu.extraNs: unknown key",
      "dma.devices[0].sockets[5]: socket 2 out of range (sockets: 2)",
    ]);
  });

  it("requires positive rates and a known kind", () => {
    const d = zen3Doc();
    d.dma.devices[0].channelGBps = 0;
    d.dma.devices[0].kind = "ioat";
    expect(problems(d)).toEqual([
      expect.stringMatching(/^dma\.devices\[0\]\.kind: /),
      expect.stringMatching(/^dma\.devices\[0\]\.channelGBps: /),
    ]);
  });

  it("survives toProfileDocument", () => {
    const r = validateProfile(zen3Doc());
    if (!r.ok) throw new Error(r.problems.join("; "));
    const again = validateProfile(JSON.parse(JSON.stringify(toProfileDocument(r.profile))));
    expect(again).toEqual(r);
  });
});

describe("DmaEngines", () => {
  it("hands out channels engine by engine and refuses when all are held", () => {
    const { engines } = bootDma();
    expect(engines.devices.map((d) => `${d.name}@${d.socket}`)).toEqual([
      "ptdma0@0",
      "ptdma1@0",
      "ptdma2@0",
      "ptdma3@0",
      "ptdma4@1",
      "ptdma5@1",
      "ptdma6@1",
      "ptdma7@1",
    ]);
    const got = [];
    for (let i = 0; i < 16; i++) got.push(engines.requestChannel());
    expect(got.map((c) => c?.device.name)).toEqual(
      Array.from({ length: 16 }, (_, i) => `ptdma${i >> 1}`),
    );
    expect(engines.requestChannel()).toBeNull();
    got[5]?.release();
    expect(engines.requestChannel()).toBe(got[5]);
  });

  it("are found by existing() once made for a kernel, and not made by it", () => {
    const k = new Kernel({ profile: zen3 });
    expect(DmaEngines.existing(k)).toBeUndefined();
    expect(k.net.resources.some((r) => r.name === "ptdma0")).toBe(false);
    const engines = DmaEngines.of(k);
    expect(DmaEngines.existing(k)).toBe(engines);
  });

  it("has no channel on a machine without a dma section", () => {
    const k = new Kernel({ profile: loadProfile("small-2node") });
    const engines = DmaEngines.of(k);
    expect(engines.channels).toHaveLength(0);
    expect(engines.requestChannel()).toBeNull();
    expect(DmaEngines.of(k)).toBe(engines);
  });

  it("routes a copy over the socket links between each memory and the engine", () => {
    const { k, engines } = bootDma();
    const names = (from: number, to: number, dev: number) =>
      engines.devices[dev].path(from, to).map((r) => r.name);
    expect(names(0, 1, 0)).toEqual(["mem0", "ptdma0", "xgmi0->1", "mem1"]);
    expect(names(0, 1, 4)).toEqual(["mem0", "xgmi0->1", "ptdma4", "mem1"]);
    expect(names(1, 1, 0)).toEqual(["mem1", "xgmi1->0", "ptdma0", "xgmi0->1", "mem1"]);
    expect(engines.devices[0].engine.capacity).toBe(14.5);
    expect(k.net.resources).toContain(engines.devices[7].engine);
  });
});

describe("DmaChannel", () => {
  it("runs descriptors one after another and wakes the waiter on the interrupt", () => {
    const { k, engines } = bootDma();
    const [src] = allocFolios(k, 0, 9, 1);
    const [dst] = allocFolios(k, 1, 9, 1);
    const chan = engines.requestChannel();
    if (chan === null) throw new Error("no channel");
    // Two halves of a 2M folio; only the second interrupts.
    expect(chan.prepMemcpy(dst.pfn, src.pfn, 256, 0)).toBe(true);
    expect(chan.prepMemcpy(dst.pfn + 256, src.pfn + 256, 256, DMA_PREP_INTERRUPT)).toBe(true);
    chan.issuePending();
    let woke = -1;
    const p = k.sim.spawn(
      (function* () {
        const ok = yield* chan.waitInterrupts(1, 1e9);
        woke = k.sim.now;
        return ok;
      })(),
    );
    expect(k.sim.runUntilDone(p)).toBe(true);
    const half = 256 * PAGE_SIZE;
    // Each half of the THP: descriptor setup, one IOMMU page, then the bytes.
    const dev = k.profile.dma?.devices[0];
    if (dev === undefined) throw new Error("no DMA device");
    expect(woke).toBeCloseTo(2 * (dev.descriptorNs + dev.iommuPageNs + half / dev.channelGBps), 3);
    expect([chan.descOk(0), chan.descOk(1), chan.errors]).toEqual([true, true, 0]);
    expect([engines.descriptors, engines.interrupts]).toEqual([2, 1]);
  });

  it("puts each run of descriptors on its channel's track, a released run ending at the release", () => {
    const { k, engines } = bootDma();
    k.timeline.enabled = true;
    const [src] = allocFolios(k, 0, 9, 1);
    const [dst] = allocFolios(k, 1, 9, 1);
    const chan = engines.requestChannel();
    if (chan === null) throw new Error("no channel");
    chan.prepMemcpy(dst.pfn, src.pfn, 256, 0);
    chan.prepMemcpy(dst.pfn + 256, src.pfn + 256, 256, DMA_PREP_INTERRUPT);
    chan.issuePending();
    k.sim.runUntilDone(k.sim.spawn(chan.waitInterrupts(1, 1e9)));
    const end = k.sim.now;
    chan.release();
    // A second run, released while its only descriptor is in flight.
    chan.prepMemcpy(dst.pfn, src.pfn, 512, DMA_PREP_INTERRUPT);
    chan.issuePending();
    k.sim.run(end + 1000);
    chan.release();
    k.sim.run();
    expect(k.timeline.tracks).toEqual([{ id: 0, kind: "dma", name: "ptdma0 chan0" }]);
    expect(k.timeline.slices).toEqual([
      {
        track: 0,
        name: "memcpy",
        startNs: 0,
        endNs: end,
        args: { descriptors: 2, bytes: 2 * MiB },
      },
      {
        track: 0,
        name: "memcpy",
        startNs: end,
        endNs: end + 1000,
        args: { descriptors: 0, bytes: 0 },
      },
    ]);
    expect(engines.channels[3].name).toBe("ptdma1 chan1");
  });

  it("fails a descriptor that reads a poisoned page and carries on", () => {
    const { k, engines } = bootDma();
    const src = allocFolios(k, 0, 0, 2);
    const dst = allocFolios(k, 1, 0, 2);
    k.phys.setHwPoison(src[0].pfn, true);
    const chan = engines.requestChannel();
    if (chan === null) throw new Error("no channel");
    for (let i = 0; i < 2; i++) chan.prepMemcpy(dst[i].pfn, src[i].pfn, 1, DMA_PREP_INTERRUPT);
    chan.issuePending();
    const p = k.sim.spawn(chan.waitInterrupts(2, 1e9));
    expect(k.sim.runUntilDone(p)).toBe(true);
    expect([chan.descOk(0), chan.descOk(1), chan.errors]).toEqual([false, true, 1]);
  });

  it("hangs under dma-timeout: the wait gives up after exactly its timeout", () => {
    const { k, engines } = bootDma({ inject: "dma-timeout" });
    const [src] = allocFolios(k, 0, 0, 1);
    const [dst] = allocFolios(k, 1, 0, 1);
    const chan = engines.requestChannel();
    if (chan === null) throw new Error("no channel");
    chan.prepMemcpy(dst.pfn, src.pfn, 1, DMA_PREP_INTERRUPT);
    chan.issuePending();
    const p = k.sim.spawn(chan.waitInterrupts(1, 5000));
    expect(k.sim.runUntilDone(p)).toBe(false);
    expect(k.sim.now).toBe(5000);
    expect(engines.interrupts).toBe(0);
  });

  it("copies the bytes of each descriptor in bytes mode, and none after release", () => {
    const { k, engines } = bootDma({ contents: true });
    const src = allocFolios(k, 0, 0, 2);
    const dst = allocFolios(k, 1, 0, 2);
    const contents = k.phys.contents;
    if (contents === null) throw new Error("bytes mode");
    for (const f of src) contents.fillPage(f.pfn, 7);
    const chan = engines.requestChannel();
    if (chan === null) throw new Error("no channel");
    chan.prepMemcpy(dst[0].pfn, src[0].pfn, 1, DMA_PREP_INTERRUPT);
    chan.prepMemcpy(dst[1].pfn, src[1].pfn, 1, DMA_PREP_INTERRUPT);
    chan.issuePending();
    k.sim.runUntilDone(k.sim.spawn(chan.waitInterrupts(1, 1e9)));
    chan.release();
    k.sim.run();
    expect(contents.checkPage(dst[0].pfn, 7)).toBe(true);
    expect(contents.checkPage(dst[1].pfn, 7)).toBe(false);
    expect(engines.interrupts).toBe(1);
  });
});

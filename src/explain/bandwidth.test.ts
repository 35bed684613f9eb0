import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { type CopyEngineConfig, copiersOf, copyBandwidth } from "./bandwidth.js";

const zen3 = loadProfile("zen3-2s-ptdma");
const base: CopyEngineConfig = {
  migrator: "serial",
  workers: 1,
  placement: "spread",
  foliosPerBatch: 512,
  fromNode: 0,
  toNode: 1,
  taskCpu: 0,
};

describe("copyBandwidth on zen3-2s-ptdma, node 0 -> 1", () => {
  it("one core: its own rate binds, below the slowest link of its cross-socket path", () => {
    const b = copyBandwidth(zen3, base);
    expect(b).toMatchObject({ copier: "core", copiers: 1, rateGBps: 10.8 });
    expect(b.binding).toMatchObject({ name: "cap", param: "cpu.copyGBps" });
    expect(b.slowestOnPath).toMatchObject({
      name: "ccd0.remote",
      param: "fabric.ccdRemoteGBps",
      capacityGBps: 11.1,
    });
    expect(b.path.map((l) => l.name)).toEqual([
      "mem0",
      "ccd0.rd",
      "ccd0.remote",
      "quad0.remote",
      "sock0.remote",
      "coherent.remote",
      "ccd0.wr",
      "xgmi0->1",
      "mem1",
    ]);
    // Every limit names the profile parameter its capacity comes from.
    const f = zen3.fabric;
    const byParam: Record<string, number> = {
      "fabric.memoryGBps": f.memoryGBps,
      "fabric.ccdReadBytesPerClk × fabric.fclkGHz": f.ccdReadBytesPerClk * f.fclkGHz,
      "fabric.ccdWriteBytesPerClk × fabric.fclkGHz": f.ccdWriteBytesPerClk * f.fclkGHz,
      "fabric.ccdRemoteGBps": f.ccdRemoteGBps,
      "fabric.quadrantRemoteGBps": f.quadrantRemoteGBps,
      "fabric.socketRemoteGBps": f.socketRemoteGBps,
      "fabric.coherentRemoteGBps": f.coherentRemoteGBps,
      "fabric.interSocketGBps": f.interSocketGBps,
    };
    for (const l of b.path) expect(l.capacityGBps).toBeCloseTo(byParam[l.param], 9);
  });

  it("mtcopy fill 16: both CCDs of quadrant 0 share its cross-socket port (T4: 17.91)", () => {
    const b = copyBandwidth(zen3, { ...base, migrator: "mtcopy", workers: 16, placement: "fill" });
    expect(b.copiers).toBe(16);
    expect(b.rateGBps).toBeCloseTo(17.7, 9);
    expect(b.binding).toMatchObject({ name: "quad0.remote", sharedBy: 16 });
    expect(b.perCopierGBps).toBeCloseTo(17.7 / 16, 9);
  });

  it("mtcopy spread: 4 threads meet the socket's limit, 16 the machine's (T4: 29.94, 36.19)", () => {
    const four = copyBandwidth(zen3, { ...base, migrator: "mtcopy", workers: 4 });
    expect(four.binding.name).toBe("sock0.remote");
    expect(four.rateGBps).toBeCloseTo(31, 9);
    const sixteen = copyBandwidth(zen3, { ...base, migrator: "mtcopy", workers: 16 });
    expect(sixteen.binding.name).toBe("coherent.remote");
    expect(sixteen.rateGBps).toBeCloseTo(37, 9);
  });

  it("dcbm: one channel runs at its cap; two share their engine; sixteen share the xGMI link", () => {
    const one = copyBandwidth(zen3, { ...base, migrator: "dcbm", workers: 1 });
    expect(one).toMatchObject({ copier: "DMA channel", copiers: 1, rateGBps: 12.6 });
    expect(one.binding).toMatchObject({ name: "cap", param: "dma channelGBps" });
    expect(one.slowestOnPath).toMatchObject({ name: "ptdma0", capacityGBps: 14.5 });
    const two = copyBandwidth(zen3, { ...base, migrator: "dcbm", workers: 2 });
    expect(two.binding).toMatchObject({ name: "ptdma0", sharedBy: 2, param: "dma deviceGBps" });
    expect(two.rateGBps).toBeCloseTo(14.5, 9);
    const all = copyBandwidth(zen3, { ...base, migrator: "dcbm", workers: 16 });
    expect(all.binding).toMatchObject({ name: "xgmi0->1", sharedBy: 16 });
    expect(all.rateGBps).toBeCloseTo(66, 9);
  });

  it("dcbm keeps one channel per folio of a batch busy; dcbm-v2 the same, at most 16", () => {
    const c = { ...base, migrator: "dcbm" as const, workers: 2, foliosPerBatch: 1 };
    expect(copiersOf(c)).toEqual({ copier: "DMA channel", count: 1 });
    expect(copyBandwidth(zen3, c)).toMatchObject({ copiers: 1, rateGBps: 12.6 });
    expect(copiersOf({ ...c, migrator: "dcbm-v2", workers: 40, foliosPerBatch: 512 }).count).toBe(
      16,
    );
    expect(copiersOf({ ...c, migrator: "dcbm", workers: 40, foliosPerBatch: 512 }).count).toBe(16);
  });

  it("a profile without DMA engines: the core copies, and dcbm is refused", () => {
    const small = loadProfile("small-2node");
    const b = copyBandwidth(small, base);
    expect(b).toMatchObject({ copier: "core", copiers: 1, rateGBps: 10.8 });
    // One socket: no cross-socket limits on the path.
    expect(b.path.map((l) => l.name)).toEqual(["mem0", "ccd0.rd", "ccd0.wr", "mem1"]);
    for (const migrator of ["dcbm", "dcbm-v2"] as const) {
      expect(() => copyBandwidth(small, { ...base, migrator, workers: 2 })).toThrow(
        `--migrator ${migrator}: profile small-2node has no DMA engine (dma.devices)`,
      );
    }
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { accessLatencyNs, loadedLatencyNs } from "../workload/app/app.js";
import { buildFabric, copyPath, quadrantOfCcd } from "./fabric.js";
import { parseProfile } from "./parse.js";
import { loadProfile, profilesDir } from "./profile.js";

// Resources are their names here, which makes paths readable.
const capacities = new Map<string, number>();
const net = {
  addResource(name: string, capacity: number): string {
    capacities.set(name, capacity);
    return name;
  },
};

describe("zen3-2s-ptdma fabric", () => {
  const profile = loadProfile("zen3-2s-ptdma");
  const fabric = buildFabric(profile, net);

  it("creates memory, CCD links and one link per ordered socket pair", () => {
    expect(fabric.mem).toEqual(["mem0", "mem1"]);
    expect(fabric.ccdRead).toHaveLength(8);
    expect(fabric.ccdWrite[7]).toBe("ccd7.wr");
    expect(fabric.interSocket).toEqual([undefined, "xgmi0->1", "xgmi1->0", undefined]);
    expect(capacities.get("ccd0.rd")).toBeCloseTo(32 * 1.6);
    expect(capacities.get("ccd0.wr")).toBeCloseTo(16 * 1.6);
    expect(capacities.get("mem1")).toBe(120);
    expect(capacities.get("xgmi1->0")).toBe(66);
    expect(fabric.ccdRemote[3]).toBe("ccd3.remote");
    expect(fabric.socketRemote).toEqual(["sock0.remote", "sock1.remote"]);
    expect(fabric.quadrantRemote).toEqual([
      "quad0.remote",
      "quad1.remote",
      "quad2.remote",
      "quad3.remote",
    ]);
    expect(fabric.coherentRemote).toBe("coherent.remote");
    expect(capacities.get("ccd3.remote")).toBe(11.1);
    expect(capacities.get("quad3.remote")).toBe(17.7);
    expect(capacities.get("sock1.remote")).toBe(31);
    expect(capacities.get("coherent.remote")).toBe(37);
  });

  it("attaches CCDs to IO-die quadrants two by two, never across sockets", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((c) => quadrantOfCcd(profile, c))).toEqual([
      0, 0, 1, 1, 2, 2, 3, 3,
    ]);
  });

  it("routes a copy by a CPU on the source socket over one inter-socket link", () => {
    expect(copyPath(fabric, 9, 0, 1)).toEqual([
      "mem0",
      "ccd1.rd",
      "ccd1.remote",
      "quad0.remote",
      "sock0.remote",
      "coherent.remote",
      "ccd1.wr",
      "xgmi0->1",
      "mem1",
    ]);
  });

  it("routes a copy by a CPU on the destination socket (SMT sibling) the other way", () => {
    expect(copyPath(fabric, 64 + 32, 0, 1)).toEqual([
      "mem0",
      "xgmi0->1",
      "ccd4.rd",
      "ccd4.remote",
      "quad2.remote",
      "sock1.remote",
      "coherent.remote",
      "ccd4.wr",
      "mem1",
    ]);
  });

  it("routes a copy by a third-party socket's CPU over both links", () => {
    expect(copyPath(fabric, 40, 0, 0)).toEqual([
      "mem0",
      "xgmi0->1",
      "ccd5.rd",
      "ccd5.remote",
      "quad2.remote",
      "sock1.remote",
      "coherent.remote",
      "ccd5.wr",
      "xgmi1->0",
      "mem0",
    ]);
  });

  it("reuses the array it is given", () => {
    const out = ["stale", "stale", "stale", "stale", "stale", "stale", "stale", "stale", "stale"];
    expect(copyPath(fabric, 0, 0, 1, out)).toBe(out);
    expect(out).toEqual([
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
  });
});

describe("single-socket fabric", () => {
  it("has no inter-socket links and keeps copies on the socket", () => {
    const fabric = buildFabric(loadProfile("small-2node"), net);
    expect(fabric.interSocket).toEqual([undefined]);
    expect(copyPath(fabric, 5, 0, 1)).toEqual(["mem0", "ccd1.rd", "ccd1.wr", "mem1"]);
  });
});

describe("a node's own memory figures", () => {
  it("give the node's memory resource its bandwidth; the others keep fabric.memoryGBps", () => {
    const text = readFileSync(join(profilesDir(), "zen5-2s-cxl.yaml"), "utf8").replace(
      "{ id: 2, socket: 0, memory: 256G, kind: cxl }",
      "{ id: 2, socket: 0, memory: 256G, kind: cxl, memoryGBps: 32, latencyNs: 270, queueingNs: 90 }",
    );
    const profile = parseProfile(text, "cxl-node", { source: "cxl-node" });
    buildFabric(profile, net);
    expect(capacities.get("mem2")).toBe(32);
    expect(capacities.get("mem0")).toBe(338);
    expect(accessLatencyNs(profile, 0, 2)).toBe(270);
    expect(accessLatencyNs(profile, 0, 0)).toBe(120);
    // Its loaded-latency curve is its own: at half load, 90 ns more rather than memory.queueingNs' 30.
    expect(loadedLatencyNs(profile, 0, 2, 0.5)).toBe(270 + 90);
    expect(loadedLatencyNs(profile, 0, 0, 0.5)).toBe(120 + 30);
  });
});

describe("turin-cxl: the tiering machine's CXL node", () => {
  const profile = loadProfile("turin-cxl");
  // Its own map: the other describes rebuild theirs into the shared one when their tests run.
  const capacity = new Map<string, number>();
  const fabric = buildFabric(profile, {
    addResource(name: string, c: number): string {
      capacity.set(name, c);
      return name;
    },
  });

  it("is one socket of 96 cores with a CPU-less CXL node beside the DRAM", () => {
    expect([profile.cpus, profile.nodeCount, profile.topology.sockets]).toEqual([192, 2, 1]);
    expect(profile.node(1)).toMatchObject({ kind: "cxl", memory: 512 * 2 ** 30 });
    expect(profile.cpusOfNode(1)).toEqual([]);
    expect(profile.cpusOfNode(0)).toHaveLength(192);
    expect(profile.dma?.devices[0].sockets).toEqual([0, 0, 0, 0]);
  });

  it("gives the CXL node its two x8 links' bandwidth and the DRAM the socket's", () => {
    expect(fabric.interSocket).toEqual([undefined]);
    expect(capacity.get("mem1")).toBe(64);
    expect(capacity.get("mem0")).toBe(338);
    // A promotion by CPU 0 crosses only the two memories and its CCD's links.
    expect(copyPath(fabric, 0, 1, 0)).toEqual(["mem1", "ccd0.rd", "ccd0.wr", "mem0"]);
  });

  it("gives the CXL node its own idle latency and loaded-latency curve", () => {
    expect(accessLatencyNs(profile, 0, 1)).toBe(250);
    expect(accessLatencyNs(profile, 191, 0)).toBe(130);
    expect(loadedLatencyNs(profile, 0, 1, 0.5)).toBe(250 + 62.5);
    expect(loadedLatencyNs(profile, 0, 0, 0.5)).toBe(130 + 32.5);
  });
});

describe("gh200: the GPU's HBM as a CPU-less gpu node", () => {
  const profile = loadProfile("gh200");
  const capacity = new Map<string, number>();
  const fabric = buildFabric(profile, {
    addResource(name: string, c: number): string {
      capacity.set(name, c);
      return name;
    },
  });

  it("gives the HBM node no CPUs and the machine no DMA engines", () => {
    expect([profile.cpus, profile.nodeCount, profile.kernel.arch]).toEqual([72, 2, "arm64"]);
    expect(profile.node(1)).toMatchObject({ kind: "gpu", memory: 96 * 2 ** 30 });
    expect(profile.cpusOfNode(1)).toEqual([]);
    expect(profile.nodeOfCpu(71)).toBe(0);
    expect(profile.dma).toBeUndefined();
  });

  it("reaches the HBM over NVLink-C2C at its bandwidth and latency", () => {
    expect(capacity.get("mem1")).toBe(336);
    expect(capacity.get("mem0")).toBe(486);
    expect(copyPath(fabric, 5, 0, 1)).toEqual(["mem0", "ccd0.rd", "ccd0.wr", "mem1"]);
    expect(accessLatencyNs(profile, 0, 1)).toBe(700);
    expect(loadedLatencyNs(profile, 0, 1, 0.5)).toBe(700 + 175);
  });
});

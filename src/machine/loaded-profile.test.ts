import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseProfile } from "./parse.js";
import { loadProfile } from "./profile.js";
import { toProfileDocument } from "./schema.js";

describe("CPU numbering on zen3-2s-ptdma (2 sockets x 4 CCDs x 8 cores x SMT2)", () => {
  const p = loadProfile("zen3-2s-ptdma");

  it("numbers first threads socket-major, then SMT siblings", () => {
    expect(p.totalCores).toBe(64);
    expect(p.cpuInfo(0)).toEqual({ socket: 0, ccd: 0, core: 0, thread: 0 });
    expect(p.cpuInfo(9)).toEqual({ socket: 0, ccd: 1, core: 1, thread: 0 });
    expect(p.cpuInfo(32)).toEqual({ socket: 1, ccd: 0, core: 0, thread: 0 });
    expect(p.cpuInfo(64)).toEqual({ socket: 0, ccd: 0, core: 0, thread: 1 });
    expect(p.cpuInfo(127)).toEqual({ socket: 1, ccd: 3, core: 7, thread: 1 });
  });

  it("gives global CCD indices and local nodes", () => {
    expect([p.ccdOfCpu(9), p.ccdOfCpu(32), p.ccdOfCpu(64 + 40), p.ccdOfCpu(127)]).toEqual([
      1, 4, 5, 7,
    ]);
    expect([p.nodeOfCpu(31), p.nodeOfCpu(32), p.nodeOfCpu(64), p.nodeOfCpu(96)]).toEqual([
      0, 1, 0, 1,
    ]);
    expect([p.nodeOfSocket(0), p.nodeOfSocket(1), p.socketOfNode(1)]).toEqual([0, 1, 1]);
  });

  it("lists each node's CPUs, both SMT threads", () => {
    const node1 = p.cpusOfNode(1);
    expect(node1).toHaveLength(64);
    expect(node1.slice(0, 2)).toEqual([32, 33]);
    expect(node1.slice(32, 34)).toEqual([96, 97]);
    expect([...p.cpusOfNode(0), ...node1].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 128 }, (_, i) => i),
    );
  });

  it("refuses CPUs and nodes that do not exist", () => {
    expect(() => p.cpuInfo(128)).toThrow("profile zen3-2s-ptdma: no cpu 128 (cpus: 0..127)");
    expect(() => p.nodeBytes(2)).toThrow("profile zen3-2s-ptdma: no node 2 (nodes: 0..1)");
    expect(() => p.nodeOfSocket(2)).toThrow(RangeError);
  });
});

describe("nodes sharing a socket, and CPU-less nodes", () => {
  it("splits a socket's CCDs among its DRAM nodes (small-2node: one CCD each)", () => {
    const p = loadProfile("small-2node");
    expect(p.cpusOfNode(0)).toEqual([0, 1, 2, 3]);
    expect(p.cpusOfNode(1)).toEqual([4, 5, 6, 7]);
    expect(p.nodeOfSocket(0)).toBe(0);
  });

  it("gives a CXL node no CPUs", () => {
    const text = readFileSync(loadProfile("small-2node").source, "utf8").replace(
      "{ id: 1, socket: 0, memory: 1G, kind: dram }",
      "{ id: 1, socket: 0, memory: 4G, kind: cxl }",
    );
    const p = parseProfile(text, "cxl", { source: "test" });
    expect(p.cpusOfNode(1)).toEqual([]);
    expect(p.cpusOfNode(0)).toHaveLength(8);
    expect(p.node(1)).toMatchObject({ kind: "cxl", memory: 4 * 2 ** 30 });
  });
});

describe("parseProfile", () => {
  it("checks the name against the expected name", () => {
    const text = readFileSync(loadProfile("small-2node").source, "utf8");
    expect(() => parseProfile(text, "other", { source: "x", expectedName: "other" })).toThrow(
      "profile other: name: 'small-2node' does not match the file name 'other'",
    );
  });

  it("reads JSON too", () => {
    const p = loadProfile("zen3-2s-ptdma");
    const json = JSON.stringify(toProfileDocument(p));
    const q = parseProfile(json, "j", { source: "j" });
    expect(toProfileDocument(q)).toEqual(toProfileDocument(p));
    expect(q.cpus).toBe(p.cpus);
  });

  it("keeps a one-line message short when much is wrong", () => {
    expect(() => parseProfile("sockets: 2\n", "t", { source: "t" })).toThrow(
      "profile t: name: required; description: required; topology: required; cpu: required; fabric: required; (and 3 more)",
    );
  });
});

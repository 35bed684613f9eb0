import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { packageRoot } from "../machine/package-root.js";
import { type LoadedProfile, loadProfile } from "../machine/profile.js";
import { runMovePagesBench } from "../workload/move-pages-bench.js";
import { buildDraft } from "./draft.js";
import { probeHost } from "./probe.js";
import { hostFs } from "./reader.js";
import type { HostFacts } from "./types.js";

const GiB = 2 ** 30;
/** Bytes of `kB` rounded down to whole 4 MiB blocks, as drafts hold node memory. */
const blocks = (kB: number) => Math.floor(kB / 4096) * 4096 * 1024;
const facts = (name: string) =>
  probeHost(hostFs(join(packageRoot(), "test", "fixtures", "probe", name)));

function base(name: string) {
  const profile = loadProfile(name);
  return { profile, text: readFileSync(profile.source, "utf8") };
}

/** The draft of `f` written to a file and loaded as --profile would load it. */
function loadDraft(f: HostFacts, baseName = "zen3-2s-ptdma"): { text: string; p: LoadedProfile } {
  const text = buildDraft(f, base(baseName), "draft");
  const file = join(mkdtempSync(join(tmpdir(), "pagemig-draft-")), "draft.yaml");
  writeFileSync(file, text);
  return { text, p: loadProfile(file) };
}

function tinyBench(p: LoadedProfile, migrator: "serial" | "dcbm", from: number, to: number) {
  return runMovePagesBench({
    migrator,
    workers: migrator === "dcbm" ? 2 : 1,
    profile: p,
    folioSizeBytes: 4096,
    folioCount: 64,
    runs: 1,
    seed: 1,
    verify: false,
    fromNode: from,
    toNode: to,
  });
}

describe("the draft profile of each fixture loads and runs a move_pages bench", () => {
  it("zen3-2s: the base's shape, host memory, PTDMA engines by node; serial and dcbm run", async () => {
    const { p } = loadDraft(facts("zen3-2s"));
    expect([p.topology.sockets, p.topology.ccdsPerSocket, p.topology.coresPerCcd]).toEqual([
      2, 4, 4,
    ]);
    expect(p.topology.threadsPerCore).toBe(2);
    expect(p.cpus).toBe(64);
    expect(p.topology.nodes.map((n) => [n.socket, n.kind, n.memory])).toEqual([
      [0, "dram", blocks(263921880)],
      [1, "dram", blocks(264209560)],
    ]);
    expect(p.cpusOfNode(1)).toContain(16);
    expect(p.dma?.devices.map((d) => [d.kind, d.sockets, d.channelsPerDevice])).toEqual([
      ["ptdma", [0, 0, 0, 0, 1, 1, 1, 1], 2],
    ]);
    const base = loadProfile("zen3-2s-ptdma");
    expect([p.cpu, p.fabric, p.costs, p.dma?.cpu]).toEqual([
      base.cpu,
      base.fabric,
      base.costs,
      base.dma?.cpu,
    ]);
    for (const migrator of ["serial", "dcbm"] as const) {
      const r = await tinyBench(p, migrator, 0, 1);
      expect(r.throughputGBps.mean, migrator).toBeGreaterThan(0);
    }
  });

  it("cxl-tier: the CPU-less node is cxl on the socket of its nearest CPU node", async () => {
    const { p } = loadDraft(facts("cxl-tier"));
    expect(p.topology.nodes.map((n) => [n.id, n.socket, n.kind])).toEqual([
      [0, 0, "dram"],
      [1, 1, "dram"],
      [2, 0, "cxl"],
    ]);
    expect(p.nodeBytes(2)).toBe(128 * GiB);
    expect(p.cpusOfNode(2)).toEqual([]);
    expect(p.dma).toBeUndefined();
    expect((await tinyBench(p, "serial", 0, 1)).throughputGBps.mean).toBeGreaterThan(0);
    expect((await tinyBench(p, "serial", 0, 2)).throughputGBps.mean).toBeGreaterThan(0);
  });

  it("vm-1node: the one node is split in two halves (numa=fake=2), its 2 cores over 2 CCDs", async () => {
    const { text, p } = loadDraft(facts("vm-1node"));
    expect(p.topology.nodes.map((n) => [n.socket, n.kind, n.memory])).toEqual([
      [0, "dram", blocks(24683656 / 2)],
      [0, "dram", blocks(24683656 / 2)],
    ]);
    expect([p.topology.ccdsPerSocket, p.topology.coresPerCcd, p.cpus]).toEqual([2, 1, 2]);
    expect(text).toMatch(/numa=fake=2/);
    expect((await tinyBench(p, "serial", 0, 1)).throughputGBps.mean).toBeGreaterThan(0);
  });
});

describe("hosts the schema cannot take as they are", () => {
  it("bigmem: 2 x 6T is scaled down in proportion to fit the model, and says so", async () => {
    const { text, p } = loadDraft(facts("bigmem"));
    const memory = p.topology.nodes.map((n) => n.memory);
    expect(memory[0]).toBe(memory[1]);
    expect(memory[0]).toBeLessThan(4 * 2 ** 40);
    expect(text).toMatch(/^# - memory: the host's 12T spans more than the model's 8388480M/m);
    expect(text).toMatch(/# host node 0: cpus 0-7; scaled down from 6T$/m);
    expect((await tinyBench(p, "serial", 0, 1)).throughputGBps.mean).toBeGreaterThan(0);
  });

  it("tiny: one node too small for two 4M halves is refused", () => {
    expect(() => loadDraft(facts("tiny"))).toThrow(
      /^cannot draft a profile: host node 0, the only memory node, has 4M/,
    );
  });

  it("vm2s: a VM's second virtual socket on the one node is folded in, keeping its CPUs", () => {
    const { text, p } = loadDraft(facts("vm2s"));
    expect([p.topology.sockets, p.cpus]).toEqual([1, 8]);
    expect(text).toMatch(
      /^# - CPUs 4-7 \(package 1, no memory node of its own\) folded into socket 0, the socket of node 0/m,
    );
    expect(text).toMatch(/sockets: 1 # .*; the cores of package 1 folded in$/m);
  });

  it("memless-dma: a memoryless CPU node's cores fold into the nearest socket, its engine too", () => {
    const { text, p } = loadDraft(facts("memless-dma"));
    expect([p.topology.sockets, p.cpus]).toEqual([1, 32]);
    expect(text).toMatch(/folded into socket 0, the socket of nearest CPU node 0 \(distance 20\)/);
    // dma1 sits on node 1 (CPUs, no memory): the socket of its package, not "no known node".
    expect(p.dma?.devices[0].sockets).toEqual([0, 0]);
    expect(text).not.toMatch(/no known node/);
  });

  it("no-numa: the whole machine is split in two halves", () => {
    const { p } = loadDraft(facts("no-numa"));
    expect(p.topology.nodes.map((n) => n.memory)).toEqual([
      blocks(16384000 / 2),
      blocks(16384000 / 2),
    ]);
    expect(p.cpus).toBe(8);
  });

  it("states host and draft CPU counts when rounding CCDs up invents cores (SNC3)", () => {
    // One socket of 128 cores under one L3, three SNC nodes: 3 CCDs of 43 cores.
    const f = facts("vm-1node");
    const cpus = Array.from({ length: 128 }, (_, cpu) => ({
      cpu,
      packageId: 0,
      l3: Array.from({ length: 128 }, (_, i) => i),
      threadSiblings: [cpu],
    }));
    const third = (i: number) => cpus.slice(43 * i, Math.min(128, 43 * (i + 1))).map((c) => c.cpu);
    const host: HostFacts = {
      ...f,
      cpus,
      l3Groups: [{ cpus: cpus.map((c) => c.cpu), packageId: 0 }],
      nodes: [0, 1, 2].map((id) => ({
        id,
        cpus: third(id),
        memTotalBytes: 2 ** 30,
        distances: null,
        hasCpu: true,
        hasMemory: true,
      })),
    };
    const { text, p } = loadDraft(host);
    expect([p.topology.ccdsPerSocket, p.topology.coresPerCcd, p.cpus]).toEqual([3, 43, 129]);
    expect(text).toMatch(/^# - CPUs: the host has 128 online, the draft 129 /m);
  });
});

describe("draft rules", () => {
  it("marks every value it lends as not measured, with the base's source note", () => {
    const { text } = loadDraft(facts("zen3-2s"));
    const lent = text.split("\n").filter((l) => l.includes("# not measured, from zen3-2s-ptdma"));
    // cpu 2, fabric 10, kernel 2, costs 12, dma rates 5, dma cpu 4
    expect(lent).toHaveLength(35);
    expect(text).toMatch(
      /^ {2}folioNs: 340 # not measured, from zen3-2s-ptdma: per folio: .* fitted to T1 \(337\)$/m,
    );
  });

  it("falls back to a section's note where the base has none on the value", () => {
    const { text } = loadDraft(facts("cxl-tier"), "tiered-1t");
    expect(text).toMatch(
      /^ {2}folioNs: 450 # not measured, from tiered-1t: as zen3-2s-ptdma \(placeholders/m,
    );
  });

  it("leaves the host's engines out when the base has no DMA rates to lend", () => {
    const { text, p } = loadDraft(facts("zen3-2s"), "zen5-2s-cxl");
    expect(p.dma).toBeUndefined();
    expect(text).toMatch(/No dma section: zen5-2s-cxl has no DMA engine rates/);
  });

  it("rounds CCDs up to a multiple of a socket's dram nodes and spreads the cores over them", () => {
    // One socket, two CPU nodes (as NPS2), three L3 groups of four cores.
    const f = facts("cxl-tier");
    const cpus = f.cpus
      .filter((c) => c.cpu < 12)
      .map((c) => ({
        ...c,
        packageId: 0,
        l3: [0, 1, 2, 3].map((i) => Math.floor(c.cpu / 4) * 4 + i),
      }));
    const host: HostFacts = {
      ...f,
      cpus,
      l3Groups: [0, 4, 8].map((first) => ({
        cpus: [0, 1, 2, 3].map((i) => first + i),
        packageId: 0,
      })),
      nodes: [
        { ...f.nodes[0], cpus: [0, 1, 2, 3, 4, 5], distances: [10, 12] },
        { ...f.nodes[1], id: 1, cpus: [6, 7, 8, 9, 10, 11], distances: [12, 10] },
      ],
    };
    const { p, text } = loadDraft(host);
    expect([p.topology.sockets, p.topology.ccdsPerSocket, p.topology.coresPerCcd]).toEqual([
      1, 4, 3,
    ]);
    expect(text).toMatch(/rounded up from 3 to a multiple of the 2 dram nodes per socket/);
  });

  it("attaches a CPU-less node to the socket of the nearest CPU node", () => {
    const f = facts("cxl-tier");
    const nodes = f.nodes.map((n, i) => ({
      ...n,
      distances: [
        [10, 32, 42],
        [32, 10, 14],
        [42, 14, 10],
      ][i],
    }));
    const { p } = loadDraft({ ...f, nodes });
    expect(p.node(2)).toMatchObject({ kind: "cxl", socket: 1 });
  });

  it("refuses a host where no node has both CPUs and memory", () => {
    const f = facts("vm-1node");
    const host = { ...f, nodes: f.nodes.map((n) => ({ ...n, cpus: [] })) };
    expect(() => buildDraft(host, base("zen3-2s-ptdma"), "x")).toThrow(UsageError);
  });
});

import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../machine/package-root.js";
import { usageError } from "../test-support/usage-error.js";
import { readModuleParams, UNREADABLE } from "./dma.js";
import { type HostFs, Unreadable } from "./host-fs.js";
import { probeNotes } from "./notes.js";
import { probeHost } from "./probe.js";
import { hostFs, readError } from "./reader.js";

const fixture = (name: string) => join(packageRoot(), "test", "fixtures", "probe", name);
const probe = (root: string) => probeHost(hostFs(root));

/** A copy of fixture `name` with `files` (host paths) written over it; a null removes one. */
function modified(name: string, files: Record<string, string | null>): string {
  const root = join(mkdtempSync(join(tmpdir(), "pagemig-probe-")), name);
  cpSync(fixture(name), root, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    const at = join(root, path);
    rmSync(at, { recursive: true, force: true });
    if (text !== null) writeFileSync(at, text);
  }
  return root;
}

describe("probeHost on the fixtures", () => {
  it("zen3-2s: two sockets of four 8-thread L3 groups, PTDMA engines, dcbm and mtcopy", () => {
    const f = probe(fixture("zen3-2s"));
    expect(f.kernelRelease).toBe("6.8.0-rc4-dcbm-v3+");
    expect(f.cpuModel).toBe("AMD EPYC 7543 32-Core Processor");
    expect(f.arch).toBe("x86_64");
    expect(f.nodes.map((n) => [n.id, n.cpus?.length, n.memTotalBytes, n.distances])).toEqual([
      [0, 32, 263921880 * 1024, [10, 32]],
      [1, 32, 264209560 * 1024, [32, 10]],
    ]);
    expect(f.cpus).toHaveLength(64);
    expect(f.cpus[33]).toEqual({
      cpu: 33,
      packageId: 0,
      l3: [0, 1, 2, 3, 32, 33, 34, 35],
      threadSiblings: [1, 33],
    });
    expect(f.l3Groups.map((g) => [g.cpus[0], g.cpus.length, g.packageId])).toEqual([
      [0, 8, 0],
      [4, 8, 0],
      [8, 8, 0],
      [12, 8, 0],
      [16, 8, 1],
      [20, 8, 1],
      [24, 8, 1],
      [28, 8, 1],
    ]);
    expect(f.thp).toEqual({ enabled: "always", defrag: "madvise" });
    expect(f.dma.map((e) => [e.name, e.channels.length, e.driver, e.node])).toEqual(
      Array.from({ length: 8 }, (_, i) => [`dma${i}`, 2, "ptdma", i < 4 ? 0 : 1]),
    );
    expect(f.modules.dcbm).toEqual({ nr_dma_chan: "16", offloading: "1", reason_mask: "0x3f" });
    expect(f.modules.mtcopy).toEqual({ nr_threads: "8", use_mt_copy: "1" });
  });

  it("cxl-tier: a CPU-less node in a slower tier, tiering-mode balancing and demotion", () => {
    const f = probe(fixture("cxl-tier"));
    expect(f.nodes.map((n) => [n.id, n.hasCpu, n.hasMemory])).toEqual([
      [0, true, true],
      [1, true, true],
      [2, false, true],
    ]);
    expect(f.memoryTiers).toEqual([
      { id: 4, nodes: [0, 1] },
      { id: 22, nodes: [2] },
    ]);
    expect(f.numaBalancing).toBe(2);
    expect(f.demotionEnabled).toBe(true);
    expect(f.modules).toEqual({ dcbm: null, mtcopy: null });
    expect(probeNotes(f)).toContain(
      "numa_balancing=2 (memory tiering mode): hot pages are promoted from slower tiers",
    );
  });

  it("no-numa: a kernel without CONFIG_NUMA is one node 0 of every CPU and /proc/meminfo", () => {
    const f = probe(fixture("no-numa"));
    expect(f.numa).toBe(false);
    expect(f.nodes).toEqual([
      {
        id: 0,
        cpus: [0, 1, 2, 3, 4, 5, 6, 7],
        memTotalBytes: 16384000 * 1024,
        distances: null,
        hasCpu: true,
        hasMemory: true,
      },
    ]);
    const notes = probeNotes(f);
    expect(notes).toContain(
      "no NUMA in this kernel (no /sys/devices/system/node): node 0 stands for the whole machine",
    );
    expect(notes).toContain(
      "draft: host node 0 is the only memory node: drafted as two halves on one socket, as numa=fake=2 would make it",
    );
  });

  it("vm-1node: keeps only the migration counters of vmstat, sorted by name", () => {
    const f = probe(fixture("vm-1node"));
    const names = Object.keys(f.vmstat);
    expect(names).toEqual([...names].sort());
    expect(names).toContain("pgmigrate_success");
    expect(names).toContain("compact_stall");
    expect(names).not.toContain("nr_free_pages");
    expect(names).not.toContain("thp_fault_alloc");
    expect(f.vmstat.pgmigrate_success).toBe(1389);
    expect(probeNotes(f)).toContain(
      "no DMA engine found: dcbm cannot run here; mtcopy and batch-cpu can",
    );
  });
});

describe("missing and bad files", () => {
  it("reports what is missing as unknown rather than failing", () => {
    const root = mkdtempSync(join(tmpdir(), "pagemig-probe-"));
    mkdirSync(join(root, "sys/devices/system/node/node0"), { recursive: true });
    const f = probe(root);
    expect(f.nodes).toEqual([
      { id: 0, cpus: null, memTotalBytes: null, distances: null, hasCpu: false, hasMemory: false },
    ]);
    expect(f.kernelRelease).toBeNull();
    expect(f.cpuModel).toBeNull();
    expect(f.thp).toEqual({ enabled: null, defrag: null });
    expect([f.numaBalancing, f.demotionEnabled]).toEqual([null, null]);
    expect([f.cpus, f.memoryTiers, f.dma, f.vmstat]).toEqual([[], [], [], {}]);
  });

  it.each([
    [
      "/sys/devices/system/node/node0/meminfo",
      "Node 0 MemFree: 1 kB\n",
      "no 'MemTotal: <n> kB' line",
    ],
    ["/sys/devices/system/node/node0/cpulist", "0-x\n", "not a cpu list (ids 0-8191): '0-x'"],
    ["/sys/devices/system/node/node0/distance", "10 20\n", "2 distances for 1 online nodes"],
    [
      "/sys/kernel/mm/transparent_hugepage/enabled",
      "always madvise never\n",
      "no [selected] choice",
    ],
    ["/sys/kernel/mm/numa/demotion_enabled", "maybe\n", "expected true or false, got 'maybe'"],
    ["/proc/sys/kernel/numa_balancing", "on\n", "expected an integer, got 'on'"],
    ["/proc/vmstat", "pgmigrate_success many\n", "bad line 'pgmigrate_success many'"],
  ])("%s malformed: a UsageError naming the file", (path, text, why) => {
    const root = modified("vm-1node", { [path]: text });
    const message = usageError(() => probe(root));
    expect(message).toContain(`${join(root, path)}: malformed: `);
    expect(message).toContain(why);
  });

  it.each([
    ["/sys/devices/system/cpu/online", "0-1048576\n", "not a cpu list (ids 0-8191): '0-1048576'"],
    ["/sys/devices/system/node/online", "0-20000\n", "not a node list (ids 0-1023): '0-20000'"],
    [
      "/sys/devices/system/cpu/cpu0/topology/physical_package_id",
      "99999999999999999999\n",
      "integer out of range: '99999999999999999999'",
    ],
    [
      "/sys/devices/system/node/node0/meminfo",
      "Node 0 MemTotal: 99999999999999999999 kB\n",
      "MemTotal out of range: 99999999999999999999 kB",
    ],
  ])("%s too large: malformed, at once", (path, text, why) => {
    const root = modified("vm-1node", { [path]: text });
    expect(usageError(() => probe(root))).toBe(`${join(root, path)}: malformed: ${why}`);
  });

  it("an unreadable file (here a directory) is a UsageError naming it", () => {
    const root = modified("vm-1node", { "/sys/devices/system/node/node0/meminfo": null });
    mkdirSync(join(root, "sys/devices/system/node/node0/meminfo"));
    expect(usageError(() => probe(root))).toMatch(
      new RegExp(`^${join(root, "sys/devices/system/node/node0/meminfo")}: cannot read: EISDIR`),
    );
  });
});

describe("root-only files", () => {
  /** A host whose dcbm parameter `secret` only root may read, as a user's probe sees it. */
  const userView = (denied: Error): HostFs => ({
    where: (path) => `/host${path}`,
    list: (dir) =>
      ({
        "/sys/module/dcbm": ["parameters"],
        "/sys/module/dcbm/parameters": ["offloading", "secret"],
      })[dir],
    read(path) {
      if (path.endsWith("/secret")) throw denied;
      return path.endsWith("/offloading") ? "1\n" : undefined;
    },
  });

  it("a parameter the user may not read is recorded as unreadable, and the probe goes on", () => {
    const denied = readError("/host/sys/module/dcbm/parameters/secret", "read", {
      code: "EACCES",
      message: "EACCES: permission denied",
    });
    expect(denied).toBeInstanceOf(Unreadable);
    expect(readModuleParams(userView(denied), "dcbm")).toEqual({
      offloading: "1",
      secret: UNREADABLE,
    });
  });

  it("any other failure to read a parameter still stops the probe", () => {
    const broken = readError("/host/x", "read", { code: "EISDIR", message: "EISDIR" });
    expect(broken).not.toBeInstanceOf(Unreadable);
    expect(() => readModuleParams(userView(broken), "dcbm")).toThrow(broken);
  });
});

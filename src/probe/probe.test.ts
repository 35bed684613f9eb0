import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { packageRoot } from "../machine/package-root.js";
import { probeNotes } from "./notes.js";
import { probeHost } from "./probe.js";
import { hostFs } from "./reader.js";

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

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("no error");
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
      "no 'Node N MemTotal: <n> kB' line",
    ],
    ["/sys/devices/system/node/node0/cpulist", "0-x\n", "not a cpu/node list: '0-x'"],
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

  it("an unreadable file (here a directory) is a UsageError naming it", () => {
    const root = modified("vm-1node", { "/sys/devices/system/node/node0/meminfo": null });
    mkdirSync(join(root, "sys/devices/system/node/node0/meminfo"));
    expect(usageError(() => probe(root))).toMatch(
      new RegExp(`^${join(root, "sys/devices/system/node/node0/meminfo")}: cannot read: EISDIR`),
    );
  });
});

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { EFAULT, EINVAL, EIO } from "../mm/errno.js";
import { type Folio, HPAGE_PMD_SIZE, PAGE_SIZE } from "../mm/folio.js";
import {
  doSetMempolicy,
  iwTableFromBandwidth,
  type Mempolicy,
  MPOL_BIND,
  MPOL_DEFAULT,
  MPOL_INTERLEAVE,
} from "../mm/mempolicy.js";
import type { Task } from "../mm/task.js";
import { type MmStruct, shareRange, VM_READ, VM_WRITE, type Vma } from "../mm/vm.js";
import { threadsOpsPerSec } from "../test-support/scenario-result.js";
import { runScenario, type ScenarioResult } from "../workload/app/run-scenario.js";
import { parseScenario, type Scenario } from "../workload/app/scenario.js";
import { pageKey } from "../workload/region.js";
import type { Kernel } from "./kernel.js";
import { type MbindArgs, sysMbind } from "./mbind.js";
import { MPOL_MF_MOVE, MPOL_MF_MOVE_ALL, MPOL_MF_STRICT } from "./modes.js";
import { boot, migrateCalls, nodeAt, runAs, spawnWithRegion } from "./test-fixture.js";

const lastBytes = (r: ScenarioResult, nid: number) =>
  r.series.processes[0].bytesByNode[String(nid)]?.at(-1) ?? 0;

describe("iwTableFromBandwidth (reduce_interleave_weights)", () => {
  it("weights nodes by bandwidth in 1..32, reduced by their GCD", () => {
    // turin-cxl: DRAM 338 GB/s, CXL 64: 32 * 338 / 402 = 26.9, 32 * 64 / 402 = 5.1.
    expect(iwTableFromBandwidth(loadProfile("turin-cxl"))).toEqual([26, 5]);
    // Equal bandwidths: 16:16, reduced to 1:1.
    expect(iwTableFromBandwidth(loadProfile("zen3-2s-ptdma"))).toEqual([1, 1]);
  });
});

describe("scenarios/hotspot-spread.yaml", () => {
  const profile = loadProfile("turin-cxl");
  const s = parseScenario(readFileSync("scenarios/hotspot-spread.yaml", "utf8"), "hotspot-spread");
  const r = runScenario(s, profile);

  it("mbind(weighted interleave [0, 1], MPOL_MF_MOVE) over a region on node 0 moves nothing (MPOL_MF_INVERT)", () => {
    expect(r.movers[0]).toMatchObject({ region: "hot", calls: 1, foliosMoved: 0 });
    expect(threadsOpsPerSec(r, 20, 60) / threadsOpsPerSec(r, 0, 20)).toBeCloseTo(1, 2);
  });

  it("mbind(interleave [1]) moves the side region to CXL and the DRAM-bound application gains", () => {
    expect(r.movers[1]).toMatchObject({ region: "side", calls: 1, foliosMoved: 128 });
    expect(r.callers).toEqual([
      expect.objectContaining({ reason: "MR_MEMPOLICY_MBIND", calls: 1, foliosMoved: 128 }),
    ]);
    expect(r.vmstat.pgmigrate_success).toBe(65536);
    expect(lastBytes(r, 1)).toBe(256 << 20);
    // Windows of whole 10 ms: the threads' throughput alternates from one 5 ms to the next.
    const gain = threadsOpsPerSec(r, 100, 120) / threadsOpsPerSec(r, 20, 60);
    expect(gain).toBeGreaterThan(1.1);
  });

  it("an interleave mask that holds the region's node moves nothing, and ops/s stay", () => {
    const movers = s.movers.map((m, i) =>
      i === 1 && m.kind === "mbind" ? { ...m, policy: { ...m.policy, nodes: [0, 1] } } : m,
    );
    const same = runScenario({ ...s, movers }, profile);
    expect(same.callers).toEqual([]);
    expect(threadsOpsPerSec(same, 100, 120) / threadsOpsPerSec(same, 20, 60)).toBeCloseTo(1, 2);
  });
});

describe("mbind placing the folios it moves by the policy's interleave index", () => {
  const scenario = (weights?: number[]): Scenario =>
    parseScenario(
      `profile: zen5-2s-cxl
duration: 5ms
processes:
  - name: app
    regions: [{ name: buf, size: 64M, folioSize: 2M, policy: { mode: bind, nodes: [2] } }]
    threads: [{ cpu: 0, region: buf }]
movers:
  - { kind: mbind, cpu: 1, process: app, region: buf, start: 1ms, flags: [move],
      policy: { mode: weighted_interleave, nodes: [0, 1]${weights ? `, weights: [${weights}]` : ""} } }
`,
      "inline",
    );

  it("spreads a region moved off the CXL node over the mask's nodes by their weights", () => {
    const profile = loadProfile("zen5-2s-cxl");
    const even = runScenario(scenario(), profile);
    expect([lastBytes(even, 0), lastBytes(even, 1), lastBytes(even, 2)]).toEqual([
      32 << 20,
      32 << 20,
      0,
    ]);
    const skewed = runScenario(scenario([3, 1]), profile);
    expect([lastBytes(skewed, 0), lastBytes(skewed, 1)]).toEqual([48 << 20, 16 << 20]);
  });
});

describe("sysMbind", () => {
  const interleave = (nodes: number[]): Mempolicy => ({ mode: MPOL_INTERLEAVE, nodes });

  it("refuses bad flags, an unaligned start, an invalid policy, and a hole in the range", () => {
    const k = boot();
    const { task, region } = spawnWithRegion(k, 0, 4);
    const start = region.vma.start;
    const call = (a: Partial<MbindArgs>) =>
      runAs(k, task, (exec) =>
        sysMbind(k, exec, {
          start,
          len: 4 * PAGE_SIZE,
          policy: interleave([1]),
          flags: MPOL_MF_MOVE,
          ...a,
        }),
      );
    expect(call({ flags: 1 << 5 })).toBe(-EINVAL);
    expect(call({ start: start + 1 })).toBe(-EINVAL);
    expect(call({ policy: interleave([7]) })).toBe(-EINVAL);
    expect(call({ len: 8 * PAGE_SIZE })).toBe(-EFAULT);
    expect(call({ len: 0 })).toBe(0);
    expect(region.vma.policy).toBeNull();
    expect(migrateCalls(k)).toEqual([]);
  });

  it("moves only folios outside the mask, with MR_MEMPOLICY_MBIND, and leaves shared ones without MPOL_MF_MOVE_ALL", () => {
    const k = boot({ trace: true });
    const { task, region } = spawnWithRegion(k, 0, 4);
    const other = k.spawnProcess(1);
    shareRange(task.mm as MmStruct, other.mm as MmStruct, region.folioAddrs[0], PAGE_SIZE);
    const start = region.vma.start;
    const mbind = (policy: Mempolicy, flags: number) =>
      runAs(k, task, (exec) => sysMbind(k, exec, { start, len: 4 * PAGE_SIZE, policy, flags }));
    expect(mbind(interleave([0, 1]), MPOL_MF_MOVE)).toBe(0);
    expect(migrateCalls(k)).toEqual([]);
    expect(region.vma.policy).toEqual(interleave([0, 1]));
    expect(mbind(interleave([1]), MPOL_MF_MOVE)).toBe(0);
    const nodes = region.folioAddrs.map((a) => nodeAt(k, task, a));
    expect(Array.from(nodes)).toEqual([0, 1, 1, 1]);
    expect(migrateCalls(k)).toEqual([
      expect.objectContaining({ reason: "mempolicy_mbind", mode: "MIGRATE_SYNC", succeeded: 3 }),
    ]);
    expect(mbind(interleave([1]), MPOL_MF_MOVE_ALL)).toBe(0);
    expect(nodeAt(k, task, region.folioAddrs[0])).toBe(1);
  });
});

/**
 * A process with a 4-THP VMA faulted in as `layout` says: per 2 MiB, the order of its folios
 * and the node of each, in bytes mode.
 */
function spawnLaid(k: Kernel, layout: { order: number; nids: number[] }[]) {
  const task = k.spawnProcess(0);
  const mm = task.mm as MmStruct;
  const vma = mm.mmap(layout.length * HPAGE_PMD_SIZE, VM_READ | VM_WRITE);
  const folios: { addr: number; folio: Folio }[] = [];
  layout.forEach(({ order, nids }, c) => {
    const size = PAGE_SIZE << order;
    nids.forEach((nid, i) => {
      const addr = vma.start + c * HPAGE_PMD_SIZE + i * size;
      const folio = k.phys.allocFolio(nid, order) as Folio;
      mm.mapFolio(vma, addr, folio, { dirty: true });
      for (let j = 0; j < folio.nrPages; j++) {
        k.phys.contents?.fillPage(folio.pfn + j, pageKey(1, mm.id, addr / PAGE_SIZE + j));
      }
      folios.push({ addr, folio });
    });
  });
  return { task, mm, vma, folios };
}

describe("mbind over part of a VMA (mbind_range -> vma_modify_policy -> split_vma)", () => {
  const bind = (nodes: number[]): Mempolicy => ({ mode: MPOL_BIND, nodes });
  const mbindAs = (
    k: Kernel,
    task: Task,
    start: number,
    len: number,
    pol: Mempolicy,
    flags: number,
  ) => runAs(k, task, (exec) => sysMbind(k, exec, { start, len, policy: pol, flags }));

  it("gives only the range the policy, split off as a VMA of its own, and moves only its folios", () => {
    const k = boot({ trace: true });
    const { task, mm, vma, folios } = spawnLaid(k, [
      { order: 0, nids: Array(512).fill(0) },
      { order: 0, nids: Array(512).fill(0) },
    ]);
    const { start, end } = vma;
    const from = start + 100 * PAGE_SIZE;
    const to = start + 700 * PAGE_SIZE;
    expect(mbindAs(k, task, from, to - from, bind([1]), MPOL_MF_MOVE | MPOL_MF_STRICT)).toBe(0);
    expect(mm.vmas.map((v) => [v.start, v.end, v.policy])).toEqual([
      [start, from, null],
      [from, to, bind([1])],
      [to, end, null],
    ]);
    for (const { addr, folio } of folios) {
      expect(nodeAt(k, task, addr)).toBe(addr >= from && addr < to ? 1 : 0);
      if (addr < from || addr >= to) expect(mm.presentFolioAt(addr)).toBe(folio);
    }
    expect(migrateCalls(k)).toEqual([expect.objectContaining({ succeeded: 600 })]);
    // The same policy again over a wider range: the middle VMA is left as it is, its
    // neighbours give up their parts in the range (no merging back).
    expect(mbindAs(k, task, start, 800 * PAGE_SIZE, bind([1]), MPOL_MF_MOVE)).toBe(0);
    expect(mm.vmas.map((v) => [v.start, v.end, v.policy])).toEqual([
      [start, from, bind([1])],
      [from, to, bind([1])],
      [to, start + 800 * PAGE_SIZE, bind([1])],
      [start + 800 * PAGE_SIZE, end, null],
    ]);
  });

  it("moves a THP across the range's edge whole, pages outside the range with it, mapped by PTEs from both VMAs", () => {
    const k = boot({ contents: true });
    const { task, mm, vma, folios } = spawnLaid(k, [
      { order: 9, nids: [0] },
      { order: 9, nids: [0] },
    ]);
    const base = vma.start;
    const from = base + HPAGE_PMD_SIZE - 16 * PAGE_SIZE;
    expect(mbindAs(k, task, from, 32 * PAGE_SIZE, bind([1]), MPOL_MF_MOVE)).toBe(0);
    expect(mm.vmas).toHaveLength(3);
    for (let a = base; a < base + 2 * HPAGE_PMD_SIZE; a += PAGE_SIZE) {
      expect(nodeAt(k, task, a)).toBe(1);
      const e = mm.entryAt(a);
      expect(e).toMatchObject({ kind: "present", pmd: false });
      if (e.kind !== "present") continue;
      expect(k.phys.contents?.checkPage(e.pfn, pageKey(1, mm.id, a / PAGE_SIZE))).toBe(true);
    }
    const moved = mm.presentFolioAt(base) as Folio;
    expect(moved).not.toBe(folios[0].folio);
    expect([moved.order, moved.mapcount]).toEqual([9, 512]);
  });

  it("MPOL_MF_STRICT alone fails with -EIO on a misplaced folio, before any split or policy change", () => {
    const k = boot();
    const { task, mm, vma } = spawnLaid(k, [{ order: 0, nids: [0, ...Array(511).fill(1)] }]);
    const base = vma.start;
    const mid = base + 256 * PAGE_SIZE;
    expect(mbindAs(k, task, mid, 16 * PAGE_SIZE, bind([1]), MPOL_MF_STRICT)).toBe(0);
    expect(mm.vmas).toHaveLength(3);
    expect(mbindAs(k, task, base, PAGE_SIZE * 4, bind([1]), MPOL_MF_STRICT)).toBe(-EIO);
    expect(mm.vmas[0].policy).toBeNull();
    expect(mm.vmas).toHaveLength(3);
    // MPOL_DEFAULT drops MPOL_MF_STRICT, and takes the VMA's policy away.
    expect(
      mbindAs(k, task, mid, 16 * PAGE_SIZE, { mode: MPOL_DEFAULT, nodes: [] }, MPOL_MF_STRICT),
    ).toBe(0);
    expect(mm.findVma(mid)?.policy).toBeNull();
  });

  it("MPOL_DEFAULT with MPOL_MF_MOVE moves what it queues by the task's policy", () => {
    const k = boot();
    const { task, vma } = spawnLaid(k, [{ order: 0, nids: Array(8).fill(0) }]);
    expect(doSetMempolicy(k.profile, task, bind([1]))).toBe(0);
    const def = { mode: MPOL_DEFAULT, nodes: [] };
    expect(mbindAs(k, task, vma.start, 8 * PAGE_SIZE, def, MPOL_MF_MOVE)).toBe(0);
    for (let i = 0; i < 8; i++) expect(nodeAt(k, task, vma.start + i * PAGE_SIZE)).toBe(1);
  });

  it("property: after mbind(MOVE | STRICT) of a random subrange every folio with a page in it is on the mask, none wholly outside moved, and every page keeps its bytes", () => {
    const chunk = fc.record({
      order: fc.constantFrom(0, 2, 4, 9),
      nid: fc.integer({ min: 0, max: 1 }),
    });
    fc.assert(
      fc.property(
        fc.array(chunk, { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(bind([0]), bind([1]), { mode: MPOL_INTERLEAVE, nodes: [0, 1] }),
        (chunks, a, b, pol) => {
          const k = boot({ contents: true });
          // Within each 2 MiB the folios alternate between the chunk's node and the other.
          const layout = chunks.map(({ order, nid }) => ({
            order,
            nids: Array.from({ length: 512 >> order }, (_, i) => (nid + (i % 3 === 0 ? 1 : 0)) % 2),
          }));
          const { task, mm, vma, folios } = spawnLaid(k, layout);
          const [mapStart, mapEnd] = [vma.start, vma.end];
          const pages = (mapEnd - mapStart) / PAGE_SIZE;
          const p0 = a % pages;
          const p1 = p0 + 1 + (b % (pages - p0));
          const from = mapStart + p0 * PAGE_SIZE;
          const to = mapStart + p1 * PAGE_SIZE;
          const before = new Map(folios.map(({ addr, folio }) => [addr, folio]));
          expect(mbindAs(k, task, from, to - from, pol, MPOL_MF_MOVE | MPOL_MF_STRICT)).toBe(0);
          for (const { addr, folio } of folios) {
            const last = addr + folio.sizeBytes;
            const inRange = addr < to && last > from;
            const now = mm.presentFolioAt(addr) as Folio;
            if (!inRange) expect(now).toBe(before.get(addr));
            else expect(pol.nodes).toContain(now.nid);
            // A folio moves whole: every page of it is in one folio still.
            for (let p = addr; p < last; p += PAGE_SIZE) {
              expect(mm.presentFolioAt(p)).toBe(now);
              const e = mm.entryAt(p);
              if (e.kind !== "present") throw new Error("unmapped");
              expect(k.phys.contents?.checkPage(e.pfn, pageKey(1, mm.id, p / PAGE_SIZE))).toBe(
                true,
              );
            }
          }
          // The VMAs tile the mapping; those in the range have the policy, the others none.
          let at = mapStart;
          for (const v of mm.vmas as Vma[]) {
            expect(v.start).toBe(at);
            expect(v.pgoff).toBe(v.start / PAGE_SIZE);
            expect(v.policy).toEqual(v.start >= from && v.end <= to ? pol : null);
            expect(v.start >= from && v.end <= to).toBe(!(v.end <= from || v.start >= to));
            at = v.end;
          }
          expect(at).toBe(mapEnd);
        },
      ),
      { numRuns: 30 },
    );
  });
});

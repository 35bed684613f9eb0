/**
 * Fault-in of an application's regions: every folio allocated under the region's policy and
 * mapped, as first touches from the thread that uses the region; when the application starts,
 * or later (a process with a start time), when a THP fault may compact memory first.
 */
import { RunFailure } from "../../errors.js";
import type { Kernel } from "../../migrate/kernel.js";
import { type Folio, HPAGE_PMD_ORDER, PAGE_SIZE } from "../../mm/folio.js";
import { interleaveIndex, type Mempolicy, policyNodesFor } from "../../mm/mempolicy.js";
import type { Task } from "../../mm/task.js";
import { allocFaultFolio } from "../../policy/reclaim.js";
import type { Yieldable } from "../../sim/simulator.js";
import { pageKey } from "../region.js";
import type { AppRegion } from "./app.js";

/**
 * Where a fault's THP comes from: a folio of `order` from the first of `nodes` that gives one,
 * by whatever the kernel allows (policy/kcompactd.ts: direct compaction); null when none does.
 */
export type ThpAlloc = (
  nodes: readonly number[],
  order: number,
) => Generator<Yieldable, Folio | null, unknown>;

/** A region to fault in under its policy, first touched from a CPU of `localNid`. */
export interface RegionFault {
  region: AppRegion;
  policy: Mempolicy;
  localNid: number;
}

/**
 * Fault in every folio of the region under its policy; in bytes mode each page gets the bytes
 * of (seed, mm, virtual page). A THP comes from `thp` (thp_fault_alloc); when it gives none
 * the fault falls back to 4K pages (thp_fault_fallback), as do_huge_pmd_anonymous_page does;
 * without `thp`, as any fault allocates (policy/reclaim.ts: under the watermarks when reclaim
 * is booted, else from the buddy allocator).
 */
export function* faultIn(
  k: Kernel,
  task: Task,
  { region, policy, localNid }: RegionFault,
  seed: number,
  thp: ThpAlloc | null,
): Generator<Yieldable, void, unknown> {
  const mm = task.mm;
  if (mm === null) throw new Error("faultIn: no mm");
  const size = region.folioSizeBytes;
  const vmstat = k.ctx.vmstat;
  // The policy's node lists, built once rather than per fault.
  const nodesFor = policyNodesFor(k.profile, policy, localNid);
  const nodesAt = (addr: number, order: number) =>
    nodesFor(interleaveIndex(region.vma, addr, order));
  const map = (addr: number, folio: Folio) => {
    mm.mapFolio(region.vma, addr, folio, { dirty: true });
    k.ctx.lru?.add(folio);
    region.place((addr - region.vma.start) / PAGE_SIZE, folio.nrPages, folio.nid);
    // Bytes mode: every page holds bytes of its own, for the threads' reads and the final check.
    const contents = k.phys.contents;
    if (contents !== null) {
      const vpn = addr / PAGE_SIZE;
      for (let j = 0; j < folio.nrPages; j++)
        contents.fillPage(folio.pfn + j, pageKey(seed, mm.id, vpn + j));
    }
  };
  const alloc = (addr: number, order: number): Folio => {
    const folio = allocFaultFolio(k, task, nodesAt(addr, order), order);
    if (folio !== null) return folio;
    throw new RunFailure(
      `out of memory: no node the policy allows has a free ${PAGE_SIZE << order}-byte folio for 0x${addr.toString(16)}`,
    );
  };
  for (let addr = region.vma.start; addr < region.vma.end; addr += size) {
    if (region.order < HPAGE_PMD_ORDER) {
      map(addr, alloc(addr, region.order));
      continue;
    }
    const nodes = nodesAt(addr, region.order);
    const folio =
      thp === null
        ? allocFaultFolio(k, task, nodes, region.order)
        : yield* thp(nodes, region.order);
    if (folio !== null) {
      vmstat.count("thp_fault_alloc");
      map(addr, folio);
      continue;
    }
    vmstat.count("thp_fault_fallback");
    for (let a = addr; a < addr + size; a += PAGE_SIZE) map(a, alloc(a, 0));
  }
}

/**
 * Fault-in of an application's regions: every folio allocated under the region's policy and
 * mapped, as first touches from the thread that uses the region; when the application starts,
 * or later (a process with a start time), when a THP fault may compact memory first.
 */
import { RunFailure } from "../../errors.js";
import type { Kernel } from "../../migrate/kernel.js";
import { type Folio, HPAGE_PMD_ORDER, PAGE_SIZE } from "../../mm/folio.js";
import { getVmaPolicy, interleaveIndex, policyNodesFor } from "../../mm/mempolicy.js";
import type { Task } from "../../mm/task.js";
import type { Vma } from "../../mm/vm.js";
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

/** A region to fault in, first touched from a CPU of `localNid`. */
export interface RegionFault {
  region: AppRegion;
  localNid: number;
}

/**
 * Fault in every folio of the region, each under the policy get_vma_policy() gives at its
 * address: its VMA's (the region's, or an mbind(2) over part of it), else the task's
 * (set_mempolicy(2)), else local. In bytes mode each page gets the bytes
 * of (seed, mm, virtual page). A THP comes from `thp` (thp_fault_alloc); when it gives none
 * the fault falls back to 4K pages (thp_fault_fallback), as do_huge_pmd_anonymous_page does;
 * without `thp`, as any fault allocates (policy/reclaim.ts: under the watermarks when reclaim
 * is booted, else from the buddy allocator).
 */
export function* faultIn(
  k: Kernel,
  task: Task,
  { region, localNid }: RegionFault,
  seed: number,
  thp: ThpAlloc | null,
): Generator<Yieldable, void, unknown> {
  const mm = task.mm;
  if (mm === null) throw new Error("faultIn: no mm");
  const size = region.folioSizeBytes;
  const vmstat = k.ctx.vmstat;
  // The VMA being faulted in, and its policy's node lists, built once per VMA rather than per fault.
  let vma = mm.findVma(region.start) as Vma;
  let nodesFor = policyNodesFor(k.profile, getVmaPolicy(vma, task), localNid);
  const nodesAt = (addr: number, order: number) => nodesFor(interleaveIndex(vma, addr, order));
  const map = (addr: number, folio: Folio) => {
    mm.mapFolio(vma, addr, folio, { dirty: true });
    k.ctx.lru?.add(folio);
    region.place((addr - region.start) / PAGE_SIZE, folio.nrPages, folio.nid);
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
  const enter = (addr: number) => {
    if (addr < vma.end) return;
    vma = mm.findVma(addr) as Vma;
    nodesFor = policyNodesFor(k.profile, getVmaPolicy(vma, task), localNid);
  };
  for (let addr = region.start; addr < region.end; addr += size) {
    enter(addr);
    if (addr + size > vma.end) {
      // mbind(2) over part of the region split it before the fault-in, inside this folio: a
      // THP or mTHP order must fit its VMA, so the fault maps 4K pages here.
      for (let a = addr; a < addr + size; a += PAGE_SIZE) {
        enter(a);
        map(a, alloc(a, 0));
      }
      continue;
    }
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

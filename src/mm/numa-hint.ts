/**
 * NUMA hinting: change_prot_numa() makes a range's entries PROT_NONE, and the next access to
 * one takes a hint fault. This module has the page-table side (mm/mprotect.c's prot_numa
 * path, the counters, the restore of do_numa_page()) and the hook a fault calls: the kernel's
 * policy (do_numa_page() deciding whether to migrate) installs itself there
 * (Kernel.numaHintFault); the default only counts the fault and restores the entries, as
 * do_numa_page() does for a folio it leaves where it is.
 *
 * Who faults and when is the accessing side's business: change_prot_numa() hands each folio it
 * made PROT_NONE to the mm's access model (MmStruct.access.armHintFault), which draws the
 * first access and runs the fault then (workload/app/hint-faults.ts).
 */
import type { FolioEvents } from "../migrate/exec.js";
import type { SchedTask } from "../sched/scheduler.js";
import type { Yieldable } from "../sim/simulator.js";
import { refreshEntry, touchEntry } from "./access.js";
import { type Folio, HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SIZE } from "./folio.js";
import {
  pmdMkprotnone,
  pmdProtnone,
  pteMkaccessible,
  pteMkprotnone,
  pteMkyoung,
  pteProtnone,
} from "./pgtable.js";
import type { Task } from "./task.js";
import { flushTlbBatchedPending, flushTlbRange } from "./tlb.js";
import {
  folioMaybeMappedShared,
  HugePmd,
  type MmContext,
  PTE_DIRTY,
  PTE_PRESENT,
  pmdIndex,
  pteIndex,
  type Vma,
} from "./vm.js";

/** A hint fault: an access found a PROT_NONE entry. */
export interface NumaHintFault {
  /** The faulting thread's process and CPU, and the CPU's node (numa_node_id()). */
  task: Task;
  cpu: number;
  nid: number;
  vma: Vma;
  /** The address of the folio's first page in the range that was made PROT_NONE. */
  addr: number;
  folio: Folio;
  /** The PROT_NONE pages of the folio at addr (HPAGE_PMD_NR for a PMD). */
  nrPages: number;
  pmd: boolean;
  /** The access was a write. */
  write: boolean;
  /**
   * The faulting thread's schedulable entity: the handler's work runs in its context (Exec's
   * inContext). Absent, a handler that works runs it as a task of its own on `cpu`.
   */
  se?: SchedTask;
  /** Who feels the unmap and remap of a folio the handler migrates (the mm's threads). */
  events?: FolioEvents;
}

/**
 * What a hint fault runs after its entry cost (memory.hintFaultNs), in the faulting thread's
 * time: work done at once, or a simulator process body (a migration) the thread waits for.
 */
export type NumaHintFaultHandler = (
  fault: NumaHintFault,
) => Generator<Yieldable, void, unknown> | undefined;

/**
 * change_prot_numa(vma, start, end): make the present entries of [start, end) in vma PROT_NONE
 * for NUMA hinting, from `task` on its CPU. Entries already PROT_NONE are left alone, and so
 * are folios that may be shared or are pinned (the copy-on-write skip of change_pte_range());
 * `skip` lets a policy pass over more (the kernel skips top-tier folios in tiering mode, and
 * folios already on the node of a single-threaded process). A huge PMD only partly in the
 * range is split first. Each folio made PROT_NONE is handed to the mm's access model for its
 * first access. Counts numa_pte_updates (pages) and numa_huge_pte_updates (PMDs), and flushes
 * the TLB once for the range if anything changed. Returns the pages updated.
 */
export function changeProtNuma(
  vma: Vma,
  start: number,
  end: number,
  task: Task,
  ctx: MmContext,
  skip?: (folio: Folio) => boolean,
): number {
  const mm = vma.mm;
  const lo = Math.max(start, vma.start);
  const hi = Math.min(end, vma.end);
  if (lo >= hi) return 0;
  flushTlbBatchedPending(mm);
  const skipped = (folio: Folio) =>
    folio.pins > 0 || folioMaybeMappedShared(folio) || (skip?.(folio) ?? false);
  let pages = 0;
  let huge = 0;
  for (let a = lo; a < hi; ) {
    const idx = pmdIndex(a);
    const pmdStart = idx * HPAGE_PMD_SIZE;
    const next = Math.min(pmdStart + HPAGE_PMD_SIZE, hi);
    let slot = mm.pmds.get(idx);
    if (slot instanceof HugePmd) {
      if (a === pmdStart && next === pmdStart + HPAGE_PMD_SIZE) {
        if (slot.flags & PTE_PRESENT && !pmdProtnone(slot.flags)) {
          const folio = mm.folioAt(slot.pfn);
          if (!skipped(folio)) {
            refreshEntry(mm, a);
            slot.flags = pmdMkprotnone(slot.flags);
            pages += HPAGE_PMD_NR;
            huge++;
            mm.access?.armHintFault(vma, a, folio, HPAGE_PMD_NR, true);
          }
        }
        a = next;
        continue;
      }
      slot = mm.splitHugePmd(idx, slot);
    }
    if (slot !== undefined) {
      // Runs of consecutive pages of one folio are armed together.
      let last: Folio | null = null;
      let run: Folio | null = null;
      let runAddr = 0;
      let runPages = 0;
      const arm = () => {
        if (run !== null) mm.access?.armHintFault(vma, runAddr, run, runPages, false);
        run = null;
      };
      for (let k = pteIndex(a), x = a; x < next; k++, x += PAGE_SIZE) {
        const f = slot.flags[k];
        if (!(f & PTE_PRESENT) || pteProtnone(f)) {
          arm();
          continue;
        }
        const pfn = slot.pfn[k];
        if (last === null || pfn < last.pfn || pfn >= last.pfn + last.nrPages) {
          last = mm.folioAt(pfn);
        }
        const folio = last;
        if (skipped(folio)) {
          arm();
          continue;
        }
        refreshEntry(mm, x);
        slot.flags[k] = pteMkprotnone(slot.flags[k]);
        pages++;
        if (run === folio && x === runAddr + runPages * PAGE_SIZE) {
          runPages++;
        } else {
          arm();
          run = folio;
          runAddr = x;
          runPages = 1;
        }
      }
      arm();
    }
    a = next;
  }
  if (pages > 0) {
    flushTlbRange(mm, task.cpu, pages, ctx, { localFlushes: 0, ipis: 0 });
    ctx.vmstat.events.numa_pte_updates += pages;
    ctx.vmstat.events.numa_huge_pte_updates += huge;
  }
  return pages;
}

/**
 * The counting of numa_migrate_check(): every hint fault, and those whose folio is on the
 * faulting CPU's node.
 */
export function countNumaHintFault(ctx: MmContext, folioNid: number, cpuNid: number): void {
  ctx.vmstat.events.numa_hint_faults++;
  if (folioNid === cpuNid) ctx.vmstat.events.numa_hint_faults_local++;
}

/**
 * numa_rebuild_single_mapping() / numa_rebuild_large_mapping() / the PMD's restore in
 * do_huge_pmd_numa_page(): make the folio's PROT_NONE entries at the fault accessible again,
 * young (the faulting access), and dirty if it was a write. Returns the entries restored; 0
 * when something else (a migration, munmap) already replaced them.
 */
export function numaRebuildMapping(fault: NumaHintFault): number {
  const mm = fault.vma.mm;
  // The faulting access sets the accessed bit, and the dirty bit if it writes.
  const restore = (pte: number) => pteMkyoung(pteMkaccessible(pte)) | (fault.write ? PTE_DIRTY : 0);
  let restored = 0;
  for (let i = 0; i < fault.nrPages; i++) {
    const addr = fault.addr + i * PAGE_SIZE;
    const slot = mm.pmds.get(pmdIndex(addr));
    if (slot instanceof HugePmd) {
      if (fault.pmd && isProtnoneOf(slot.flags, slot.pfn, fault.folio)) {
        slot.flags = restore(slot.flags);
        touchEntry(mm, addr);
        restored++;
      }
      break;
    }
    if (slot === undefined) continue;
    const k = pteIndex(addr);
    if (isProtnoneOf(slot.flags[k], slot.pfn[k], fault.folio)) {
      slot.flags[k] = restore(slot.flags[k]);
      touchEntry(mm, addr);
      restored++;
    }
  }
  return restored;
}

/** A PROT_NONE entry mapping a page of `folio`. */
function isProtnoneOf(flags: number, pfn: number, folio: Folio): boolean {
  return pteProtnone(flags) && folio.live && pfn >= folio.pfn && pfn < folio.pfn + folio.nrPages;
}

/** Whether the fault's entries are still PROT_NONE mappings of its folio (else it is spurious). */
export function hintFaultPending(fault: NumaHintFault): boolean {
  const mm = fault.vma.mm;
  const slot = mm.pmds.get(pmdIndex(fault.addr));
  if (slot === undefined) return false;
  if (slot instanceof HugePmd) return isProtnoneOf(slot.flags, slot.pfn, fault.folio);
  const k = pteIndex(fault.addr);
  return isProtnoneOf(slot.flags[k], slot.pfn[k], fault.folio);
}

/**
 * The hint-fault handler without a placement policy (numa_balancing off for this fault):
 * count it and restore the folio's entries, as do_numa_page() does when it does not migrate.
 */
export function numaHintFaultRestore(fault: NumaHintFault, ctx: MmContext): undefined {
  countNumaHintFault(ctx, fault.folio.nid, fault.nid);
  numaRebuildMapping(fault);
}

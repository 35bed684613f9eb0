/**
 * Reverse-map operations of migration on anonymous folios: try_to_migrate(),
 * remove_migration_ptes() and the split of a large folio.
 *
 * The walks visit every VMA of the folio's anon_vma (vm.ts) at
 * vma.start + (index - pgoff) pages, one PTE table at a time, without allocating.
 */
import { EAGAIN, EBUSY } from "./errno.js";
import { type Folio, HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from "./folio.js";
import type { Task } from "./task.js";
import {
  flushTlbCpus,
  flushTlbRange,
  liveHere,
  setTlbUbcFlushPending,
  shouldDeferFlush,
  type TlbFlushCount,
} from "./tlb.js";
import {
  anonVmaOf,
  HugePmd,
  type MmContext,
  type MmStruct,
  PTE_DIRTY,
  PTE_MIG_READ_EXCLUSIVE,
  PTE_MIG_WRITE,
  PTE_MIGRATION,
  PTE_PRESENT,
  PTE_SOFT_DIRTY,
  PTE_UFFD_WP,
  PTE_WRITE,
  PTE_YOUNG,
  PTRS_PER_PTE,
  pmdIndex,
  pteIndex,
  pteValue,
  walkFolioMappings,
} from "./vm.js";

export interface UnmapResult extends TlbFlushCount {
  ptes: number;
  pmds: number;
}

export interface RemapResult {
  ptes: number;
  pmds: number;
}

/** The migration entry replacing a present entry (§13.1 step 5). */
function migrationEntry(pte: number, exclusive: boolean): number {
  let e = PTE_MIGRATION | (pte & (PTE_YOUNG | PTE_DIRTY | PTE_SOFT_DIRTY | PTE_UFFD_WP));
  if (pte & PTE_WRITE) e |= PTE_MIG_WRITE;
  else if (exclusive) e |= PTE_MIG_READ_EXCLUSIVE;
  return e;
}

/** The present entry rebuilt from a migration entry (§13.2 step 2). */
function presentEntry(entry: number, folioDirty: boolean): number {
  let p = PTE_PRESENT | (entry & (PTE_YOUNG | PTE_SOFT_DIRTY));
  if (folioDirty && entry & PTE_DIRTY) p |= PTE_DIRTY;
  if (entry & PTE_MIG_WRITE) p |= PTE_WRITE;
  else p |= entry & PTE_UFFD_WP;
  return p;
}

/**
 * set_pmd_migration_entry(): PMD invalidation always flushes at once. False when the THP is
 * anon-exclusive and pinned, leaving the PMD as it was.
 */
function setPmdMigrationEntry(
  mm: MmStruct,
  huge: HugePmd,
  addr: number,
  folio: Folio,
  task: Task,
  ctx: MmContext,
  res: UnmapResult,
): boolean {
  flushTlbRange(mm, task.cpu, HPAGE_PMD_NR, ctx, res);
  const old = huge.flags;
  // For a PMD mapping the head page carries anon-exclusive for the whole THP.
  const exclusive = ctx.phys.isAnonExclusive(folio.pfn);
  if (exclusive) {
    if (folio.pins > 0) return false;
    ctx.phys.setAnonExclusive(folio.pfn, false);
  }
  if (old & PTE_DIRTY) folio.flags |= PG.dirty;
  huge.flags = migrationEntry(old, exclusive);
  folio.mapcount--;
  folio.refcount--;
  res.pmds++;
  if (ctx.trace.enabled) {
    ctx.trace.emit("set_migration_pmd", { addr, pmd: pteValue(huge.pfn, huge.flags) });
  }
  return true;
}

/**
 * try_to_migrate(folio, batchFlush ? TTU_BATCH_FLUSH : 0): replace every present PTE/PMD that
 * maps a page of the folio, in every mm, by a migration entry. Each one drops a mapcount and a
 * reference and moves its dirty bit to the folio. The TLB flush is deferred to task.tlbUbc
 * when should_defer_flush() agrees, otherwise done per entry. An anon-exclusive page of a
 * pinned folio cannot be made shared: its PTE stays and the walk stops, leaving the folio
 * partly mapped (the caller sees mapcount > 0).
 */
export function tryToMigrate(
  folio: Folio,
  task: Task,
  batchFlush: boolean,
  ctx: MmContext,
  /** Filled in and returned; callers on a hot path pass one to reuse. */
  res: UnmapResult = { ptes: 0, pmds: 0, localFlushes: 0, ipis: 0 },
): UnmapResult {
  res.ptes = 0;
  res.pmds = 0;
  res.localFlushes = 0;
  res.ipis = 0;
  const av = anonVmaOf(folio);
  if (av === null || folio.mapcount === 0) return res;
  const phys = ctx.phys;
  const trace = ctx.trace;
  const pfn0 = folio.pfn;
  const nr = folio.nrPages;
  const index = folio.index;
  const pinned = folio.pins > 0;
  let stop = false;
  const vmas = av.vmas;
  for (let v = 0; v < vmas.length; v++) {
    const vma = vmas[v];
    const base = vma.start + (index - vma.pgoff) * PAGE_SIZE;
    let i = Math.max(0, (vma.start - base) / PAGE_SIZE);
    const iEnd = Math.min(nr, (vma.end - base) / PAGE_SIZE);
    if (i >= iEnd) continue;
    const mm = vma.mm;
    const local = liveHere(mm, task.cpu);
    const remote = mm.cpuMask.size - local;
    const defer = shouldDeferFlush(remote, batchFlush);
    let deferred = 0;
    let deferredDirty = false;
    while (i < iEnd && !stop) {
      const addr = base + i * PAGE_SIZE;
      const k0 = pteIndex(addr);
      const chunkEnd = Math.min(iEnd, i + PTRS_PER_PTE - k0);
      const slot = mm.pmds.get(pmdIndex(addr));
      if (slot instanceof HugePmd) {
        if (slot.flags & PTE_PRESENT && slot.pfn === pfn0) {
          stop = !setPmdMigrationEntry(mm, slot, addr, folio, task, ctx, res);
        }
      } else if (slot !== undefined) {
        const pfns = slot.pfn;
        const flags = slot.flags;
        for (let j = i, k = k0; j < chunkEnd; j++, k++) {
          const old = flags[k];
          if (!(old & PTE_PRESENT) || pfns[k] !== pfn0 + j) continue;
          // The PTE is cleared, then flushed now or queued for the batch flush.
          if (defer) {
            deferred++;
            if (old & PTE_DIRTY) deferredDirty = true;
          } else {
            flushTlbCpus(local, remote, 1, ctx, res);
          }
          if (old & PTE_DIRTY) folio.flags |= PG.dirty;
          const page = pfn0 + j;
          // folio_try_share_anon_rmap_pte(): an unpinned folio's page stops being exclusive.
          const exclusive = pinned ? phys.isAnonExclusive(page) : phys.clearAnonExclusive(page);
          if (exclusive && pinned) {
            // It failed: the PTE is put back as it was.
            stop = true;
            break;
          }
          const entry = migrationEntry(old, exclusive);
          flags[k] = entry;
          folio.mapcount--;
          folio.refcount--;
          res.ptes++;
          if (trace.enabled) {
            trace.emit("set_migration_pte", {
              addr: base + j * PAGE_SIZE,
              pte: pteValue(page, entry),
              order: folio.order,
            });
          }
        }
      }
      i = chunkEnd;
    }
    if (deferred > 0) setTlbUbcFlushPending(task, mm, deferred, deferredDirty);
    if (stop) break;
  }
  return res;
}

/**
 * remove_migration_ptes(src, dst): walk dst's reverse map (the caller has copied mapping and
 * index to dst) and turn every migration entry for a page of src into a present entry for the
 * same page of dst; dst === src is the undo path. Each adds a mapcount and a reference on dst;
 * WRITE and READ_EXCLUSIVE entries map the page anon-exclusive. No TLB flush: the entries were
 * not present.
 */
export function removeMigrationPtes(
  src: Folio,
  dst: Folio,
  ctx: MmContext,
  /** Filled in and returned; callers on a hot path pass one to reuse. */
  res: RemapResult = { ptes: 0, pmds: 0 },
): RemapResult {
  if (src.nrPages !== dst.nrPages) {
    throw new Error(`remove_migration_ptes: order ${src.order} source, order ${dst.order} dest`);
  }
  const av = anonVmaOf(dst);
  if (av === null) {
    throw new Error(`remove_migration_ptes: folio at pfn ${dst.pfn} has no anon_vma`);
  }
  const phys = ctx.phys;
  const trace = ctx.trace;
  const srcPfn = src.pfn;
  const dstPfn = dst.pfn;
  const nr = dst.nrPages;
  const index = dst.index;
  const dirty = dst.test(PG.dirty);
  let ptes = 0;
  let pmds = 0;
  const vmas = av.vmas;
  for (let v = 0; v < vmas.length; v++) {
    const vma = vmas[v];
    const base = vma.start + (index - vma.pgoff) * PAGE_SIZE;
    let i = Math.max(0, (vma.start - base) / PAGE_SIZE);
    const iEnd = Math.min(nr, (vma.end - base) / PAGE_SIZE);
    const pmdTable = vma.mm.pmds;
    while (i < iEnd) {
      const addr = base + i * PAGE_SIZE;
      const k0 = pteIndex(addr);
      const chunkEnd = Math.min(iEnd, i + PTRS_PER_PTE - k0);
      const slot = pmdTable.get(pmdIndex(addr));
      if (slot instanceof HugePmd) {
        if (slot.flags & PTE_MIGRATION && slot.pfn === srcPfn) {
          const entry = slot.flags;
          slot.pfn = dstPfn;
          slot.flags = presentEntry(entry, dirty);
          if (entry & (PTE_MIG_WRITE | PTE_MIG_READ_EXCLUSIVE)) phys.setAnonExclusive(dstPfn, true);
          dst.mapcount++;
          dst.refcount++;
          pmds++;
          if (trace.enabled) {
            trace.emit("remove_migration_pmd", { addr, pmd: pteValue(dstPfn, slot.flags) });
          }
        }
      } else if (slot !== undefined) {
        const pfns = slot.pfn;
        const flags = slot.flags;
        for (let j = i, k = k0; j < chunkEnd; j++, k++) {
          const entry = flags[k];
          if (!(entry & PTE_MIGRATION) || pfns[k] !== srcPfn + j) continue;
          const page = dstPfn + j;
          const pte = presentEntry(entry, dirty);
          pfns[k] = page;
          flags[k] = pte;
          if (entry & (PTE_MIG_WRITE | PTE_MIG_READ_EXCLUSIVE)) phys.setAnonExclusive(page, true);
          dst.mapcount++;
          dst.refcount++;
          ptes++;
          if (trace.enabled) {
            // compound_order() of the subpage: the folio order for the head, 0 for a tail.
            trace.emit("remove_migration_pte", {
              addr: base + j * PAGE_SIZE,
              pte: pteValue(page, pte),
              order: j === 0 ? dst.order : 0,
            });
          }
        }
      }
      i = chunkEnd;
    }
  }
  res.ptes = ptes;
  res.pmds = pmds;
  return res;
}

/**
 * split_folio() of an isolated large anon folio to order 0. Fails with -EBUSY if it was never
 * mapped (no anon_vma) and -EAGAIN if it is pinned or holds references beyond its mappings and
 * the caller's one. Huge PMDs mapping it are split into PTEs first. Each piece keeps its
 * pages' mappings and gets one reference for the caller plus one per mapping; tail pieces come
 * out unlocked. The kernel's transient unmap/remap during the split (migration entries, their
 * tracepoints and TLB flushes) is not modelled: its end state is the same.
 */
export function splitFolio(folio: Folio, ctx: MmContext): Folio[] | number {
  if (!folio.isLarge) throw new Error(`splitFolio: folio at pfn ${folio.pfn} is not large`);
  const av = anonVmaOf(folio);
  if (av === null) return -EBUSY;
  if (folio.pins > 0 || folio.refcount !== folio.mapcount + 1) return -EAGAIN;
  for (const vma of av.vmas) {
    const base = vma.start + (folio.index - vma.pgoff) * PAGE_SIZE;
    const first = Math.max(base, vma.start);
    const end = Math.min(base + folio.sizeBytes, vma.end);
    for (let addr = first; addr < end; addr = (pmdIndex(addr) + 1) * HPAGE_PMD_SIZE) {
      const idx = pmdIndex(addr);
      const slot = vma.mm.pmds.get(idx);
      if (slot instanceof HugePmd && slot.pfn === folio.pfn) vma.mm.splitHugePmd(idx, slot);
    }
  }
  const mapcounts = new Uint32Array(folio.nrPages);
  walkFolioMappings(folio, (_vma, i) => {
    mapcounts[i]++;
  });
  const pieces = ctx.phys.splitFolio(folio);
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    piece.mapcount = mapcounts[i];
    piece.refcount = mapcounts[i] + 1;
    if (i > 0) piece.clear(PG.locked);
  }
  if (folio.isThp) ctx.vmstat.events.thp_split_page++;
  return pieces;
}

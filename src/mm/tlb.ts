/**
 * TLB shootdowns for unmapping (mm/rmap.c batching, x86 flavour): immediate flushes, the
 * per-task deferred batch (tlb_ubc) and the per-mm pending/flushed generations.
 */
import type { Task } from "./task.js";
import type { MmContext, MmStruct } from "./vm.js";

/** enum tlb_flush_reason values used by the tlb:tlb_flush tracepoint. */
export const TLB_LOCAL_SHOOTDOWN = 2;
export const TLB_LOCAL_MM_SHOOTDOWN = 3;
export const TLB_REMOTE_SEND_IPI = 4;
/** The `pages` field of a full flush. */
export const TLB_FLUSH_ALL = -1;

/** mm->tlb_flush_batched: pending generation in bits 0-14, flushed generation in bits 16-30. */
export const TLB_FLUSH_BATCH_FLUSHED_SHIFT = 16;
const TLB_FLUSH_BATCH_PENDING_MASK = (1 << (TLB_FLUSH_BATCH_FLUSHED_SHIFT - 1)) - 1;
const TLB_FLUSH_BATCH_PENDING_LARGE = TLB_FLUSH_BATCH_PENDING_MASK / 2;

/** Flushes done on the spot: the initiating CPU's own and the IPIs it sent. */
export interface TlbFlushCount {
  localFlushes: number;
  ipis: number;
}

/** 1 when `mm` is live on `cpu` (in its mm_cpumask), else 0: the local flush of a shootdown. */
export function liveHere(mm: MmStruct, cpu: number): number {
  return mm.cpuMask.has(cpu) ? 1 : 0;
}

/**
 * should_defer_flush() with x86's arch_tlbbatch_should_defer() for an mm live on `remoteCpus`
 * CPUs other than the current one: only under TTU_BATCH_FLUSH, and only when there is such a
 * CPU (else one local flush is cheaper than batching).
 */
export function shouldDeferFlush(remoteCpus: number, batchFlush: boolean): boolean {
  return batchFlush && remoteCpus > 0;
}

/**
 * set_tlb_ubc_flush_pending() for `nr` cleared PTEs of one mm: queue the mm's CPUs for the
 * batch flush and bump the mm's pending generation once per PTE. `dirty`: one of them was dirty,
 * so the batch must be flushed before writeback (tlb_ubc.writable).
 */
export function setTlbUbcFlushPending(task: Task, mm: MmStruct, nr: number, dirty: boolean): void {
  const ubc = task.tlbUbc;
  for (const cpu of mm.cpuMask) if (cpu !== task.cpu) ubc.cpus.add(cpu);
  ubc.flushRequired = true;
  if (dirty) ubc.writable = true;
  let batch = mm.tlbFlushBatched;
  for (let i = 0; i < nr; i++) {
    // Reset before `pending` can wrap and catch up with `flushed`.
    batch = (batch & TLB_FLUSH_BATCH_PENDING_MASK) > TLB_FLUSH_BATCH_PENDING_LARGE ? 1 : batch + 1;
  }
  mm.tlbFlushBatched = batch;
}

/**
 * flush_tlb_mm_range() for one PTE or PMD right after clearing it: a local flush if the mm is
 * live on this CPU, and an IPI to every other CPU where it is live.
 */
export function flushTlbRange(
  mm: MmStruct,
  cpu: number,
  pages: number,
  ctx: MmContext,
  count: TlbFlushCount,
): void {
  const local = liveHere(mm, cpu);
  flushTlbCpus(local, mm.cpuMask.size - local, pages, ctx, count);
}

/**
 * flushTlbRange() with the mm's CPUs counted already (`local` 0 or 1, `remote` others): for a
 * walk that flushes entry by entry in one mm, whose mm_cpumask it does not change.
 */
export function flushTlbCpus(
  local: number,
  remote: number,
  pages: number,
  ctx: MmContext,
  count: TlbFlushCount,
): void {
  count.localFlushes += local;
  count.ipis += remote;
  const ev = ctx.vmstat.events;
  ev.nr_tlb_local_flush_one += local;
  if (remote > 0) {
    ev.nr_tlb_remote_flush++;
    ev.nr_tlb_remote_flush_received += remote;
  }
  const trace = ctx.trace;
  if (trace.enabled) {
    if (remote > 0) trace.emit("tlb_flush", { reason: TLB_REMOTE_SEND_IPI, pages });
    // The local flush invalidates one PTE or one PMD entry.
    if (local) trace.emit("tlb_flush", { reason: TLB_LOCAL_MM_SHOOTDOWN, pages: 1 });
  }
}

/**
 * try_to_unmap_flush(): complete the deferred batch with one full flush on this CPU and an IPI
 * to every CPU recorded in it.
 */
export function tryToUnmapFlush(task: Task, ctx: MmContext): { flushed: boolean; ipis: number } {
  const ubc = task.tlbUbc;
  if (!ubc.flushRequired) return { flushed: false, ipis: 0 };
  const ipis = ubc.cpus.size;
  const ev = ctx.vmstat.events;
  ev.nr_tlb_local_flush_all++;
  if (ipis > 0) {
    ev.nr_tlb_remote_flush++;
    ev.nr_tlb_remote_flush_received += ipis;
  }
  const trace = ctx.trace;
  if (trace.enabled) {
    if (ipis > 0) trace.emit("tlb_flush", { reason: TLB_REMOTE_SEND_IPI, pages: TLB_FLUSH_ALL });
    trace.emit("tlb_flush", { reason: TLB_LOCAL_SHOOTDOWN, pages: TLB_FLUSH_ALL });
  }
  ubc.cpus.clear();
  ubc.flushRequired = false;
  ubc.writable = false;
  return { flushed: true, ipis };
}

/**
 * flush_tlb_batched_pending(): called by page-table changers (munmap, mprotect, ...) under the
 * PTL. If a batched unmap of this mm is still pending, flush the whole mm and mark the seen
 * pending generation flushed. Returns whether it flushed.
 */
export function flushTlbBatchedPending(mm: MmStruct): boolean {
  const batch = mm.tlbFlushBatched;
  const pending = batch & TLB_FLUSH_BATCH_PENDING_MASK;
  const flushed = batch >>> TLB_FLUSH_BATCH_FLUSHED_SHIFT;
  if (pending === flushed) return false;
  mm.tlbFlushBatched = pending | (pending << TLB_FLUSH_BATCH_FLUSHED_SHIFT);
  return true;
}

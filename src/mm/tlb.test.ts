import { describe, expect, it } from "vitest";
import { PhysMem } from "./phys.js";
import { Task } from "./task.js";
import {
  flushTlbBatchedPending,
  liveHere,
  setTlbUbcFlushPending,
  shouldDeferFlush,
  TLB_FLUSH_ALL,
  TLB_FLUSH_BATCH_FLUSHED_SHIFT,
  TLB_LOCAL_SHOOTDOWN,
  TLB_REMOTE_SEND_IPI,
  tryToUnmapFlush,
} from "./tlb.js";
import { Tracer } from "./trace.js";
import { type MmContext, MmStruct } from "./vm.js";
import { Vmstat } from "./vmstat.js";

function setup() {
  const phys = new PhysMem([{ nid: 0, bytes: 4 << 20 }]);
  const ctx: MmContext = { phys, trace: new Tracer(), vmstat: new Vmstat() };
  const mm = new MmStruct(1, phys);
  mm.cpuMask.add(0);
  return { ctx, mm, task: new Task(1, 0, mm) };
}

const gens = (mm: MmStruct) => [
  mm.tlbFlushBatched & 0x7fff,
  mm.tlbFlushBatched >>> TLB_FLUSH_BATCH_FLUSHED_SHIFT,
];

describe("should_defer_flush (x86)", () => {
  it("defers only under BATCH_FLUSH with the mm live on another CPU", () => {
    const { mm } = setup();
    const remote = (cpu: number) => mm.cpuMask.size - liveHere(mm, cpu);
    expect(shouldDeferFlush(remote(0), true)).toBe(false);
    expect(shouldDeferFlush(remote(1), true)).toBe(true);
    mm.cpuMask.add(2);
    expect(shouldDeferFlush(remote(0), true)).toBe(true);
    expect(shouldDeferFlush(remote(0), false)).toBe(false);
    mm.cpuMask.clear();
    expect(shouldDeferFlush(remote(0), true)).toBe(false);
  });
});

describe("mm->tlb_flush_batched generations", () => {
  it("bumps pending per PTE and resets to 1/0 once pending passes 0x3FFF", () => {
    const { mm, task } = setup();
    setTlbUbcFlushPending(task, mm, 3, false);
    expect(gens(mm)).toEqual([3, 0]);
    expect(task.tlbUbc.writable).toBe(false);
    mm.tlbFlushBatched = 0x3fff | (0x3ffe << TLB_FLUSH_BATCH_FLUSHED_SHIFT);
    setTlbUbcFlushPending(task, mm, 1, true);
    expect(gens(mm)).toEqual([0x4000, 0x3ffe]);
    setTlbUbcFlushPending(task, mm, 2, false);
    expect(gens(mm)).toEqual([2, 0]);
    expect(task.tlbUbc.writable).toBe(true);
  });

  it("flush_tlb_batched_pending flushes only when a batch is pending", () => {
    const { mm, task } = setup();
    expect(flushTlbBatchedPending(mm)).toBe(false);
    setTlbUbcFlushPending(task, mm, 5, false);
    expect(flushTlbBatchedPending(mm)).toBe(true);
    expect(gens(mm)).toEqual([5, 5]);
    expect(flushTlbBatchedPending(mm)).toBe(false);
    // Completing the task's batch does not touch the mm's generations.
    setTlbUbcFlushPending(task, mm, 1, false);
    expect(gens(mm)).toEqual([6, 5]);
  });
});

describe("try_to_unmap_flush", () => {
  it("does one full flush plus an IPI per recorded CPU, and traces it", () => {
    const { ctx, mm, task } = setup();
    ctx.trace.enabled = true;
    mm.cpuMask.add(4).add(7);
    setTlbUbcFlushPending(task, mm, 1, false);
    expect(tryToUnmapFlush(task, ctx)).toEqual({ flushed: true, ipis: 2 });
    expect(ctx.trace.events.map((e) => e.fields)).toEqual([
      { reason: TLB_REMOTE_SEND_IPI, pages: TLB_FLUSH_ALL },
      { reason: TLB_LOCAL_SHOOTDOWN, pages: TLB_FLUSH_ALL },
    ]);
    const ev = ctx.vmstat.events;
    expect([
      ev.nr_tlb_local_flush_all,
      ev.nr_tlb_remote_flush,
      ev.nr_tlb_remote_flush_received,
    ]).toEqual([1, 1, 2]);
    expect(tryToUnmapFlush(task, ctx)).toEqual({ flushed: false, ipis: 0 });
    expect(ctx.trace.events.length).toBe(2);
  });
});

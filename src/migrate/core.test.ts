import { describe, expect, it } from "vitest";
import { ENOMEM } from "../mm/errno.js";
import { type Folio, HPAGE_PMD_NR, PAGE_SIZE, PG } from "../mm/folio.js";
import type { Task } from "../mm/task.js";
import { populateRegion, type Region } from "../workload/region.js";
import { type MigratePagesResult, migratePages } from "./core.js";
import { folioIsolateLru, putbackMovablePages } from "./isolate.js";
import type { Kernel } from "./kernel.js";
import {
  MIGRATE_ASYNC,
  MIGRATE_SYNC,
  MIGRATE_SYNC_LIGHT,
  MR_DEMOTION,
  MR_LONGTERM_PIN,
  MR_NUMA_MISPLACED,
  MR_SYSCALL,
} from "./modes.js";
import { nodeTarget } from "./move-pages.js";
import { MigrationRun } from "./run.js";
import {
  type BootOptions,
  boot,
  fillNode,
  folioAt,
  folioIntact,
  gupPin,
  migrateCalls,
  nodeAt,
  runAs,
} from "./test-fixture.js";

function setup(o: BootOptions = {}) {
  const k = boot(o);
  const task = k.spawnProcess(0);
  let seed = 1;
  const region = (order: number, count: number, nid = 0): Region =>
    populateRegion(k, task, { order, count, nid, seed: seed++ });
  return { k, task, region };
}

/** The folios of the regions, isolated from the LRU as a migrate_pages() caller does. */
function isolate(k: Kernel, task: Task, ...regions: Region[]): Folio[] {
  const from: Folio[] = [];
  for (const r of regions) {
    for (const addr of r.folioAddrs) {
      const folio = folioAt(task, addr);
      if (!folioIsolateLru(folio, k.ctx)) throw new Error("folio not on the LRU");
      from.push(folio);
    }
  }
  return from;
}

function migrate(
  k: Kernel,
  task: Task,
  from: Folio[],
  o: { to?: number; mode?: number; reason?: number } = {},
): MigratePagesResult {
  return runAs(k, task, (exec) =>
    migratePages(
      new MigrationRun(k, exec, nodeTarget(k, o.to ?? 1)),
      from,
      o.mode ?? MIGRATE_SYNC,
      o.reason ?? MR_SYSCALL,
    ),
  );
}

function isolatedPages(k: Kernel): number {
  return k.ctx.vmstat.snapshot().nr_isolated_anon;
}

function migrateEvents(k: Kernel) {
  const ev = k.ctx.vmstat.events;
  return {
    success: ev.pgmigrate_success,
    fail: ev.pgmigrate_fail,
    thpSuccess: ev.thp_migration_success,
    thpFail: ev.thp_migration_fail,
    thpSplit: ev.thp_migration_split,
  };
}

/** Base pages unmapped by each batch, read from the trace: a batch unmaps, then moves. */
function unmapBatches(k: Kernel): number[] {
  const out: number[] = [];
  let moving = true;
  for (const e of k.ctx.trace.events) {
    if (e.name === "set_migration_pte" || e.name === "set_migration_pmd") {
      if (moving) out.push(0);
      moving = false;
      out[out.length - 1] += e.name === "set_migration_pmd" ? HPAGE_PMD_NR : 1;
    } else if (e.name === "remove_migration_pte" || e.name === "remove_migration_pmd") {
      moving = true;
    }
  }
  return out;
}

describe("migrate_pages() result and accounting (§3, §12, §18)", () => {
  it("migrates every folio: rc 0, `from` empty, counters in base pages, tracepoints", () => {
    const { k, task, region } = setup({ contents: true, trace: true });
    const small = region(0, 3);
    const mid = region(4, 1);
    const thp = region(9, 1);
    const from = isolate(k, task, small, mid, thp);
    const sources = [...from];
    expect(isolatedPages(k)).toBe(3 + 16 + HPAGE_PMD_NR);

    const r = migrate(k, task, from);
    expect(r.rc).toBe(0);
    expect(from).toEqual([]);
    expect(r.nrSucceeded).toBe(3 + 16 + HPAGE_PMD_NR);
    // Only PMD-size folios count as THP.
    expect(migrateEvents(k)).toEqual({
      success: 531,
      fail: 0,
      thpSuccess: 1,
      thpFail: 0,
      thpSplit: 0,
    });
    expect(isolatedPages(k)).toBe(0);
    for (const f of sources) expect(f.live).toBe(false);
    for (const [reg, n] of [
      [small, 3],
      [mid, 1],
      [thp, 1],
    ] as const) {
      for (let i = 0; i < n; i++) {
        expect(folioIntact(k, task, reg, i)).toBe(true);
        // The destination: on the LRU, unlocked, only its mappings' references left.
        const dst = folioAt(task, reg.folioAddrs[i]);
        expect(dst.nid).toBe(1);
        expect(dst.refcount).toBe(dst.mapcount);
        expect(dst.flags & (PG.lru | PG.locked | PG.isolated)).toBe(PG.lru);
      }
    }
    const names = k.ctx.trace.events.map((e) => e.name);
    expect(names[0]).toBe("mm_migrate_pages_start");
    expect(names.at(-1)).toBe("mm_migrate_pages");
    expect(k.ctx.trace.events[0].fields).toEqual({
      mode: "MIGRATE_SYNC",
      reason: "syscall_or_cpuset",
    });
    expect(migrateCalls(k)).toEqual([
      {
        succeeded: 531,
        failed: 0,
        thp_succeeded: 1,
        thp_failed: 0,
        thp_split: 0,
        large_folio_split: 0,
        mode: "MIGRATE_SYNC",
        reason: "syscall_or_cpuset",
      },
    ]);
  });

  it("rc is the number of folios not migrated; `from` keeps exactly them for putback", () => {
    const { k, task, region } = setup({ trace: true });
    const small = region(0, 3);
    const thp = region(9, 1);
    const from = isolate(k, task, small, thp);
    const [, pinnedSmall, , pinnedThp] = from;
    gupPin(pinnedSmall);
    gupPin(pinnedThp);

    const r = migrate(k, task, from);
    expect(r.rc).toBe(2);
    expect(r.nrSucceeded).toBe(2);
    expect(new Set(from)).toEqual(new Set([pinnedSmall, pinnedThp]));
    expect(migrateEvents(k)).toEqual({
      success: 2,
      fail: 1 + HPAGE_PMD_NR,
      thpSuccess: 0,
      thpFail: 1,
      thpSplit: 0,
    });
    expect(migrateCalls(k)[0]).toMatchObject({ succeeded: 2, failed: 513, thp_failed: 1 });
    // Still isolated until the caller puts them back.
    expect(isolatedPages(k)).toBe(1 + HPAGE_PMD_NR);
    putbackMovablePages(from, k.ctx);
    expect(isolatedPages(k)).toBe(0);
    for (const f of from) {
      expect(f.test(PG.lru)).toBe(true);
      expect(f.refcount).toBe(f.mapcount + f.pins);
    }
    // The failures are mapped again where they were.
    expect(folioAt(task, small.folioAddrs[1])).toBe(pinnedSmall);
    expect(folioAt(task, thp.folioAddrs[0])).toBe(pinnedThp);
  });

  it("ASYNC mode, with the caller's mode and reason in both tracepoints", () => {
    const { k, task, region } = setup({ trace: true });
    const from = isolate(k, task, region(0, 2));
    gupPin(from[0]);
    const r = migrate(k, task, from, { mode: MIGRATE_ASYNC, reason: MR_NUMA_MISPLACED });
    expect(r.rc).toBe(1);
    expect(k.ctx.trace.events[0].fields).toEqual({
      mode: "MIGRATE_ASYNC",
      reason: "numa_misplaced",
    });
    expect(migrateCalls(k)[0]).toMatchObject({
      succeeded: 1,
      failed: 1,
      mode: "MIGRATE_ASYNC",
      reason: "numa_misplaced",
    });
    putbackMovablePages(from, k.ctx);
    expect(isolatedPages(k)).toBe(0);
  });

  it("a folio freed under us (only the isolation reference left) counts as a success", () => {
    const { k, task, region } = setup();
    const r0 = region(0, 2);
    const from = isolate(k, task, r0);
    const gone = from[0];
    task.mm?.munmap(r0.folioAddrs[0], PAGE_SIZE);
    expect(gone.refcount).toBe(1);
    const r = migrate(k, task, from);
    expect(r).toMatchObject({ rc: 0, nrSucceeded: 2 });
    expect(gone.live).toBe(false);
    expect(k.phys.folioOf(gone.pfn)).toBeUndefined();
    expect(isolatedPages(k)).toBe(0);
  });

  it("MR_DEMOTION leaves NR_ISOLATED raised on success", () => {
    const { k, task, region } = setup();
    const from = isolate(k, task, region(0, 2));
    expect(migrate(k, task, from, { mode: MIGRATE_ASYNC, reason: MR_DEMOTION }).rc).toBe(0);
    expect(isolatedPages(k)).toBe(2);
  });
});

describe("migrate_pages() batches (§3.2 step 3, §5.2, §14)", () => {
  for (const mode of [MIGRATE_ASYNC, MIGRATE_SYNC]) {
    it(`NR_MAX_BATCHED_MIGRATION 512: 1300 4K folios are 3 batches, 3 TLB flushes (mode ${mode})`, () => {
      const { k, task, region } = setup({ trace: true, nrMaxBatchedMigration: 512 });
      // Live on another CPU, so the unmap defers its flushes to the batch's one flush.
      task.mm?.cpuMask.add(1);
      const from = isolate(k, task, region(0, 1300));
      expect(migrate(k, task, from, { mode }).rc).toBe(0);
      expect(unmapBatches(k)).toEqual([512, 512, 276]);
      expect(k.ctx.vmstat.events.nr_tlb_local_flush_all).toBe(3);
      expect(migrateCalls(k)).toHaveLength(1);
    });
  }

  it("the batch limit is in base pages and set by the kernel option", () => {
    const { k, task, region } = setup({ trace: true, nrMaxBatchedMigration: 64 });
    const from = isolate(k, task, region(4, 10));
    expect(migrate(k, task, from).rc).toBe(0);
    expect(unmapBatches(k)).toEqual([64, 64, 32]);
  });

  it("a batch ends with the folio that reaches the limit, so 511 + a THP is one batch", () => {
    const { k, task, region } = setup({ trace: true, nrMaxBatchedMigration: 512 });
    task.mm?.cpuMask.add(1);
    const from = isolate(k, task, region(0, 511), region(9, 1), region(0, 1));
    expect(migrate(k, task, from).rc).toBe(0);
    expect(unmapBatches(k)).toEqual([511 + HPAGE_PMD_NR, 1]);
    expect(k.ctx.vmstat.events.nr_tlb_local_flush_all).toBe(2);
  });
});

describe("migrate_pages() out of memory on the target (§5.1, §9, §12)", () => {
  it("order-0: -ENOMEM stops the call; untried folios stay in `from`, uncounted", () => {
    const { k, task, region } = setup({ trace: true, nrMaxBatchedMigration: 4 });
    fillNode(k, 1, 3);
    const from = isolate(k, task, region(0, 6));
    const sources = [...from];
    const r = migrate(k, task, from);
    expect(r.rc).toBe(-ENOMEM);
    expect(r.nrSucceeded).toBe(3);
    // The folio that found no memory, then the rest of its batch and the next batch, untried.
    expect(from).toEqual(sources.slice(3));
    expect(migrateEvents(k)).toMatchObject({ success: 3, fail: 1 });
    expect(migrateCalls(k)[0]).toMatchObject({ succeeded: 3, failed: 1 });
    putbackMovablePages(from, k.ctx);
    expect(isolatedPages(k)).toBe(0);
  });

  for (const mode of [MIGRATE_ASYNC, MIGRATE_SYNC]) {
    it(`a THP is split and its pieces migrated: a failure and a split, then rc 0 (mode ${mode})`, () => {
      const { k, task, region } = setup({ contents: true, trace: true });
      fillNode(k, 1, HPAGE_PMD_NR);
      const thp = region(9, 1);
      const from = isolate(k, task, thp);
      const r = migrate(k, task, from, { mode });
      expect(r.rc).toBe(0);
      expect(from).toEqual([]);
      expect(migrateEvents(k)).toEqual({
        success: HPAGE_PMD_NR,
        fail: 0,
        thpSuccess: 0,
        thpFail: 1,
        thpSplit: 1,
      });
      expect(migrateCalls(k)[0]).toMatchObject({ thp_split: 1, large_folio_split: 1 });
      expect(folioIntact(k, task, thp, 0)).toBe(true);
      expect(nodeAt(k, task, thp.folioAddrs[0] + 511 * PAGE_SIZE)).toBe(1);
      expect(isolatedPages(k)).toBe(0);
    });
  }

  it("a split THP counts once in rc however many pieces fail", () => {
    const { k, task, region } = setup({ contents: true });
    fillNode(k, 1, 100);
    const thp = region(9, 1);
    const from = isolate(k, task, thp);
    const r = migrate(k, task, from);
    expect(r.rc).toBe(1);
    expect(r.nrSucceeded).toBe(100);
    // `from` holds the pieces left over, each isolated.
    expect(from).toHaveLength(HPAGE_PMD_NR - 100);
    for (const f of from) expect(f.order).toBe(0);
    expect(isolatedPages(k)).toBe(HPAGE_PMD_NR - 100);
    expect(migrateEvents(k)).toEqual({
      success: 100,
      fail: 1,
      thpSuccess: 0,
      thpFail: 1,
      thpSplit: 1,
    });
    putbackMovablePages(from, k.ctx);
    expect(isolatedPages(k)).toBe(0);
    expect(folioIntact(k, task, thp, 0)).toBe(true);
  });

  it("a split THP is one failure in rc even when every piece migrates, if a folio is left", () => {
    const { k, task, region } = setup();
    fillNode(k, 1, HPAGE_PMD_NR + 1);
    const from = isolate(k, task, region(9, 1), region(0, 1));
    const pinned = from[1];
    gupPin(pinned);
    const r = migrate(k, task, from);
    expect(r.rc).toBe(2);
    expect(r.nrSucceeded).toBe(HPAGE_PMD_NR);
    expect(from).toEqual([pinned]);
    putbackMovablePages(from, k.ctx);
  });

  it("-ENOMEM counts the failing folio and the pages at -EAGAIN so far in the pass", () => {
    const { k, task, region } = setup();
    fillNode(k, 1, 1);
    const from = isolate(k, task, region(0, 3));
    const [pinned, moved, nomem] = from;
    gupPin(pinned);
    // The pinned folio gives its destination back, the next one takes it, the third finds none.
    const r = migrate(k, task, from, { mode: MIGRATE_ASYNC });
    expect(r).toMatchObject({ rc: -ENOMEM, nrSucceeded: 1 });
    expect(migrateEvents(k)).toMatchObject({ success: 1, fail: 2 });
    expect(new Set(from)).toEqual(new Set([pinned, nomem]));
    expect(moved.live).toBe(false);
    putbackMovablePages(from, k.ctx);
  });

  it("-ENOMEM with nothing unmapped yet skips the batch's TLB flush", () => {
    const { k, task, region } = setup();
    task.mm?.cpuMask.add(1);
    fillNode(k, 1, 1);
    const from = isolate(k, task, region(0, 1), region(1, 1));
    gupPin(from[0]);
    // The pinned folio's PTE was cleared with a deferred flush, then put back; the order-1
    // folio finds no memory and NUMA_MISPLACED does not split it.
    const r = migrate(k, task, from, { mode: MIGRATE_ASYNC, reason: MR_NUMA_MISPLACED });
    expect(r.rc).toBe(-ENOMEM);
    expect(task.tlbUbc.flushRequired).toBe(true);
    expect(k.ctx.vmstat.events.nr_tlb_local_flush_all).toBe(0);
    putbackMovablePages(from, k.ctx);
  });

  it("-ENOMEM on a THP that cannot be split aborts; MR_LONGTERM_PIN retries it instead", () => {
    const { k, task, region } = setup();
    fillNode(k, 1, HPAGE_PMD_NR);
    const from = isolate(k, task, region(9, 1));
    gupPin(from[0]);
    expect(migrate(k, task, from).rc).toBe(-ENOMEM);
    expect(migrateEvents(k)).toEqual({
      success: 0,
      fail: HPAGE_PMD_NR,
      thpSuccess: 0,
      thpFail: 1,
      thpSplit: 0,
    });
    // The split's -EAGAIN is a retry for LONGTERM_PIN: the passes run out, one failure.
    const r = migrate(k, task, from, { mode: MIGRATE_ASYNC, reason: MR_LONGTERM_PIN });
    expect(r.rc).toBe(1);
    expect(migrateEvents(k)).toMatchObject({ fail: 2 * HPAGE_PMD_NR, thpFail: 2, thpSplit: 0 });
    expect(from[0].order).toBe(9);
    putbackMovablePages(from, k.ctx);
    expect(isolatedPages(k)).toBe(0);
  });

  it("MR_NUMA_MISPLACED never splits: -ENOMEM with the THP whole", () => {
    const { k, task, region } = setup();
    fillNode(k, 1, HPAGE_PMD_NR);
    const from = isolate(k, task, region(9, 1));
    const thp = from[0];
    const r = migrate(k, task, from, { mode: MIGRATE_ASYNC, reason: MR_NUMA_MISPLACED });
    expect(r.rc).toBe(-ENOMEM);
    expect(from).toEqual([thp]);
    expect(thp.live).toBe(true);
    expect(migrateEvents(k)).toEqual({
      success: 0,
      fail: HPAGE_PMD_NR,
      thpSuccess: 0,
      thpFail: 1,
      thpSplit: 0,
    });
    putbackMovablePages(from, k.ctx);
  });
});

describe("migrate_pages() splits before migrating (§5.1 a-b, §9)", () => {
  it("without arch THP migration a THP is split, counted as a THP failure and split", () => {
    const { k, task, region } = setup({ thpMigration: false, contents: true, trace: true });
    const thp = region(9, 1);
    const from = isolate(k, task, thp);
    expect(migrate(k, task, from).rc).toBe(0);
    expect(migrateEvents(k)).toEqual({
      success: HPAGE_PMD_NR,
      fail: 0,
      thpSuccess: 0,
      thpFail: 1,
      thpSplit: 1,
    });
    expect(migrateCalls(k)[0]).toMatchObject({ large_folio_split: 1 });
    expect(folioIntact(k, task, thp, 0)).toBe(true);
    expect(folioAt(task, thp.folioAddrs[0]).order).toBe(0);
    expect(nodeAt(k, task, thp.folioAddrs[0])).toBe(1);
  });

  it("without arch THP migration a THP that cannot be split fails whole", () => {
    const { k, task, region } = setup({ thpMigration: false });
    const from = isolate(k, task, region(9, 1));
    gupPin(from[0]);
    expect(migrate(k, task, from).rc).toBe(1);
    // Counted by the SYNC retry only: the ASYNC first try's failures are not.
    expect(migrateEvents(k)).toEqual({
      success: 0,
      fail: HPAGE_PMD_NR,
      thpSuccess: 0,
      thpFail: 1,
      thpSplit: 0,
    });
    expect(from[0].order).toBe(9);
    putbackMovablePages(from, k.ctx);
  });

  it("a partially mapped large folio is split first: a split, not a THP one", () => {
    const { k, task, region } = setup({ trace: true });
    const big = region(2, 1);
    const addr = big.folioAddrs[0];
    task.mm?.munmap(addr + PAGE_SIZE, PAGE_SIZE);
    const from = isolate(k, task, big);
    expect(from[0].test(PG.partiallyMapped)).toBe(true);
    expect(migrate(k, task, from).rc).toBe(0);
    // The unmapped piece had only the isolation reference: freed under us, a success.
    expect(migrateEvents(k)).toEqual({
      success: 4,
      fail: 0,
      thpSuccess: 0,
      thpFail: 0,
      thpSplit: 0,
    });
    expect(migrateCalls(k)[0]).toMatchObject({ large_folio_split: 1 });
    expect([0, 2, 3].map((p) => nodeAt(k, task, addr + p * PAGE_SIZE))).toEqual([1, 1, 1]);
    expect(isolatedPages(k)).toBe(0);
  });
});

describe("migrate_pages() per-folio steps (§4, §6)", () => {
  it("writeback: -EBUSY in ASYNC, a permanent failure; SYNC waits and migrates", () => {
    const { k, task, region } = setup();
    const from = isolate(k, task, region(0, 1));
    from[0].set(PG.writeback);
    expect(migrate(k, task, from, { mode: MIGRATE_ASYNC }).rc).toBe(1);
    expect(migrateEvents(k)).toMatchObject({ success: 0, fail: 1 });
    expect(from[0].test(PG.locked)).toBe(false);
    // SYNC_LIGHT does not wait for writeback either.
    expect(migrate(k, task, from, { mode: MIGRATE_SYNC_LIGHT }).rc).toBe(1);
    // In SYNC the ASYNC first try fails, which is not counted, then the retry waits.
    const before = migrateEvents(k).fail;
    expect(migrate(k, task, from, { mode: MIGRATE_SYNC }).rc).toBe(0);
    expect(migrateEvents(k).fail).toBe(before);
    expect(isolatedPages(k)).toBe(0);
  });

  it("a busy source lock is -EAGAIN in ASYNC, SYNC_LIGHT (not uptodate) and PF_MEMALLOC", () => {
    const { k, task, region } = setup();
    const r0 = region(0, 1);
    const from = isolate(k, task, r0);
    const src = from[0];
    src.set(PG.locked);
    expect(migrate(k, task, from, { mode: MIGRATE_ASYNC }).rc).toBe(1);
    src.clear(PG.uptodate);
    expect(migrate(k, task, from, { mode: MIGRATE_SYNC_LIGHT }).rc).toBe(1);
    task.pfMemalloc = true;
    expect(migrate(k, task, from, { mode: MIGRATE_SYNC }).rc).toBe(1);
    // The retries ran out each time: one failed page per call, the folio untouched.
    expect(migrateEvents(k)).toMatchObject({ success: 0, fail: 3 });
    expect(from).toEqual([src]);
    expect(folioAt(task, r0.folioAddrs[0])).toBe(src);
    task.pfMemalloc = false;
    src.clear(PG.locked);
    expect(migrate(k, task, from, { mode: MIGRATE_ASYNC }).rc).toBe(0);
  });

  it("an unexpected reference fails the move step with -EAGAIN; undo restores the source", () => {
    const { k, task, region } = setup({ contents: true });
    const r0 = region(0, 1);
    const from = isolate(k, task, r0);
    const src = from[0];
    src.refcount++;
    const free1 = k.phys.freePages(1);
    expect(migrate(k, task, from).rc).toBe(1);
    expect(from).toEqual([src]);
    expect(folioAt(task, r0.folioAddrs[0])).toBe(src);
    expect(src.test(PG.locked)).toBe(false);
    expect(k.phys.freePages(1)).toBe(free1);
    expect(folioIntact(k, task, r0, 0)).toBe(true);
    src.refcount--;
    expect(migrate(k, task, from).rc).toBe(0);
    expect(folioIntact(k, task, r0, 0)).toBe(true);
    expect(nodeAt(k, task, r0.folioAddrs[0])).toBe(1);
  });

  it("a poisoned source page fails the copy with a permanent error; the source is restored", () => {
    const { k, task, region } = setup();
    const r0 = region(0, 2);
    const from = isolate(k, task, r0);
    const bad = from[0];
    k.phys.setHwPoison(bad.pfn, true);
    const r = migrate(k, task, from);
    expect(r).toMatchObject({ rc: 1, nrSucceeded: 1 });
    expect(from).toEqual([bad]);
    expect(folioAt(task, r0.folioAddrs[0])).toBe(bad);
    expect(nodeAt(k, task, r0.folioAddrs[1])).toBe(1);
    putbackMovablePages(from, k.ctx);
    expect(isolatedPages(k)).toBe(0);
  });
});

describe("migrate_pages() on a recording timeline", () => {
  it("records each batch with its phases on the task's track, and tracepoints in the task's time", () => {
    const { k, task, region } = setup({ trace: true, nrMaxBatchedMigration: 512 });
    const r = region(0, 600);
    k.timeline.enabled = true;
    const from = isolate(k, task, r);
    const t0 = k.sim.now;
    expect(migrate(k, task, from).rc).toBe(0);
    expect(k.current).toBeNull();
    expect(k.timeline.tracks).toEqual([{ id: 0, kind: "cpu", name: "cpu0 migrate_pages", cpu: 0 }]);
    const s = k.timeline.slices;
    expect(s.map((x) => x.name)).toEqual([
      "batch",
      "unmap",
      "flush",
      "move",
      "batch",
      "unmap",
      "flush",
      "move",
    ]);
    // migrate_pages()'s per-call work comes before the first batch.
    const t1 = t0 + k.profile.costs.migrateCallNs;
    expect(s[0]).toMatchObject({ startNs: t1, args: { folios: 512, pages: 512 } });
    expect(s[4]).toMatchObject({ startNs: s[0].endNs, endNs: k.sim.now });
    expect(s[4].args).toEqual({ folios: 88, pages: 88 });
    // The phases tile their batch.
    expect([s[1].startNs, s[1].endNs, s[2].endNs, s[3].endNs]).toEqual([
      s[0].startNs,
      s[2].startNs,
      s[3].startNs,
      s[0].endNs,
    ]);
    const unmaps = k.ctx.trace.events.filter((e) => e.name === "set_migration_pte");
    expect(new Set(unmaps.map((e) => e.ts)).size).toBe(600);
    expect(unmaps[599].ts).toBeLessThan(k.sim.now);
    expect(unmaps[0].ts).toBeGreaterThan(t0);
  });
});

/**
 * The behavioural suite every copy engine passes: one Migrator interface, many migrators, one
 * conformance suite (as Hono runs every router through one shared test file). conformance.test.ts
 * runs it for each engine and worker count; a new engine gets it by adding a line there.
 *
 * offloadCopy on random batches (folio orders 0..9, uniform or mixed, 1..64 folios within a
 * page budget, any pair of nodes, physically contiguous, scattered or descending), in bytes
 * mode, checked by batchViolations():
 *   - it returns 0, -EOPNOTSUPP or another known negative errno;
 *   - every destination marked FOLIO_CONTENT_COPIED holds exactly its source's bytes, and no
 *     destination of a source with a poisoned page is marked; no other migrate_info bit moves;
 *   - without faults, 0 means every destination is marked; -EOPNOTSUPP marks nothing;
 *   - no source byte changes, and no folio is copied twice: the bytes copied lie between the
 *     bytes marked and the bytes of the batch ("copied exactly once or left for the CPU");
 *   - counters add up, by one rule for every engine: on -EOPNOTSUPP neither moves; otherwise
 *     folios_migrated grows by the folios marked and folios_failures by the rest of the batch
 *     (batch-cpu: the folios from the failing one on; dcbm: the whole batch on an error, the
 *     unmarked tail of a partial batch; dcbm-v2: each folio left unmarked; mtcopy: all or none);
 *   - a copy is never free: it takes at least the marked bytes over the bandwidth of the
 *     destination's memory, which every copy path crosses;
 *   - nothing is left behind: no DMA channel held, no worker, engine or timer still queued;
 *   - the same seed gives the same return value, virtual time, marks and counters.
 * Through the real core (move_pages(2), the migrator registered for every reason): the move
 * phase copies exactly the folios left unmarked, a -EAGAIN after the batch copy consumes the
 * marker so the retry copies afresh, and the registry's -EBUSY, -EINVAL and reason mask.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FAULT_KINDS } from "../fault/inject.js";
import type { MigGen } from "../migrate/core.js";
import { migrateFolioMove, migrateFolioUnmap } from "../migrate/folio-steps.js";
import { folioIsolateLru } from "../migrate/isolate.js";
import { Kernel } from "../migrate/kernel.js";
import { MIGRATE_SYNC, MR_SYSCALL } from "../migrate/modes.js";
import { nodeTarget } from "../migrate/move-pages.js";
import { MigrationRun } from "../migrate/run.js";
import { folioAt, movePages, nodeAt, spawnWithRegion } from "../migrate/test-fixture.js";
import { EAGAIN, EBUSY, EINVAL, ENOMEM, EOPNOTSUPP, errnoName } from "../mm/errno.js";
import {
  FOLIO_CONTENT_COPIED,
  FOLIO_WAS_MAPPED,
  type Folio,
  HPAGE_PMD_ORDER,
  PAGE_SIZE,
} from "../mm/folio.js";
import type { Task } from "../mm/task.js";
import { pageKey, type Region, verifyRegion } from "../workload/region.js";
import { DmaEngines } from "./dma-device.js";
import { runCopy, zen3 } from "./dma-test-fixture.js";
import type { Migrator } from "./migrator.js";
import { MIGRATE_OFFLOAD_REASONS_ALLOWED } from "./reason-mask.js";

/** Builds the migrator under test on a booted machine (zen3-2s-ptdma, with its DMA engines). */
export type MigratorFactory = (k: Kernel) => Migrator;

/** Pages a batch may hold, so a case takes milliseconds: 4 PMD folios, or 64 of order 5. */
const MAX_BATCH_PAGES = 2048;
/** Seed of every property, so the suite runs the same cases each time. */
const FC_SEED = 20260630;
/** Cases of each random-batch property; the determinism one runs a quarter as many. */
const RUNS = 30;

/** How a side's folios lie in physical memory: in order, with gaps, or in descending order. */
export type PhysLayout = "contiguous" | "scattered" | "descending";

export interface BatchSpec {
  /** Order of each folio, in batch order. */
  orders: number[];
  srcNid: number;
  dstNid: number;
  srcLayout: PhysLayout;
  dstLayout: PhysLayout;
  /** Source folio with one hardware-poisoned page, or -1. */
  poison: number;
  /** Fault-injection spec; "" for none. */
  faults: string;
  /** Kernel seed: the fault streams and the page contents. */
  seed: number;
}

/** The faults an offloadCopy can meet: DMA errors, timeouts and mappings, workers, partial batches. */
const COPY_FAULTS = FAULT_KINDS.filter((f) => f !== "alloc-fail" && f !== "pin-during-migration");
/** Every copy fault at probability 0.3: most batches meet one. */
const HEAVY_FAULTS = COPY_FAULTS.map((f) => `${f}=0.3`).join(",");
/** Fault specs of the fault property: all kinds a little, all a lot, or one kind alone. */
const FAULT_SPECS = ["all", HEAVY_FAULTS, ...COPY_FAULTS.map((f) => `${f}=0.3`)];

const folioOrder = fc.integer({ min: 0, max: HPAGE_PMD_ORDER });

/** The longest prefix within the page budget (never empty). */
function withinBudget(orders: number[]): number[] {
  let pages = 0;
  let n = 0;
  while (n < orders.length && pages + (1 << orders[n]) <= MAX_BATCH_PAGES)
    pages += 1 << orders[n++];
  return orders.slice(0, Math.max(n, 1));
}

const batchOrders: fc.Arbitrary<number[]> = fc.oneof(
  folioOrder.chain((o) =>
    fc
      .integer({ min: 1, max: Math.min(64, MAX_BATCH_PAGES >> o) })
      .map((n) => Array<number>(n).fill(o)),
  ),
  fc.array(folioOrder, { minLength: 1, maxLength: 64 }).map(withinBudget),
);

const physLayout = fc.constantFrom<PhysLayout>("contiguous", "scattered", "descending");
const nid = fc.integer({ min: 0, max: 1 });

/** Random batches; with `faults`, injected faults and now and then a poisoned source page. */
function batchSpec(faults: boolean): fc.Arbitrary<BatchSpec> {
  return fc
    .record({
      orders: batchOrders,
      srcNid: nid,
      dstNid: nid,
      srcLayout: physLayout,
      dstLayout: physLayout,
      poison: faults
        ? fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, fc.nat({ max: 63 }))
        : fc.constant(-1),
      faults: faults ? fc.constantFrom(...FAULT_SPECS) : fc.constant(""),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    })
    .map((s) => ({ ...s, poison: s.poison < 0 ? -1 : s.poison % s.orders.length }));
}

/** Key of page j of source folio i; destinations start out holding other (stale) keys. */
function srcKey(seed: number, i: number, j: number): number {
  return pageKey(seed, 1, i * (1 << HPAGE_PMD_ORDER) + j);
}
function staleKey(seed: number, i: number, j: number): number {
  return pageKey(seed, 2, i * (1 << HPAGE_PMD_ORDER) + j);
}

/** One folio per order on `nid`, laid out as asked; folio i has order orders[i]. */
function allocSide(k: Kernel, nid: number, orders: readonly number[], layout: PhysLayout): Folio[] {
  const out: Folio[] = new Array(orders.length);
  const alloc = (order: number): Folio => {
    const f = k.phys.allocFolio(nid, order);
    if (f === null) throw new Error(`conformance: node ${nid} is out of order-${order} folios`);
    return f;
  };
  for (let n = 0; n < orders.length; n++) {
    const i = layout === "descending" ? orders.length - 1 - n : n;
    out[i] = alloc(orders[i]);
    // A spacer of the same order keeps the next folio from following this one.
    if (layout === "scattered") alloc(orders[i]);
  }
  return out;
}

interface Batch {
  k: Kernel;
  m: Migrator;
  src: Folio[];
  dst: Folio[];
}

/** A fresh machine, a migrator, and the batch of `s` with its contents written. */
function buildBatch(create: MigratorFactory, s: BatchSpec): Batch {
  const k = new Kernel({ profile: zen3, contents: true, seed: s.seed, inject: s.faults });
  const m = create(k);
  const src = allocSide(k, s.srcNid, s.orders, s.srcLayout);
  const dst = allocSide(k, s.dstNid, s.orders, s.dstLayout);
  const contents = k.phys.contents as NonNullable<typeof k.phys.contents>;
  for (let i = 0; i < src.length; i++) {
    for (let j = 0; j < src[i].nrPages; j++) {
      contents.fillPage(src[i].pfn + j, srcKey(s.seed, i, j));
      contents.fillPage(dst[i].pfn + j, staleKey(s.seed, i, j));
    }
    // What the unmap step leaves in migrate_info; the migrator may only add its marker.
    dst[i].migrateInfo = i % 2 === 0 ? FOLIO_WAS_MAPPED : 0;
  }
  if (s.poison >= 0) k.phys.setHwPoison(src[s.poison].pfn + src[s.poison].nrPages - 1, true);
  return { k, m, src, dst };
}

const isMarked = (f: Folio) => (f.migrateInfo & FOLIO_CONTENT_COPIED) !== 0;

export interface BatchOutcome {
  rc: number;
  ns: number;
  marks: boolean[];
  migrated: number;
  failures: number;
  bytesCopied: number;
}

/**
 * Run one offloadCopy of the batch of `s` and check it; returns what happened and every
 * violation found (empty when the migrator behaved).
 */
export function checkBatch(
  create: MigratorFactory,
  s: BatchSpec,
): { outcome: BatchOutcome; violations: string[] } {
  const { k, m, src, dst } = buildBatch(create, s);
  const contents = k.phys.contents as NonNullable<typeof k.phys.contents>;
  const v: string[] = [];
  const c0 = { ...m.counters };
  const copied0 = contents.bytesCopied;
  const { rc, ns } = runCopy(k, m, dst, src);
  const outcome: BatchOutcome = {
    rc,
    ns,
    marks: dst.map(isMarked),
    migrated: m.counters.foliosMigrated - c0.foliosMigrated,
    failures: m.counters.foliosFailures - c0.foliosFailures,
    bytesCopied: contents.bytesCopied - copied0,
  };
  const n = src.length;

  if (!Number.isInteger(rc) || rc > 0 || (rc < 0 && errnoName(rc) === String(-rc))) {
    v.push(`returned ${rc}: not 0, -EOPNOTSUPP or a known negative errno`);
  }
  let marked = 0;
  let markedBytes = 0;
  let batchBytes = 0;
  for (let i = 0; i < n; i++) {
    batchBytes += src[i].sizeBytes;
    const want = i % 2 === 0 ? FOLIO_WAS_MAPPED : 0;
    if ((dst[i].migrateInfo & ~FOLIO_CONTENT_COPIED) !== want) {
      v.push(`dst ${i}: migrate_info ${dst[i].migrateInfo}, but only the marker may be added`);
    }
    for (let j = 0; j < src[i].nrPages; j++) {
      if (!contents.checkPage(src[i].pfn + j, srcKey(s.seed, i, j))) {
        v.push(`src ${i} page ${j} changed`);
      }
    }
    if (!isMarked(dst[i])) continue;
    marked++;
    markedBytes += dst[i].sizeBytes;
    if (i === s.poison) v.push(`dst ${i} is marked, but its source has a poisoned page`);
    for (let j = 0; j < dst[i].nrPages; j++) {
      if (!contents.checkPage(dst[i].pfn + j, srcKey(s.seed, i, j))) {
        v.push(`dst ${i} is marked, but page ${j} does not hold its source's bytes`);
        break;
      }
    }
  }
  if (rc === -EOPNOTSUPP && marked > 0) v.push(`declined (-EOPNOTSUPP) but marked ${marked}`);
  if (rc === 0 && s.faults === "" && s.poison < 0 && marked !== n) {
    v.push(`returned 0 with no fault, but marked ${marked} of ${n}`);
  }
  if (outcome.bytesCopied < markedBytes || outcome.bytesCopied > batchBytes) {
    v.push(
      `copied ${outcome.bytesCopied} bytes: not between the ${markedBytes} marked ` +
        `and the batch's ${batchBytes}`,
    );
  }
  const { migrated, failures } = outcome;
  if (
    rc === -EOPNOTSUPP
      ? migrated !== 0 || failures !== 0
      : migrated !== marked || migrated + failures !== n
  ) {
    v.push(
      `counters: folios_migrated +${migrated}, folios_failures +${failures} ` +
        `for ${marked} of ${n} marked (rc ${rc})`,
    );
  }
  if (marked > 0) {
    const minNs = markedBytes / k.fabric.mem[s.dstNid].capacity;
    if (!(ns > 0 && ns >= minNs)) {
      v.push(`copied ${markedBytes} bytes in ${ns} ns: less than the ${minNs} ns memory allows`);
    }
  }
  const held = DmaEngines.of(k).channels.filter((chan) => chan.held).length;
  if (held > 0) v.push(`${held} DMA channels still held`);
  if (k.sim.pending > 0) v.push(`${k.sim.pending} workers, engines or timers still queued`);
  return { outcome, violations: v };
}

/** Wraps a migrator to watch each batch: what it marked and the bytes it copied itself. */
class BatchWatch implements Migrator {
  readonly name: string;
  calls = 0;
  /** Bytes the migrator copied (PageContents.bytesCopied during its calls). */
  ownBytes = 0;
  /** Destinations the move phase was left to copy. */
  readonly unmarked: Folio[] = [];

  constructor(
    readonly inner: Migrator,
    /** Take the marker off every strip-th destination after the copy (0: never). */
    private readonly strip = 0,
  ) {
    this.name = inner.name;
  }

  get counters() {
    return this.inner.counters;
  }

  *offloadCopy(run: MigrationRun, dst: readonly Folio[], src: readonly Folio[]): MigGen<number> {
    this.calls++;
    const contents = run.k.phys.contents as NonNullable<typeof run.k.phys.contents>;
    const before = contents.bytesCopied;
    const rc = yield* this.inner.offloadCopy(run, dst, src);
    this.ownBytes += contents.bytesCopied - before;
    for (let i = 0; i < dst.length; i++) {
      if (this.strip > 0 && i % this.strip === 0) dst[i].migrateInfo &= ~FOLIO_CONTENT_COPIED;
      if (!isMarked(dst[i])) this.unmarked.push(dst[i]);
    }
    return rc;
  }
}

interface Moved {
  k: Kernel;
  watch: BatchWatch;
  task: Task;
  region: Region;
  rc: number;
  status: number[];
  /** Bytes copied during the call by the CPU in the move phase. */
  cpuBytes: number;
}

/** move_pages(2) of a region from node 0 to node 1 with the watched migrator registered. */
function moveRegion(
  create: MigratorFactory,
  o: { order: number; count: number; faults?: string; strip?: number; reasonMask?: number },
): Moved {
  const k = new Kernel({ profile: zen3, contents: true, seed: 7, inject: o.faults });
  const watch = new BatchWatch(create(k), o.strip);
  expect(k.offload.register(watch, o.reasonMask ?? MIGRATE_OFFLOAD_REASONS_ALLOWED)).toBe(0);
  const { task, region, addrs } = spawnWithRegion(k, o.order, o.count, 0);
  const contents = k.phys.contents as NonNullable<typeof k.phys.contents>;
  const before = contents.bytesCopied;
  const { rc, status } = movePages(k, task, { pages: addrs, nodes: addrs.map(() => 1) });
  const cpuBytes = contents.bytesCopied - before - watch.ownBytes;
  return { k, watch, task, region, rc, status, cpuBytes };
}

/** Bytes of the destinations left unmarked that the move phase used (the others were freed). */
function unmarkedUsedBytes(w: BatchWatch): number {
  let bytes = 0;
  for (const d of w.unmarked) if (d.live) bytes += d.sizeBytes;
  return bytes;
}

/** The conformance suite of one migrator configuration, named `label`. */
export function migratorConformance(label: string, create: MigratorFactory): void {
  describe(`${label}: offloadCopy on random batches`, () => {
    it("copies exactly what it marks, changes no source, counts truly and leaves nothing held", () => {
      fc.assert(
        fc.property(batchSpec(false), (s) => {
          expect(checkBatch(create, s).violations).toEqual([]);
        }),
        { numRuns: RUNS, seed: FC_SEED },
      );
    });

    it("keeps to the same contract when faults are injected and sources are poisoned", () => {
      fc.assert(
        fc.property(batchSpec(true), (s) => {
          expect(checkBatch(create, s).violations).toEqual([]);
        }),
        { numRuns: RUNS, seed: FC_SEED + 1 },
      );
    });

    it("gives the same result, virtual time and marks for the same seed", () => {
      fc.assert(
        fc.property(batchSpec(true), (s) => {
          expect(checkBatch(create, s).outcome).toEqual(checkBatch(create, s).outcome);
        }),
        { numRuns: Math.ceil(RUNS / 4), seed: FC_SEED + 2 },
      );
    });
  });

  describe(`${label}: through migrate_pages_batch() (move_pages(2))`, () => {
    for (const r of [
      { order: 0, count: 600 },
      { order: 4, count: 40 },
      { order: HPAGE_PMD_ORDER, count: 3 },
    ]) {
      it(`copies each of ${r.count} order-${r.order} folios once; the CPU only the unmarked`, () => {
        const m = moveRegion(create, r);
        expect(m.rc).toBe(0);
        expect(m.status).toEqual(Array(r.count).fill(1));
        expect(verifyRegion(m.k, m.task, m.region, 1)).toBe(r.count << r.order);
        expect(m.watch.calls).toBeGreaterThan(0);
        expect(m.cpuBytes).toBe(unmarkedUsedBytes(m.watch));
        const regionBytes = (r.count << r.order) * PAGE_SIZE;
        expect(m.watch.ownBytes + m.cpuBytes).toBe(regionBytes);
      });
    }

    it("copies on the CPU a folio the migrator copied but did not mark", () => {
      const m = moveRegion(create, { order: 2, count: 48, strip: 3 });
      expect(m.rc).toBe(0);
      expect(verifyRegion(m.k, m.task, m.region, 1)).toBe(48 << 2);
      expect(m.watch.unmarked.length).toBeGreaterThanOrEqual(16);
      expect(m.cpuBytes).toBe(unmarkedUsedBytes(m.watch));
    });

    it("loses no data and copies only unmarked folios on the CPU under injected faults", () => {
      for (const faults of ["all", "alloc-fail=0.2,pin-during-migration=0.2", HEAVY_FAULTS]) {
        const m = moveRegion(create, { order: 3, count: 64, faults });
        expect(m.rc === -ENOMEM || m.rc >= 0).toBe(true);
        expect(verifyRegion(m.k, m.task, m.region, null)).toBe(64 << 3);
        expect(m.cpuBytes).toBe(unmarkedUsedBytes(m.watch));
      }
    });

    it("leaves a source pinned mid-migration in place and its data intact", () => {
      const m = moveRegion(create, { order: 1, count: 32, faults: "pin-during-migration@2+5" });
      // Both pinned folios fail every pass (the pin is held until migrate_pages() ends).
      expect(m.rc).toBe(2);
      expect(verifyRegion(m.k, m.task, m.region, null)).toBe(32 << 1);
      const addrs = Array.from(m.region.folioAddrs);
      expect(addrs.filter((a) => nodeAt(m.k, m.task, a) === 0)).toHaveLength(2);
      expect(m.cpuBytes).toBe(unmarkedUsedBytes(m.watch));
    });

    it("consumes the marker on -EAGAIN, so the retry copies afresh", () => {
      const k = new Kernel({ profile: zen3, contents: true, seed: 3 });
      const m = create(k);
      const count = 16;
      const { task, region, addrs } = spawnWithRegion(k, 2, count, 0);
      const run = new MigrationRun(k, k.newExec(task), nodeTarget(k, 1));
      const ret: Folio[] = [];
      // migrate_pages_batch() by hand: unmap all, batch copy, move all, retry what failed.
      const src = addrs.map((a) => folioAt(task, a));
      const dst = src.map((f) => {
        expect(folioIsolateLru(f, k.ctx)).toBe(true);
        expect(migrateFolioUnmap(run, f, MIGRATE_SYNC, ret)).toBe(0);
        return run.unmappedDst as Folio;
      });
      expect(k.sim.runUntilDone(k.sim.spawn(m.offloadCopy(run, dst, src)))).toBe(0);
      expect(dst.every(isMarked)).toBe(true);
      // Bytes the CPU copied in the move phase (batch-cpu's own copies are counted here too).
      const cpu0 = run.copiedBytes;
      // A reference taken after the batch copy fails folio 5's refcount check.
      const v = 5;
      src[v].refcount++;
      for (let i = 0; i < count; i++) {
        expect(migrateFolioMove(run, dst[i], src[i], MR_SYSCALL, ret)).toBe(i === v ? -EAGAIN : 0);
      }
      expect(run.copiedBytes).toBe(cpu0);
      expect(isMarked(dst[v])).toBe(false);
      src[v].refcount--;
      // Stale bytes in the destination: only a fresh copy in the retry makes the data right.
      const contents = k.phys.contents as NonNullable<typeof k.phys.contents>;
      for (let j = 0; j < dst[v].nrPages; j++) {
        contents.fillPage(dst[v].pfn + j, staleKey(3, v, j));
      }
      expect(migrateFolioMove(run, dst[v], src[v], MR_SYSCALL, ret)).toBe(0);
      expect(run.copiedBytes - cpu0).toBe(dst[v].sizeBytes);
      expect(ret).toEqual([]);
      expect(verifyRegion(k, task, region, 1)).toBe(count << 2);
    });
  });

  describe(`${label}: registration`, () => {
    it("refuses a second migrator with -EBUSY and unregistering an inactive one with -EINVAL", () => {
      const k = new Kernel({ profile: zen3 });
      const a = create(k);
      const b = create(k);
      const all = MIGRATE_OFFLOAD_REASONS_ALLOWED;
      expect(k.offload.register(a, all)).toBe(0);
      expect(k.offload.register(b, all)).toBe(-EBUSY);
      expect(k.offload.migrator).toBe(a);
      expect(k.offload.unregister(b)).toBe(-EINVAL);
      expect(k.offload.unregister(a)).toBe(0);
      expect(k.offload.unregister(a)).toBe(-EINVAL);
      expect(k.offload.register(b, all)).toBe(0);
      expect(k.offload.migratorFor(MR_SYSCALL)).toBe(b);
    });

    it("is not called for move_pages(2) when its reason mask lacks MR_SYSCALL", () => {
      const mask = MIGRATE_OFFLOAD_REASONS_ALLOWED & ~(1 << MR_SYSCALL);
      const m = moveRegion(create, { order: 2, count: 16, reasonMask: mask });
      expect(m.rc).toBe(0);
      expect(m.watch.calls).toBe(0);
      expect(m.watch.counters).toEqual({ foliosMigrated: 0, foliosFailures: 0 });
      expect(m.cpuBytes).toBe((16 << 2) * PAGE_SIZE);
      expect(verifyRegion(m.k, m.task, m.region, 1)).toBe(16 << 2);
      // The active mask is the single source of truth: adding the reason takes effect at once.
      m.k.offload.activeReasonMask |= 1 << MR_SYSCALL;
      const back = movePages(m.k, m.task, {
        pages: Array.from(m.region.folioAddrs),
        nodes: Array(16).fill(0),
      });
      expect(back.rc).toBe(0);
      expect(m.watch.calls).toBeGreaterThan(0);
      expect(verifyRegion(m.k, m.task, m.region, 0)).toBe(16 << 2);
    });
  });
}

import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { PAGE_SIZE } from "../mm/folio.js";
import { CHUNK_PAGES, PageContents } from "./contents.js";
import {
  type CopyJob,
  type CopyRange,
  CopyWorkerPool,
  twoWorkerSetBaselineGBps,
} from "./workers.js";

const MiB = 1 << 20;
/** Source pages live in [0, SRC_PAGES); destinations above. */
const SRC_PAGES = 2 * CHUNK_PAGES;
const NR_PFNS = 4 * CHUNK_PAGES;

const pools: CopyWorkerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function setup(size = 2): { contents: PageContents; pool: CopyWorkerPool } {
  const contents = new PageContents(NR_PFNS);
  for (let pfn = 0; pfn < SRC_PAGES; pfn++) contents.fillPage(pfn, pfn + 1);
  const pool = new CopyWorkerPool(contents, size);
  pools.push(pool);
  return { contents, pool };
}

/** dst pages hold the source pages they were copied from. */
function copied(c: PageContents, r: CopyRange): boolean {
  for (let i = 0; i < r.nrPages; i++)
    if (!c.checkPage(r.dstPfn + i, r.srcPfn + i + 1)) return false;
  return true;
}

function untouched(c: PageContents, r: CopyRange): boolean {
  for (let i = 0; i < r.nrPages; i++) {
    const { buffer, offset } = c.locate(r.dstPfn + i);
    if (new Uint8Array(buffer, offset, PAGE_SIZE).some((b) => b !== 0)) return false;
  }
  return true;
}

function sameBytes(a: PageContents, b: PageContents): boolean {
  for (let pfn = 0; pfn < NR_PFNS; pfn += CHUNK_PAGES) {
    if (Buffer.compare(Buffer.from(a.locate(pfn).buffer), Buffer.from(b.locate(pfn).buffer))) {
      return false;
    }
  }
  return true;
}

const range = (dstPfn: number, srcPfn: number, nrPages: number): CopyRange => ({
  dstPfn,
  srcPfn,
  nrPages,
});

describe("CopyWorkerPool", () => {
  it("copies exactly what copyPages copies, in order, across chunk boundaries", () => {
    const { contents, pool } = setup();
    const reference = new PageContents(NR_PFNS);
    for (let pfn = 0; pfn < SRC_PAGES; pfn++) reference.fillPage(pfn, pfn + 1);
    // Worker 0 writes [SRC_PAGES, split), which spans a chunk boundary, worker 1 the rest;
    // sources span one too, and each worker's ranges may overlap one another.
    const split = SRC_PAGES + CHUNK_PAGES + 300;
    const arbRange = fc
      .record({
        w: fc.integer({ min: 0, max: 1 }),
        src: fc.nat(SRC_PAGES - 1),
        at: fc.nat(),
        n: fc.integer({ min: 0, max: 1500 }),
      })
      .map(({ w, src, at, n }) => {
        const lo = w === 0 ? SRC_PAGES : split;
        const hi = w === 0 ? split : NR_PFNS;
        const dst = lo + (at % (hi - lo));
        return { w, r: range(dst, src, Math.min(n, hi - dst, SRC_PAGES - src)) };
      });
    fc.assert(
      fc.property(fc.array(arbRange, { maxLength: 12 }), (ranges) => {
        const jobs = [0, 1].map((w) =>
          pool.submit(
            w,
            ranges.filter((x) => x.w === w).map((x) => x.r),
          ),
        );
        for (const { r } of ranges) reference.copyPages(r.dstPfn, r.srcPfn, r.nrPages);
        for (const job of jobs) expect(pool.wait(job)).toBe("done");
        expect(sameBytes(contents, reference)).toBe(true);
      }),
      { numRuns: 40 },
    );
    expect(pool.stats.bytes).toBe(reference.bytesCopied);
  });

  it("lets the main thread's queued copies land before a worker copies from their destination", () => {
    const { contents, pool } = setup();
    // Every worker has every chunk already: the submit has no new memory to hand out.
    pool.adopt([{ pfn: 0, nrPages: NR_PFNS }]);
    const staged = range(SRC_PAGES, 7, 3);
    contents.copyPages(staged.dstPfn, staged.srcPfn, staged.nrPages);
    const job = pool.submit(0, [range(SRC_PAGES + CHUNK_PAGES, staged.dstPfn, 3)]);
    expect(pool.wait(job)).toBe("done");
    for (let i = 0; i < 3; i++)
      expect(contents.checkPage(SRC_PAGES + CHUNK_PAGES + i, 8 + i)).toBe(true);
  });

  it("runs many jobs in flight on two workers, waited in any order", () => {
    const { contents, pool } = setup();
    const ranges = Array.from({ length: 300 }, (_, i) => range(SRC_PAGES + i * 5, i * 3, 2));
    const jobs = ranges.map((r, i) => pool.submit(i % 2, [r]));
    expect(jobs.map((j) => j.worker).slice(0, 4)).toEqual([0, 1, 0, 1]);
    for (const job of [...jobs].reverse()) expect(pool.wait(job)).toBe("done");
    for (const r of ranges) expect(copied(contents, r)).toBe(true);
    expect(pool.stats.bytes).toBe(600 * PAGE_SIZE);
    expect(jobs[0].bytes).toBe(2 * PAGE_SIZE);
  });

  it("wraps the job queue, and sends a job with too many ranges for it in its message", () => {
    const { contents, pool } = setup();
    // Descending destinations never merge into one piece.
    const scattered = (first: number, n: number): CopyRange[] =>
      Array.from({ length: n }, (_, i) => range(NR_PFNS - 1 - first - i, first + i, 1));
    const inFlight = [];
    for (let j = 0; j < 2000; j++) {
      inFlight.push(pool.submit(j % 2, scattered(j % 1000, 20)));
      if (inFlight.length > 64) expect(pool.wait(inFlight.shift() as CopyJob)).toBe("done");
    }
    for (const job of inFlight) expect(pool.wait(job)).toBe("done");
    const all = scattered(0, SRC_PAGES);
    const huge = pool.submit(0, new Array<CopyRange[]>(8).fill(all).flat());
    expect(pool.wait(huge)).toBe("done");
    for (const r of all) expect(copied(contents, r)).toBe(true);
    expect(pool.stats.bytes).toBe((40000 + 8 * SRC_PAGES) * PAGE_SIZE);
  });

  it("reports a crashed worker as failed after a partial copy, fails what was queued behind, and replaces it", () => {
    const { contents, pool } = setup();
    const rs = [0, 1, 2, 3].map((i) => range(SRC_PAGES + 100 * i, 10 * i, 4));
    // 64 MiB of copying (into the last chunk) first, so `behind` is queued before the crash.
    const first = pool.submit(0, new Array(16).fill(range(3 * CHUNK_PAGES, 0, CHUNK_PAGES)));
    const crashing = pool.submit(0, rs, "crash");
    const behind = pool.submit(0, [range(SRC_PAGES + 500, 7, 1)]);
    const other = pool.submit(1, [range(SRC_PAGES + 600, 8, 1)]);
    expect(pool.wait(first)).toBe("done");
    // Waiting for `behind` first: only the dying worker can tell it.
    expect(pool.wait(behind, 10_000)).toBe("failed");
    expect(pool.wait(crashing)).toBe("failed");
    expect(pool.wait(other)).toBe("done");
    expect(copied(contents, rs[0]) && copied(contents, rs[1])).toBe(true);
    expect(untouched(contents, rs[2]) && untouched(contents, rs[3])).toBe(true);
    expect(pool.stats.bytes).toBe((16 * CHUNK_PAGES + 9) * PAGE_SIZE);
    // The replacement is sent the chunks afresh.
    const after = pool.submit(0, rs);
    expect(pool.wait(after)).toBe("done");
    for (const r of rs) expect(copied(contents, r)).toBe(true);
  });

  it("times out a hung worker after the host timeout, stops it and replaces it", () => {
    const { contents, pool } = setup();
    const rs = [range(SRC_PAGES, 0, 8), range(SRC_PAGES + 10, 8, 8)];
    const hung = pool.submit(1, rs, "hang");
    const behind = pool.submit(1, [range(SRC_PAGES + 20, 20, 1)]);
    const t0 = performance.now();
    expect(pool.wait(hung, 200)).toBe("timeout");
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(199);
    expect(waited).toBeLessThan(5000);
    expect(pool.wait(behind, 200)).toBe("failed");
    expect(copied(contents, rs[0]) && untouched(contents, rs[1])).toBe(true);
    const after = pool.submit(1, rs);
    expect(pool.wait(after, 10_000)).toBe("done");
    expect(copied(contents, rs[1])).toBe(true);
    expect(pool.wait(hung)).toBe("timeout");
  });

  it("counts busy time as the union of job intervals, within the wall time", () => {
    const { pool } = setup();
    pool.wait(pool.submit(0, []));
    pool.wait(pool.submit(1, []));
    const before = pool.stats.busyNs;
    const t0 = performance.now();
    const big = range(SRC_PAGES, 0, SRC_PAGES);
    const a = pool.submit(0, [big]);
    const b = pool.submit(1, [big]);
    pool.wait(a);
    pool.wait(b);
    const wallNs = (performance.now() - t0) * 1e6;
    const busy = pool.stats.busyNs - before;
    expect(busy).toBeGreaterThan(0);
    expect(busy).toBeLessThanOrEqual(wallNs);
    expect(pool.stats.bytes).toBe(2 * SRC_PAGES * PAGE_SIZE);
  });

  it("has an idle worker copy a job queued behind a hung one, replacements included, each range once", () => {
    const { contents, pool } = setup();
    // 8 MiB in blocks of 16 pages, sources in reverse so that no two pieces merge.
    const reversed = Array.from({ length: SRC_PAGES / 16 }, (_, i) =>
      range(SRC_PAGES + 16 * i, SRC_PAGES - 16 * (i + 1), 16),
    );
    const hung0 = pool.submit(0, [], "hang");
    const shared0 = pool.submit(0, reversed);
    // Only worker 1 can copy it: worker 0 never gets to it.
    expect(pool.wait(shared0, 10_000)).toBe("done");
    for (const r of reversed) expect(copied(contents, r)).toBe(true);
    expect(pool.stats.bytes).toBe(SRC_PAGES * PAGE_SIZE);
    expect(pool.wait(hung0, 100)).toBe("timeout");
    // Worker 0's replacement, sent the chunks when it started, helps worker 1 in turn.
    expect(pool.wait(pool.submit(0, []))).toBe("done");
    const forward = range(SRC_PAGES, 0, SRC_PAGES);
    const hung1 = pool.submit(1, [], "hang");
    const shared1 = pool.submit(1, [forward]);
    expect(pool.wait(shared1, 10_000)).toBe("done");
    expect(copied(contents, forward)).toBe(true);
    expect(pool.stats.bytes).toBe(2 * SRC_PAGES * PAGE_SIZE);
    expect(pool.wait(hung1, 100)).toBe("timeout");
  });

  it("copies shared jobs on both workers at once, each range once", () => {
    const { contents, pool } = setup();
    const blocks = (first: number, n: number): CopyRange[] =>
      Array.from({ length: n }, (_, i) =>
        range(SRC_PAGES + 16 * (first + i), 16 * (n - 1 - i), 16),
      );
    const half = SRC_PAGES / 32;
    for (let round = 0; round < 20; round++) {
      const a = pool.submit(0, blocks(0, half));
      const b = pool.submit(1, blocks(half, half));
      expect(pool.wait(b)).toBe("done");
      expect(pool.wait(a)).toBe("done");
    }
    for (const r of [...blocks(0, half), ...blocks(half, half)])
      expect(copied(contents, r)).toBe(true);
    expect(pool.stats.bytes).toBe(20 * SRC_PAGES * PAGE_SIZE);
  });

  it("never shares a job with a fault: a crash leaves the second half uncopied", () => {
    const { contents, pool } = setup();
    expect(pool.wait(pool.submit(1, []))).toBe("done");
    const rs = Array.from({ length: SRC_PAGES / 16 }, (_, i) =>
      range(SRC_PAGES + 16 * i, SRC_PAGES - 16 * (i + 1), 16),
    );
    expect(pool.wait(pool.submit(0, rs, "crash"))).toBe("failed");
    const n = rs.length / 2;
    for (const r of rs.slice(0, n)) expect(copied(contents, r)).toBe(true);
    for (const r of rs.slice(n)) expect(untouched(contents, r)).toBe(true);
    expect(pool.stats.bytes).toBe((SRC_PAGES / 2) * PAGE_SIZE);
  });

  it("adopts memory ahead of jobs: allocates its chunks, passes over a worker with a hung job, and jobs on it copy", () => {
    const { contents, pool } = setup();
    expect(contents.chunksAllocated()).toBe(2);
    const hung = pool.submit(1, [], "hang");
    const t0 = performance.now();
    pool.adopt([
      { pfn: SRC_PAGES + 5, nrPages: CHUNK_PAGES },
      { pfn: 0, nrPages: 0 },
    ]);
    // Far below the boot timeout it would wait for a worker that never takes the chunks in.
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(contents.chunksAllocated()).toBe(4);
    const r = range(SRC_PAGES + 5, 3, CHUNK_PAGES);
    expect(pool.wait(pool.submit(0, [r]))).toBe("done");
    expect(copied(contents, r)).toBe(true);
    expect(pool.wait(hung, 100)).toBe("timeout");
    expect(() => pool.adopt([{ pfn: NR_PFNS - 1, nrPages: 2 }])).toThrow(/adopt 2 pages/);
  });

  it("fails jobs still running at close and refuses new ones", async () => {
    const { pool } = setup(1);
    const hung = pool.submit(0, [range(SRC_PAGES, 0, 2)], "hang");
    await pool.close();
    expect(pool.wait(hung, 100)).toBe("failed");
    expect(() => pool.submit(0, [])).toThrow(/after close/);
  });

  it("rejects bad workers, ranges, faults and foreign jobs", () => {
    const { pool } = setup(1);
    const other = setup(1).pool;
    expect(() => new CopyWorkerPool(new PageContents(8), 0)).toThrow(/size 0/);
    expect(() => pool.submit(1, [])).toThrow(/no worker 1/);
    expect(() => pool.submit(0, [range(NR_PFNS - 1, 0, 2)])).toThrow(/copy to 2 pages/);
    expect(() => pool.submit(0, [range(0, -1, 1)])).toThrow(/copy from/);
    expect(() => pool.submit(0, [range(0, 0.5, 1)])).toThrow(/copy from/);
    expect(() => pool.submit(0, [], "oops" as "hang")).toThrow(/unknown fault/);
    const job = other.submit(0, []);
    expect(() => pool.wait(job)).toThrow(/another pool/);
    expect(() => other.wait(job, Number.NaN)).toThrow(/host timeout/);
    expect(other.wait(job)).toBe("done");
    expect(other.wait(job)).toBe("done");
  });
});

describe("twoWorkerSetBaselineGBps", () => {
  it("times two workers copying with TypedArray.set", () => {
    const gbps = twoWorkerSetBaselineGBps(64 * MiB, 2 * MiB);
    expect(gbps).toBeGreaterThan(0);
    expect(Number.isFinite(gbps)).toBe(true);
    expect(() => twoWorkerSetBaselineGBps(0, 1)).toThrow(/bad sizes/);
  });
});

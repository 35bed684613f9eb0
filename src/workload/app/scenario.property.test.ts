import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RunFailure } from "../../errors.js";
import { loadProfile, profilesDir } from "../../machine/profile.js";
import { Kernel } from "../../migrate/kernel.js";
import { MPOL_BIND } from "../../mm/mempolicy.js";
import { Rng } from "../../sim/rng.js";
import { migratedPages } from "../../test-support/scenario-result.js";
import { App } from "./app.js";
import { runScenario } from "./run-scenario.js";
import { checkScenarioOnProfile, validateScenario } from "./scenario.js";

const profile = loadProfile("zen3-2s-ptdma");

const folioSize = fc.constantFrom("4K", "64K", "2M");
const policy = fc.constantFrom(
  { mode: "default" },
  { mode: "bind", nodes: [0] },
  { mode: "bind", nodes: [1] },
  { mode: "preferred", nodes: [1] },
  { mode: "interleave", nodes: [0, 1] },
  { mode: "weighted_interleave", nodes: [0, 1], weights: [3, 1] },
);
const pattern = fc.constantFrom(
  "uniform",
  "sequential",
  { kind: "zipf", skew: 1.1 },
  { kind: "hotset", fraction: 0.25, probability: 0.9, period: "1ms" },
);
const mover = fc.oneof(
  fc.record({
    kind: fc.constant("move_pages"),
    cpu: fc.integer({ min: 0, max: 127 }),
    nodes: fc.constantFrom([1, 0], [0], [1]),
    calls: fc.integer({ min: 1, max: 4 }),
    start: fc.constantFrom("0ns", "1ms"),
  }),
  fc.record({
    kind: fc.constant("capped"),
    cpu: fc.integer({ min: 0, max: 127 }),
    node: fc.constantFrom(0, 1),
    bandwidth: fc.constantFrom("200M/s", "2G/s"),
    tick: fc.constantFrom("200us", "1ms"),
  }),
  fc.record({
    kind: fc.constant("mbind"),
    cpu: fc.integer({ min: 0, max: 127 }),
    policy: fc.constantFrom(
      { mode: "interleave", nodes: [0, 1] },
      { mode: "interleave", nodes: [1] },
      { mode: "weighted_interleave", nodes: [0] },
      { mode: "bind", nodes: [0] },
      { mode: "default" },
    ),
    flags: fc.constantFrom(["move"], ["move_all"], ["move", "strict"], []),
    start: fc.constantFrom("0ns", "1ms"),
    // A part of the region (its first page and length, reduced modulo its pages), or all of it.
    part: fc.option(fc.tuple(fc.nat(), fc.nat())),
  }),
);

/** A mover of the scenario below: an mbind's part of the region as its offset and size. */
function placeMover(m: Record<string, unknown>, regionKiB: number) {
  const { part, ...rest } = m;
  if (!Array.isArray(part)) return rest;
  const pages = regionKiB / 4;
  const first = part[0] % pages;
  const count = 1 + (part[1] % (pages - first));
  return { ...rest, offset: `${first * 4}K`, size: `${count * 4}K` };
}
const engine = fc.oneof(
  fc.constant({ migrator: "serial" }),
  fc.constant({ migrator: "batch-cpu" }),
  fc.integer({ min: 1, max: 4 }).map((threads) => ({ migrator: "mtcopy", threads })),
  fc.integer({ min: 1, max: 4 }).map((channels) => ({ migrator: "dcbm", channels })),
);

const regionKiB = (r: { folios: number; size: "4K" | "64K" | "2M" }) =>
  r.folios * { "4K": 4, "64K": 64, "2M": 2048 }[r.size];

const scenario = fc
  .record({
    size: folioSize,
    folios: fc.integer({ min: 1, max: 8 }),
    policy,
    threads: fc.array(
      fc.record({
        cpu: fc.integer({ min: 0, max: 127 }),
        pattern,
        mlp: fc.integer({ min: 1, max: 8 }),
        writes: fc.constantFrom(0, 0.5, 1),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    movers: fc.array(mover, { minLength: 1, maxLength: 2 }),
    engine,
    batchPages: fc.constantFrom(8, 512, 262144),
    seed: fc.integer({ min: 1, max: 1000 }),
    numaBalancing: fc.boolean(),
    // Faults in the copy engines, the allocator and the page tables (fault/inject.ts), now and then.
    inject: fc.constantFrom(undefined, undefined, "all"),
    // NUMA balancing scans default-policy memory only: give it that more often.
    nbDefault: fc.boolean(),
    // The process's own policy, for regions without one (set_mempolicy(2) before it runs).
    mempolicy: fc.option(policy, { nil: undefined }),
  })
  .map((r) => ({
    seed: r.seed,
    duration: "4ms",
    quantum: "100us",
    verify: true,
    processes: [
      {
        name: "app",
        ...(r.mempolicy === undefined ? {} : { mempolicy: r.mempolicy }),
        regions: [
          {
            name: "heap",
            size: `${regionKiB(r)}K`,
            folioSize: r.size,
            policy: r.numaBalancing && r.nbDefault ? { mode: "default" } : r.policy,
          },
        ],
        threads: r.threads.map((t) => ({ ...t, region: "heap", compute: "10ns" })),
      },
    ],
    movers: r.movers.map((m) => ({
      ...placeMover(m, regionKiB(r)),
      process: "app",
      region: "heap",
    })),
    engine: { ...r.engine, batchPages: r.batchPages },
    ...(r.inject === undefined ? {} : { inject: r.inject }),
    // NUMA balancing scanning 1 MB every tick from the start, so a 4 ms run takes hint faults.
    sysctl: r.numaBalancing
      ? {
          kernel: {
            numa_balancing: 1,
            numa_balancing_scan_delay_ms: 0,
            numa_balancing_scan_period_min_ms: 1,
            numa_balancing_scan_size_mb: 1,
          },
        }
      : {},
  }));

/** Node 0 of small-2node churned whole, a process on node 1 moved about, one faulting THPs late on node 0. */
const compactionScenario = fc
  .record({
    keep: fc.constantFrom(0.1, 0.3),
    orders: fc.constantFrom([0, 1, 2, 3], [2, 3]),
    unmovable: fc.constantFrom(0, 0.002),
    lateMiB: fc.constantFrom(8, 32),
    folioSize: fc.constantFrom("4K", "2M"),
    defrag: fc.constantFrom("madvise", "always", "defer", "never"),
    proactiveness: fc.constantFrom(0, 20, 100),
    start: fc.constantFrom("1ms", "3ms"),
    // small-2node has no DMA engine.
    engine: fc.oneof(
      fc.constant({ migrator: "serial" }),
      fc.integer({ min: 1, max: 4 }).map((threads) => ({ migrator: "mtcopy", threads })),
    ),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
  .map((r) => ({
    profile: "small-2node",
    seed: r.seed,
    duration: "5ms",
    quantum: "100us",
    verify: true,
    churn: [{ node: 0, size: "1G", keep: r.keep, orders: r.orders, unmovable: r.unmovable }],
    sysctl: {
      vm: { compaction_proactiveness: r.proactiveness },
      mm: { transparent_hugepage: { defrag: r.defrag } },
    },
    processes: [
      {
        name: "early",
        regions: [
          { name: "buf", size: "4M", folioSize: r.folioSize, policy: { mode: "bind", nodes: [1] } },
        ],
        threads: [{ cpu: 5, region: "buf", compute: "10ns", writes: 0.5 }],
      },
      {
        name: "late",
        start: r.start,
        regions: [
          {
            name: "heap",
            size: `${r.lateMiB}M`,
            folioSize: "2M",
            policy: { mode: "bind", nodes: [0] },
          },
        ],
        threads: [{ cpu: 1, count: 2, region: "heap", compute: "10ns", writes: 0.5 }],
      },
    ],
    movers: [
      { kind: "move_pages", cpu: 6, process: "early", region: "buf", nodes: [0, 1], calls: 2 },
    ],
    engine: r.engine,
  }));

const KIB_PER_STEP: Record<string, number> = { "4K": 1024, "64K": 2048, "2M": 4096 };

/** small-cxl shrunk to a 16 MiB DRAM node and a 32 MiB CXL node: tiering in little host memory. */
const tinyCxl = (() => {
  const text = readFileSync(join(profilesDir(), "small-cxl.yaml"), "utf8")
    .replace("name: small-cxl", "name: tiny-cxl")
    .replace("memory: 256M, kind: dram", "memory: 16M, kind: dram")
    .replace("memory: 512M, kind: cxl", "memory: 32M, kind: cxl");
  const path = join(mkdtempSync(join(tmpdir(), "pagemig-tiny-cxl-")), "tiny-cxl.yaml");
  writeFileSync(path, text);
  return loadProfile(path);
})();

const tieringScenario = fc
  .record({
    regions: fc.array(fc.record({ size: folioSize, folios: fc.integer({ min: 1, max: 4 }) }), {
      minLength: 1,
      maxLength: 2,
    }),
    threads: fc.array(
      fc.record({
        cpu: fc.integer({ min: 0, max: 7 }),
        pattern: fc.constantFrom(
          "uniform",
          { kind: "zipf", skew: 1.1 },
          { kind: "hotset", fraction: 0.25, probability: 1, period: "1ms" },
        ),
        writes: fc.constantFrom(0, 0.5),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    // small-cxl has no DMA engines: the CPU copiers.
    engine: fc.oneof(
      fc.constant({ migrator: "serial" }),
      fc.constant({ migrator: "batch-cpu" }),
      fc.integer({ min: 1, max: 4 }).map((threads) => ({ migrator: "mtcopy", threads })),
    ),
    mode: fc.constantFrom(2, 3),
    wsf: fc.constantFrom(10, 1000, 3000),
    rateLimit: fc.constantFrom(1, 65536),
    // Per-fault promotion, or kpromoted's batches every 1 ms.
    kpromoted: fc.constantFrom(0, 1),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
  .map((r) => {
    // Regions of 1-4 MiB (4K folios) to 4-16 MiB (THPs), one or two: up to twice the DRAM node,
    // and never more than both nodes hold.
    const kib = (x: { size: string; folios: number }) => x.folios * (KIB_PER_STEP[x.size] ?? 0);
    const regions = r.regions.map((x, i) => ({
      name: `r${i}`,
      size: `${kib(x)}K`,
      folioSize: x.size,
    }));
    return {
      seed: r.seed,
      duration: "6ms",
      quantum: "100us",
      verify: true,
      processes: [
        {
          name: "app",
          regions,
          threads: r.threads.map((t, i) => ({
            ...t,
            region: regions[i % regions.length].name,
            compute: "10ns",
          })),
        },
      ],
      // No movers: move_pages(2) to a full node fails with -ENOMEM, which a mover reports.
      engine: r.engine,
      // Scanning 1 MB a tick from the start, hot within 1 ms: promotions in a 6 ms run.
      sysctl: {
        kernel: {
          numa_balancing: r.mode,
          numa_balancing_scan_delay_ms: 0,
          numa_balancing_scan_period_min_ms: 1,
          numa_balancing_scan_period_max_ms: 2,
          numa_balancing_scan_size_mb: 1,
          numa_balancing_hot_threshold_ms: 1,
          numa_balancing_promote_rate_limit_MBps: r.rateLimit,
          kpromoted_period_ms: r.kpromoted,
        },
        vm: { watermark_scale_factor: r.wsf },
        mm: { numa: { demotion_enabled: true } },
      },
    };
  });

/** Base pages in a folio of the scenario's region (folioSize's values). */
function folioPages(doc: { processes: { regions: { folioSize: string }[] }[] }): number {
  const pages: Record<string, number> = { "4K": 1, "64K": 16, "2M": 512 };
  return pages[doc.processes[0].regions[0].folioSize];
}

describe("scenarios in bytes mode (property)", () => {
  it("leave every page with its own bytes where its page table says, no frame leaked, nothing isolated; every read a thread makes finds whole pages; NUMA balancing's counters agree with what it moved; with faults injected too", () => {
    fc.assert(
      fc.property(scenario, (doc) => {
        const s = validateScenario(doc, "property");
        checkScenarioOnProfile(s, profile, "property");
        // runScenario verifies the pages and the frames and throws RunFailure on any problem.
        const r = runScenario(s, profile);
        const pages = Number.parseInt(doc.processes[0].regions[0].size, 10) / 4;
        expect(r.pagesVerified).toBe(pages);
        const v = r.vmstat;
        // Only a hint fault's MIGRATE_ASYNC migration may fail, or an injected fault.
        if (!doc.sysctl.kernel && doc.inject === undefined) expect(v.pgmigrate_fail).toBe(0);
        const bytes = Object.values(r.series.processes[0].bytesByNode);
        expect(bytes.reduce((a, b) => a + (b.at(-1) ?? 0), 0)).toBe(pages * 4096);
        // The series ends with the run, the counters after it: a hint fault a thread was in at
        // the end finishes after it (one folio per thread), and none is taken later.
        const lateNuma = (v.numa_pages_migrated ?? 0) - migratedPages(r, "MR_NUMA_MISPLACED");
        expect(lateNuma).toBeGreaterThanOrEqual(-1e-6);
        expect(lateNuma).toBeLessThanOrEqual(r.threads.length * folioPages(doc) + 1e-6);
        expect(v.numa_hint_faults_local ?? 0).toBeLessThanOrEqual(v.numa_hint_faults ?? 0);
        expect(v.numa_hint_faults ?? 0).toBeLessThanOrEqual(v.numa_pte_updates ?? 0);
        expect(v.numa_pages_migrated ?? 0).toBeLessThanOrEqual(v.pgmigrate_success);
      }),
      { numRuns: 40 },
    );
  });

  it("with compaction (a churned node, a process faulting THPs in late, a mover, kcompactd): nothing lost, nothing misplaced, no frame leaked", () => {
    const small = loadProfile("small-2node");
    fc.assert(
      fc.property(compactionScenario, (doc) => {
        const s = validateScenario(doc, "property");
        checkScenarioOnProfile(s, small, "property");
        // runScenario checks every page of the processes and of the churn, and the frames.
        const r = runScenario(s, small);
        const c = r.compaction;
        if (c === undefined) throw new Error("no compaction result");
        expect(r.vmstat.compact_isolated ?? 0).toBe(c.migrateIsolated + c.freeIsolated);
        expect(c.migratedBytes / 4096).toBeLessThanOrEqual(c.migrateIsolated);
        // The late process is bound to node 0: compaction moved its pages only within it.
        const late = r.series.processes[1].bytesByNode;
        expect(late["1"].every((b) => b === 0)).toBe(true);
        // At most all of it: its fault-in (direct compaction) may outlast the run.
        const lateBytes = Number.parseInt(doc.processes[1].regions[0].size, 10) << 20;
        expect(late["0"].at(-1)).toBeLessThanOrEqual(lateBytes);
      }),
      { numRuns: 6 },
    );
  });

  it("with memory tiering (promotion per fault or by kpromoted, demotion, tiny DRAM and CXL nodes) lose nothing and misplace nothing, and pgdemote_* and pgpromote_success agree with what moved", () => {
    fc.assert(
      fc.property(tieringScenario, (doc) => {
        const s = validateScenario(doc, "tiering property");
        checkScenarioOnProfile(s, tinyCxl, "tiering property");
        const r = runScenario(s, tinyCxl);
        const pages = doc.processes[0].regions.reduce(
          (a, x) => a + Number.parseInt(x.size, 10) / 4,
          0,
        );
        expect(r.pagesVerified).toBe(pages);
        const bytes = Object.values(r.series.processes[0].bytesByNode);
        expect(bytes.reduce((a, b) => a + (b.at(-1) ?? 0), 0)).toBe(pages * 4096);
        const v = r.vmstat;
        // What migrate_pages() moved by reason over the whole run (a fault's migration may end
        // after the last interval of the series).
        const moved = (reason: string) =>
          (r.callers.find((c) => c.reason === reason)?.bytesMoved ?? 0) / 4096;
        expect(moved("MR_DEMOTION")).toBe((v.pgdemote_kswapd ?? 0) + (v.pgdemote_direct ?? 0));
        expect(moved("MR_NUMA_MISPLACED")).toBe(v.numa_pages_migrated ?? 0);
        expect(v.pgpromote_success ?? 0).toBeLessThanOrEqual(v.numa_pages_migrated ?? 0);
        expect(v.pgpromote_success ?? 0).toBeLessThanOrEqual(
          (v.pgpromote_candidate ?? 0) + (v.pgpromote_candidate_nrl ?? 0),
        );
      }),
      { numRuns: 25 },
    );
  });

  it("a thread's hint faults still queued when the run ends are not taken (seed 1562054113: a split THP's 502 faults, 6.5 ms of them in a 4 ms run, 322 of 457 migrations after the series' end)", () => {
    const doc = {
      seed: 778,
      duration: "4ms",
      quantum: "100us",
      verify: true,
      processes: [
        {
          name: "app",
          regions: [{ name: "heap", size: "2048K", folioSize: "2M", policy: { mode: "default" } }],
          threads: [
            { cpu: 0, pattern: "uniform", mlp: 1, writes: 0, region: "heap", compute: "10ns" },
          ],
        },
      ],
      movers: [
        {
          kind: "move_pages",
          cpu: 0,
          nodes: [1, 0],
          calls: 4,
          start: "0ns",
          process: "app",
          region: "heap",
        },
      ],
      engine: { migrator: "mtcopy", threads: 1, batchPages: 8 },
      inject: "all",
      sysctl: {
        kernel: {
          numa_balancing: 1,
          numa_balancing_scan_delay_ms: 0,
          numa_balancing_scan_period_min_ms: 1,
          numa_balancing_scan_size_mb: 1,
        },
      },
    };
    const s = validateScenario(doc, "regression");
    checkScenarioOnProfile(s, profile, "regression");
    const r = runScenario(s, profile);
    expect(r.vmstat.thp_migration_split).toBe(1);
    const inSeries = migratedPages(r, "MR_NUMA_MISPLACED");
    expect(inSeries).toBeGreaterThan(100);
    // Only the 4K fault the thread was in at the end finishes after it.
    expect((r.vmstat.numa_pages_migrated ?? 0) - inSeries).toBeLessThanOrEqual(1 + 1e-6);
    expect(r.threads[0].hintFaultNs).toBeLessThan(r.threads[0].runNs);
  });

  it("would catch a thread reading a page whose bytes are not its own (a half-copied folio)", () => {
    const k = new Kernel({ profile, contents: true });
    const app = new App(
      k,
      {
        regions: [
          { bytes: 64 << 10, folioSizeBytes: 4096, policy: { mode: MPOL_BIND, nodes: [0] } },
        ],
        threads: [{ cpu: 1, region: 0, pattern: { kind: "uniform" }, computeNs: 10, mlp: 1 }],
      },
      new Rng(5),
    );
    // Scribble over one page's frame, as a destination mapped before its copy finished would be.
    const mm = app.task.mm;
    const e = mm?.entryAt(app.regions[0].start + 3 * 4096);
    if (e === undefined || e.kind !== "present") throw new Error("page 3 not mapped");
    k.phys.contents?.fillPage(e.pfn, 12345);
    app.start(1e6);
    expect(() => k.sim.run()).toThrow(
      /a thread on CPU 1 read page 0x[0-9a-f]+ \(pfn \d+\) and found other bytes/,
    );
    expect(() => app.verify()).toThrow(RunFailure);
    expect(() => app.verify()).toThrow(/lost its contents/);
  });
});

import { describe, expect, it } from "vitest";
import { loadProfile } from "../../machine/profile.js";
import { Kernel } from "../../migrate/kernel.js";
import { folioMkclean, ptepGet, ptepTestAndClearYoung } from "../../mm/access.js";
import { PAGE_SIZE } from "../../mm/folio.js";
import { MPOL_BIND } from "../../mm/mempolicy.js";
import { changeProtNuma, type NumaHintFault, numaHintFaultRestore } from "../../mm/numa-hint.js";
import { pteDirty } from "../../mm/pgtable.js";
import type { Vma } from "../../mm/vm.js";
import { Rng } from "../../sim/rng.js";
import { App, type AppThreadSpec } from "./app.js";
import { movePagesLoop, newMoverStats } from "./movers.js";
import type { PatternSpec } from "./patterns.js";
import { groupThreads, ThreadGroup } from "./thread-group.js";

const profile = loadProfile("zen3-2s-ptdma");
const US = 1e3;
const MS = 1e6;

function boot(
  regions: { mib: number; nid: number }[],
  threads: { region: number; pattern: PatternSpec; writes?: number }[],
) {
  const k = new Kernel({ profile });
  const specs: AppThreadSpec[] = threads.map((t, i) => ({
    cpu: i,
    region: t.region,
    pattern: t.pattern,
    computeNs: 50,
    mlp: 1,
    writes: t.writes,
  }));
  const app = new App(
    k,
    {
      regions: regions.map((r) => ({
        bytes: r.mib << 20,
        folioSizeBytes: PAGE_SIZE,
        policy: { mode: MPOL_BIND, nodes: [r.nid] },
      })),
      threads: specs,
    },
    new Rng(5),
  );
  return { k, app };
}

/** Every `periodNs` until `endNs`, call `fn` (a scanner on the machine's clock). */
function every(k: Kernel, periodNs: number, endNs: number, fn: () => void): void {
  k.sim.spawn(
    (function* () {
      for (let t = periodNs; t <= endNs; t += periodNs) {
        yield t - k.sim.now;
        fn();
      }
    })(),
    "scanner",
  );
}

describe("accessed bits from a thread's accesses", () => {
  it("a zipf thread's pages, scanned every 200 us, are young as often as 1 - e^-(its accesses x the page's share)", () => {
    const { k, app } = boot(
      [{ mib: 4, nid: 0 }],
      [{ region: 0, pattern: { kind: "zipf", skew: 1 } }],
    );
    const region = app.regions[0];
    const thread = app.threads[0];
    const pages = region.pages;
    const young = new Float64Array(pages);
    const vma = app.task.mm?.findVma(region.start) as Vma;
    const W = 200 * US;
    const end = 40 * MS;
    const scan = () => {
      for (let i = 0; i < pages; i++) {
        if (ptepTestAndClearYoung(vma, region.start + i * PAGE_SIZE)) young[i]++;
      }
    };
    scan(); // every page young from its fault: start from old bits
    young.fill(0);
    every(k, W, end, scan);
    app.start(end);
    k.sim.run();
    const scans = end / W;
    const perWindow = (thread.ops / end) * W;
    // Pages by rank (hottest first), in buckets; each bucket's mean frequency against the model's.
    const byRank = Array.from({ length: pages }, (_, i) => i).sort(
      (a, b) => thread.pattern.share(b, 1, 0) - thread.pattern.share(a, 1, 0),
    );
    const rows: string[] = [];
    for (const [lo, hi] of [
      [0, 1],
      [1, 8],
      [8, 64],
      [64, 256],
      [256, pages],
    ]) {
      let seen = 0;
      let want = 0;
      let variance = 0;
      for (let r = lo; r < hi; r++) {
        const p = -Math.expm1(-perWindow * thread.pattern.share(byRank[r], 1, 0));
        seen += young[byRank[r]] / scans;
        want += p;
        variance += (p * (1 - p)) / scans;
      }
      const n = hi - lo;
      rows.push(
        `ranks ${lo + 1}-${hi}: young ${(seen / n).toFixed(4)}, model ${(want / n).toFixed(4)}`,
      );
      expect(Math.abs(seen - want)).toBeLessThan(5 * Math.sqrt(variance) + 0.01 * n);
    }
    console.info(
      `zipf(1) over ${pages} pages, ${perWindow.toFixed(0)} accesses per 200 us window:\n  ${rows.join("\n  ")}`,
    );
  });
});

describe("a thread's expected accesses", () => {
  it("add up to its operations over any interval, for every pattern (a hot set's share moving period by period)", () => {
    const patterns: PatternSpec[] = [
      { kind: "uniform" },
      { kind: "zipf", skew: 1.2 },
      { kind: "hotset", fraction: 0.1, probability: 0.9, periodNs: 0.33 * MS },
    ];
    for (const pattern of patterns) {
      const { k, app } = boot([{ mib: 1, nid: 0 }], [{ region: 0, pattern }]);
      const end = 3 * MS;
      app.start(end);
      k.sim.run();
      const t = app.threads[0];
      const g = new ThreadGroup([t], app.quantumNs);
      const sum = (from: number, to: number) => {
        let m = 0;
        for (let i = 0; i < app.regions[0].pages; i++) m += g.expectedAccesses(i, 1, from, to);
        return m;
      };
      expect(sum(0, end) / t.ops).toBeCloseTo(1, 9);
      const mid = 1.2345 * MS;
      expect((sum(0, mid) + sum(mid, end)) / t.ops).toBeCloseTo(1, 9);
      // The quanta's operations spread evenly: the first half of the run has about half of them.
      expect(sum(0, end / 2) / t.ops).toBeCloseTo(0.5, 1);
      if (pattern.kind === "hotset") {
        // Page 0 is in the hot window for the first period only.
        const n = app.regions[0].pages;
        const P = pattern.periodNs;
        const hot = pattern.probability / Math.round(pattern.fraction * n) + 0.1 / n;
        const want = sum(0, P) * hot + sum(P, 2 * P) * (0.1 / n);
        expect(g.expectedAccesses(0, 1, 0, 2 * P) / want).toBeCloseTo(1, 9);
      }
    }
  });
});

describe("a group of threads' expected accesses", () => {
  it("are the sum of its threads' own, mid-run too (the running quantum at the last one's rate), and group by pattern and write share", () => {
    const hot: PatternSpec = {
      kind: "hotset",
      fraction: 0.2,
      probability: 0.8,
      periodNs: 0.7 * MS,
    };
    // Threads on both sockets, so that their rates differ.
    const { k, app } = boot(
      [{ mib: 4, nid: 0 }],
      [
        { region: 0, pattern: hot },
        { region: 0, pattern: { ...hot } },
        { region: 0, pattern: { kind: "uniform" } },
        { region: 0, pattern: hot, writes: 0.5 },
        ...Array.from({ length: 12 }, () => ({ region: 0, pattern: hot })),
      ],
    );
    const groups = groupThreads(app.threads, app.quantumNs);
    expect(groups.map((g) => g.threads.length)).toEqual([14, 1, 1]);
    const own = groups[0].threads.map((t) => new ThreadGroup([t], app.quantumNs));
    const pages = app.regions[0].pages;
    const check = (from: number, to: number) => {
      for (const [first, count] of [
        [0, 1],
        [3, 512],
        [pages - 100, 100],
      ]) {
        const want = own.reduce((a, g) => a + g.expectedAccesses(first, count, from, to), 0);
        expect(groups[0].expectedAccesses(first, count, from, to) / want).toBeCloseTo(1, 12);
      }
    };
    app.start(4 * MS);
    // Before the first quantum ends (at the threads' opNs), then mid-quantum past a period's edge.
    check(0, 0.3 * MS);
    k.sim.run(2.345 * MS);
    check(0.1 * MS, 2.345 * MS);
    check(0.5 * MS, 3.9 * MS);
    k.sim.run();
    check(0, 4 * MS);
    check(1.234 * MS, 3.21 * MS);
  });
});

describe("dirty bits from a thread's writes", () => {
  it("after folio_mkclean, only the written region's pages become dirty, as often as its write share says", () => {
    const { k, app } = boot(
      [
        { mib: 64, nid: 0 },
        { mib: 64, nid: 0 },
      ],
      [
        { region: 0, pattern: { kind: "uniform" }, writes: 0.3 },
        { region: 1, pattern: { kind: "uniform" } },
      ],
    );
    const mm = app.task.mm as NonNullable<typeof app.task.mm>;
    // Faulted in by writes, as anonymous memory is; clean every page first.
    mm.forEachFolio((_vma, _addr, folio) => folioMkclean(folio));
    const end = 5 * MS;
    app.start(end);
    k.sim.run();
    const dirtyShare = (r: number) => {
      const region = app.regions[r];
      let dirty = 0;
      for (let i = 0; i < region.pages; i++) {
        if (pteDirty(ptepGet(mm, region.start + i * PAGE_SIZE))) dirty++;
      }
      return dirty / region.pages;
    };
    const written = app.threads[0];
    const want = -Math.expm1((-0.3 * written.ops) / app.regions[0].pages);
    const got = dirtyShare(0);
    console.info(
      `writes 0.3: ${got.toFixed(4)} of the pages dirty (model ${want.toFixed(4)}); reads only: ${dirtyShare(1)}`,
    );
    expect(dirtyShare(1)).toBe(0);
    expect(got).toBeCloseTo(want, 2);
  });
});

describe("writes in bytes mode", () => {
  it("rewrite the page's own bytes in the frame its page table maps, while a mover moves the region", () => {
    const k = new Kernel({ profile, contents: true });
    const app = new App(
      k,
      {
        regions: [
          { bytes: 256 << 10, folioSizeBytes: 16 << 10, policy: { mode: MPOL_BIND, nodes: [0] } },
        ],
        threads: [1, 2].map((cpu) => ({
          cpu,
          region: 0,
          pattern: { kind: "uniform" } as const,
          computeNs: 10,
          mlp: 1,
          writes: 0.5,
        })),
        quantumNs: 20_000,
      },
      new Rng(2),
    );
    const stats = newMoverStats();
    app.start(4 * MS);
    k.sim.spawn(
      movePagesLoop(k, k.spawnProcess(3), app, app.regions[0], [1, 0], 4 * MS, stats),
      "mover",
    );
    k.sim.run();
    expect(stats.foliosMoved).toBeGreaterThan(0);
    const written = app.threads.reduce((a, t) => a + t.pagesWritten, 0);
    const read = app.threads.reduce((a, t) => a + t.pagesRead, 0);
    expect(written / read).toBeCloseTo(0.5, 1);
    expect(app.verify()).toBe(64);
  });
});

describe("NUMA hint faults", () => {
  const scanned = (opts: { nid: number; handler?: (k: Kernel) => Kernel["numaHintFault"] }) => {
    const { k, app } = boot(
      [{ mib: 8, nid: opts.nid }],
      [{ region: 0, pattern: { kind: "zipf", skew: 0.8 } }],
    );
    if (opts.handler) k.numaHintFault = opts.handler(k);
    const region = app.regions[0];
    const vma = app.task.mm?.findVma(region.start) as Vma;
    const end = 20 * MS;
    let updated = 0;
    // change_prot_numa() over the region every 5 ms, as task_numa_work() would.
    every(k, 5 * MS, end - 1, () => {
      updated += changeProtNuma(vma, region.start, region.end, app.task, k.ctx);
    });
    app.start(end);
    k.sim.run();
    return { k, app, updated, thread: app.threads[0] };
  };

  it("counts a fault per first access to a PROT_NONE folio, charges its cost to the thread, and calls the handler", () => {
    const base = (() => {
      const { k, app } = boot(
        [{ mib: 8, nid: 0 }],
        [{ region: 0, pattern: { kind: "zipf", skew: 0.8 } }],
      );
      app.start(20 * MS);
      k.sim.run();
      return app.threads[0];
    })();
    const local = scanned({ nid: 0 });
    const ev = local.k.ctx.vmstat.events;
    const t = local.thread;
    expect(ev.numa_pte_updates).toBe(local.updated);
    expect(t.hintFaults).toBeGreaterThan(100);
    expect(ev.numa_hint_faults).toBe(t.hintFaults);
    expect(ev.numa_hint_faults_local).toBe(t.hintFaults);
    // The default handler takes no time: each fault costs the profile's hintFaultNs.
    expect(t.hintFaultNs).toBeCloseTo(t.hintFaults * 2000, 3);
    // The thread ran no operation while faulting.
    const lost = (base.ops - t.ops) * base.opNs;
    expect(lost / t.hintFaultNs).toBeCloseTo(1, 1);
    console.info(
      `local: ${ev.numa_pte_updates} numa_pte_updates, ${ev.numa_hint_faults} numa_hint_faults (${ev.numa_hint_faults_local} local), ${(t.hintFaultNs / 1e3).toFixed(0)} us faulting, ops ${base.ops.toFixed(0)} -> ${t.ops.toFixed(0)}`,
    );

    const remote = scanned({ nid: 1 });
    expect(remote.k.ctx.vmstat.events.numa_hint_faults).toBe(remote.thread.hintFaults);
    expect(remote.k.ctx.vmstat.events.numa_hint_faults_local).toBe(0);

    const seen: NumaHintFault[] = [];
    const slow = scanned({
      nid: 0,
      handler: (k) =>
        function* (f) {
          seen.push(f);
          yield 10_000; // a handler that takes time, as a migration would
          numaHintFaultRestore(f, k.ctx);
        },
    });
    expect(seen).toHaveLength(slow.thread.hintFaults);
    expect(seen.every((f) => f.cpu === 0 && f.nid === 0 && !f.pmd)).toBe(true);
    expect(slow.thread.hintFaultNs).toBeCloseTo(slow.thread.hintFaults * 12_000, 3);
  });

  it("faults on as many folios as are expected to be touched before the next scan", () => {
    const { thread, k, app } = scanned({ nid: 0 });
    // Its rate while it runs without faulting: the first 5 ms, before the first scan.
    const first = thread.opsPerQuantum.slice(0, (5 * MS) / app.quantumNs);
    const rate = first.reduce((x, y) => x + y, 0) / (5 * MS);
    let want = 0;
    for (let i = 0; i < app.regions[0].pages; i++) {
      want += -Math.expm1(-rate * thread.pattern.share(i, 1, 0) * 5 * MS);
    }
    // Four scans at 5, 10, 15 and 20 ms (the last has no time left to fault); three windows.
    expect(k.ctx.vmstat.events.numa_hint_faults / (3 * want)).toBeCloseTo(1, 1);
  });
});

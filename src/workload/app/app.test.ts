import { describe, expect, it } from "vitest";
import { readPath } from "../../machine/fabric.js";
import { loadProfile } from "../../machine/profile.js";
import { Kernel } from "../../migrate/kernel.js";
import { MPOL_BIND, MPOL_INTERLEAVE } from "../../mm/mempolicy.js";
import { Rng } from "../../sim/rng.js";
import { App, accessLatencyNs, DEFAULT_SAMPLES, MIX_QUANTA } from "./app.js";
import { movePagesLoop, newMoverStats } from "./movers.js";
import { ACCESS_BYTES } from "./path-loads.js";

const profile = loadProfile("zen3-2s-ptdma");
const MS = 1e6;

/** The kernel selftest's ping-pong: readers on one region while a mover moves it back and forth. */
function pingPong(folioSizeBytes: number, durationNs: number) {
  const k = new Kernel({ profile });
  const app = new App(
    k,
    {
      regions: [{ bytes: 2 << 20, folioSizeBytes, policy: { mode: MPOL_BIND, nodes: [0] } }],
      threads: [1, 2].map((cpu) => ({
        cpu,
        region: 0,
        pattern: { kind: "uniform" },
        computeNs: 10,
        mlp: 1,
      })),
      quantumNs: 50_000,
    },
    new Rng(1),
  );
  const mover = k.spawnProcess(3);
  const stats = newMoverStats();
  const threads = app.start(durationNs);
  k.sim.spawn(movePagesLoop(k, mover, app, app.regions[0], [1, 0], durationNs, stats), "mover");
  k.sim.run();
  expect(threads.done.triggered).toBe(true);
  return { app, stats };
}

describe("an application on the machine", () => {
  it("feels where its memory is: remote pages cost a socket hop per access", () => {
    const run = (nodes: number[]) => {
      const k = new Kernel({ profile });
      const app = new App(
        k,
        {
          regions: [
            { bytes: 64 << 20, folioSizeBytes: 4096, policy: { mode: MPOL_INTERLEAVE, nodes } },
          ],
          threads: [{ cpu: 0, region: 0, pattern: { kind: "uniform" }, computeNs: 50, mlp: 1 }],
        },
        new Rng(3),
      );
      app.start(10 * MS);
      k.sim.run();
      return app.threads[0].ops / 10e6;
    };
    const local = run([0]);
    const remote = run([1]);
    const half = run([0, 1]);
    const lat = (nid: number) => accessLatencyNs(profile, 0, nid);
    expect(local).toBeCloseTo(1 / (50 + lat(0)), 6);
    expect(remote).toBeCloseTo(1 / (50 + lat(1)), 6);
    // Interleaved: half the accesses remote, within the sampling's noise.
    expect(half / (1 / (50 + (lat(0) + lat(1)) / 2))).toBeCloseTo(1, 1);
  });

  it("ping-pong (the kernel selftest): readers stall in migration entries; THPs stall longer and less often", () => {
    const small = pingPong(4096, 20 * MS);
    const huge = pingPong(2 << 20, 20 * MS);
    for (const r of [small, huge]) {
      expect(r.stats.calls).toBeGreaterThan(10);
      for (const t of r.app.threads) {
        expect(t.stalls).toBeGreaterThan(0);
        expect(t.ops).toBeGreaterThan(0);
        // Stalled time is bounded by the time the region spent being migrated.
        expect(t.stallNs).toBeLessThan(r.stats.busyNs);
      }
    }
    const perStall = (r: typeof small) => r.app.threads[0].stallNs / r.app.threads[0].stalls;
    const perCall = (r: typeof small) => r.app.threads[0].stalls / r.stats.calls;
    // A call unmaps the whole region at once. A THP's single folio stalls a reader once per
    // call, for the whole move. Of 512 pages the reader waits on one at a time: on the first
    // it touches until that one is mapped again, then on another still unmapped, a few times
    // a call, each wait shorter than the THP's.
    expect(perCall(huge)).toBeLessThanOrEqual(1);
    expect(perCall(small)).toBeGreaterThan(2);
    expect(perCall(small)).toBeLessThan(20);
    expect(perStall(huge)).toBeGreaterThan(2 * perStall(small));
  });
});

describe("a thread's node mix", () => {
  /** One thread over a region interleaved on both nodes, on a kernel with or without bytes. */
  const interleaved = (contents: boolean) => {
    const k = new Kernel({ profile, contents });
    const app = new App(
      k,
      {
        regions: [
          {
            bytes: 4 << 20,
            folioSizeBytes: 4096,
            policy: { mode: MPOL_INTERLEAVE, nodes: [0, 1] },
          },
        ],
        threads: [{ cpu: 0, region: 0, pattern: { kind: "uniform" }, computeNs: 20, mlp: 1 }],
        quantumNs: 100_000,
      },
      new Rng(7),
    );
    app.start(5 * MS);
    k.sim.run();
    return app.threads[0];
  };

  it("is drawn while the region's pages and the pattern are still, up to MIX_QUANTA quanta, then kept", () => {
    const ops = interleaved(false).opsPerQuantum;
    expect(ops.length).toBe(50);
    // Each quantum draws more samples of the same mix until MIX_QUANTA quanta's worth...
    const drawing = new Set(ops.subarray(0, MIX_QUANTA));
    expect(drawing.size).toBeGreaterThan(1);
    // ...and then runs at that mix's latencies, quantum after quantum, on an idle machine.
    for (const o of ops.subarray(MIX_QUANTA)) expect(o / ops[MIX_QUANTA]).toBeCloseTo(1, 6);
  });

  it("moves only when a page of the region changes node", () => {
    const k = new Kernel({ profile });
    const app = new App(
      k,
      {
        regions: [
          { bytes: 4 << 20, folioSizeBytes: 2 << 20, policy: { mode: MPOL_BIND, nodes: [0] } },
        ],
        threads: [{ cpu: 0, region: 0, pattern: { kind: "uniform" }, computeNs: 20, mlp: 1 }],
      },
      new Rng(7),
    );
    const region = app.regions[0];
    const v = region.version;
    region.place(0, 512, 0); // a failed migration: mapped again where it was
    expect(region.version).toBe(v);
    region.place(0, 512, 1);
    expect(region.version).toBeGreaterThan(v);
    const w = region.version;
    region.place(512, 1, 1); // one page of a THP a migration split
    expect(region.version).toBeGreaterThan(w);
    expect(region.nidOfPage(512)).toBe(1);
    expect(region.nidOfPage(513)).toBe(0);
  });

  it("is the same in bytes mode, which reads a quantum's worth of pages every quantum", () => {
    const plain = interleaved(false);
    const bytes = interleaved(true);
    expect([...bytes.opsPerQuantum]).toEqual([...plain.opsPerQuantum]);
    expect(bytes.pagesRead).toBe(50 * DEFAULT_SAMPLES);
  });
});

describe("loaded latency at the paths' fixed point", () => {
  /** `n` threads on CPUs 0.. (4 CCDs of socket 0 at most) reading node 0, compute 0. */
  const readers = (n: number, mlp: number, computeNs: number) => {
    const k = new Kernel({ profile });
    const app = new App(
      k,
      {
        regions: [
          { bytes: 64 << 20, folioSizeBytes: 2 << 20, policy: { mode: MPOL_BIND, nodes: [0] } },
        ],
        threads: Array.from({ length: n }, (_, cpu) => ({
          cpu,
          region: 0,
          pattern: { kind: "uniform" } as const,
          computeNs,
          mlp,
        })),
        quantumNs: 100_000,
      },
      new Rng(1),
    );
    app.start(3 * MS);
    k.sim.run();
    return { k, app };
  };

  /**
   * The latency thread 0 ran at, and the one the loaded-latency curve gives for the load the
   * threads' operations put on the busiest resource of its path, less its own (every thread
   * does as many).
   */
  const consistent = (k: Kernel, app: App, ops: number) => {
    const t = app.threads[0];
    const opNs = app.quantumNs / ops;
    const latency = (opNs - t.computeNs) * t.mlp;
    const perThread = ACCESS_BYTES / opNs;
    const paths = app.threads.map((th) => readPath(k.fabric, th.cpu, 0));
    let u = 0;
    for (const r of paths[0]) {
      const others = paths.filter((p) => p.includes(r)).length - 1;
      u = Math.max(u, (others * perThread) / r.capacity);
    }
    const queueing = profile.memory?.queueingNs ?? 0;
    return { latency, curve: accessLatencyNs(profile, 0, 0) + (queueing * u) / (1 - u) };
  };

  it("a saturating application runs at the same rate quantum after quantum, where its demand and latency agree", () => {
    // 32 threads with 8 loads in flight ask node 0 for ~140 GB/s at idle latency, more than its
    // 120 GB/s. Taking the last quantum's load instead alternated 5859 and 1168 operations.
    const { k, app } = readers(32, 8, 0);
    const ops = app.threads[0].opsPerQuantum;
    for (let i = 1; i < ops.length; i++) expect(ops[i] / ops[i - 1]).toBeCloseTo(1, 6);
    for (const t of app.threads) expect(t.ops).toBeCloseTo(app.threads[0].ops, 6);
    const { latency, curve } = consistent(k, app, ops[0]);
    expect(latency / curve).toBeCloseTo(1, 6);
    // Loaded: well above idle, below the curve's cap.
    expect(latency).toBeGreaterThan(1.5 * accessLatencyNs(profile, 0, 0));
  });

  it("an unsaturated application runs where the last quantum's load settled it, from its first quantum", () => {
    const { k, app } = readers(4, 1, 20);
    const ops = app.threads[0].opsPerQuantum;
    // The last quantum's load settled at 736.1 operations a quantum after a first one at idle
    // latency (740.7); the fixed point is there from the start.
    for (const o of ops) expect(o).toBeCloseTo(736.1, 1);
    const { latency, curve } = consistent(k, app, ops[0]);
    expect(latency / curve).toBeCloseTo(1, 6);
  });
});

describe("a scenario run", () => {
  it("is the same for the same seed, and differs for another", async () => {
    const { readFileSync } = await import("node:fs");
    const { parseScenario } = await import("./scenario.js");
    const { runScenario } = await import("./run-scenario.js");
    const s = parseScenario(readFileSync("scenarios/remote-half.yaml", "utf8"), "remote-half");
    const short = { ...s, duration: 30 * MS };
    const a = runScenario(short, profile);
    expect(runScenario(short, profile)).toEqual(a);
    expect(runScenario({ ...short, seed: 2 }, profile).threads[0].opsPerSec).not.toBe(
      a.threads[0].opsPerSec,
    );
    expect(a.threads[0].remoteShare).toBeGreaterThan(0.1);
  });

  it("remote-half: ops/s drop while the remote half moves home and end above where they began", async () => {
    const { readFileSync } = await import("node:fs");
    const { parseScenario } = await import("./scenario.js");
    const { runScenario } = await import("./run-scenario.js");
    const s = parseScenario(readFileSync("scenarios/remote-half.yaml", "utf8"), "remote-half");
    const r = runScenario(s, profile);
    expect(r.movers[0].foliosMoved).toBe(256);
    const series = r.threads[0].opsPerSecSeries;
    const q = s.quantum;
    const mean = (fromMs: number, toMs: number) => {
      const xs = series.slice(Math.floor((fromMs * MS) / q), Math.floor((toMs * MS) / q));
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const before = mean(0, 20);
    const during = mean(25, 70);
    const after = mean(100, 200);
    expect(during).toBeLessThan(before);
    expect(after).toBeGreaterThan(before);
    // Local accesses against half remote: the latencies' ratio, within the sampling noise.
    const lat = (nid: number) => accessLatencyNs(profile, 0, nid);
    expect(after / before).toBeCloseTo((20 + (lat(0) + lat(1)) / 2) / (20 + lat(0)), 1);
    // The series: memory by node as numastat -p shows it, from half and half to all local.
    const mem = r.series.processes[0].bytesByNode;
    expect([mem["0"][0], mem["1"][0]]).toEqual([512 << 20, 512 << 20]);
    expect([mem["0"].at(-1), mem["1"].at(-1)]).toEqual([1 << 30, 0]);
    const moved = r.series.migrationGBps.reduce((a, g) => a + g * s.quantum, 0);
    expect(moved).toBeCloseTo(512 << 20, -3);
    expect(r.series.processes[0].opsPerSec).toHaveLength(r.series.timeNs.length);
  });
});

describe("a capped mover (memtierd's pacing)", () => {
  it("moves what is not on its node yet, no faster than its bandwidth per tick", async () => {
    const { validateScenario } = await import("./scenario.js");
    const { runScenario } = await import("./run-scenario.js");
    const s = validateScenario(
      {
        duration: "200ms",
        quantum: "1ms",
        processes: [
          {
            name: "app",
            regions: [
              {
                name: "heap",
                size: "64M",
                folioSize: "2M",
                policy: { mode: "interleave", nodes: [0, 1] },
              },
            ],
            threads: [{ cpu: 0, region: "heap" }],
          },
        ],
        movers: [
          {
            kind: "capped",
            cpu: 8,
            process: "app",
            region: "heap",
            node: 0,
            bandwidth: "400M/s",
            tick: "10ms",
          },
        ],
      },
      "capped",
    );
    const r = runScenario(s, profile);
    // Half the region (16 THPs) was remote; 400 MB/s x 10 ms is 2 THPs per tick.
    expect(r.movers[0].foliosMoved).toBe(16);
    expect(r.movers[0].calls).toBe(8);
    const mem = r.series.processes[0].bytesByNode;
    expect(mem["1"].at(-1)).toBe(0);
    let moved = 0;
    r.series.migrationGBps.forEach((g, i) => {
      moved += g * s.quantum;
      const t = r.series.timeNs[i];
      // A call per tick, each of at most 2 THPs (4 MiB).
      expect(moved).toBeLessThanOrEqual((Math.floor(t / 10e6) + 1) * (4 << 20));
    });
  });
});

/**
 * An application with 256 MiB on node 1 and the given threads; a mover brings it to node 0
 * once with `migrator`, unless the machine is busy (cpuLoad above 0).
 */
async function heapScenario(
  threads: object[],
  opts: { migrator?: string; cpuLoad?: number; duration?: string; cgroup?: string } = {},
) {
  const { validateScenario } = await import("./scenario.js");
  const { runScenario } = await import("./run-scenario.js");
  const cpuLoad = opts.cpuLoad ?? 0;
  const heap = {
    name: "heap",
    size: "256M",
    folioSize: "2M",
    policy: { mode: "bind", nodes: [1] },
  };
  const mover = {
    kind: "move_pages",
    cpu: 100,
    process: "app",
    region: "heap",
    nodes: [0],
    calls: 1,
  };
  return runScenario(
    validateScenario(
      {
        duration: opts.duration ?? "100ms",
        quantum: "1ms",
        processes: [{ name: "app", cgroup: opts.cgroup, regions: [heap], threads }],
        movers: cpuLoad > 0 ? [] : [mover],
        engine: { migrator: opts.migrator ?? "serial" },
        cpuLoad,
      },
      "heap",
    ),
    profile,
  );
}

describe("CPUs shared by application threads and kernel work", () => {
  const scenario = (threads: object[], migrator = "serial", cpuLoad = 0) =>
    heapScenario(threads, { migrator, cpuLoad });

  it("two threads pinned to one CPU each get half of it, as a thread on a busy machine (cpuLoad 1)", async () => {
    const alone = await scenario([{ cpu: 1, region: "heap" }]);
    const two = await scenario([
      { cpu: 1, region: "heap" },
      { cpu: 1, region: "heap" },
    ]);
    for (const t of two.threads)
      expect(t.opsPerSec / alone.threads[0].opsPerSec).toBeCloseTo(0.5, 1);
    // No mover when busy (the helper runs none): the region stays on node 1, remote, and a
    // thread with no compute does one access per remote latency when it has the CPU.
    const busy = await scenario([{ cpu: 1, region: "heap" }], "serial", 1);
    expect(busy.movers).toHaveLength(0);
    const remoteRate = 1 / accessLatencyNs(profile, 1, 1);
    expect(busy.threads[0].opsPerSec / 1e9 / remoteRate).toBeCloseTo(0.5, 1);
  });

  it("an mtcopy copy thread on an application thread's CPU takes half of it while it copies, and copies at half speed", async () => {
    // mtcopy's 4 spread threads: the first runs on CPU 0.
    const apart = await scenario([{ cpu: 1, region: "heap" }], "mtcopy");
    const shared = await scenario([{ cpu: 0, region: "heap" }], "mtcopy");
    expect(apart.threads[0].cpuLostNs).toBe(0);
    expect(shared.threads[0].cpuLostNs).toBeGreaterThan(0);
    expect(shared.movers[0].gbps).toBeLessThan(apart.movers[0].gbps);
    // The copy thread on CPU 0 was busy for part of the move; the app lost half of that.
    expect(shared.threads[0].cpuLostNs).toBeLessThan(shared.movers[0].busyNs / 2);
  });
});

describe("the scheduler places and weighs application threads", () => {
  const scenario = (threads: object[]) =>
    heapScenario(threads, { migrator: "mtcopy", duration: "40ms", cgroup: "db" });

  it("a thread at nice -5 takes more of its CPU while an mtcopy kworker copies there, so the copy takes longer, not less CPU", async () => {
    const plain = await scenario([{ cpu: 0, region: "heap" }]);
    const niced = await scenario([{ cpu: 0, region: "heap", nice: -5 }]);
    const [p, n] = [plain.threads[0], niced.threads[0]];
    expect(n.nice).toBe(-5);
    // The kworker copies at its share of a core's rate, so it needs the same CPU time either
    // way, and the thread loses as much; but it gets 1024/4145 of the CPU instead of 1/2 ...
    expect(n.cpuLostNs / p.cpuLostNs).toBeCloseTo(1, 2);
    // ... and the copy thread on CPU 0 bounds the move, which takes about twice as long.
    expect(niced.movers[0].gbps / plain.movers[0].gbps).toBeLessThan(0.6);
    expect(n.stallNs).toBeGreaterThan(p.stallNs);
  });

  it("places threads among their allowed CPUs on idle ones, and charges CPU time to their cgroup", async () => {
    const r = await scenario([{ cpus: [0, 1, 2, 3], count: 3, region: "heap" }]);
    expect(r.threads.map((t) => t.cpu)).toEqual([0, 1, 2]);
    const threadsNs = r.threads.reduce((a, t) => a + t.cpuNs, 0);
    expect(r.cpu.byCgroup["/db"]).toBeCloseTo(threadsNs, 3);
    // kworkers and the mover (no cgroup) are in the root, with any interrupts.
    expect(r.cpu.byCgroup["/"]).toBeCloseTo(
      r.cpu.byKind.kworker + r.cpu.byKind.migrate + r.cpu.byKind.irq,
      3,
    );
  });
});

describe("applications and migration share the memory system", () => {
  const run = async (doc: object) => {
    const { validateScenario } = await import("./scenario.js");
    const { runScenario } = await import("./run-scenario.js");
    return runScenario(
      validateScenario({ duration: "60ms", quantum: "1ms", ...doc }, "shared"),
      profile,
    );
  };
  const mover = (process: string, cpu = 100) => ({
    kind: "move_pages",
    cpu,
    process,
    region: "data",
    nodes: [0],
    calls: 1,
  });
  const data = { name: "data", size: "1G", folioSize: "2M", policy: { mode: "bind", nodes: [1] } };

  it("a busy application slows a migration that crosses the same links", async () => {
    // The copy runs in CCD 0 (mtcopy's one copy thread on CPU 0, or the serial mover itself on
    // CPU 0); from node 1 it crosses CCD 0's cross-socket limit (fabric.ccdRemoteGBps,
    // 11.1 GB/s), as do the hog's remote reads from CPUs 1-7.
    const app = { name: "app", regions: [data], threads: [{ cpu: 64, region: "data" }] };
    const hog = {
      name: "hog",
      regions: [
        {
          name: "heap",
          size: "1G",
          folioSize: "2M",
          policy: { mode: "interleave", nodes: [0, 1] },
        },
      ],
      threads: [{ cpu: 1, count: 7, region: "heap", mlp: 64 }],
    };
    for (const [engine, cpu] of [
      [{ migrator: "mtcopy", threads: 1 }, 100],
      [{ migrator: "serial" }, 0],
    ] as const) {
      const quiet = await run({ processes: [app], movers: [mover("app", cpu)], engine });
      const busy = await run({ processes: [app, hog], movers: [mover("app", cpu)], engine });
      expect(busy.movers[0].gbps, engine.migrator).toBeLessThan(0.8 * quiet.movers[0].gbps);
      // And the hog is bound by that link part of the time.
      const hogThread = busy.threads.find((t) => t.process === "hog");
      expect(hogThread?.bandwidthBoundShare).toBeGreaterThan(0);
    }
  });

  it("a big migration slows an application it does not touch: its accesses queue behind the copy", async () => {
    const reader = {
      name: "reader",
      regions: [
        { name: "heap", size: "64M", folioSize: "2M", policy: { mode: "bind", nodes: [0] } },
      ],
      threads: [{ cpu: 2, region: "heap" }],
    };
    const other = { name: "other", regions: [data], threads: [{ cpu: 64, region: "data" }] };
    const alone = await run({ processes: [reader, other] });
    // 16 DMA channels on batches of the whole region: ~60 GB/s through both memories.
    const copying = await run({
      processes: [reader, other],
      movers: [mover("other")],
      engine: { migrator: "dcbm", channels: 16, batchPages: 262144 },
    });
    const of = (r: typeof alone) => r.threads.find((t) => t.process === "reader");
    expect(of(copying)?.meanAccessNs).toBeGreaterThan((of(alone)?.meanAccessNs ?? 0) + 5);
    expect(of(copying)?.opsPerSec).toBeLessThan(of(alone)?.opsPerSec ?? 0);
    // Alone, the reader's accesses are idle local ones.
    expect(of(alone)?.meanAccessNs).toBeCloseTo(accessLatencyNs(profile, 2, 0), 0);
  });
});

describe("migrations in flight at once", () => {
  it("each stamps its own tracepoints with its own CPU, however they interleave", () => {
    const k = new Kernel({ profile, trace: true });
    const region = {
      bytes: 64 << 20,
      folioSizeBytes: 2 << 20,
      policy: { mode: MPOL_BIND, nodes: [0] },
    };
    const spec = (cpu: number) => ({
      regions: [region],
      threads: [{ cpu, region: 0, pattern: { kind: "uniform" as const }, computeNs: 10, mlp: 1 }],
    });
    const a = new App(k, spec(1), new Rng(1));
    const b = new App(k, spec(2), new Rng(2));
    const movers = [k.spawnProcess(10), k.spawnProcess(40)];
    a.start(50 * MS);
    b.start(50 * MS);
    const stats = [newMoverStats(), newMoverStats()];
    k.sim.spawn(movePagesLoop(k, movers[0], a, a.regions[0], [1, 0], 50 * MS, stats[0]));
    k.sim.spawn(movePagesLoop(k, movers[1], b, b.regions[0], [1, 0], 50 * MS, stats[1]));
    k.sim.run();
    const starts = k.ctx.trace.events.filter((e) => e.name === "mm_migrate_pages_start");
    expect(new Set(starts.map((e) => e.cpu))).toEqual(new Set([10, 40]));
    const ends = k.ctx.trace.events.filter((e) => e.name === "mm_migrate_pages");
    // Both ran many calls, overlapping; each call's end is on its own mover's CPU.
    expect(stats[0].calls).toBeGreaterThan(5);
    expect(ends.filter((e) => e.cpu === 10)).toHaveLength(stats[0].calls);
    expect(ends.filter((e) => e.cpu === 40)).toHaveLength(stats[1].calls);
    for (let i = 1; i < k.ctx.trace.events.length; i++) {
      const [p, e] = [k.ctx.trace.events[i - 1], k.ctx.trace.events[i]];
      if (p.cpu === e.cpu) expect(e.ts).toBeGreaterThanOrEqual(p.ts);
    }
  });

  it("two movers on one mm, moving its region in opposite directions at once, leave every page whole and in place", async () => {
    const { validateScenario } = await import("./scenario.js");
    const { runScenario } = await import("./run-scenario.js");
    const mover = (cpu: number, nodes: number[]) => ({
      kind: "move_pages",
      cpu,
      process: "app",
      region: "heap",
      nodes,
    });
    // Bytes mode: runScenario checks every page's bytes and node, and every frame, afterwards.
    const r = runScenario(
      validateScenario(
        {
          duration: "20ms",
          quantum: "1ms",
          verify: true,
          processes: [
            {
              name: "app",
              regions: [
                {
                  name: "heap",
                  size: "16M",
                  folioSize: "2M",
                  policy: { mode: "bind", nodes: [0] },
                },
              ],
              threads: [{ cpu: 1, count: 2, region: "heap" }],
            },
          ],
          movers: [mover(10, [1, 0]), mover(40, [0, 1])],
        },
        "two movers",
      ),
      profile,
    );
    const [a, b] = r.movers;
    expect(a.calls).toBeGreaterThan(3);
    expect(b.calls).toBeGreaterThan(3);
    expect(a.foliosMoved + b.foliosMoved).toBeGreaterThan(0);
    // Both were inside move_pages(2) most of the run: their calls overlapped.
    expect(a.busyNs + b.busyNs).toBeGreaterThan(r.durationNs);
    expect(r.pagesVerified).toBe(4096);
    expect(r.vmstat.pgmigrate_success).toBeGreaterThan(0);
    // Each mover's CPU time is its own task's, on its own CPU.
    expect(r.cpu.byKind.migrate).toBeGreaterThan(0);
  });
});

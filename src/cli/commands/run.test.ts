import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../machine/package-root.js";
import { decode } from "../../report/perfetto/decoded.case.js";
import type { RunDocument } from "../../report/run/json.js";
import { runCaptured } from "../../test-support/cli.js";
import { expectGolden } from "../../test-support/golden.js";
import type { ScenarioResult } from "../../workload/app/run-scenario.js";

/** The JSON report of `pagemig run ARGS --json`. */
const report = async (args: string[]): Promise<RunDocument> => {
  const r = await runCaptured(["run", ...args, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};
/** The result of a run without --sweep. */
const json = async (args: string[]) => (await report(args)).runs[0].result;

describe("pagemig run", () => {
  it("the selftest's ping-pong: readers stall once per move, a THP's stalls longer and fewer (golden)", async () => {
    const r = await runCaptured(["run", "scenarios/ping-pong.yaml"]);
    expect(r.code).toBe(0);
    expectGolden("run-ping-pong.txt", r.stdout);
    const small = (await json(["scenarios/ping-pong.yaml"])) as ScenarioResult;
    const thp = (await json(["scenarios/ping-pong-thp.yaml"])) as ScenarioResult;
    for (const res of [small, thp]) {
      expect(res.movers[0].calls).toBeGreaterThan(100);
      // Every reader stalls on (almost) every move: it reads the page all the time.
      for (const t of res.threads) expect(t.stalls / res.movers[0].calls).toBeGreaterThan(0.95);
      expect(res.vmstat.pgmigrate_fail).toBe(0);
    }
    const perStall = (res: ScenarioResult) => res.threads[0].stallNs / res.threads[0].stalls;
    expect(perStall(thp)).toBeGreaterThan(50 * perStall(small));
    expect(thp.threads[0].stalls).toBeLessThan(small.threads[0].stalls / 2);
  });

  it("--set overrides a field and --sweep runs each value, with differences to the first", async () => {
    const set = (await json([
      "scenarios/ping-pong.yaml",
      "--set",
      "duration=10ms",
    ])) as ScenarioResult;
    expect(set.durationNs).toBe(10e6);
    const sweep = await runCaptured([
      "run",
      "scenarios/ping-pong-thp.yaml",
      "--set",
      "duration=20ms",
      "--sweep",
      "engine.migrator=serial,dcbm",
    ]);
    expect(sweep.code).toBe(0);
    const rows = sweep.stdout.split("\n").filter((l) => l.startsWith("engine.migrator="));
    expect(rows).toHaveLength(4);
    expect(rows[2]).toMatch(/^engine\.migrator=serial\s+[\d.]+\s+\+0\.0%/);
    // dcbm moves the THP faster (12.6 against 10.8 GB/s), so each stall is shorter.
    // RUN, MOPS/s, VS-FIRST, STALLED-ms, VS-FIRST, CPU-LOST-ms, KERNEL-CPU-ms, MOVER-GB/s,
    // VS-FIRST.
    expect(rows[3]).toMatch(
      /^engine\.migrator=dcbm\s+[\d.]+\s+\+[\d.]+%\s+[\d.]+\s+-[\d.]+%\s+0\.000\s+[\d.]+\s+[\d.]+\s+\+[\d.]+%/,
    );
    const { runs } = await report([
      "scenarios/ping-pong-thp.yaml",
      "--set",
      "duration=20ms",
      "--sweep",
      "engine.migrator=serial,dcbm",
    ]);
    expect(runs.map((x) => x.settings)).toEqual([
      ["engine.migrator=serial"],
      ["engine.migrator=dcbm"],
    ]);
  });

  it("refuses a bad scenario, override or sweep with one line naming the field, before running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-run-"));
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "duration: 1ms\nprocesses: []\n");
    const cases: [string[], RegExp][] = [
      [
        ["scenarios/ping-pong.yaml", "--set", "engine.migrator=foo"],
        /engine\.migrator: Invalid option/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "processes[3].name=x"],
        /^pagemig: --set: processes\[3\]\.name: no such field/,
      ],
      [["scenarios/ping-pong.yaml", "--set", "duration=-1ms"], /duration: invalid duration '-1ms'/],
      [
        ["scenarios/ping-pong.yaml", "--set", "processes[0].threads[0].cpu=127"],
        /threads\[0\]\.cpu: CPUs 127-128 \(count 2\): profile zen3-2s-ptdma has CPUs 0-127/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "movers[0].nodes=[7]"],
        /movers\[0\]\.nodes\[0\]: node 7 does not exist/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "processes[0].regions[0].size=6K"],
        /regions\[0\]\.size: 6K is not a multiple of the folio size 4K/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "processes[0].regions[0].policy={mode: interleave}"],
        /policy: interleave needs at least one node/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--sweep", "engine.migrator=serial,nope"],
        /\(engine\.migrator=nope\): engine\.migrator: Invalid option/,
      ],
      [["scenarios/ping-pong.yaml", "--set", "bogus=1"], /: bogus: unknown key/],
      [
        ["scenarios/ping-pong.yaml", "--set", "engine.channels=2"],
        /engine\.channels: channels are for dcbm, not serial/,
      ],
      [
        ["scenarios/tiering.yaml", "--sweep", "engine.reasons=[demotion],[numa_misplace]"],
        /\(engine\.reasons=\["numa_misplace"\]\): engine\.reasons\[0\]: Invalid option/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "processes[0].threads[0].nice=-21"],
        /threads\[0\]\.nice: Too small/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "processes[0].threads[0].cpus=[1, 2]"],
        /threads\[0\]\.cpu: give either cpu \(pinned\) or cpus \(placed among them\)/,
      ],
      [
        ["scenarios/nice-vs-kworkers.yaml", "--set", "processes[0].threads[0].cpus=[0, 300]"],
        /threads\[0\]\.cpus\[1\]: CPU 300 does not exist/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "processes[0].cgroup=a//b"],
        /processes\[0\]\.cgroup: a cgroup path/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "sysctl.kernel.numa_balancing=4"],
        /sysctl\.kernel\.numa_balancing: Too big/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "sysctl.kernel.numa_balancing_scan_size_mb=0"],
        /sysctl\.kernel\.numa_balancing_scan_size_mb: Too small/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "sysctl.kernel.numa_balancing_scan_delay_ms=-1"],
        /sysctl\.kernel\.numa_balancing_scan_delay_ms: Too small/,
      ],
      [
        [
          "scenarios/ping-pong.yaml",
          "--set",
          "sysctl.kernel.numa_balancing_scan_period_min_ms=1.5",
        ],
        /sysctl\.kernel\.numa_balancing_scan_period_min_ms: Invalid input: expected int/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "sysctl.kernel.numa_balance=1"],
        /sysctl\.kernel\.numa_balance: unknown key/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "kernel.batchedUnmapTlbFlush=maybe"],
        /kernel\.batchedUnmapTlbFlush: Invalid input: expected boolean/,
      ],
      [
        [
          "scenarios/ping-pong.yaml",
          "--set",
          "movers[0]={kind: migrate_pages, cpu: 1, process: selftest, nodes: [7]}",
        ],
        /movers\[0\]\.nodes\[0\]: node 7 does not exist/,
      ],
      [
        [
          "scenarios/ping-pong.yaml",
          "--set",
          "movers[0]={kind: migrate_pages, cpu: 1, process: selftest, region: page, nodes: [0]}",
        ],
        /movers\[0\]\.region: unknown key/,
      ],
      [
        ["scenarios/hotspot-spread.yaml", "--set", "movers[0].flags=[lazy]"],
        /movers\[0\]\.flags\[0\]: Invalid option/,
      ],
      [
        ["scenarios/hotspot-spread.yaml", "--set", "movers[1].policy.nodes=[2]"],
        /movers\[1\]\.policy: node 2 does not exist/,
      ],
      [
        ["scenarios/hotspot-spread.yaml", "--set", "movers[0].policy.weights=[1]"],
        /movers\[0\]\.policy: one weight per node/,
      ],
      [
        ["scenarios/hotspot-spread.yaml", "--set", "movers[1].region=heap"],
        /movers\[1\]\.region: no region 'heap' in process 'stream'/,
      ],
      [
        ["scenarios/mempolicy-partial.yaml", "--set", "movers[0].offset=6K"],
        /movers\[0\]\.offset: 6K is not a multiple of 4K/,
      ],
      [
        ["scenarios/mempolicy-partial.yaml", "--set", "movers[0].offset=1G"],
        /movers\[0\]\.offset: 1G is past the region's 1G/,
      ],
      [
        ["scenarios/mempolicy-partial.yaml", "--set", "movers[0].offset=-4K"],
        /movers\[0\]\.offset: size must not be negative/,
      ],
      [
        [
          "scenarios/mempolicy-partial.yaml",
          "--set",
          "movers[0].size=1G",
          "--set",
          "movers[0].offset=4K",
        ],
        /movers\[0\]\.size: 4K \+ 1G is past the region's 1G/,
      ],
      [
        ["scenarios/mempolicy-partial.yaml", "--set", "movers[0].size=0"],
        /movers\[0\]\.size: size must be greater than zero/,
      ],
      [
        ["scenarios/mempolicy-partial.yaml", "--set", "processes[0].mempolicy.nodes=[]"],
        /processes\[0\]\.mempolicy: interleave needs at least one node/,
      ],
      [
        ["scenarios/mempolicy-partial.yaml", "--set", "processes[0].mempolicy.nodes=[0, 5]"],
        /processes\[0\]\.mempolicy: node 5 does not exist/,
      ],
      [
        ["scenarios/mempolicy-partial.yaml", "--set", "processes[0].mempolicy.mode=lazy"],
        /processes\[0\]\.mempolicy\.mode: Invalid option/,
      ],
      [
        ["scenarios/tiering.yaml", "--set", "sysctl.vm.min_free_kbytes=-1"],
        /sysctl\.vm\.min_free_kbytes: Too small/,
      ],
      [
        ["scenarios/tiering.yaml", "--set", "sysctl.vm.watermark_scale_factor=3001"],
        /sysctl\.vm\.watermark_scale_factor: Too big/,
      ],
      [
        ["scenarios/tiering.yaml", "--set", "sysctl.vm.watermark_scale_factor=0"],
        /sysctl\.vm\.watermark_scale_factor: Too small/,
      ],
      [
        ["scenarios/tiering.yaml", "--set", "sysctl.mm.numa.demotion_enabled=1"],
        /sysctl\.mm\.numa\.demotion_enabled: Invalid input: expected boolean/,
      ],
      [
        ["scenarios/tiering.yaml", "--set", "sysctl.mm.numa.demotion=true"],
        /sysctl\.mm\.numa\.demotion: unknown key/,
      ],
      [
        [
          "scenarios/tiering.yaml",
          "--set",
          "sysctl.kernel.numa_balancing_promote_rate_limit_MBps=-1",
        ],
        /sysctl\.kernel\.numa_balancing_promote_rate_limit_MBps: Too small/,
      ],
      [
        ["scenarios/tiering.yaml", "--set", "sysctl.kernel.numa_balancing_hot_threshold_ms=0"],
        /sysctl\.kernel\.numa_balancing_hot_threshold_ms: Too small/,
      ],
      [
        ["scenarios/compaction.yaml", "--set", "sysctl.vm.compaction_proactiveness=101"],
        /sysctl\.vm\.compaction_proactiveness: Too big/,
      ],
      [
        ["scenarios/compaction.yaml", "--set", "sysctl.vm.extfrag_threshold=-1"],
        /sysctl\.vm\.extfrag_threshold: Too small/,
      ],
      [
        ["scenarios/compaction.yaml", "--set", "sysctl.mm.transparent_hugepage.defrag=sometimes"],
        /sysctl\.mm\.transparent_hugepage\.defrag: Invalid option/,
      ],
      [
        ["scenarios/compaction.yaml", "--set", "churn[0].node=7"],
        /churn\[0\]\.node: node 7 does not exist on profile small-2node/,
      ],
      [
        ["scenarios/compaction.yaml", "--set", "churn[0].size=2G"],
        /churn\[0\]\.size: 2G is more than node 0's 1G/,
      ],
      [
        [
          "scenarios/compaction.yaml",
          "--set",
          "churn=[{node: 0, size: 1G, keep: 0.3}, {node: 0, size: 4M, keep: 0}]",
        ],
        /churn\[1\]\.size: with the churns before, 1028M is more than node 0's 1G/,
      ],
      [
        ["scenarios/compaction.yaml", "--set", "churn[0].keep=1.5"],
        /churn\[0\]\.keep: keep must be in \[0, 1\]/,
      ],
      [
        ["scenarios/compaction.yaml", "--set", "churn[0].orders=[11]"],
        /churn\[0\]\.orders\[0\]: Too big/,
      ],
      [
        ["scenarios/compaction.yaml", "--set", "churn[0].unmovable=-0.1"],
        /churn\[0\]\.unmovable: unmovable must be in \[0, 1\]/,
      ],
      [
        ["scenarios/compaction.yaml", "--set", "processes[0].start=1s"],
        /processes\[0\]\.start: starts after the scenario ends/,
      ],
      [
        ["scenarios/ping-pong.yaml", "--set", "inject=dma-oops"],
        /inject: unknown fault 'dma-oops'/,
      ],
      [
        ["scenarios/tiering.yaml", "--set", "sysctl.kernel.kpromoted_period_ms=60001"],
        /sysctl\.kernel\.kpromoted_period_ms: Too big/,
      ],
      [[bad], /processes: Too small/],
      [[join(dir, "none.yaml")], /none\.yaml: no such file/],
    ];
    for (const [args, message] of cases) {
      const r = await runCaptured(["run", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
  });
});

describe("pagemig run --reporter", () => {
  const THP_5MS = ["scenarios/ping-pong-thp.yaml", "--set", "duration=5ms"];
  const golden = (name: string) =>
    readFileSync(join(packageRoot(), "test", "golden", "run", name), "utf8");

  it("writes each reporter to its file, nothing to stdout, as the reporters' goldens", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-run-"));
    const files = {
      table: "ping-pong-thp-5ms.txt",
      json: "ping-pong-thp-5ms.json",
      csv: "ping-pong-thp-5ms.csv",
      numastat: "ping-pong-thp-5ms.numastat.txt",
    };
    const r = await runCaptured([
      "run",
      ...THP_5MS,
      ...Object.entries(files).flatMap(([name, file]) => ["--reporter", `${name}=${dir}/${file}`]),
      "--reporter",
      `html=${dir}/run.html`,
      "--reporter",
      `perfetto=${dir}/run.pftrace`,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    // The perfetto reporter has the run recorded; the other reports are the same as without.
    for (const file of Object.values(files)) {
      expect(readFileSync(join(dir, file), "utf8"), file).toBe(golden(file));
    }
    expect(readFileSync(join(dir, "run.html"), "utf8")).toMatch(/^<!doctype html>\n/);
    const trace = decode(readFileSync(join(dir, "run.pftrace")));
    expect(`${trace.map((p) => JSON.stringify(p)).join("\n")}\n`).toBe(
      golden("ping-pong-thp-5ms.perfetto.jsonl"),
    );
    expect(readdirSync(dir).sort()).toEqual(
      [...Object.values(files), "run.html", "run.pftrace"].sort(),
    );
  });

  it("prints the table by default, and --json is --reporter json", async () => {
    const table = await runCaptured(["run", ...THP_5MS]);
    expect(table.stdout).toBe(golden("ping-pong-thp-5ms.txt"));
    const flag = await runCaptured(["run", ...THP_5MS, "--json"]);
    const named = await runCaptured(["run", ...THP_5MS, "--reporter", "json"]);
    expect(flag.code).toBe(0);
    expect(flag.stdout).toBe(named.stdout);
    expect(flag.stdout).toBe(golden("ping-pong-thp-5ms.json"));
  });

  it("refuses a bad reporter spec with one line, exit 2, before running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-run-"));
    const cases: [string[], RegExp][] = [
      [
        ["--reporter", "ftrace"],
        /^pagemig: --reporter ftrace: unknown reporter 'ftrace' \(known: table, json, csv, numastat, html, perfetto\)\n$/,
      ],
      [["--reporter", "xml=out.xml"], /^pagemig: --reporter xml=out\.xml: unknown reporter 'xml'/],
      [["--reporter", "json="], /--reporter json=: no file after '='/],
      [["--reporter", "table", "--json"], /table and json would all write to stdout/],
      [["--reporter", `csv=${dir}/none/x.csv`], /directory .*none does not exist/],
      [["--ftrace-buffer-kb", "4"], /unknown option '--ftrace-buffer-kb'/],
    ];
    for (const [args, message] of cases) {
      const r = await runCaptured(["run", ...THP_5MS, ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
  });

  it("leaves no file, and an earlier one whole, when the run cannot start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-run-"));
    const out = join(dir, "run.json");
    const bad = await runCaptured([
      "run",
      ...THP_5MS,
      "--set",
      "seed=0",
      "--reporter",
      `json=${out}`,
    ]);
    expect(bad.code).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(out, "earlier\n");
    const r = await runCaptured([
      "run",
      ...THP_5MS,
      "--reporter",
      `json=${out}`,
      "--reporter",
      `csv=${dir}/none/x.csv`,
    ]);
    expect(r.code).toBe(2);
    expect(readFileSync(out, "utf8")).toBe("earlier\n");
    expect(readdirSync(dir)).toEqual(["run.json"]);
  });
});

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCaptured } from "../../test-support/cli.js";
import { expectGolden } from "../../test-support/golden.js";

const run = runCaptured;

const SMALL = ["bench", "move-pages", "--total", "8M", "--folio-size", "4K,64K,2M", "--runs", "2"];

describe("pagemig bench move-pages", () => {
  it("prints the documented JSON shape, the same for the same seed (golden)", async () => {
    const r = await run([...SMALL, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      schema: "pagemig-report",
      schemaVersion: 1,
      tool: "pagemig",
      command: "bench move-pages",
      profile: "zen3-2s-ptdma",
      seed: 1,
    });
    expect(out.results).toHaveLength(3);
    for (const res of out.results) {
      expect(Object.keys(res)).toEqual(
        expect.arrayContaining([
          "migrator",
          "workers",
          "folioSizeBytes",
          "folioCount",
          "throughputGBps",
          "copyFraction",
          "firstFolioLatencyUs",
          "cpuTimeUs",
          "tlbFlushIpis",
          "phasesUs",
        ]),
      );
      expect(Object.keys(res.phasesUs)).toEqual(
        expect.arrayContaining(["unmap", "flush", "copy", "move"]),
      );
      expect(res.throughputGBps.mean).toBeGreaterThan(0);
      expect(res.copyFraction).toBeGreaterThan(0);
      expect(res.copyFraction).toBeLessThan(1);
    }
    expect(out.results.map((x: { folioCount: number }) => x.folioCount)).toEqual([2048, 128, 4]);
    expectGolden("bench-move-pages-small.json", r.stdout);
  });

  it("moves between the nodes --from and --to name, DRAM to CXL and back, and records them", async () => {
    const flags = [
      "--profile",
      "zen5-2s-cxl",
      "--folio-size",
      "2M",
      "--total",
      "16M",
      "--runs",
      "1",
    ];
    const way = async (from: string, to: string) => {
      const r = await run(["bench", "move-pages", ...flags, "--from", from, "--to", to, "--json"]);
      expect(r.stderr).toBe("");
      return JSON.parse(r.stdout).results[0];
    };
    const toCxl = await way("0", "2");
    const fromCxl = await way("2", "0");
    expect(toCxl).toMatchObject({ fromNode: 0, toNode: 2 });
    expect(fromCxl).toMatchObject({ fromNode: 2, toNode: 0 });
    // Every page moved (pgmigrate_success counts base pages: 16M of them).
    expect(toCxl.vmstat.pgmigrate_success).toBe(4096);
    expect(fromCxl.vmstat.pgmigrate_success).toBe(4096);
    expect(toCxl.throughputGBps.mean).toBeGreaterThan(0);
    // The default is node 0 to node 1, as the authors' benchmark.
    expect(await way("0", "1")).toMatchObject({ fromNode: 0, toNode: 1 });
  });

  it.each([
    [
      ["--from", "3"],
      "pagemig: --from 3: no such node on profile zen3-2s-ptdma (nodes: 0 (dram), 1 (dram))\n",
    ],
    [["--to", "0"], "pagemig: --to 0: the same node as --from\n"],
    [["--to", "x"], "pagemig: --to: expected a non-negative integer, got 'x'\n"],
  ])("refuses nodes %j with one line", async (flags, message) => {
    const r = await run(["bench", "move-pages", "--total", "4M", ...flags]);
    expect(r).toEqual({ code: 2, stdout: "", stderr: message });
  });

  it("prints a readable table by default", async () => {
    const r = await run([...SMALL]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^MIGRATOR\s+WORKERS\s+FOLIO\s+FOLIOS\s+BATCH\s+GB\/s/);
    expectGolden("bench-move-pages-small.txt", r.stdout);
  });

  it("verifies every page in bytes mode and reports the host copy rate", async () => {
    const r = await run([...SMALL, "--verify", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const res of out.results) {
      // Two timed moves and the untimed move back between them, each verified.
      expect(res.pagesVerified).toBe(3 * 2048);
      expect(res.hostCopyGBps).toBeGreaterThan(0);
    }
    // Bytes mode changes nothing in virtual time.
    const plain = JSON.parse((await run([...SMALL, "--json"])).stdout);
    expect(out.results.map((x: { throughputGBps: unknown }) => x.throughputGBps)).toEqual(
      plain.results.map((x: { throughputGBps: unknown }) => x.throughputGBps),
    );
  });

  it("sweeps --batch-pages and a larger batch shortens the total but delays the first folio", async () => {
    const r = await run([
      "bench",
      "move-pages",
      "--total",
      "8M",
      "--folio-size",
      "4K",
      "--batch-pages",
      "8,512",
      "--runs",
      "1",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const [small, large] = JSON.parse(r.stdout).results;
    expect(small.batchPages).toBe(8);
    expect(large.batchPages).toBe(512);
    expect(large.firstFolioLatencyUs).toBeGreaterThan(small.firstFolioLatencyUs);
  });

  it("sweeps --count (T7's folios per call): throughput rises with the folios a call amortises its costs over", async () => {
    const counts = [1, 8, 64, 512];
    const r = await run([
      "bench",
      "move-pages",
      "--folio-size",
      "2M",
      "--count",
      counts.join(","),
      "--migrator",
      "serial,mtcopy,dcbm",
      "--threads",
      "1",
      "--channels",
      "1",
      "--batch-pages",
      "262144",
      "--runs",
      "1",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout).results as {
      migrator: string;
      folioCount: number;
      throughputGBps: { mean: number };
    }[];
    expect(results).toHaveLength(3 * counts.length);
    for (const m of ["serial", "mtcopy", "dcbm"]) {
      const of = results.filter((x) => x.migrator === m);
      expect(of.map((x) => x.folioCount)).toEqual(counts);
      for (let i = 1; i < of.length; i++) {
        expect(of[i].throughputGBps.mean).toBeGreaterThan(of[i - 1].throughputGBps.mean);
      }
      // One folio pays the per-call costs alone: a quarter below the plateau.
      expect(of[0].throughputGBps.mean / of[3].throughputGBps.mean).toBeLessThan(0.75);
    }
  });

  it("refuses a --total list with an item that is not a multiple of a folio size, naming it", async () => {
    const r = await run(["bench", "move-pages", "--folio-size", "2M", "--total", "4M,3M"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("pagemig: --total 3M: not a multiple of the folio size 2M");
    const e = await run(["explain", "--count", "1,2"]);
    expect(e.code).toBe(2);
    expect(e.stderr.trim()).toBe(
      "pagemig: --count: explain takes one configuration, not a list of 2",
    );
  });

  it("sweeps migrators with their threads and channels, each verified in bytes mode", async () => {
    const r = await run([
      "bench",
      "move-pages",
      "--total",
      "16M",
      "--folio-size",
      "2M",
      "--runs",
      "1",
      "--batch-pages",
      "262144",
      "--migrator",
      "serial,batch-cpu,mtcopy,dcbm,dcbm-v2",
      "--threads",
      "1,4",
      "--channels",
      "1,4",
      "--verify",
      "--json",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout).results.map(
      (x: { migrator: string; workers: number; pagesVerified: number }) => [
        x.migrator,
        x.workers,
        x.pagesVerified,
      ],
    );
    expect(got).toEqual([
      ["serial", 1, 4096],
      ["batch-cpu", 1, 4096],
      ["mtcopy", 1, 4096],
      ["mtcopy", 4, 4096],
      ["dcbm", 1, 4096],
      ["dcbm", 4, 4096],
      ["dcbm-v2", 1, 4096],
      ["dcbm-v2", 4, 4096],
    ]);
    const gbps = Object.fromEntries(
      JSON.parse(r.stdout).results.map(
        (x: { migrator: string; workers: number; throughputGBps: { mean: number } }) => [
          `${x.migrator}/${x.workers}`,
          x.throughputGBps.mean,
        ],
      ),
    );
    // More copy threads and more channels move 2M folios faster.
    expect(gbps["mtcopy/4"]).toBeGreaterThan(1.5 * gbps["mtcopy/1"]);
    expect(gbps["dcbm/4"]).toBeGreaterThan(1.5 * gbps["dcbm/1"]);
  });

  it("survives injected faults with every page intact", async () => {
    const r = await run([
      "bench",
      "move-pages",
      "--total",
      "8M",
      "--folio-size",
      "4K,2M",
      "--runs",
      "2",
      "--migrator",
      "mtcopy,dcbm",
      "--inject",
      "all",
      "--verify",
      "--json",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const x of JSON.parse(r.stdout).results) expect(x.pagesVerified).toBe(3 * 2048);
  });

  it("sweeps --cpu-load, shown in a CPU-LOAD column only when some run was busy", async () => {
    const flags = [
      "--profile",
      "small-2node",
      "--folio-size",
      "2M",
      "--total",
      "8M",
      "--runs",
      "1",
    ];
    const idle = await run(["bench", "move-pages", ...flags]);
    expect(idle.stdout).not.toContain("CPU-LOAD");
    const busy = await run(["bench", "move-pages", ...flags, "--cpu-load", "0,3", "--json"]);
    expect(busy.code).toBe(0);
    const [r0, r3] = JSON.parse(busy.stdout).results;
    expect([r0.cpuLoad, r3.cpuLoad]).toEqual([0, 3]);
    expect(r3.callTimeUs).toBeCloseTo(4 * r0.callTimeUs, 3);
    const table = await run(["bench", "move-pages", ...flags, "--cpu-load", "0,3"]);
    expect(table.stdout.split("\n")[0]).toMatch(/BATCH\s+CPU-LOAD\s+GB\/s/);
  });

  it.each([
    [["--threads", "2"], /^pagemig: --threads: no --migrator given that has threads/],
    [
      ["--migrator", "dcbm", "--channels", "0"],
      /^pagemig: --channels: expected a positive integer/,
    ],
    [
      ["--migrator", "mtcopy", "--placement", "near"],
      /^pagemig: --placement: 'near' is not spread or fill/,
    ],
    [["--inject", "gremlins"], /^pagemig: --inject: unknown fault 'gremlins'/],
    [["--folio-size", "3K"], /^pagemig: --folio-size: '3K' is not a folio size/],
    [["--folio-size", "4M"], /^pagemig: --folio-size: '4M' is not a folio size/],
    [["--total", "1X"], /^pagemig: --total: invalid size '1X'/],
    [["--runs", "0"], /^pagemig: --runs: expected a positive integer/],
    [["--migrator", "warp"], /^pagemig: --migrator: unknown migrator 'warp'/],
    [["--profile", "nope"], /^pagemig: profile 'nope'/],
    [["--total", "1G", "--count", "3"], /^pagemig: --total and --count/],
    [["--total", "6K", "--folio-size", "4K"], /^pagemig: --total 6K: not a multiple/],
    [["--batch-pages", "0"], /^pagemig: --batch-pages: expected a positive integer/],
    [["--cpu-load", "-1"], /^pagemig: --cpu-load: expected a non-negative integer, got '-1'/],
    [["--cpu-load", "65"], /^pagemig: --cpu-load: at most 64, got 65$/m],
    [["--cpu-load", "1,"], /^pagemig: --cpu-load: empty item in list '1,'/],
    [["--frobnicate"], /^pagemig: unknown option '--frobnicate'/],
    [["--reporter", "xml"], /^pagemig: --reporter xml: unknown reporter 'xml' \(known: table, /],
    [["--reporter", "csv="], /^pagemig: --reporter csv=: no file after '='/],
    [["--reporter", "csv", "--json"], /^pagemig: --reporter: csv and json would all write/],
    [["--reporter", "json=/nonexistent/x.json"], /directory \/nonexistent does not exist/],
  ])("bad input %j exits 2 with one line", async (flags, message) => {
    const r = await run(["bench", "move-pages", ...flags]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("writes several reporters at once, each to its own file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-bench-"));
    const r = await run([
      ...SMALL,
      "--reporter",
      `json=${dir}/r.json`,
      "--reporter",
      `csv=${dir}/r.csv`,
      "--reporter",
      `migspeed=${dir}/migspeed.txt`,
      "--reporter",
      `ftrace=${dir}/trace.txt`,
      "--reporter",
      "table",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["migspeed.txt", "r.csv", "r.json", "trace.txt"]);
    // ftrace needs recordings, so the runs were recorded; the JSON leaves them out.
    expect(readFileSync(join(dir, "trace.txt"), "utf8")).toMatch(/mm_migrate_pages/);
    // The same document as --json prints, the same table as the default.
    expect(readFileSync(join(dir, "r.json"), "utf8")).toBe(
      (await run([...SMALL, "--json"])).stdout,
    );
    expect(r.stdout).toBe((await run(SMALL)).stdout);
    expect(readFileSync(join(dir, "r.csv"), "utf8").split("\r\n")).toHaveLength(3 + 2);
    expect(readFileSync(join(dir, "migspeed.txt"), "utf8")).toMatch(
      /^(\d+\.\d Mbyte migrated in \d+\.\d\d secs\. \d+\.\d Mbytes\/second\n){3}$/,
    );
  });

  it("refuses a sweep before its first run when a later configuration cannot fit, leaving files as they were", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-bench-"));
    writeFileSync(join(dir, "r.json"), "earlier\n");
    // 1000 4K folios fit on a 1G node, 1000 2M folios do not: planning fails, nothing runs.
    const r = await run([
      "bench",
      "move-pages",
      "--profile",
      "small-2node",
      "--folio-size",
      "4K,2M",
      "--count",
      "1000",
      "--runs",
      "1",
      "--reporter",
      `json=${dir}/r.json`,
      "--reporter",
      `csv=${dir}/r.csv`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "pagemig: --count 1000: 2000M of 2M folios does not fit on node 0 of profile small-2node (1G)\n",
    );
    expect(r.stdout).toBe("");
    expect(readdirSync(dir)).toEqual(["r.json"]);
    expect(readFileSync(join(dir, "r.json"), "utf8")).toBe("earlier\n");
  });

  it("refuses dcbm and dcbm-v2 on a profile without DMA engines, before any run or file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-bench-"));
    for (const migrator of ["dcbm", "dcbm-v2", "serial,dcbm-v2"]) {
      const r = await run([
        "bench",
        "move-pages",
        "--profile",
        "small-2node",
        "--migrator",
        migrator,
        "--reporter",
        `json=${dir}/r.json`,
      ]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        `pagemig: --migrator ${migrator.replace("serial,", "")}: profile small-2node has no DMA engine (dma.devices)\n`,
      );
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("writes an ftrace report of --ftrace-buffer-kb per CPU, the machine's CPUs as #P:", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-bench-"));
    const file = join(dir, "trace.txt");
    const r = await run([
      "bench",
      "move-pages",
      "--profile",
      "small-2node",
      "--migrator",
      "mtcopy",
      "--folio-size",
      "64K",
      "--total",
      "8M",
      "--runs",
      "1",
      "--reporter",
      `ftrace=${file}`,
      "--ftrace-buffer-kb",
      "4",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = readFileSync(file, "utf8").split("\n").slice(0, -1);
    const events = lines.filter((l) => !l.startsWith("#"));
    expect(events.reduce((n, l) => n + l.length + 1, 0)).toBeLessThanOrEqual(4096);
    // 128 folios of 64K: more events than 4K of text holds; small-2node has 8 CPUs.
    const [, kept, written] = /entries-written: (\d+)\/(\d+) {3}#P:8$/.exec(lines[2]) ?? [];
    expect(Number(kept)).toBe(events.length);
    expect(Number(written)).toBeGreaterThan(events.length);
  });

  it("says so before running when the profile cannot hold the region", async () => {
    const r = await run(["bench", "move-pages", "--profile", "small-2node", "--total", "2G"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pagemig: --total .* does not fit on node 0 of profile small-2node/);
    expect(r.stdout).toBe("");
  });
});

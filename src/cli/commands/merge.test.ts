/**
 * `--shard` and `pagemig merge` as they are meant to be used: every shard a separate
 * `node dist/cli/main.js` process (test/global-setup.ts builds dist/ first), all at once, and
 * the merged outputs compared byte for byte with the unsharded command's.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../machine/package-root.js";
import { runCaptured } from "../../test-support/cli.js";

const exec = promisify(execFile);
const MAIN = join(packageRoot(), "dist", "cli", "main.js");

/** Runs `pagemig ARGS` in its own process and returns its stdout; fails on any stderr. */
async function pagemig(args: string[]): Promise<string> {
  const { stdout, stderr } = await exec(process.execPath, [MAIN, ...args], {
    cwd: packageRoot(),
    maxBuffer: 1 << 30,
  });
  expect(stderr).toBe("");
  return stdout;
}

const SHARDS = 3;
/** Five processes at once on a shared machine: a minute each when the machine is busy. */
const PROCESSES_MS = 600_000;
const shardSpecs = Array.from({ length: SHARDS }, (_, i) => `${i + 1}/${SHARDS}`);

describe("pagemig merge of shards run as separate processes", () => {
  it(
    "run: the merged table, json, csv, numastat and html are the unsharded run's, byte for byte",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "pagemig-shard-run-"));
      const sweep = [
        "run",
        "scenarios/ping-pong.yaml",
        "--set",
        "duration=10ms",
        "--sweep",
        "engine.migrator=serial,mtcopy,dcbm",
        "--sweep",
        "engine.batchPages=512,4096",
      ];
      const formats = ["table", "json", "csv", "numastat", "html"];
      const reporters = (prefix: string) =>
        formats.flatMap((f) => ["--reporter", `${f}=${join(dir, `${prefix}.${f}`)}`]);
      const shardFiles = shardSpecs.map((_, i) => join(dir, `shard-${i + 1}.json`));
      // The shards in reverse order of starting, and the unsharded run beside them.
      await Promise.all([
        pagemig([...sweep, ...reporters("unsharded")]),
        ...shardSpecs
          .map((spec, i) =>
            pagemig([...sweep, "--shard", spec, "--reporter", `json=${shardFiles[i]}`]),
          )
          .reverse(),
      ]);
      // Each shard holds runs i, i+3 of the six, in the sweep's order.
      const shard2 = JSON.parse(readFileSync(shardFiles[1], "utf8"));
      expect(shard2.shard).toMatchObject({ index: 2, count: 3, totalRuns: 6, runIndices: [1, 4] });
      expect(shard2.runs.map((r: { settings: string[] }) => r.settings.join(" "))).toEqual([
        "engine.migrator=serial engine.batchPages=4096",
        "engine.migrator=dcbm engine.batchPages=512",
      ]);
      // The first run is in shard 1 only: the merged differences to it must still be right.
      await pagemig(["merge", ...[...shardFiles].reverse(), ...reporters("merged")]);
      for (const f of formats) {
        const merged = readFileSync(join(dir, `merged.${f}`));
        expect(merged.length, f).toBeGreaterThan(1000);
        expect(merged.equals(readFileSync(join(dir, `unsharded.${f}`))), f).toBe(true);
      }
      const table = readFileSync(join(dir, "merged.table"), "utf8");
      expect(table).toMatch(/^engine\.migrator=dcbm engine\.batchPages=4096 +[\d.]+ +-[\d.]+%/m);
    },
    PROCESSES_MS,
  );

  it(
    "tune: the merged text and --json are the unsharded search's, byte for byte",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "pagemig-shard-tune-"));
      const search = [
        "tune",
        "--profile",
        "small-2node",
        "--folio-size",
        "2M",
        "--total",
        "16M",
        "--jobs",
        "1",
        "--no-progress",
      ];
      const [text, json, ...shards] = await Promise.all([
        pagemig(search),
        pagemig([...search, "--json"]),
        ...shardSpecs.map((spec) => pagemig([...search, "--shard", spec])),
      ]);
      const shardFiles = shards.map((out, i) => {
        const file = join(dir, `tune-${i + 1}.json`);
        writeFileSync(file, out);
        return file;
      });
      // 70 distinct simulations dealt to 3 shards.
      expect(shards.map((s) => JSON.parse(s).outcomes.length)).toEqual([24, 23, 23]);
      expect(await pagemig(["merge", ...shardFiles])).toBe(text);
      expect(await pagemig(["merge", ...shardFiles.reverse(), "--json"])).toBe(json);
      expect(text).toMatch(/^Recommended: /m);
    },
    PROCESSES_MS,
  );
});

describe("bad shards and merges", () => {
  it("refuse a bad --shard, a shard without a sweep, or a report only a merge writes, in one line", async () => {
    const sweep = ["run", "scenarios/ping-pong.yaml", "--sweep", "engine.migrator=serial,dcbm"];
    const cases: [string[], string][] = [
      [[...sweep, "--shard", "0/2"], "--shard 0/2: shards count from 1 (1/2)"],
      [[...sweep, "--shard", "3/2"], "--shard 3/2: index 3 is beyond the 2 shards"],
      [[...sweep, "--shard", "a/b"], "--shard: expected INDEX/COUNT such as 2/3, got 'a/b'"],
      [
        [...sweep, "--shard", "1/3"],
        "--shard 1/3: there are 2 runs in the sweep, so at most 2 shards",
      ],
      [
        ["run", "scenarios/ping-pong.yaml", "--shard", "1/2"],
        "--shard 1/2: needs --sweep (without one there is a single run)",
      ],
      [
        [...sweep, "--shard", "1/2", "--reporter", "csv"],
        "--reporter csv: a shard writes only its json report; pagemig merge writes the others",
      ],
      [
        ["tune", "--profile", "small-2node", "--total", "16M", "--shard", "2/0"],
        "--shard 2/0: the count must be at least 1",
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCaptured(args);
      expect(r, args.join(" ")).toEqual({ code: 2, stdout: "", stderr: `pagemig: ${message}\n` });
    }
  });

  it("refuse shards of different sweeps, versions, kinds, or a set with one missing or twice", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-shard-bad-"));
    const shard = async (sweepValues: string, spec: string, name: string) => {
      const file = join(dir, name);
      const r = await runCaptured([
        "run",
        "scenarios/ping-pong.yaml",
        "--set",
        "duration=2ms",
        "--sweep",
        `engine.migrator=${sweepValues}`,
        "--shard",
        spec,
        "--reporter",
        `json=${file}`,
      ]);
      expect(r.code).toBe(0);
      return file;
    };
    const one = await shard("serial,dcbm", "1/2", "one.json");
    const two = await shard("serial,dcbm", "2/2", "two.json");
    const otherSweep = await shard("serial,mtcopy", "2/2", "other.json");
    const old = join(dir, "old.json");
    writeFileSync(
      old,
      readFileSync(two, "utf8").replace(/"version": "[^"]*"/, '"version": "0.0.1"'),
    );
    const noCallers = join(dir, "no-callers.json");
    const stripped = JSON.parse(readFileSync(two, "utf8"));
    delete stripped.runs[0].result.callers;
    writeFileSync(noCallers, JSON.stringify(stripped));
    const whole = join(dir, "whole.json");
    const notJson = join(dir, "table.txt");
    const r = await runCaptured([
      "run",
      "scenarios/ping-pong.yaml",
      "--set",
      "duration=2ms",
      "--reporter",
      `json=${whole}`,
      "--reporter",
      `table=${notJson}`,
    ]);
    expect(r.code).toBe(0);
    const tuneShard = join(dir, "tune.json");
    writeFileSync(tuneShard, '{ "schema": "pagemig-tune-shard" }');
    const cases: [string[], RegExp][] = [
      [[one], /^merge: shard 2\/2 missing$/],
      [[one, two, two], /^merge: .*two\.json and .*two\.json are both shard 2\/2$/],
      [[one, otherSweep], /^merge: .*other\.json and .*one\.json differ in --sweep$/],
      [[one, tuneShard], /^merge: .*one\.json is a shard of run and .*tune\.json of tune$/],
      [[one, old], /^merge: .*old\.json was written by pagemig 0\.0\.1; this is /],
      [[one, whole], /^merge: .*whole\.json: a pagemig-run report of a whole run, not of a shard/],
      // The report's schema is explain's (report/run/read.ts).
      [
        [one, noCallers],
        /^merge: .*no-callers\.json: runs\[0\]\.result\.callers: written by an older pagemig \(its results have no callers\); run the scenario again$/,
      ],
      [[one, notJson], /^merge: .*table\.txt: not JSON/],
      [[one, join(dir, "none.json")], /^merge: .*none\.json: no such file$/],
    ];
    for (const [files, message] of cases) {
      const m = await runCaptured(["merge", ...files]);
      expect(m.code, files.join(" ")).toBe(2);
      expect(m.stdout).toBe("");
      expect(m.stderr).toMatch(/^pagemig: [^\n]*\n$/);
      expect(m.stderr.slice("pagemig: ".length, -1)).toMatch(message);
    }
  });
});

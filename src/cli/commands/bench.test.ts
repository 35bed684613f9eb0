import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../machine/package-root.js";
import { main } from "../main.js";

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

/** Compare with a file under test/golden; UPDATE_GOLDEN=1 rewrites it. */
function expectGolden(name: string, actual: string): void {
  const path = join(packageRoot(), "test", "golden", name);
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

const SMALL = ["bench", "move-pages", "--total", "8M", "--folio-size", "4K,64K,2M", "--runs", "2"];

describe("pagemig bench move-pages", () => {
  it("prints the documented JSON shape, the same for the same seed (golden)", async () => {
    const r = await run([...SMALL, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
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

  it("prints a readable table by default", async () => {
    const r = await run([...SMALL]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^MIGRATOR\s+FOLIO\s+FOLIOS\s+BATCH\s+GB\/s/);
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

  it.each([
    [["--folio-size", "3K"], /^pagemig: --folio-size: '3K' is not a folio size/],
    [["--folio-size", "4M"], /^pagemig: --folio-size: '4M' is not a folio size/],
    [["--total", "1X"], /^pagemig: --total: invalid size '1X'/],
    [["--runs", "0"], /^pagemig: --runs: expected a positive integer/],
    [["--migrator", "warp"], /^pagemig: --migrator: unknown migrator 'warp'/],
    [["--profile", "nope"], /^pagemig: profile 'nope'/],
    [["--total", "1G", "--count", "3"], /^pagemig: --total and --count/],
    [["--total", "6K", "--folio-size", "4K"], /^pagemig: --total 6K: not a multiple/],
    [["--batch-pages", "0"], /^pagemig: --batch-pages: expected a positive integer/],
    [["--frobnicate"], /^pagemig: unknown option '--frobnicate'/],
  ])("bad input %j exits 2 with one line", async (flags, message) => {
    const r = await run(["bench", "move-pages", ...flags]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("says so before running when the profile cannot hold the region", async () => {
    const r = await run(["bench", "move-pages", "--profile", "small-2node", "--total", "2G"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pagemig: --total .* does not fit on node 0 of profile small-2node/);
    expect(r.stdout).toBe("");
  });
});

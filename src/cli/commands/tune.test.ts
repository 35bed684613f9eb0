import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCaptured as run } from "../../test-support/cli.js";

describe("pagemig tune", () => {
  it("recommends a setting for the default profile with a latency budget, with its reasoning", async () => {
    const r = await run(["tune", "--latency-budget", "500us", "--no-progress"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(
      /^profile zen3-2s-ptdma: 1G per call of 2M 100%; reasons syscall_or_cpuset 100%\n/,
    );
    expect(out).toMatch(/\nbudgets: first folio 500 us\n/);
    expect(out).toMatch(/\nMIGRATOR\s+WORKERS\s+MIN-BATCH\s+BATCH\s+REASONS\s+GB\/s\s+CPU-ms\/GiB/);
    expect(out).toMatch(/\nRecommended: .*\n {2}[\d.]+ GB\/s \(\+[\d.]+% over vanilla's [\d.]+\)/);
    expect(out).toMatch(/\nWhy:\n {2}- The latency budget \(500 us to the first folio\) binds/);
    expect(out).toMatch(/\n {2}- Against vanilla \(serial, batch 512\): /);
    expect(out).toMatch(/\nSettings:\n/);
    expect(out).toMatch(/\nIn the model: pagemig bench move-pages --migrator /);
  });

  it("prints the front and the recommendation as JSON", async () => {
    const r = await run(["tune", "--latency-budget", "500us", "--total", "256M", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.profile).toBe("zen3-2s-ptdma");
    expect(doc.workload.budgets).toEqual({ firstFolioUs: 500, callMs: null, cpu: null });
    expect(doc.front.length).toBeGreaterThan(0);
    for (const p of doc.front) {
      expect(p.firstFolioUs).toBeLessThanOrEqual(500);
      expect(p.exceeds).toEqual([]);
    }
    const rec = doc.recommendation;
    expect(rec.firstFolioUs).toBeLessThanOrEqual(500);
    const { reasoning, driverParameters, settings, bench, gainOverVanilla, ...point } = rec;
    expect(doc.front).toContainEqual(point);
    expect(rec.gainOverVanilla).toBeCloseTo(rec.throughputGBps / doc.vanilla.throughputGBps - 1, 9);
    expect(reasoning.length).toBeGreaterThan(2);
    expect(settings.length).toBeGreaterThan(1);
    expect(bench).toMatch(/^pagemig bench move-pages --migrator /);
    expect(gainOverVanilla).toBeGreaterThan(0);
    expect(driverParameters.batchPages).toBe(rec.batchPages);
  });

  it("reads a workload file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-tune-"));
    const path = join(dir, "w.yaml");
    writeFileSync(path, "folioSizes: { 2M: 1 }\ntotal: 64M\ncpuBudget: 1cores\n");
    const r = await run(["tune", "--workload", path, "--json", "--jobs", "1"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.workload.totalBytes).toBe(64 << 20);
    expect(doc.recommendation.cores).toBeLessThanOrEqual(1);
  });

  it("takes --seed, as bench does, and records it", async () => {
    const r = await run(["tune", "--total", "4M", "--seed", "7", "--json", "--jobs", "1"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).seed).toBe(7);
  });

  it.each([
    [["--folio-size", "3K"], /^pagemig: --folio-size: '3K' is not a folio size/],
    [["--reasons", "gc"], /^pagemig: --reasons: unknown migrate reason 'gc'/],
    [["--latency-budget", "5"], /^pagemig: --latency-budget: invalid duration '5'/],
    [["--cpu-budget", "lots"], /^pagemig: --cpu-budget: invalid CPU budget 'lots'/],
    [["--jobs", "0"], /^pagemig: --jobs: expected a positive integer/],
    [["--jobs", "65"], /^pagemig: --jobs: at most 64 threads, got 65$/m],
    [["--seed", "x"], /^pagemig: --seed: expected a positive integer, got 'x'$/m],
    [["--workers", "2"], /^pagemig: unknown option '--workers'$/m],
    [
      ["--workload", "/nonexistent/w.yaml"],
      /^pagemig: --workload \/nonexistent\/w\.yaml: no such file/,
    ],
    [["--profile", "nope"], /^pagemig: profile 'nope'/],
    [["--profile", "small-2node", "--total", "4G"], /^pagemig: --total 4G: does not fit on node 0/],
  ])("bad input %j exits 2 with one line", async (flags, message) => {
    const r = await run(["tune", ...flags]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

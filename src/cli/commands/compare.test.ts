import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCaptured } from "../../test-support/cli.js";
import { expectGolden } from "../../test-support/golden.js";

/** bench on zen3-2s-ptdma and on zen5-2s-cxl (which adds 64K); two 2 ms ping-pong runs. */
const FIXTURES = "test/fixtures/compare";
const ZEN3 = `${FIXTURES}/zen3.json`;
const ZEN5 = `${FIXTURES}/zen5.json`;
const RUN_SERIAL = `${FIXTURES}/run-serial.json`;
const RUN_MTCOPY = `${FIXTURES}/run-mtcopy.json`;

const tmp = () => mkdtempSync(join(tmpdir(), "pagemig-compare-"));

describe("pagemig compare", () => {
  it("puts two bench reports side by side, configuration by configuration (golden)", async () => {
    const r = await runCaptured(["compare", ZEN3, ZEN5]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expectGolden("compare-bench.txt", r.stdout);
    expect(r.stdout).toMatch(/^only in B: serial, workers 1, 64K x 256, /m);
  });

  it("writes every metric as CSV (golden) and as a versioned JSON document", async () => {
    const csv = await runCaptured(["compare", ZEN3, ZEN5, "--reporter", "csv"]);
    expect(csv.code).toBe(0);
    expectGolden("compare-bench.csv", csv.stdout);
    const json = await runCaptured(["compare", ZEN3, ZEN5, "--json"]);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({
      schema: "pagemig-compare",
      command: "compare",
      compared: { schema: "pagemig-report", command: "bench move-pages" },
      a: { file: ZEN3, profile: "zen3-2s-ptdma" },
      b: { file: ZEN5, profile: "zen5-2s-cxl" },
    });
    expect(doc.matched).toHaveLength(4);
    // The numbers are the reports' own, and the differences follow from them.
    const a = JSON.parse(readFileSync(ZEN3, "utf8")).results[0];
    const b = JSON.parse(readFileSync(ZEN5, "utf8")).results[0];
    const t = doc.matched[0].metrics.find((m: { name: string }) => m.name === "throughput");
    expect(t).toEqual({
      name: "throughput",
      unit: "GB/s",
      primary: true,
      a: a.throughputGBps.mean,
      b: b.throughputGBps.mean,
      diff: b.throughputGBps.mean - a.throughputGBps.mean,
      relative: b.throughputGBps.mean / a.throughputGBps.mean - 1,
    });
  });

  it("compares two runs of a scenario thread by thread and mover by mover", async () => {
    const r = await runCaptured(["compare", RUN_SERIAL, RUN_MTCOPY]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^thread selftest cpu 1\s+ops \(ops\/s\)/m);
    expect(r.stdout).toMatch(/^mover 0 selftest\/page\s+migration \(GB\/s\)/m);
  });

  it("draws the comparison as an HTML page of charts, one per main metric", async () => {
    const r = await runCaptured(["compare", ZEN3, ZEN5, "--reporter", "html"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<!doctype html>/);
    expect(r.stdout.match(/<figure /g)).toHaveLength(4);
    expect(r.stdout.match(/<svg /g)).toHaveLength(4);
    expect(r.stdout).toContain("Every configuration: batch 512, cpu-load 0, node 0-&gt;1.");
  });

  it("compares the model's bench with a host's (host bench move-pages: fewer metrics, its nodes once)", async () => {
    const dir = tmp();
    const model = JSON.parse(readFileSync(ZEN3, "utf8"));
    const kept = ["migrator", "workers", "folioSizeBytes", "folioCount", "batchPages", "cpuLoad"];
    const host = {
      ...model,
      command: "host bench move-pages",
      profile: "host",
      host: { source: "host", kernel: "6.16.0", nodes: { from: 0, to: 1 }, facts: {} },
      results: model.results.map((x: Record<string, unknown>) => ({
        ...Object.fromEntries(kept.map((k) => [k, x[k]])),
        runs: 3,
        throughputGBps: { mean: 2 * (x.throughputGBps as { mean: number }).mean, sd: 0.1 },
        callTimeUs: (x.callTimeUs as number) / 2,
        cpuTimeUs: x.cpuTimeUs,
        vmstat: x.vmstat,
        callsUs: [1, 2, 3],
        foliosObtained: null,
        anonHugeBytes: 0,
      })),
    };
    writeFileSync(join(dir, "host.json"), JSON.stringify(host));
    const r = await runCaptured(["compare", ZEN3, join(dir, "host.json"), "--json"]);
    expect(r.stderr).toBe("");
    const doc = JSON.parse(r.stdout);
    expect(doc.compared.command).toBe("bench move-pages / host bench move-pages");
    expect(doc.b.host).toBe("Linux 6.16.0");
    expect(doc.matched).toHaveLength(4);
    expect(doc.onlyA).toEqual([]);
    const names = doc.matched[0].metrics.map((m: { name: string }) => m.name);
    expect(names).toEqual(["throughput", "call", "CPU", "pages migrated"]);
    expect(doc.matched[0].metrics[0].relative).toBeCloseTo(1, 12);
    expect(doc.matched[0].metrics[1].relative).toBeCloseTo(-0.5, 12);
  });

  it.each([
    [
      [ZEN3, RUN_SERIAL],
      `pagemig: compare: ${ZEN3} is bench move-pages (pagemig-report), ${RUN_SERIAL} is run (pagemig-run); compare two reports of the same command\n`,
    ],
    [[ZEN3, "nope.json"], "pagemig: nope.json: no such file\n"],
    [
      [ZEN3, "package.json"],
      "pagemig: package.json: not a pagemig JSON document (no schema and tool in its header)\n",
    ],
    [[ZEN3, "README.md"], expect.stringMatching(/^pagemig: README\.md: not JSON: /)],
    [[ZEN3, ZEN5, "--reporter", "svg"], expect.stringMatching(/^pagemig: --reporter svg: /)],
  ])("%j exits 2 with one line", async (argv, message) => {
    const r = await runCaptured(["compare", ...argv]);
    expect(r).toEqual({ code: 2, stdout: "", stderr: message });
  });

  it("refuses a schema version it does not read, and a document whose fields are not numbers", async () => {
    const dir = tmp();
    const doc = JSON.parse(readFileSync(ZEN3, "utf8"));
    writeFileSync(join(dir, "v2.json"), JSON.stringify({ ...doc, schemaVersion: 2 }));
    const v2 = await runCaptured(["compare", ZEN3, join(dir, "v2.json")]);
    expect(v2).toEqual({
      code: 2,
      stdout: "",
      stderr: `pagemig: ${join(dir, "v2.json")}: pagemig-report schema version 2; this pagemig reads version 1\n`,
    });
    doc.results[1].callTimeUs = "slow";
    writeFileSync(join(dir, "bad.json"), JSON.stringify(doc));
    const bad = await runCaptured(["compare", join(dir, "bad.json"), ZEN3]);
    expect(bad.stderr).toBe(
      `pagemig: ${join(dir, "bad.json")}: results[1].callTimeUs: not a number\n`,
    );
    expect(bad.code).toBe(2);
  });
});

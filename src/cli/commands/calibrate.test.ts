import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { publishedReport } from "../../calibration/published-report.js";
import { runCli } from "../program.js";
import * as calibrate from "./calibrate.js";
import * as published from "./published.js";

async function run(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, [calibrate, published], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), "pagemig-calibrate-"));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
};

describe("pagemig published", () => {
  it("prints the tables as a pagemig-report document", async () => {
    const r = await run(["published", "T1,T3"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(publishedReport(["T1", "T3"]));
  });

  it("keeps only the cells of the folio sizes asked", async () => {
    const r = await run(["published", "T1,T2,T3", "--folio-size", "2M"]);
    expect(r.code).toBe(0);
    const sizes = JSON.parse(r.stdout).results.map(
      (x: { folioSizeBytes: number }) => x.folioSizeBytes,
    );
    expect(sizes).toEqual(new Array(9).fill(2 << 20));
  });

  it.each([
    [
      "8K",
      "pagemig: --folio-size: the published tables have no 8K column (4K, 16K, 64K, 128K, 256K, 512K, 1M, 2M)\n",
    ],
    ["3M", "pagemig: --folio-size: '3M' is not a folio size (a power of two from 4K to 2M)\n"],
  ])("refuses --folio-size %s with one line", async (size, stderr) => {
    const r = await run(["published", "T1", "--folio-size", size]);
    expect(r).toEqual({ code: 2, stdout: "", stderr });
  });

  it("refuses a table it does not keep as a report", async () => {
    const r = await run(["published", "T9"]);
    expect(r).toMatchObject({
      code: 2,
      stderr: "pagemig: published table 'T9': one of T1, T2, T3\n",
    });
  });
});

describe("pagemig calibrate: bad input exits 2 with one line and writes nothing", () => {
  const t1 = () => file("t1.json", publishedReport(["T1"]));
  const out = join(dir, "fitted.yaml");
  it.each([
    [
      "a report that is not pagemig's",
      () => [file("other.json", { results: [] })],
      /other\.json: not a pagemig report/,
    ],
    ["a file that is not JSON", () => [file("text.json", "hello")], /text\.json: not JSON/],
    [
      "a report of another profile",
      () => [t1(), "--profile", "small-2node"],
      /t1\.json: a report of profile 'zen3-2s-ptdma', not of 'small-2node'/,
    ],
    [
      "a result without a throughput",
      () => [file("bad.json", { ...publishedReport(["T1"]), results: [{ migrator: "serial" }] })],
      /bad\.json: results\.0\.workers/,
    ],
    [
      "a profile that fails its schema",
      () => [
        t1(),
        "--profile",
        file(
          "broken.yaml",
          readFileSync("profiles/zen3-2s-ptdma.yaml", "utf8").replace(
            "copyGBps: 10.8",
            "copyGBps: -1",
          ),
        ),
      ],
      /broken\.yaml.*cpu\.copyGBps/,
    ],
  ])("%s", async (_what, args, message) => {
    const a = args();
    const argv = a.includes("--profile") ? a : [...a, "--profile", "zen3-2s-ptdma"];
    const r = await run(["calibrate", ...argv, "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(() => readFileSync(out)).toThrow();
  });
});

/**
 * The CLI's contract for any input: exit 0, 1 (a failed run) or 2 (bad input), every failure
 * one line on stderr, and never an internal error, whatever flags and values come in. Flag
 * values are drawn from valid and invalid tokens of every kind the flags take; regions are kept
 * small so that the runs that are valid stay quick.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runCaptured } from "../test-support/cli.js";

/** Tokens for any value: empty, signs, units, lists, overflow, other flags' words. */
const ANY_VALUE = [
  "",
  " ",
  "0",
  "1",
  "2",
  "-1",
  "1.5",
  "1e3",
  "0x10",
  "NaN",
  "Infinity",
  "99999999999999999999",
  "abc",
  ",",
  "1,",
  ",1",
  "1,,2",
  "4K",
  "3K",
  "2M",
  "4M",
  "2M,4K",
  "2M:0.7,4K:0.3",
  "2M:2",
  "4K:-1",
  "1T",
  "16E",
  "all",
  "none",
  "serial",
  "dcbm",
  "mtcopy",
  "spread",
  "fill",
  "syscall",
  "500us",
  "5",
  "-5ms",
  "300ms/G",
  "2cores",
  "dma-timeout=0.5",
  "dma-timeout=2",
  "worker-crash@1+2",
  "alloc-fail%0",
  "x=y",
  "nope",
  "/nonexistent/file.yaml",
  "small-2node",
  "zen3-2s-ptdma",
];

/** Values a flag takes when used as meant, so that valid combinations get explored too. */
const VALID: Record<string, readonly string[]> = {
  "--profile": ["zen3-2s-ptdma", "small-2node", "zen5-2s-cxl"],
  "--migrator": ["serial", "batch-cpu", "mtcopy", "dcbm", "dcbm-v2", "serial,dcbm"],
  "--threads": ["1", "3", "16", "1,2"],
  "--channels": ["1", "2", "16", "17"],
  "--from": ["0", "1", "2"],
  "--to": ["0", "1", "2", "3"],
  "--placement": ["spread", "fill", "spread,fill"],
  "--min-batch": ["0", "1", "512"],
  "--inject": [
    "all",
    "dma-timeout=0.5",
    "worker-crash@1+2",
    "alloc-fail%2",
    "pin-during-migration",
  ],
  "--folio-size": ["4K", "64K", "2M", "2M,4K"],
  "--total": ["0", "4K", "64K", "4M", "3M"],
  "--count": ["0", "1", "3", "64"],
  "--runs": ["1", "2"],
  "--seed": ["0", "7", "4294967296"],
  "--batch-pages": ["1", "512", "262144"],
  "--cpu-load": ["0", "1", "3", "0,2", "64", "65"],
  "--reporter": ["table", "json", "csv", "migspeed", "ftrace", "perfetto", "html"],
  "--root": ["/", "test/fixtures/probe/zen3-2s", "test/fixtures/probe/cxl-tier", "test"],
  "--base": ["zen3-2s-ptdma", "zen5-2s-cxl", "small-2node"],
};

/** A value for `flag`: as meant or anything at all, half and half. */
const valueFor = (flag: string): fc.Arbitrary<string> =>
  fc.oneof(fc.constantFrom(...(VALID[flag] ?? ANY_VALUE)), fc.constantFrom(...ANY_VALUE));

/** Flag/value pairs (or lone boolean flags) for a command. */
function flags(names: readonly string[], booleans: readonly string[] = []): fc.Arbitrary<string[]> {
  const pair = fc.constantFrom(...names).chain((f) => valueFor(f).map((v) => [f, v]));
  const lone = booleans.length > 0 ? [fc.constantFrom(...booleans).map((f) => [f])] : [];
  return fc.array(fc.oneof(pair, ...lone), { maxLength: 4 }).map((xs) => xs.flat());
}

async function holdsContract(argv: string[]): Promise<void> {
  const r = await runCaptured(argv);
  const context = `pagemig ${argv.map((a) => JSON.stringify(a)).join(" ")}`;
  expect([0, 1, 2], context).toContain(r.code);
  if (r.code !== 0) {
    expect(r.stderr, context).toMatch(/^pagemig: [^\n]+\n$/);
    expect(r.stderr, context).not.toMatch(/internal error/);
  }
}

const BENCH_FLAGS = [
  "--profile",
  "--migrator",
  "--threads",
  "--channels",
  "--placement",
  "--min-batch",
  "--inject",
  "--folio-size",
  "--total",
  "--count",
  "--runs",
  "--seed",
  "--batch-pages",
  "--cpu-load",
  "--from",
  "--to",
  "--reporter",
];

const EXPLAIN_FLAGS = [
  "--profile",
  "--migrator",
  "--threads",
  "--channels",
  "--placement",
  "--folio-size",
  "--total",
  "--count",
  "--batch-pages",
  "--seed",
  "--min-batch",
  "--inject",
  "--cpu-load",
  "--from",
  "--to",
];

describe("any flags and values", () => {
  it("bench move-pages keeps the exit and error contract", async () => {
    await fc.assert(
      fc.asyncProperty(flags(BENCH_FLAGS, ["--json", "--verify"]), async (fuzzed) => {
        // Small by default; a fuzzed --total, --count or --runs later on the line wins.
        await holdsContract([
          "bench",
          "move-pages",
          "--total",
          "4M",
          "--runs",
          "1",
          "--folio-size",
          "2M",
          ...fuzzed,
        ]);
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it("explain keeps the exit and error contract", async () => {
    await fc.assert(
      fc.asyncProperty(flags(EXPLAIN_FLAGS, ["--json"]), async (fuzzed) => {
        await holdsContract(["explain", "--total", "4M", ...fuzzed]);
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it("probe keeps the exit and error contract", async () => {
    await fc.assert(
      fc.asyncProperty(flags(["--root", "--base"], ["--json"]), async (fuzzed) => {
        await holdsContract(["probe", ...fuzzed]);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it("selftest keeps the exit and error contract", async () => {
    await fc.assert(
      fc.asyncProperty(
        flags(
          ["--seed", "--migrator", "--threads", "--channels", "--inject", "--path"],
          ["--json"],
        ),
        async (fuzzed) => {
          await holdsContract(["selftest", "--cases", "2", ...fuzzed]);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});

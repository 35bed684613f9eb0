import { describe, expect, it } from "vitest";
import { runCaptured } from "../../test-support/cli.js";

const run = runCaptured;

describe("pagemig selftest", () => {
  it("runs N random cases and ends with the summary line", async () => {
    const r = await run(["selftest", "--cases", "20", "--seed", "3"]);
    expect(r).toEqual({ code: 0, stdout: "20 passed, 0 failed\n", stderr: "" });
  });

  it("prints a line per case with --verbose", async () => {
    const r = await run(["selftest", "--cases", "3", "--seed", "1", "--verbose"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("case 1: ok\ncase 2: ok\ncase 3: ok\n3 passed, 0 failed\n");
  });

  it("runs the cases with a copy engine registered and every fault injected", async () => {
    const r = await run(["selftest", "--cases", "30", "--migrator", "dcbm", "--inject", "all"]);
    expect(r).toEqual({ code: 0, stdout: "30 passed, 0 failed\n", stderr: "" });
  });

  it("takes --threads and --channels, as bench does, for the engines that have them", async () => {
    const r = await run(["selftest", "--cases", "5", "--migrator", "mtcopy", "--threads", "16"]);
    expect(r).toEqual({ code: 0, stdout: "5 passed, 0 failed\n", stderr: "" });
    const d = await run(["selftest", "--cases", "5", "--migrator", "dcbm", "--channels", "4"]);
    expect(d).toEqual({ code: 0, stdout: "5 passed, 0 failed\n", stderr: "" });
  });

  it("prints a versioned JSON document with --json", async () => {
    const r = await run([
      "selftest",
      "--cases",
      "4",
      "--migrator",
      "dcbm",
      "--channels",
      "2",
      "--json",
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      schema: "pagemig-selftest",
      schemaVersion: 1,
      command: "selftest",
      migrator: "dcbm",
      workers: 2,
      ran: 4,
      passed: 4,
      failed: 0,
      failure: null,
    });
  });

  it.each([
    [
      ["--migrator", "dma"],
      "pagemig: --migrator: unknown migrator 'dma' (available: serial, batch-cpu, mtcopy, dcbm, dcbm-v2)\n",
    ],
    [
      ["--migrator", "dcbm", "--channels", "0"],
      "pagemig: --channels: expected a positive integer, got '0'\n",
    ],
    [
      ["--migrator", "batch-cpu", "--threads", "2"],
      "pagemig: --threads: migrator 'batch-cpu' has no threads\n",
    ],
    [["--channels", "2"], "pagemig: --channels: migrator 'serial' has no channels\n"],
    [
      ["--migrator", "dcbm", "--threads", "2"],
      "pagemig: --threads: migrator 'dcbm' has no threads\n",
    ],
    [
      ["--migrator", "mtcopy", "--threads", "65"],
      "pagemig: --threads: mtcopy takes at most 64 threads\n",
    ],
    [["--workers", "2"], "pagemig: unknown option '--workers'\n"],
    [["--json", "--verbose"], "pagemig: --verbose: not with --json\n"],
    [
      ["--inject", "dma-stall"],
      "pagemig: --inject: unknown fault 'dma-stall' (kinds: dma-desc-error, dma-timeout, dma-map-error, worker-crash, partial-batch, alloc-fail, pin-during-migration, all)\n",
    ],
    [["--cases", "abc"], "pagemig: --cases: expected a positive integer, got 'abc'\n"],
    [["--cases", "0"], "pagemig: --cases: expected a positive integer, got '0'\n"],
    [["--seed", "-1"], "pagemig: --seed: expected a non-negative integer, got '-1'\n"],
    [["--seed", "4294967296"], "pagemig: --seed: at most 2147483647, got '4294967296'\n"],
    [["--path", "1:x"], "pagemig: --path: expected numbers separated by ':', got '1:x'\n"],
    // Replaying would first generate that many cases: it hung.
    [
      ["--cases", "5", "--path", "99999999999999999999"],
      "pagemig: --path 99999999999999999999: not a path of this run (its first number is a case index below --cases 5)\n",
    ],
    [
      ["--cases", "5", "--path", "5"],
      "pagemig: --path 5: not a path of this run (its first number is a case index below --cases 5)\n",
    ],
    [
      ["--cases", "2", "--path", `0${":0".repeat(40)}`],
      `pagemig: --path 0${":0".repeat(40)}: not a path of this run (no case at its shrink steps)\n`,
    ],
  ])("exits 2 with one line for bad flags %j", async (flags, message) => {
    const r = await run(["selftest", ...flags]);
    expect(r).toEqual({ code: 2, stdout: "", stderr: message });
  });
});

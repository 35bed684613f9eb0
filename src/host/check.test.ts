import { describe, expect, it } from "vitest";
import { formatOutcome, runHostCheck, UNWRITTEN } from "./check.js";
import { CHECK_CASES } from "./check-cases.js";
import { draftProfile, readHost } from "./host-context.js";
import { loadLibc } from "./libc.js";

// The differential test itself: this machine's kernel against the model. It needs a Linux
// kernel to call; elsewhere there is nothing to compare with.
describe.skipIf(process.platform !== "linux")("host check on this kernel", () => {
  it("agrees with the model on every case it can run, and says why it skips the others", async () => {
    const libc = await loadLibc();
    const ctx = readHost();
    const results = runHostCheck(libc, ctx, draftProfile(ctx.facts));
    expect(results.map((r) => r.name)).toEqual(CHECK_CASES.map((c) => c.name));
    const differ = results.filter((r) => r.verdict === "differ");
    expect(differ).toEqual([]);
    for (const r of results.filter((x) => x.verdict === "skipped")) {
      expect(r.reason, r.name).toMatch(/\w/);
    }
    // Every case a one-node host can show runs: only those needing what it lacks are skipped.
    const oneNodeCases = CHECK_CASES.filter((c) => c.needs.length === 0);
    expect(results.filter((r) => r.verdict === "agree").length).toBeGreaterThanOrEqual(
      oneNodeCases.length,
    );
    if (ctx.memoryNodes.length >= 2) {
      expect(
        results.some((r) => r.name === "move: to the other node" && r.verdict === "agree"),
      ).toBe(true);
    }
  }, 60_000);
});

describe("formatOutcome", () => {
  it("names errnos, marks unwritten entries and runs, and tallies long lists", () => {
    expect(formatOutcome({ rc: -22, status: [UNWRITTEN] })).toEqual({
      rc: "-EINVAL",
      status: "[-]",
    });
    expect(formatOutcome({ rc: 0, status: [0, 0, -2, 1] })).toEqual({
      rc: "0",
      status: "[0×2 -ENOENT 1]",
    });
    expect(formatOutcome({ rc: -14, status: null })).toEqual({ rc: "-EFAULT", status: "(NULL)" });
    const long = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0 : -14));
    expect(formatOutcome({ rc: 0, status: long }).status).toBe("40: 0×20 -EFAULT×20");
  });
});

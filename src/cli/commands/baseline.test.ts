import { describe, expect, it } from "vitest";
import { main } from "../main.js";
import { runBaseline } from "./baseline.js";

describe("pagemig baseline", () => {
  it("reproduces every cell of the published T1 within 15%", async () => {
    const rows = await runBaseline("zen3-2s-ptdma", 1, 1);
    expect(rows.map((r) => r.folio)).toEqual([
      "4K",
      "16K",
      "64K",
      "128K",
      "256K",
      "512K",
      "1M",
      "2M",
    ]);
    for (const r of rows) expect(Math.abs(r.error), r.folio).toBeLessThanOrEqual(0.15);
  });

  it("prints the table beside the published numbers", async () => {
    let stdout = "";
    const code = await main(["baseline", "--runs", "1"], {
      stdout: { write: (s: string) => (stdout += s) },
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/FOLIO\s+PAGEMIG GB\/s\s+PUBLISHED GB\/s\s+ERROR/);
    expect(stdout).toMatch(/^2M\s+10\.\d\d\s+10\.67 ± 0\.36\s+[+-]\d+\.\d%$/m);
    expect(stdout).toMatch(/largest error \d+\.\d%/);
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ValidationReport } from "../../calibration/validate.js";
import { loadProfile } from "../../machine/profile.js";
import { runCaptured } from "../../test-support/cli.js";

describe("pagemig validate", () => {
  it("prints predicted beside published per cell, the band checks and the summary", async () => {
    const r = await runCaptured(["validate", "--quick", "--table", "T1,T6"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^pagemig validate: profile zen3-2s-ptdma, T6 on zen5-2s-cxl; T1-T4 region 256M/,
    );
    expect(r.stdout).toMatch(/^MIGRATOR\s+FOLIO\s+PAGEMIG\s+PUBLISHED\s+ERROR\s+BAND$/m);
    expect(r.stdout).toMatch(/^serial\s+2M\s+10\.\d\d\s+10\.67 ± 0\.36\s+[+-]\d+\.\d%\s+held$/m);
    expect(r.stdout).toMatch(
      /^DRAM0 -> CXL\s+bulk-copy optimised\s+-\s+39\.29 ± 1\.17\s+-\s+not modelled \[\d\]$/m,
    );
    expect(r.stdout).toMatch(/^ok {4}every banded cell within ±15%: worst /m);
    expect(r.stdout).toMatch(/^T1 PASS$/m);
    expect(r.stdout).toMatch(/^T6\s+6\s+3\s+[+-]\d+\.\d%\s+0\s+3\s+PASS$/m);
    expect(r.stdout).toMatch(/every band holds\n$/);
    expect(r.stdout).not.toMatch(/^T2 /m);
  });

  it("prints the report as JSON", async () => {
    const r = await runCaptured(["validate", "--quick", "--table", "claims", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ValidationReport;
    expect(report.pass).toBe(true);
    expect(report.tables.map((t) => t.id)).toEqual(["claims"]);
    const c4 = report.tables[0].cells.find((c) => c.row === "C4");
    expect(c4?.banded).toBe(true);
    expect(c4?.predicted).toBeGreaterThan(5);
  });

  it("exits 1 when a band breaks: T1 on a profile whose core copies at half the rate", async () => {
    const source = readFileSync(loadProfile("zen3-2s-ptdma").source, "utf8");
    const broken = source.replace(/^( {2}copyGBps:) 10\.8\b/m, "$1 5.4");
    expect(broken).not.toBe(source);
    const file = join(mkdtempSync(join(tmpdir(), "pagemig-validate-")), "slow-copy.yaml");
    writeFileSync(file, broken);
    const r = await runCaptured(["validate", "--quick", "--table", "T1", "--profile", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^FAIL {2}every banded cell within ±15%: worst -\d+\.\d% \(serial 2M\)$/m,
    );
    expect(r.stdout).toMatch(/^T1 FAIL$/m);
    expect(r.stdout).toMatch(/bands broken: T1\n$/);
    expect(r.stderr).toBe("pagemig: validate: bands broken in T1\n");
  });

  it("exits 2 with one line for an unknown table", async () => {
    const r = await runCaptured(["validate", "--table", "T9"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "pagemig: --table: unknown table 'T9' (tables: T1, T2, T3, T4, T5, T6, T7, claims)\n",
    );
  });

  it("exits 2 with one line, printing nothing, for a T6 profile without a CXL node", async () => {
    const r = await runCaptured(["validate", "--quick", "--cxl-profile", "small-2node"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "pagemig: --cxl-profile small-2node: T6 needs two sockets and a cxl node\n",
    );
  });
});

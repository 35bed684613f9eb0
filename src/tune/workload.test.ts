import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { MR_DEMOTION, MR_SYSCALL } from "../migrate/modes.js";
import { workloadFromFlags } from "./workload.js";

const dir = mkdtempSync(join(tmpdir(), "pagemig-workload-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("workloadFromFlags", () => {
  it("defaults to 1 GiB of 2M folios per move_pages call and no budgets", () => {
    expect(workloadFromFlags({})).toEqual({
      folioMix: [{ key: 2 << 20, weight: 1 }],
      totalBytes: 2 ** 30,
      reasons: [{ key: MR_SYSCALL, weight: 1 }],
      budgets: { firstFolioNs: undefined, callNs: undefined, cpu: undefined },
    });
  });

  it("reads a YAML workload, and flags override its fields", () => {
    const path = file(
      "w.yaml",
      [
        "folioSizes: { 2M: 0.7, 4K: 0.3 }",
        "total: 256M",
        "reasons: syscall:1,demotion:3",
        "latencyBudget: 500us",
        "callBudget: 20ms",
        "cpuBudget: 2cores",
      ].join("\n"),
    );
    const w = workloadFromFlags({ workload: path, total: "64M", latencyBudget: "1ms" });
    expect(w.folioMix).toEqual([
      { key: 2 << 20, weight: 0.7 },
      { key: 4096, weight: 0.3 },
    ]);
    expect(w.totalBytes).toBe(64 << 20);
    expect(w.reasons).toEqual([
      { key: MR_SYSCALL, weight: 0.25 },
      { key: MR_DEMOTION, weight: 0.75 },
    ]);
    expect(w.budgets).toEqual({
      firstFolioNs: 1e6,
      callNs: 20e6,
      cpu: { kind: "cores", cores: 2 },
    });
  });

  it("reads JSON too", () => {
    const path = file("w.json", JSON.stringify({ folioSizes: "64K", cpuBudget: "300ms/G" }));
    const w = workloadFromFlags({ workload: path });
    expect(w.folioMix).toEqual([{ key: 65536, weight: 1 }]);
    expect(w.budgets.cpu).toEqual({ kind: "per-gib", ns: 300e6 });
  });

  it.each([
    ["folioSizes: { 3K: 1 }", /w\.yaml: folioSizes\.3K: '3K' is not a folio size/],
    ["folioSizes: { 2M: -1 }", /w\.yaml: folioSizes: 2M: weight -1 must be a positive number/],
    ["folioSizes: [2M]", /w\.yaml: folioSizes: expected a map of KEY: weight/],
    ["callBudget: [1]", /w\.yaml: callBudget: expected a string/],
    ["reasons: { gc: 1 }", /w\.yaml: reasons\.gc: unknown migrate reason 'gc'/],
    ["latencyBudget: soon", /w\.yaml: latencyBudget: invalid duration 'soon'/],
    ["cpuBudget: lots", /w\.yaml: cpuBudget: invalid CPU budget 'lots'/],
    ["total: 1X", /w\.yaml: total: invalid size '1X'/],
    ["total: 6K", /w\.yaml: total 6K: not a multiple of the folio size 2M/],
    ["budget: 1ms", /w\.yaml: budget: unknown key/],
    ["folioSizes: {", /w\.yaml: YAML syntax error at line/],
    ["", /w\.yaml: empty workload/],
  ])("a bad workload file %j is one UsageError naming the field", (text, message) => {
    const path = file("w.yaml", text);
    const run = () => workloadFromFlags({ workload: path });
    expect(run).toThrow(UsageError);
    expect(run).toThrow(message);
  });

  it("names a missing file", () => {
    expect(() => workloadFromFlags({ workload: join(dir, "nope.yaml") })).toThrow(
      /--workload .*nope\.yaml: no such file/,
    );
  });

  it.each([
    [{ folioSize: "3K" }, /^--folio-size: '3K' is not a folio size/],
    [{ reasons: "syscall:0.5,gc:0.5" }, /^--reasons: unknown migrate reason 'gc'/],
    [{ latencyBudget: "500" }, /^--latency-budget: invalid duration '500'/],
    [{ callBudget: "0ms" }, /^--call-budget: duration must be greater than zero/],
    [{ cpuBudget: "many" }, /^--cpu-budget: invalid CPU budget 'many'/],
    [{ total: "6K" }, /^--total 6K: not a multiple of the folio size 2M/],
  ])("a bad flag %j names the flag", (flags, message) => {
    expect(() => workloadFromFlags(flags)).toThrow(message);
  });
});

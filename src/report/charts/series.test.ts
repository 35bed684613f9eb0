import { describe, expect, it } from "vitest";
import { fixtureResult } from "./fixtures.case.js";
import { labelDims, resultLabel } from "./series.js";

describe("resultLabel", () => {
  it("names folio size, batch and CPU load only where the results differ in them", () => {
    const idle = fixtureResult({ migrator: "serial", folioSizeBytes: 4096, gbps: 3 });
    const busy = { ...idle, cpuLoad: 3 };
    const both = [idle, busy];
    expect(both.map((r) => resultLabel(r, labelDims(both)))).toEqual([
      "serial, cpu load 0",
      "serial, cpu load 3",
    ]);
    expect(resultLabel(idle, labelDims([idle]))).toBe("serial");
  });
});

import { describe, expect, it } from "vitest";
import { fixtureResult, sweepFixture } from "./fixtures.case.js";
import { latencyChart } from "./latency.js";

interface LatencySpec {
  data: { values: { row: string; mark: string; us: number }[] };
  layer: { encoding: { x: { scale?: { type: string } } } }[];
}

describe("latencyChart", () => {
  it("puts the folios' times and the call's on one log axis, a row per result", () => {
    const results = sweepFixture();
    const spec = latencyChart(results)?.spec as unknown as LatencySpec;
    for (const layer of spec.layer) expect(layer.encoding.x.scale?.type).toBe("log");
    const rows = [...new Set(spec.data.values.map((v) => v.row))];
    expect(rows).toHaveLength(results.length);
    const first = spec.data.values.filter((v) => v.row === rows[0]);
    expect(first.map((v) => [v.mark, v.us])).toEqual([
      ["first folio", results[0].folioLatencyUs.first],
      ["median folio", results[0].folioLatencyUs.median],
      ["p99 folio", results[0].folioLatencyUs.p99],
      ["last folio", results[0].folioLatencyUs.last],
      ["whole call", results[0].callTimeUs],
    ]);
  });

  it("leaves out times of 0, which a log axis cannot show, and the chart if no folio was back", () => {
    const r = fixtureResult({ migrator: "serial", folioSizeBytes: 4096, gbps: 3 });
    const none = { ...r, folioLatencyUs: { first: 0, median: 0, p99: 0, last: 0 } };
    expect(latencyChart([none])).toBeNull();
    const spec = latencyChart([r, none])?.spec as unknown as LatencySpec;
    expect(spec.data.values.filter((v) => v.us <= 0)).toEqual([]);
    expect(spec.data.values.filter((v) => v.row === "serial #2").map((v) => v.mark)).toEqual([
      "whole call",
    ]);
  });
});

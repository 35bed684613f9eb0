import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../machine/package-root.js";
import { expectGolden } from "../../test-support/golden.js";
import { fixtureResult, recordedFixture, recordingFixture, sweepFixture } from "./fixtures.case.js";
import { benchChartPlans, benchCharts } from "./index.js";

const recorded = recordedFixture();

describe("benchCharts", () => {
  it("draws each chart as its golden SVG", () => {
    const charts = benchCharts([...sweepFixture(), recorded]);
    const names = charts.map((c) => `${c.id.replace(/^timeline-\d+/, "timeline")}.svg`);
    // Every golden chart is drawn: one left out would otherwise pass unnoticed.
    const goldens = readdirSync(join(packageRoot(), "test", "golden", "charts"));
    expect([...names].sort()).toEqual(goldens.sort());
    charts.forEach((c, i) => {
      expectGolden(`charts/${names[i]}`, c.svg);
      expect(c.title).not.toBe("");
      expect(c.note).not.toBe("");
    });
  });

  const ids = (results: Parameters<typeof benchChartPlans>[0]) =>
    benchChartPlans(results).map((p) => p.id);

  it("leaves out what the results have nothing to show for", () => {
    expect(ids([])).toEqual([]);
    // One folio size, one batch size, no recording: where the time went and when folios were
    // back, nothing else.
    const one = fixtureResult({ migrator: "serial", folioSizeBytes: 4096, gbps: 3 });
    expect(ids([one])).toEqual(["phases-wall", "phases-cpu", "latency"]);
    // Two folio sizes but each engine at one only: no line to draw.
    const other = fixtureResult({ migrator: "mtcopy", workers: 2, folioSizeBytes: 65536, gbps: 5 });
    expect(ids([one, other])).toEqual(["phases-wall", "phases-cpu", "latency"]);
    // Two batch sizes of one engine.
    const batch = fixtureResult({
      migrator: "serial",
      folioSizeBytes: 4096,
      batchPages: 64,
      gbps: 2,
    });
    expect(ids([one, batch])).toEqual(["phases-wall", "phases-cpu", "latency", "call-time"]);
    expect(ids([one, recorded])).toEqual([
      "phases-wall",
      "phases-cpu",
      "latency",
      "timeline-2-gantt",
      "timeline-2-in-flight",
    ]);
    // A recording of a call that took no time has no timeline.
    const empty = { ...recordingFixture(), endNs: recordingFixture().startNs };
    expect(ids([{ ...recorded, recording: empty }])).toEqual([
      "phases-wall",
      "phases-cpu",
      "latency",
    ]);
  });

  it("names results by what tells them apart", () => {
    const plans = benchChartPlans(sweepFixture());
    const bars = (id: string) => {
      const spec = plans.find((p) => p.id === id)?.spec as { data: { values: { bar: string }[] } };
      return [...new Set(spec.data.values.map((v) => v.bar))];
    };
    expect(bars("phases-wall").slice(0, 4)).toEqual([
      "serial, 4K, batch 512",
      "serial, 64K, batch 512",
      "serial, 2M, batch 512",
      "mtcopy (4 threads), 4K, batch 512",
    ]);
    const single = benchChartPlans([
      fixtureResult({ migrator: "dcbm", workers: 1, folioSizeBytes: 4096, gbps: 3 }),
    ]);
    const spec = single[0].spec as { data: { values: { bar: string }[] } };
    expect(spec.data.values[0].bar).toBe("dcbm (1 channel)");
  });
});

import * as vega from "vega";
import { describe, expect, it } from "vitest";
import { recordedFixture, sweepFixture } from "./fixtures.case.js";
import { benchChartPlans } from "./index.js";
import { type ChartPlan, renderChart, roundPaths, scopeIds, vegaSpec } from "./render.js";

const PLANS = benchChartPlans([...sweepFixture(), recordedFixture()]);

describe("renderChart", () => {
  it("draws every kind of chart exactly as vega's own asynchronous toSVG() does", async () => {
    expect(PLANS.map((p) => p.id)).toEqual([
      "throughput",
      "phases-wall",
      "phases-cpu",
      "latency",
      "call-time",
      "timeline-16-gantt",
      "timeline-16-in-flight",
    ]);
    for (const plan of PLANS) {
      const view = new vega.View(vega.parse(vegaSpec(plan)), { renderer: "none" });
      const expected = roundPaths(scopeIds(plan.id, await view.toSVG()));
      view.finalize();
      expect(renderChart(plan).svg, plan.id).toBe(expected);
    }
  });

  it("gives the same text on every call, at the chart's fixed size", () => {
    for (const plan of PLANS) {
      const a = renderChart(plan).svg;
      expect(renderChart(plan).svg).toBe(a);
      const { width, height } = plan.size;
      expect(a).toContain(`width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"`);
    }
  });

  it("prefixes the SVG's ids with the chart's, so charts can share a page", () => {
    const gantt = renderChart(PLANS.find((p) => p.id.endsWith("gantt")) as ChartPlan).svg;
    const ids = [...gantt.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id).toMatch(/^timeline-16-gantt-\d+$/);
    for (const m of gantt.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(m[1]);
  });

  it("throws on a warning rather than draw a broken chart", () => {
    const plan: ChartPlan = {
      id: "bad",
      title: "",
      note: "",
      spec: {
        data: { values: [{ a: 1 }] },
        mark: "bar",
        encoding: { x: { field: "a", type: "quantitative", scale: { type: "band" } } },
      },
      size: { width: 200, height: 100 },
    };
    expect(() => renderChart(plan)).toThrow(/^chart bad: .*band/);
  });
});

describe("roundPaths", () => {
  it("rounds path coordinates to hundredths, and nothing else", () => {
    const svg =
      '<path d="M163.69359485358748,22.5h0.9826530612244824v14.999999999999998h-1e-7Z" ' +
      'aria-label="at 49483.6108148"/><text x="1.23456">0.123456</text>';
    expect(roundPaths(svg)).toBe(
      '<path d="M163.69,22.5h0.98v15h-1e-7Z" aria-label="at 49483.6108148"/>' +
        '<text x="1.23456">0.123456</text>',
    );
  });
});

describe("scopeIds", () => {
  it("renames ids and their references in order of first use, and nothing else", () => {
    const svg =
      '<g clip-path="url(#clip7)"><clipPath id="clip7"/><rect id="gradient_2"/>' +
      '<path fill="url(#gradient_2)"/><text> id="clip7" url(#clip7)</text></g>';
    expect(scopeIds("c", svg)).toBe(
      '<g clip-path="url(#c-1)"><clipPath id="c-1"/><rect id="c-2"/>' +
        '<path fill="url(#c-2)"/><text> id="clip7" url(#clip7)</text></g>',
    );
  });
});

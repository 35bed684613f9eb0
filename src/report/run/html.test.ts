import { describe, expect, it } from "vitest";
import { expectSelfContained } from "../../test-support/html.js";
import { runChartPlans } from "./charts.js";
import { renderRunHtml, reporter } from "./html.js";
import { pingPongInput, pingPongSweepInput } from "./run.case.js";

const figureIds = (html: string) => [...html.matchAll(/<figure id="([^"]+)"/g)].map((m) => m[1]);

describe("run html reporter", () => {
  it("is the html reporter: text, no recording", () => {
    expect(reporter).toMatchObject({ name: "html", needsRecording: false, binary: false });
    expect(reporter.render).toBe(renderRunHtml);
  });

  it("renders what ran, a row per run, why, and every chart, the same on every call", () => {
    const input = pingPongSweepInput();
    const html = renderRunHtml(input);
    expectSelfContained(html);
    expect(html).toContain(
      "<title>pagemig run scenarios/ping-pong-thp.yaml (zen3-2s-ptdma)</title>",
    );
    expect(html).toContain(
      "<dd><code>pagemig run scenarios/ping-pong-thp.yaml --set duration=5ms --sweep engine.migrator=serial,dcbm</code></dd>",
    );
    expect(html.match(/<tr><td>/g)).toHaveLength(2);
    expect(html).toContain("<tr><td>engine.migrator=dcbm</td><td>dcbm</td>");
    expect(html).toMatch(/<li>engine\.migrator=serial: selftest: [\d.]+ Mops\/s per thread/);
    expect(figureIds(html)).toEqual(runChartPlans(input).map((p) => p.id));
    expect(figureIds(html)).toEqual(["ops", "memory", "migration", "cpu", "links"]);
    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(renderRunHtml(input)).toBe(html);
  });

  it("escapes the scenario's name and says so when there is nothing to plot", () => {
    const input = pingPongInput();
    const run = input.runs[0];
    const series = { ...run.result.series, timeNs: [], migrationGBps: [] };
    const html = renderRunHtml({
      ...input,
      scenario: `</code><script>alert("x")</script>`,
      runs: [{ ...run, result: { ...run.result, series } }],
    });
    expectSelfContained(html);
    expect(html).toContain("&lt;/code&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("<p>No charts: no interval of the run ended");
  });
});

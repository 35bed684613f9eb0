import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectGolden } from "../test-support/golden.js";
import { expectSelfContained } from "../test-support/html.js";
import type { MovePagesBenchResult } from "../workload/move-pages-bench.js";
import {
  fixtureResult,
  recordedFixture,
  recordingFixture,
  sweepFixture,
} from "./charts/fixtures.case.js";
import { benchChartPlans } from "./charts/index.js";
import { smallRunInput } from "./html.case.js";
import { renderHtml, reporter } from "./html.js";
import type { ReportInput } from "./reporter.js";

const input = (results: MovePagesBenchResult[]): ReportInput => ({
  command: "bench move-pages",
  profile: "zen3-2s-ptdma",
  cpus: 128,
  seed: 7,
  results,
});

const figureIds = (html: string) => [...html.matchAll(/<figure id="([^"]+)"/g)].map((m) => m[1]);

describe("html reporter", () => {
  it("is the html reporter: text, wants the recording for its timelines", () => {
    expect(reporter).toMatchObject({ name: "html", needsRecording: true, binary: false });
    expect(reporter.render).toBe(renderHtml);
  });

  it("renders the run, a summary row per result and every chart, the same on every call", () => {
    const results = [...sweepFixture(), recordedFixture()];
    const html = renderHtml(input(results));
    expectSelfContained(html);
    expect(html).toContain("<title>pagemig bench move-pages (zen3-2s-ptdma)</title>");
    expect(html).toContain("<dt>seed</dt><dd><code>7</code></dd>");
    expect(html.match(/<tr><td>/g)).toHaveLength(results.length);
    expect(html).toContain(
      '<tr><td>mtcopy (4 threads)</td><td class="n">64K</td><td class="n">1024</td>',
    );
    expect(figureIds(html)).toEqual(benchChartPlans(results).map((p) => p.id));
    expect(html.match(/<svg /g)).toHaveLength(figureIds(html).length);
    expect(renderHtml(input(results))).toBe(html);
  });

  it("writes the same bytes for the same results: its hash is golden", () => {
    const html = renderHtml(input([...sweepFixture(), recordedFixture()]));
    const sha256 = createHash("sha256").update(html).digest("hex");
    expectGolden("bench-report.html.sha256", `${sha256}\n`);
  });

  it("says so when there is nothing to show", () => {
    const html = renderHtml(input([]));
    expectSelfContained(html);
    expect(html).toContain("<p>No results.</p>");
    expect(html).toContain("<p>No charts: these results have nothing to plot.</p>");
  });

  it("escapes every text it is given, in the page and in the charts", () => {
    const evil = `</svg><script>alert("x")</script>'&`;
    const rec = recordingFixture();
    rec.tracks[0].name = evil;
    rec.slices[0].name = evil;
    const results = [4096, 65536].map((folioSizeBytes) =>
      fixtureResult({ migrator: evil, folioSizeBytes, gbps: 3, recording: rec }),
    );
    const html = renderHtml({ command: evil, profile: evil, cpus: 1, seed: 1, results });
    expectSelfContained(html);
    expect(html).not.toContain("</svg><script");
    expect(html).toContain(
      "&lt;/svg&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;",
    );
    expect(figureIds(html)).toContain("throughput");
  });

  it("renders any mix of engines, sizes, batches and recordings", () => {
    const result = fc
      .record({
        migrator: fc.constantFrom("serial", "mtcopy", "dcbm", `odd "name' \\ <`),
        workers: fc.integer({ min: 1, max: 8 }),
        folioSizeBytes: fc.constantFrom(4096, 65536, 2 << 20),
        batchPages: fc.constantFrom(1, 64, 512),
        gbps: fc.double({ min: 0.1, max: 100, noNaN: true }),
        recorded: fc.boolean(),
      })
      .map(({ recorded, ...o }) =>
        fixtureResult(recorded ? { ...o, recording: recordingFixture() } : o),
      );
    fc.assert(
      fc.property(fc.array(result, { maxLength: 5 }), (results) => {
        const html = renderHtml(input(results));
        expectSelfContained(html);
        expect(figureIds(html)).toEqual(benchChartPlans(results).map((p) => p.id));
      }),
      { numRuns: 8 },
    );
  });

  it("reports a real recorded run on small-2node with every chart", async () => {
    const run = await smallRunInput();
    const html = renderHtml(run);
    expectSelfContained(html);
    expect(html.match(/<tr><td>/g)).toHaveLength(run.results.length);
    const timelines = run.results.flatMap((_, i) => [
      `timeline-${i + 1}-gantt`,
      `timeline-${i + 1}-in-flight`,
    ]);
    expect(figureIds(html)).toEqual([
      "throughput",
      "phases-wall",
      "phases-cpu",
      "latency",
      "call-time",
      ...timelines,
    ]);
    // mtcopy's copy threads have tracks of their own.
    expect(html).toMatch(/<text[^>]*>kworker\//);
  });
});

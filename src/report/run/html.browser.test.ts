/**
 * The run's HTML report in a real browser, as html.browser.test.ts does bench's: Debian's
 * Chromium driven by playwright-core, remote-half's migration under three engines side by side.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inChromium } from "../../test-support/browser.js";
import { runChartPlans } from "./charts.js";
import { renderRunHtml } from "./html.js";
import { remoteHalfSweepInput } from "./run.case.js";

type LinkPoint = { line: string; run: string; percent: number };

/** Where the screenshot goes, for a person to look at (outside the repository). */
const SCREENSHOT = join(tmpdir(), "pagemig-run-report.png");

describe("run html report in Chromium", () => {
  it("draws a line per run in every chart, with no errors, fetching nothing", async () => {
    const input = remoteHalfSweepInput();
    const ids = runChartPlans(input).map((p) => p.id);
    expect(ids).toEqual(["ops", "memory", "migration", "cpu", "links"]);
    await inChromium(renderRunHtml(input), SCREENSHOT, async (page) => {
      expect(await page.title()).toBe("pagemig run scenarios/remote-half.yaml (zen3-2s-ptdma)");
      expect(await page.locator("tbody tr").count()).toBe(3);
      expect(await page.locator("figure").evaluateAll((fs) => fs.map((f) => f.id))).toEqual(ids);
      // Lines drawn with extent on screen: one per run, two (one per node) in the memory chart;
      // CPU: application threads and migrating tasks in every run, copy threads in mtcopy's,
      // interrupts in dcbm's; links: the busiest six in the runs where they carried anything.
      const links = runChartPlans(input)[ids.indexOf("links")];
      const linkValues = (links.spec as { data: { values: LinkPoint[] } }).data.values;
      const carrying = new Set(
        linkValues.filter((v) => v.percent > 0).map((v) => `${v.line} ${v.run}`),
      );
      const lines = { ops: 3, memory: 6, migration: 3, cpu: 8, links: carrying.size };
      for (const id of ids) {
        const svg = page.locator(`figure#${id} > svg`);
        const box = await svg.boundingBox();
        expect(box?.width, id).toBeGreaterThan(600);
        expect(box?.height, id).toBeGreaterThan(250);
        const drawn = await svg.locator("g.mark-line path").evaluateAll(
          (els) =>
            els.filter((e) => {
              const r = (
                e as unknown as { getBBox(): { width: number; height: number } }
              ).getBBox();
              return r.width > 100 && r.height > 0;
            }).length,
        );
        expect(drawn, id).toBe(lines[id as keyof typeof lines]);
      }
    });
  });
});

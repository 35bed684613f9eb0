/** The HTML report in a real browser (test-support/browser.ts). */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inChromium } from "../test-support/browser.js";
import { benchChartPlans } from "./charts/index.js";
import { smallRunInput } from "./html.case.js";
import { renderHtml } from "./html.js";

/** Where the screenshot goes, for a person to look at (outside the repository). */
const SCREENSHOT = join(tmpdir(), "pagemig-report.png");

describe("html report in Chromium", () => {
  it("renders every chart with no errors and fetches nothing", async () => {
    const run = await smallRunInput();
    const ids = benchChartPlans(run.results).map((p) => p.id);
    await inChromium(renderHtml(run), SCREENSHOT, async (page) => {
      expect(await page.title()).toBe("pagemig bench move-pages (small-2node)");
      expect(await page.locator("tbody tr").count()).toBe(run.results.length);
      expect(await page.locator("figure").evaluateAll((fs) => fs.map((f) => f.id))).toEqual(ids);
      for (const id of ids) {
        const svg = page.locator(`figure#${id} > svg`);
        expect(await svg.count(), id).toBe(1);
        const box = await svg.boundingBox();
        expect(box?.width, id).toBeGreaterThan(100);
        expect(box?.height, id).toBeGreaterThan(100);
        // Drawn marks, not just a frame: the plot's paths and rectangles have area on screen.
        const marks = await svg
          .locator("g.mark-rect path, g.mark-line path, g.mark-area path, g.mark-symbol path")
          .evaluateAll(
            (els) =>
              els.filter((e) => {
                const r = (
                  e as unknown as { getBBox(): { width: number; height: number } }
                ).getBBox();
                return r.width > 0 || r.height > 0;
              }).length,
          );
        expect(marks, id).toBeGreaterThan(0);
      }
      // Every chart as wide as the page's content, at a narrow window and a wide one (the screenshot).
      for (const width of [700, 1400]) {
        await page.setViewportSize({ width, height: 900 });
        // main's padding is 28px a side (html-page.ts).
        const content = await page.locator("main").evaluate((m) => m.clientWidth - 2 * 28);
        const widths = await page
          .locator("figure > svg")
          .evaluateAll((svgs) => svgs.map((s) => s.getBoundingClientRect().width));
        for (const w of widths) expect(Math.abs(w - content), `${width}px`).toBeLessThan(1);
      }
    });
  });
});

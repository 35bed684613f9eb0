/**
 * The HTML report in a real browser: Debian's Chromium (/usr/bin/chromium, which CI installs)
 * driven by playwright-core, which never downloads a browser of its own. Without Chromium the
 * test fails: a skipped browser test would let a broken report through.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { benchChartPlans } from "./charts/index.js";
import { smallRunInput } from "./html.case.js";
import { renderHtml } from "./html.js";

const CHROMIUM = "/usr/bin/chromium";
/** Where the screenshot goes, for a person to look at (outside the repository). */
const SCREENSHOT = join(tmpdir(), "pagemig-report.png");

describe("html report in Chromium", () => {
  it("renders every chart with no errors and fetches nothing", async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} not found: the HTML report's browser test needs Debian's chromium package ` +
          "(apt-get install chromium)",
      );
    }
    const run = await smallRunInput();
    const ids = benchChartPlans(run.results).map((p) => p.id);
    const dir = mkdtempSync(join(tmpdir(), "pagemig-html-"));
    const file = join(dir, "report.html");
    writeFileSync(file, renderHtml(run));
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning")
          problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      const url = pathToFileURL(file).href;
      page.on("request", (r) => {
        if (r.url() !== url) problems.push(`request: ${r.url()}`);
      });
      await page.goto(url, { waitUntil: "load" });

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
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

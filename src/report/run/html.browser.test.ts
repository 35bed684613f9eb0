/**
 * The run's HTML report in a real browser, as html.browser.test.ts does bench's: Debian's
 * Chromium driven by playwright-core, remote-half's migration under three engines side by side.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { runChartPlans } from "./charts.js";
import { renderRunHtml } from "./html.js";
import { remoteHalfSweepInput } from "./run.case.js";

const CHROMIUM = "/usr/bin/chromium";
/** Where the screenshot goes, for a person to look at (outside the repository). */
const SCREENSHOT = join(tmpdir(), "pagemig-run-report.png");

describe("run html report in Chromium", () => {
  it("draws a line per run in every chart, with no errors, fetching nothing", async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} not found: the HTML report's browser test needs Debian's chromium package ` +
          "(apt-get install chromium)",
      );
    }
    const input = remoteHalfSweepInput();
    const ids = runChartPlans(input).map((p) => p.id);
    expect(ids).toEqual(["ops", "memory", "migration"]);
    const dir = mkdtempSync(join(tmpdir(), "pagemig-run-html-"));
    const file = join(dir, "run.html");
    writeFileSync(file, renderRunHtml(input));
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

      expect(await page.title()).toBe("pagemig run scenarios/remote-half.yaml (zen3-2s-ptdma)");
      expect(await page.locator("tbody tr").count()).toBe(3);
      expect(await page.locator("figure").evaluateAll((fs) => fs.map((f) => f.id))).toEqual(ids);
      // Lines drawn with extent on screen: one per run, two (one per node) in the memory chart.
      const lines = { ops: 3, memory: 6, migration: 3 };
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
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

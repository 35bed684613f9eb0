/**
 * An HTML report opened in a real browser, for the reports' browser tests: Debian's Chromium
 * (/usr/bin/chromium, which CI installs) driven by playwright-core, which never downloads a
 * browser of its own. Without Chromium the test fails: a skipped browser test would let a
 * broken report through.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import { expect } from "vitest";

const CHROMIUM = "/usr/bin/chromium";

/**
 * Load `html` from a file in Chromium, run `check` on the page, save a full-page screenshot to
 * `screenshot` (for a person to look at), and expect no console error or warning, no page
 * error and no request but the page itself.
 */
export async function inChromium(
  html: string,
  screenshot: string,
  check: (page: Page) => Promise<void>,
): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: the HTML report's browser test needs Debian's chromium package ` +
        "(apt-get install chromium)",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "pagemig-html-"));
  const file = join(dir, "report.html");
  writeFileSync(file, html);
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    const url = pathToFileURL(file).href;
    page.on("request", (r) => {
      if (r.url() !== url) problems.push(`request: ${r.url()}`);
    });
    await page.goto(url, { waitUntil: "load" });
    await check(page);
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

import { expect } from "vitest";

/** What every HTML report must be: one page, nothing fetched or run, ids unique (tests only). */
export function expectSelfContained(html: string): void {
  expect(html.startsWith("<!doctype html>\n")).toBe(true);
  expect(html).not.toMatch(/<script|<iframe|<img|<link|\son\w+=/i);
  // The only URLs are XML namespaces, which are names, never fetched.
  const urls = [...html.matchAll(/[a-z]+:\/\/[^\s"')]+/gi)].map((m) => m[0]);
  for (const url of urls) {
    expect(["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"]).toContain(url);
  }
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  expect(new Set(ids).size).toBe(ids.length);
}

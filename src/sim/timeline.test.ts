import { describe, expect, it } from "vitest";
import { Timeline } from "./timeline.js";

describe("Timeline", () => {
  it("records nothing until enabled, and one track per kind and name", () => {
    const tl = new Timeline();
    const cpu = tl.track("cpu", "cpu0 move_pages", 0);
    tl.slice(cpu, "batch", 0, 10);
    expect(tl.slices).toEqual([]);
    tl.enabled = true;
    expect(tl.track("cpu", "cpu0 move_pages", 0)).toBe(cpu);
    const dma = tl.track("dma", "ptdma0 chan0");
    expect(tl.track("kworker", "ptdma0 chan0")).not.toBe(dma);
    tl.slice(cpu, "batch", 0, 10, { folios: 2 });
    tl.slice(dma, "memcpy", 2, 8);
    expect(tl.tracks).toEqual([
      { id: 0, kind: "cpu", name: "cpu0 move_pages", cpu: 0 },
      { id: 1, kind: "dma", name: "ptdma0 chan0" },
      { id: 2, kind: "kworker", name: "ptdma0 chan0" },
    ]);
    expect(tl.slices).toEqual([
      { track: 0, name: "batch", startNs: 0, endNs: 10, args: { folios: 2 } },
      { track: 1, name: "memcpy", startNs: 2, endNs: 8 },
    ]);
  });

  it("forgets everything on clear, and numbers tracks from 0 again", () => {
    const tl = new Timeline();
    tl.enabled = true;
    tl.track("cpu", "a");
    tl.slice(tl.track("cpu", "b"), "x", 0, 1);
    tl.clear();
    expect([tl.tracks.length, tl.slices.length]).toEqual([0, 0]);
    expect(tl.track("cpu", "b")).toBe(0);
  });
});

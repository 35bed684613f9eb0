import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { Kernel } from "./kernel.js";

describe("Kernel", () => {
  it("reports the host copy rate of the bytes really copied (main thread, no workers)", async () => {
    const k = new Kernel({ profile: loadProfile("small-2node"), contents: true });
    expect(k.hostCopyGBps()).toBe(0);
    const src = k.phys.allocFolio(0, 9);
    const dst = k.phys.allocFolio(1, 9);
    if (src === null || dst === null || k.phys.contents === null) throw new Error("setup");
    k.phys.contents.copyPages(dst.pfn, src.pfn, 512);
    const c = k.phys.contents;
    expect(c.bytesCopied).toBe(2 << 20);
    expect(k.hostCopyGBps()).toBeCloseTo(c.bytesCopied / c.hostCopyNs);
    expect(k.copyPool).toBeNull();
    await k.close();
  });

  it("has no host copy rate without page contents", () => {
    expect(new Kernel({ profile: loadProfile("small-2node") }).hostCopyGBps()).toBe(0);
  });
});

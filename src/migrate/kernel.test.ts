import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { Kernel } from "./kernel.js";

describe("Kernel", () => {
  it("counts the bytes really copied and the host time they took (main thread, no workers)", async () => {
    const k = new Kernel({ profile: loadProfile("small-2node"), contents: true });
    expect(k.hostCopied()).toEqual({ bytes: 0, ns: 0 });
    const src = k.phys.allocFolio(0, 9);
    const dst = k.phys.allocFolio(1, 9);
    if (src === null || dst === null || k.phys.contents === null) throw new Error("setup");
    k.phys.contents.copyPages(dst.pfn, src.pfn, 512);
    const c = k.phys.contents;
    expect(c.bytesCopied).toBe(2 << 20);
    expect(k.hostCopied()).toEqual({ bytes: 2 << 20, ns: c.hostCopyNs });
    expect(c.hostCopyNs).toBeGreaterThan(0);
    expect(k.copyPool).toBeNull();
    await k.close();
  });

  it("copies nothing without page contents", () => {
    expect(new Kernel({ profile: loadProfile("small-2node") }).hostCopied()).toEqual({
      bytes: 0,
      ns: 0,
    });
  });
});

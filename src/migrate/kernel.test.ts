import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { Kernel, MAX_CPU_LOAD } from "./kernel.js";

describe("Kernel", () => {
  it("takes a CPU load of 0..MAX_CPU_LOAD runnable tasks per CPU", () => {
    const profile = loadProfile("small-2node");
    expect(new Kernel({ profile }).cpuLoad).toBe(0);
    expect(new Kernel({ profile, cpuLoad: MAX_CPU_LOAD }).cpuLoad).toBe(MAX_CPU_LOAD);
    for (const cpuLoad of [-1, 0.5, MAX_CPU_LOAD + 1, Number.NaN]) {
      expect(() => new Kernel({ profile, cpuLoad })).toThrow(/cpuLoad .* is not an integer/);
    }
  });

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

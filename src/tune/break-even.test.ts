import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { breakEven, breakEvenEngines, breakEvenFolios } from "./break-even.js";
import type { SimOutcome } from "./sim-job.js";

const outcome = (callNs: number): SimOutcome => ({
  callNs,
  cpuNs: callNs,
  firstFolioNs: 0,
  perCallNs: 0,
});

describe("the break-even batch", () => {
  it("tests 1, 2, 4, ... folios, up to one batch of the testing patch's limit", () => {
    expect(breakEvenFolios(4096)).toHaveLength(13);
    expect(breakEvenFolios(4096).at(-1)).toBe(4096);
    expect(breakEvenFolios(2 << 20)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
    expect(breakEvenEngines({ dma: true }).map((c) => `${c.migrator}${c.workers}`)).toEqual([
      "mtcopy2",
      "mtcopy4",
      "mtcopy8",
      "mtcopy16",
      "dcbm1",
      "dcbm2",
      "dcbm4",
      "dcbm8",
      "dcbm16",
    ]);
    expect(breakEvenEngines({ dma: false }).map((c) => c.migrator)).not.toContain("dcbm");
  });

  it("is the smallest batch from which the engine is never slower, or null", () => {
    const engine = breakEvenEngines({ dma: true })[0];
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 13 }), (wins) => {
        const folios = wins.map((_, i) => 2 ** i);
        // An engine taking 1 ns where it wins and 3 ns where it loses, the CPU 2 ns.
        const e = wins.map((w) => outcome(w ? 1 : 3));
        const v = wins.map(() => outcome(2));
        const b = breakEven(engine, 4096, folios, e, v);
        if (b.folios === null) {
          expect(wins.at(-1)).toBe(false);
        } else {
          const i = folios.indexOf(b.folios);
          expect(wins.slice(i).every(Boolean)).toBe(true);
          if (i > 0) expect(wins[i - 1]).toBe(false);
        }
        expect(b.points.map((p) => p.engineGBps > p.vanillaGBps)).toEqual(wins);
      }),
    );
  });
});

import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { FaultInjector } from "./inject.js";

function fires(inj: FaultInjector, kind: Parameters<FaultInjector["hit"]>[0], n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= n; i++) if (inj.hit(kind)) out.push(i);
  return out;
}

describe("FaultInjector", () => {
  it("fires nothing without a spec", () => {
    const inj = new FaultInjector(1, "");
    expect(inj.enabled).toBe(false);
    expect(fires(inj, "dma-timeout", 100)).toEqual([]);
  });

  it("fires on a schedule: exact chances and every Nth", () => {
    const inj = new FaultInjector(1, "dma-timeout@2+5,alloc-fail%3");
    expect(fires(inj, "dma-timeout", 10)).toEqual([2, 5]);
    expect(fires(inj, "alloc-fail", 10)).toEqual([3, 6, 9]);
    expect(fires(inj, "worker-crash", 10)).toEqual([]);
    expect(inj.fired.get("alloc-fail")).toBe(3);
  });

  it("fires with a probability, deterministically per seed and independently per kind", () => {
    const a = new FaultInjector(7, "dma-desc-error=0.3,worker-crash=0.3");
    const b = new FaultInjector(7, "dma-desc-error=0.3");
    const firedA = fires(a, "dma-desc-error", 1000);
    // Drawing for another kind does not shift this kind's stream.
    fires(a, "worker-crash", 10);
    expect(fires(b, "dma-desc-error", 1000)).toEqual(firedA);
    expect(firedA.length).toBeGreaterThan(230);
    expect(firedA.length).toBeLessThan(370);
    expect(fires(new FaultInjector(8, "dma-desc-error=0.3"), "dma-desc-error", 1000)).not.toEqual(
      firedA,
    );
  });

  it("turns every kind on with all", () => {
    const inj = new FaultInjector(3, "all");
    expect(fires(inj, "pin-during-migration", 2000).length).toBeGreaterThan(50);
  });

  it.each(["bogus", "dma-timeout=2", "dma-timeout@0", "dma-timeout%0", "dma-timeout@x"])(
    "rejects %s with a UsageError naming it",
    (spec) => {
      expect(() => new FaultInjector(1, spec)).toThrow(UsageError);
      expect(() => new FaultInjector(1, spec)).toThrow(/--inject/);
    },
  );
});

/**
 * The selftest's random cases with each copy engine registered for every migrate reason and
 * every kind of fault injected ("all": each kind at probability 0.05): DMA descriptor errors,
 * timeouts and mapping failures, crashed copy workers, partial batches, failed destination
 * allocations and pins taken mid-migration. The checker must still find nothing lost or
 * corrupted, no frame leaked, no DMA channel left held, and counters and statuses that tell
 * the truth.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FaultKind } from "../../fault/inject.js";
import type { SelftestCase } from "./case.js";
import { selftestCase } from "./generate.js";
import { describeFailure, runCase } from "./runner.js";
import type { MigratorSpec, World } from "./world.js";

/** 250 cases per engine, 1,000 in all: about as long as the plain selftest property. */
const CASES = 250;
const SEED = 4242;

interface Engine {
  migrator: MigratorSpec;
  /** The fault kinds this engine's path consults, each of which must fire. */
  faults: FaultKind[];
}

const CORE_FAULTS: FaultKind[] = ["alloc-fail", "pin-during-migration"];
const DMA_FAULTS: FaultKind[] = ["dma-desc-error", "dma-timeout", "dma-map-error"];

const ENGINES: Engine[] = [
  { migrator: { name: "batch-cpu", workers: 1 }, faults: CORE_FAULTS },
  { migrator: { name: "mtcopy", workers: 3 }, faults: [...CORE_FAULTS, "worker-crash"] },
  {
    migrator: { name: "dcbm", workers: 2 },
    faults: [...CORE_FAULTS, ...DMA_FAULTS, "partial-batch"],
  },
  { migrator: { name: "dcbm-v2", workers: 4 }, faults: [...CORE_FAULTS, ...DMA_FAULTS] },
];

interface Seen {
  migrated: number;
  failures: number;
  fired: Map<FaultKind, number>;
}

describe("migration invariants under injected faults, with every copy engine", () => {
  it.each(ENGINES)("hold with $migrator.name and --inject all", ({ migrator, faults }) => {
    // What each case's engine did by its last call (counters and faults are cumulative).
    const seen = new Map<SelftestCase, Seen>();
    const watch = (world: World) => {
      const counters = world.migrator?.counters;
      seen.set(world.c, {
        migrated: counters?.foliosMigrated ?? 0,
        failures: counters?.foliosFailures ?? 0,
        fired: new Map(world.k.faults.fired),
      });
    };
    fc.assert(
      fc.property(selftestCase(), (c) => {
        const failure = runCase(c, watch, { migrator, faults: "all" });
        if (failure !== null) throw new Error(describeFailure(failure, c.calls.length));
      }),
      { numRuns: CASES, seed: SEED },
    );
    // The cases reached the engine: it copied folios, failed some, and every fault fired.
    const total = { migrated: 0, failures: 0, fired: new Map<FaultKind, number>() };
    for (const s of seen.values()) {
      total.migrated += s.migrated;
      total.failures += s.failures;
      for (const [kind, n] of s.fired) total.fired.set(kind, (total.fired.get(kind) ?? 0) + n);
    }
    expect(total.migrated).toBeGreaterThan(0);
    if (migrator.name !== "batch-cpu") expect(total.failures).toBeGreaterThan(0);
    for (const kind of faults) expect(total.fired.get(kind) ?? 0, kind).toBeGreaterThan(0);
  });
});

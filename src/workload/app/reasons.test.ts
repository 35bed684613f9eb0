import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../machine/profile.js";
import { runScenario } from "./run-scenario.js";
import { parseScenario, type Scenario } from "./scenario.js";

describe("engine.reasons: the migrate reasons the migrator copies for", () => {
  const s = parseScenario(readFileSync("scenarios/tiering.yaml", "utf8"), "tiering");
  const run = (engine: Partial<Scenario["engine"]>) =>
    runScenario(
      { ...s, duration: 4_000_000_000, engine: { ...s.engine, migrator: "mtcopy", ...engine } },
      loadProfile(s.profile),
    );
  const serial = runScenario({ ...s, duration: 4_000_000_000 }, loadProfile(s.profile));

  it("with no reason, mtcopy copies nothing and the run is the vanilla kernel's", () => {
    const none = run({ reasons: [] });
    expect(none.cpu.byKind.kworker ?? 0).toBe(0);
    expect(none.vmstat).toEqual(serial.vmstat);
    expect(none.threads.map((t) => t.opsPerSec)).toEqual(serial.threads.map((t) => t.opsPerSec));
  });

  it("naming a caller gives the migrator that caller's batches only", () => {
    const promotion = run({ reasons: ["numa_misplaced"] });
    const all = run({});
    expect(promotion.cpu.byKind.kworker).toBeGreaterThan(0);
    expect(all.cpu.byKind.kworker).toBeGreaterThan(promotion.cpu.byKind.kworker);
  });
});

import fc from "fast-check";
import { describe, it } from "vitest";
import { selftestCase } from "./generate.js";
import { describeFailure, runCase } from "./runner.js";

describe("migration invariants (selftest)", () => {
  it("hold after every move_pages/migrate_pages call of 1000 random cases in bytes mode", () => {
    fc.assert(
      fc.property(selftestCase(), (c) => {
        const failure = runCase(c);
        if (failure !== null) throw new Error(describeFailure(failure, c.calls.length));
      }),
      { numRuns: 1000 },
    );
  });
});

import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { findReporter, REPORTERS } from "./index.js";

describe("reporter registry", () => {
  it("finds every listed reporter by its name, and names are unique", () => {
    for (const r of REPORTERS) expect(findReporter(r.name, REPORTERS)).toBe(r);
    expect(new Set(REPORTERS.map((r) => r.name)).size).toBe(REPORTERS.length);
    expect(REPORTERS[0].name).toBe("table");
  });

  it("refuses an unknown name with a UsageError naming it and listing the known ones", () => {
    expect(() => findReporter("xml", REPORTERS)).toThrow(UsageError);
    expect(() => findReporter("xml", REPORTERS)).toThrow(
      `unknown reporter 'xml' (known: ${REPORTERS.map((r) => r.name).join(", ")})`,
    );
    // Names match exactly.
    expect(() => findReporter("JSON", REPORTERS)).toThrow(/unknown reporter 'JSON'/);
    expect(() => findReporter("", REPORTERS)).toThrow(/unknown reporter ''/);
  });
});

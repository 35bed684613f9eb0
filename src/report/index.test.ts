import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { findReporter, REPORTERS } from "./index.js";
import { lazyReporter, type Reporter } from "./reporter.js";
import { RUN_REPORTERS } from "./run/index.js";

describe("reporter registry", () => {
  it("finds every listed reporter by its name, and names are unique", () => {
    for (const r of REPORTERS) expect(findReporter(r.name, REPORTERS)).toBe(r);
    expect(new Set(REPORTERS.map((r) => r.name)).size).toBe(REPORTERS.length);
    expect(REPORTERS[0].name).toBe("table");
  });

  it("lists each lazily loaded reporter as its module describes it", async () => {
    const modules = [
      { registry: REPORTERS, real: (await import("./html.js")).reporter },
      { registry: REPORTERS, real: (await import("./perfetto/index.js")).reporter },
      { registry: RUN_REPORTERS, real: (await import("./run/html.js")).reporter },
    ];
    const info = (x: Reporter<never>) => [x.name, x.description, x.needsRecording, x.binary];
    for (const { registry, real } of modules) {
      const listed = findReporter<never>(real.name, registry);
      expect(listed.load).toBeDefined();
      expect(info(listed)).toEqual(info(real));
    }
  });

  it("renders with a lazy reporter's module only once it is loaded", async () => {
    let imports = 0;
    const real: Reporter<string> = {
      name: "upper",
      description: "upper case",
      needsRecording: false,
      binary: false,
      render: (s) => s.toUpperCase(),
    };
    const lazy = lazyReporter<string>(real, async () => {
      imports++;
      return { reporter: real };
    });
    expect(() => lazy.render("x")).toThrow("reporter upper: render before load");
    await lazy.load?.();
    await lazy.load?.();
    expect(lazy.render("abc")).toBe("ABC");
    expect(imports).toBe(1);
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

import { describe, expect, it } from "vitest";
import { Folio } from "./folio.js";
import { SectionTable } from "./sections.js";

describe("SectionTable's folio table", () => {
  it("gives each folio its own slot and finds it again, across many chunks of slots", () => {
    const table = new SectionTable(1, () => {
      throw new Error("no lazy folios here");
    });
    // Several times the slots of one chunk, so that lookups cross chunk boundaries.
    const folios = Array.from({ length: 20_000 }, (_, i) => new Folio(i, 0, 0));
    for (const f of folios) table.register(f);
    expect(table.folioSlots).toBe(folios.length);
    folios.forEach((f, i) => {
      expect(f.id).toBe(i);
      expect(table.folio(i)).toBe(f);
    });
    expect(table.folio(folios.length)).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { type CellResult, cellBand, rowMaeBand } from "./bands.js";

const c = (row: string, column: string, error: number | null, banded = true): CellResult => ({
  row,
  column,
  published: 1,
  publishedText: "1.00 ± 0.00",
  predicted: error === null ? null : 1 + error,
  error,
  banded: banded && error !== null,
  digits: 2,
});

describe("bands", () => {
  it("cellBand holds at the limit, breaks past it, and names the worst cell", () => {
    expect(cellBand([c("a", "4K", 0.1), c("a", "2M", -0.15)], 0.15)).toEqual({
      text: "every banded cell within ±15%: worst -15.0% (a 2M)",
      pass: true,
    });
    const broken = cellBand([c("a", "4K", 0.1), c("a", "2M", -0.151)], 0.15);
    expect(broken.pass).toBe(false);
    expect(broken.text).toContain("worst -15.1% (a 2M)");
  });

  it("cellBand ignores cells outside the band and fails when none is banded", () => {
    expect(cellBand([c("a", "x", 0.01), c("a", "y", 2, false), c("a", "z", null)], 0.15).pass).toBe(
      true,
    );
    expect(cellBand([c("a", "y", 2, false)], 0.15)).toEqual({
      text: "no banded cell has a prediction",
      pass: false,
    });
  });

  it("rowMaeBand checks each row's mean absolute error and its worst cell", () => {
    const cells = [
      c("1", "4K", 0.1),
      c("1", "2M", -0.1),
      c("2", "4K", 0.29),
      c("2", "2M", 0),
      c("4", "4K", 0.31),
      c("4", "2M", 0),
    ];
    const [r1, r2, r4] = rowMaeBand(cells, ["1", "2", "4"], 0.12, 0.3);
    expect(r1).toEqual({
      text: "row 1: mean |error| 10.0% (≤ 12%), worst +10.0% at 4K (within ±30%)",
      pass: true,
    });
    // Row 2's mean is 14.5%: the row breaks even though no cell is past 30%.
    expect(r2.pass).toBe(false);
    expect(r2.text).toContain("mean |error| 14.5%");
    // Row 4's mean is 15.5% and its 4K cell is past 30%.
    expect(r4.pass).toBe(false);
  });
});

/**
 * The bands a table's predictions must stay in, and the cell results they are checked on. A
 * band is a set of checks over the banded cells; a cell outside every band is still printed
 * with its error and the reason it is not held to one.
 */

import { signedPercent } from "../machine/units.js";

export interface CellResult {
  row: string;
  column: string;
  /** The published mean (for a range claim, its middle). */
  published: number;
  /** The published figure as printed: "3.73 ± 0.33", "0.20-0.30". */
  publishedText: string;
  /** The model's prediction; null when the model does not predict this cell (see note). */
  predicted: number | null;
  /** (predicted - published) / published; null when not predicted. */
  error: number | null;
  /** Whether the table's band holds this cell. */
  banded: boolean;
  /** Decimals to print the cell with. */
  digits: number;
  /** Why the cell is not banded or not predicted, or how it was obtained. */
  note?: string;
}

export interface BandCheck {
  text: string;
  pass: boolean;
}

/** Banded cells that have a prediction. */
function banded(cells: readonly CellResult[]): (CellResult & { error: number })[] {
  return cells.filter((c): c is CellResult & { error: number } => c.banded && c.error !== null);
}

function worst(cells: readonly (CellResult & { error: number })[]): CellResult & { error: number } {
  return cells.reduce((w, c) => (Math.abs(c.error) > Math.abs(w.error) ? c : w));
}

/** Every banded cell within ±maxError. */
export function cellBand(cells: readonly CellResult[], maxError: number): BandCheck {
  const held = banded(cells);
  if (held.length === 0) return { text: "no banded cell has a prediction", pass: false };
  const w = worst(held);
  const where = w.row === "" ? w.column : `${w.row} ${w.column}`;
  return {
    text: `every banded cell within ±${maxError * 100}%: worst ${signedPercent(w.error)} (${where})`,
    pass: Math.abs(w.error) <= maxError,
  };
}

/** Per row: mean absolute error of its banded cells ≤ maxMae, and each within ±maxCell. */
export function rowMaeBand(
  cells: readonly CellResult[],
  rows: readonly string[],
  maxMae: number,
  maxCell: number,
): BandCheck[] {
  return rows.map((label) => {
    const held = banded(cells.filter((c) => c.row === label));
    if (held.length === 0) return { text: `row ${label}: no banded cell`, pass: false };
    const mae = held.reduce((s, c) => s + Math.abs(c.error), 0) / held.length;
    const w = worst(held);
    return {
      text:
        `row ${label}: mean |error| ${(mae * 100).toFixed(1)}% (≤ ${maxMae * 100}%), ` +
        `worst ${signedPercent(w.error)} at ${w.column} (within ±${maxCell * 100}%)`,
      pass: mae <= maxMae && Math.abs(w.error) <= maxCell,
    };
  });
}

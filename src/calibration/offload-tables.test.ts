import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { parseSize } from "../machine/units.js";
import { runMovePagesBench } from "../workload/move-pages-bench.js";
import { T2, T3, T4 } from "./published.js";

const profile = loadProfile("zen3-2s-ptdma");
const GiB = 1 << 30;

async function gbps(
  migrator: "mtcopy" | "dcbm",
  workers: number,
  folio: number,
  placement: "spread" | "fill" = "spread",
) {
  const r = await runMovePagesBench({
    migrator,
    workers,
    placement,
    profile,
    folioSizeBytes: folio,
    folioCount: GiB / folio,
    runs: 1,
    seed: 1,
    verify: false,
    batchPages: 262144,
  });
  return r.throughputGBps.mean;
}

// The bands of the calibration (docs/model.md): T2 and T3 at most 12% mean absolute error per
// row and no cell off by more than 30%; T4 within 15% per cell.
describe("the offload tables stay in their bands", () => {
  for (const [table, migrator] of [
    [T2, "mtcopy"],
    [T3, "dcbm"],
  ] as const) {
    it(`${table.id}: ${migrator}`, async () => {
      for (const row of table.rows) {
        const errors: number[] = [];
        for (const [i, col] of table.columns.entries()) {
          const model = await gbps(migrator, Number(row.label), parseSize(col, "folio"));
          errors.push(Math.abs(model / row.cells[i].mean - 1));
        }
        const mae = errors.reduce((a, b) => a + b, 0) / errors.length;
        expect(
          mae,
          `${table.id} row ${row.label}: ${errors.map((e) => (e * 100).toFixed(0))}`,
        ).toBeLessThanOrEqual(0.12);
        expect(Math.max(...errors), `${table.id} row ${row.label}`).toBeLessThanOrEqual(0.3);
      }
    });
  }

  it("T4: spread and fill", async () => {
    for (const row of T4.rows) {
      for (const [i, col] of T4.columns.entries()) {
        const model = await gbps("mtcopy", Number(col), 2 << 20, row.label as "spread" | "fill");
        expect(Math.abs(model / row.cells[i].mean - 1), `${row.label} ${col}`).toBeLessThanOrEqual(
          0.15,
        );
      }
    }
  });
});

/**
 * The published tables T1-T3 (published.ts) written as a pagemig-report document, so
 * `pagemig calibrate` fits a profile to them as to any benchmark report. Each cell becomes a
 * result with the settings the table was measured with (its `setup`) and its mean and SD; the
 * fields a paper does not give (runs, phases, CPU time) are absent.
 */
import type { MigratorName } from "../copy/engines.js";
import { UsageError } from "../errors.js";
import { parseSize } from "../machine/units.js";
import { reportHeader } from "../report/json.js";
import { type PublishedTable, T1, T2, T3 } from "./published.js";
import { FULL_REGION_BYTES, PUBLISHED_PROFILE } from "./validate.js";

const TABLES: Record<
  string,
  { table: PublishedTable; migrator: MigratorName; batchPages: number }
> = {
  T1: { table: T1, migrator: "serial", batchPages: 512 },
  T2: { table: T2, migrator: "mtcopy", batchPages: 262144 },
  T3: { table: T3, migrator: "dcbm", batchPages: 262144 },
};
export const PUBLISHED_REPORT_TABLES = Object.keys(TABLES);

/**
 * The tables `ids` as one report; with `folioSizes`, only their cells of those folio sizes
 * (the 2M column alone pins the fabric links and DMA rates: docs/probe.md).
 */
export function publishedReport(ids: readonly string[], folioSizes?: readonly number[]) {
  const chosen = ids.map((id) => {
    const t = TABLES[id.toUpperCase()];
    if (t === undefined) {
      throw new UsageError(`published table '${id}': one of ${PUBLISHED_REPORT_TABLES.join(", ")}`);
    }
    return t;
  });
  return {
    ...reportHeader(`published ${chosen.map((c) => c.table.id).join(",")}`, PUBLISHED_PROFILE, 1),
    published: chosen.map(({ table }) => ({
      table: table.id,
      title: table.title,
      source: table.source,
      setup: table.setup,
    })),
    results: chosen.flatMap(({ table, migrator, batchPages }) =>
      table.rows.flatMap((row) =>
        table.columns.flatMap((column, ci) => {
          const folioSizeBytes = parseSize(column, "folio");
          if (folioSizes !== undefined && !folioSizes.includes(folioSizeBytes)) return [];
          return {
            migrator,
            // T1's row is the serial copy; T2's rows are copy threads, T3's DMA channels.
            workers: migrator === "serial" ? 1 : Number(row.label),
            folioSizeBytes,
            folioCount: FULL_REGION_BYTES / folioSizeBytes,
            batchPages,
            cpuLoad: 0,
            throughputGBps: row.cells[ci],
          };
        }),
      ),
    ),
  };
}

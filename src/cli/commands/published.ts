/**
 * `pagemig published T1[,T2,T3] [--folio-size 2M,...]`: the published tables (their cells of
 * those folio sizes) as a pagemig-report document.
 */
import type { Command } from "commander";
import { FOLIO_SIZES } from "../../calibration/published.js";
import { PUBLISHED_REPORT_TABLES, publishedReport } from "../../calibration/published-report.js";
import { UsageError } from "../../errors.js";
import { formatSize, parseFolioSize, parseList, parseSize } from "../../machine/units.js";
import { print } from "../output.js";

const COLUMNS = FOLIO_SIZES.map((s) => parseSize(s, "folio"));

export function register(program: Command): void {
  program
    .command("published")
    .description("print published tables as a pagemig-report document (input to calibrate)")
    .argument("[tables]", `comma list of ${PUBLISHED_REPORT_TABLES.join(", ")}`, "T1")
    .option("--folio-size <sizes>", "only the cells of these folio sizes, e.g. 2M or 64K,2M")
    .action((tables: string, flags: { folioSize?: string }, cmd: Command) => {
      const sizes =
        flags.folioSize === undefined
          ? undefined
          : parseList(flags.folioSize, "--folio-size", parseFolioSize);
      const missing = sizes?.find((b) => !COLUMNS.includes(b));
      if (missing !== undefined) {
        throw new UsageError(
          `--folio-size: the published tables have no ${formatSize(missing)} column (${FOLIO_SIZES.join(", ")})`,
        );
      }
      print(cmd, `${JSON.stringify(publishedReport(tables.split(","), sizes), null, 2)}\n`);
    });
}

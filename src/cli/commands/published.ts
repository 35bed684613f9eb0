/** `pagemig published T1[,T2,T3]`: the published tables as a pagemig-report document. */
import type { Command } from "commander";
import { PUBLISHED_REPORT_TABLES, publishedReport } from "../../calibration/published-report.js";
import { print } from "../output.js";

export function register(program: Command): void {
  program
    .command("published")
    .description("print published tables as a pagemig-report document (input to calibrate)")
    .argument("[tables]", `comma list of ${PUBLISHED_REPORT_TABLES.join(", ")}`, "T1")
    .action((tables: string, _flags: unknown, cmd: Command) => {
      print(cmd, `${JSON.stringify(publishedReport(tables.split(",")), null, 2)}\n`);
    });
}

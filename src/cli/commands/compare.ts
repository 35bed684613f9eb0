/**
 * `pagemig compare A.json B.json`: two JSON reports of the same command (bench, run, tune or
 * explain; the model's against the model's, or against a host's bench report) with their
 * results matched by configuration and side by side with the differences.
 */
import type { Command } from "commander";
import { readUserFile } from "../../config/document.js";
import { UsageError } from "../../errors.js";
import { COMPARE_REPORTERS, compareDocuments } from "../../report/compare/index.js";
import { print } from "../output.js";
import {
  addReporterOptions,
  type ReporterFlags,
  resolveReporters,
  writeReports,
} from "../reporters.js";

function readJson(file: string): unknown {
  const text = readUserFile(file, file);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not JSON: ${(err as Error).message}`);
  }
}

export function register(program: Command): void {
  const compare = program
    .command("compare")
    .description(
      "compare two JSON reports of the same command (bench, run, tune, explain) configuration by configuration",
    )
    .argument("<a>", "the reference report (A)")
    .argument("<b>", "the report compared with it (B)");
  addReporterOptions(compare, "table", COMPARE_REPORTERS).action(
    (a: string, b: string, flags: ReporterFlags, cmd: Command) => {
      const targets = resolveReporters(flags, {
        reporters: COMPARE_REPORTERS,
        defaultReporter: "table",
      });
      const comparison = compareDocuments(a, readJson(a), b, readJson(b));
      writeReports(targets, comparison, (data) => print(cmd, data));
    },
  );
}

/**
 * `pagemig calibrate --profile P REPORT.json... --out fitted.yaml`: fits the profile's
 * physical parameters that the reports' measurements constrain (calibration/fit.ts), writes
 * the calibrated profile, and prints each cell's error before and after.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { type FitOutcome, fitProfile } from "../../calibration/fit.js";
import { type FitCell, reportCells } from "../../calibration/fit-cells.js";
import { fittedProfileText } from "../../calibration/fit-profile.js";
import { QUICK_REGION_BYTES } from "../../calibration/validate.js";
import { UsageError } from "../../errors.js";
import { loadProfile } from "../../machine/profile.js";
import { formatSize, parseSize, signedPercent } from "../../machine/units.js";
import { formatTable } from "../../report/table.js";
import { print } from "../output.js";
import { checkOutputFile, writeOutputFile } from "../output-file.js";
import { checkDraft } from "./probe.js";

interface CalibrateFlags {
  profile: string;
  out: string;
  maxRegion: string;
}

export function register(program: Command): void {
  program
    .command("calibrate")
    .description("fit a profile's physical parameters to measured move_pages reports")
    .argument("<reports...>", "pagemig-report JSON files (bench, host bench, or pagemig published)")
    .requiredOption("--profile <name|file>", "the profile to calibrate")
    .requiredOption("--out <file>", "write the calibrated profile (YAML) here")
    .option(
      "--max-region <size>",
      "simulate each cell on at most this many bytes (its folio count scaled down)",
      formatSize(QUICK_REGION_BYTES),
    )
    .action(async (reports: string[], flags: CalibrateFlags, cmd: Command) => {
      const profile = loadProfile(flags.profile);
      const out = resolve(flags.out);
      checkOutputFile(`--out ${flags.out}`, out);
      const maxRegionBytes = parseSize(flags.maxRegion, "--max-region");
      const cells: FitCell[] = reports.flatMap((file) =>
        reportCells(file, readJson(file), profile),
      );
      const fit = await fitProfile(profile, cells, { maxRegionBytes });
      const text = fittedProfileText(readFileSync(profile.source, "utf8"), fit, reports);
      checkDraft(`--out ${flags.out}`, text);
      writeOutputFile(`--out ${flags.out}`, out, text);
      print(cmd, formatFit(fit));
    });
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`${file}: cannot read: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${file}: not JSON, so not a pagemig report`);
  }
}

function formatFit(fit: FitOutcome): string {
  const cells = formatTable(
    ["CELL", "MEASURED GB/s", "BEFORE", "ERROR", "AFTER", "ERROR"],
    fit.cells.map(({ cell, before, after }) => [
      cell.label,
      cell.measured.toFixed(2),
      before.toFixed(2),
      signedPercent(before / cell.measured - 1),
      after.toFixed(2),
      signedPercent(after / cell.measured - 1),
    ]),
  );
  const fitted = formatTable(
    ["FITTED", "START", "VALUE", "STD ERROR"],
    fit.fitted.map((f) => [
      f.param.id,
      String(f.start),
      String(f.value),
      f.relError === null ? "-" : `${(f.relError * 100).toFixed(1)}%`,
    ]),
  );
  const left = fit.left.map((l) => `  ${l.param.id} = ${l.value}: ${l.why}\n`).join("");
  const rms = (x: number) => `${(x * 100).toFixed(1)}%`;
  return (
    `${cells}rms error ${rms(fit.rmsBefore)} before, ${rms(fit.rmsAfter)} after\n\n${fitted}\n` +
    `Left as they were:\n${left}`
  );
}

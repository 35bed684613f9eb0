/**
 * `pagemig validate`: every published table and claim through the model, predicted beside
 * published per cell with the signed error, each table's band, and exit 1 if any band breaks.
 */
import type { Command } from "commander";
import type { CellResult } from "../../calibration/bands.js";
import {
  CXL_PROFILE,
  FULL_REGION_BYTES,
  PUBLISHED_PROFILE,
  parseTableIds,
  QUICK_REGION_BYTES,
  QUICK_TOLERANCE,
  type TableResult,
  type ValidationReport,
  validate,
} from "../../calibration/validate.js";
import { RunFailure } from "../../errors.js";
import { formatSize, signedPercent } from "../../machine/units.js";
import { jsonDocument } from "../../report/header.js";
import { formatTable, print } from "../output.js";

interface ValidateFlags {
  quick?: boolean;
  table?: string;
  profile: string;
  cxlProfile: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("validate")
    .description(
      "every published table and claim through the model, and the bands they must stay in",
    )
    .option(
      "--quick",
      `a ${formatSize(QUICK_REGION_BYTES)} region for T1-T4 instead of the published ${formatSize(FULL_REGION_BYTES)}`,
    )
    .option("--table <list>", "tables to run: T1..T7, claims (default: all)")
    .option(
      "--profile <name>",
      "profile of T1-T5 and the claims (name or YAML file)",
      PUBLISHED_PROFILE,
    )
    .option("--cxl-profile <name>", "profile of T6 (name or YAML file)", CXL_PROFILE)
    .option("--json", "print JSON")
    .action(async (flags: ValidateFlags, cmd: Command) => {
      const tables = flags.table === undefined ? undefined : parseTableIds(flags.table, "--table");
      const report = await validate({
        profile: flags.profile,
        cxlProfile: flags.cxlProfile,
        quick: flags.quick ?? false,
        tables,
      });
      print(
        cmd,
        flags.json
          ? jsonDocument("pagemig-validate", "validate", report)
          : formatValidation(report),
      );
      if (!report.pass) {
        const broken = report.tables.filter((t) => !t.pass).map((t) => t.id);
        throw new RunFailure(`validate: bands broken in ${broken.join(", ")}`);
      }
    });
}

/** The text report: each table's cells and band checks, then the summary. */
function formatValidation(r: ValidationReport): string {
  const region = r.quick
    ? `${formatSize(r.regionBytes)} (--quick: every cell within ${QUICK_TOLERANCE * 100}% of the ${formatSize(FULL_REGION_BYTES)} run)`
    : formatSize(r.regionBytes);
  const head =
    `pagemig validate: profile ${r.profile}` +
    (r.tables.some((t) => t.id === "T6") ? `, T6 on ${r.cxlProfile}` : "") +
    `; T1-T4 region ${region}\n`;
  return [head, ...r.tables.map(formatTableResult), formatSummary(r)].join("\n");
}

function formatTableResult(t: TableResult): string {
  const notes: string[] = [];
  const noteRef = (c: CellResult): string => {
    if (c.note === undefined) return "";
    let i = notes.indexOf(c.note);
    if (i < 0) i = notes.push(c.note) - 1;
    return ` [${i + 1}]`;
  };
  const rows = t.cells.map((c) => [
    c.row,
    c.column,
    c.predicted === null ? "-" : c.predicted.toFixed(c.digits),
    c.publishedText,
    c.error === null ? "-" : signedPercent(c.error),
    `${status(c)}${noteRef(c)}`,
  ]);
  const table = formatTable(
    [t.rowName.toUpperCase(), t.columnName.toUpperCase(), "PAGEMIG", "PUBLISHED", "ERROR", "BAND"],
    rows,
  );
  const lines = [
    `${t.id}  ${t.title}`,
    field("published", t.source),
    field("model", t.model),
    field("unit", t.unit),
    field("band", t.band),
    field("why", t.bandWhy),
    "",
    table,
    ...notes.map((n, i) => wrap(`[${i + 1}] `, n, "    ")),
    ...(t.references ?? []).map((ref) =>
      wrap(`${ref.id}: `, `"${ref.quote}" (${ref.source})`, "    "),
    ),
    ...t.checks.map((c) => wrap(c.pass ? "ok    " : "FAIL  ", c.text, "      ")),
    `${t.id} ${t.pass ? "PASS" : "FAIL"}`,
  ];
  return `${lines.join("\n")}\n`;
}

function status(c: CellResult): string {
  if (c.predicted === null) return "not modelled";
  if (!c.banded) return "reported";
  return "held";
}

function formatSummary(r: ValidationReport): string {
  const rows = r.tables.map((t) => {
    const held = t.cells.filter((c) => c.banded && c.error !== null);
    const worst = held.reduce<number | null>(
      (w, c) => (w === null || Math.abs(c.error ?? 0) > Math.abs(w) ? c.error : w),
      null,
    );
    const reported = t.cells.filter((c) => !c.banded && c.predicted !== null).length;
    const unmodelled = t.cells.filter((c) => c.predicted === null).length;
    return [
      t.id,
      String(t.cells.length),
      String(held.length),
      worst === null ? "-" : signedPercent(worst),
      String(reported),
      String(unmodelled),
      t.pass ? "PASS" : "FAIL",
    ];
  });
  const table = formatTable(
    ["TABLE", "CELLS", "HELD", "WORST HELD", "REPORTED", "NOT MODELLED", "RESULT"],
    rows,
  );
  const broken = r.tables.filter((t) => !t.pass).map((t) => t.id);
  const verdict = broken.length === 0 ? "every band holds" : `bands broken: ${broken.join(", ")}`;
  return `Summary\n${table}${verdict}\n`;
}

function field(name: string, text: string): string {
  return wrap(name.padEnd(10), text, " ".repeat(10));
}

/** `prefix` then `text` wrapped at 100 columns, continuation lines starting with `indent`. */
function wrap(prefix: string, text: string, indent: string, width = 100): string {
  const out: string[] = [];
  let line = prefix;
  let start = prefix.length;
  for (const word of text.split(" ")) {
    if (line.length > start && line.length + 1 + word.length > width) {
      out.push(line);
      line = indent;
      start = indent.length;
    }
    line += line.length > start ? ` ${word}` : word;
  }
  out.push(line);
  return out.join("\n");
}

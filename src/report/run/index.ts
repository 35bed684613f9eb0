/** `pagemig run`'s reporters, in the order `--help` lists them; add one line here to add a format. */
import type { Reporter } from "../reporter.js";
import { reporter as csv } from "./csv.js";
import { reporter as html } from "./html.js";
import type { RunReportInput } from "./input.js";
import { reporter as json } from "./json.js";
import { reporter as numastat } from "./numastat.js";
import { reporter as table } from "./table.js";

export const RUN_REPORTERS: readonly Reporter<RunReportInput>[] = [
  table,
  json,
  csv,
  numastat,
  html,
];

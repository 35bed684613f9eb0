/** `pagemig run`'s reporters, in the order `--help` lists them; add one line here to add a format. */
import { lazyReporter, type Reporter } from "../reporter.js";
import { reporter as csv } from "./csv.js";
import type { RunReportInput } from "./input.js";
import { reporter as json } from "./json.js";
import { reporter as numastat } from "./numastat.js";
import { reporter as perfetto } from "./perfetto.js";
import { reporter as table } from "./table.js";

/** Vega loads only when the HTML page is asked for. */
const html = lazyReporter<RunReportInput>(
  {
    name: "html",
    description: "a self-contained HTML page: totals per run and SVG plots of the time series",
    needsRecording: false,
    binary: false,
  },
  () => import("./html.js"),
);

export const RUN_REPORTERS: readonly Reporter<RunReportInput>[] = [
  table,
  json,
  csv,
  numastat,
  html,
  perfetto,
];

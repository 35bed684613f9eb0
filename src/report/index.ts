/** Every reporter, in the order `--help` lists them; add one line here to add a format. */
import { UsageError } from "../errors.js";
import { reporter as csv } from "./csv.js";
import { reporter as ftrace } from "./ftrace.js";
import { reporter as json } from "./json.js";
import { reporter as migspeed } from "./migspeed.js";
import { lazyReporter, type Reporter, type ReportInput } from "./reporter.js";
import { reporter as table } from "./table.js";

export type { Reporter, ReportInput } from "./reporter.js";

/** Vega and protobufjs load only for the reports that draw or encode with them. */
const perfetto = lazyReporter<ReportInput>(
  {
    name: "perfetto",
    description:
      "Perfetto trace (protobuf) of each result's last call: CPU, copy-thread and DMA-channel tracks, GB/s and folios in flight",
    needsRecording: true,
    binary: true,
  },
  () => import("./perfetto/index.js"),
);
const html = lazyReporter<ReportInput>(
  {
    name: "html",
    description: "a self-contained HTML page: summary table and SVG charts (with a timeline)",
    needsRecording: true,
    binary: false,
  },
  () => import("./html.js"),
);

export const REPORTERS: readonly Reporter[] = [table, json, csv, migspeed, perfetto, ftrace, html];

/** The reporter called `name` among a command's; an unknown name is bad input that lists them. */
export function findReporter<I>(name: string, reporters: readonly Reporter<I>[]): Reporter<I> {
  const r = reporters.find((x) => x.name === name);
  if (r === undefined) {
    throw new UsageError(
      `unknown reporter '${name}' (known: ${reporters.map((x) => x.name).join(", ")})`,
    );
  }
  return r;
}

/** `pagemig compare`'s reporters, in the order `--help` lists them. */
import type { Reporter } from "../reporter.js";
import type { Comparison } from "./compare.js";
import { html } from "./html.js";
import { csv, json, table } from "./reporters.js";

export type { Comparison } from "./compare.js";
export { compareDocuments } from "./compare.js";

export const COMPARE_REPORTERS: readonly Reporter<Comparison>[] = [table, json, csv, html];

/**
 * Every CLI command, imported only when the command line names it; add one line here to add a
 * command.
 */
import type { CommandModule, LazyCommand } from "../program.js";

export type { CommandModule };

export const commands: readonly LazyCommand[] = [
  { name: "profiles", load: () => import("./profiles.js") },
  { name: "bench", load: () => import("./bench.js") },
  { name: "baseline", load: () => import("./baseline.js") },
  { name: "selftest", load: () => import("./selftest.js") },
  { name: "validate", load: () => import("./validate.js") },
  { name: "explain", load: () => import("./explain.js") },
  { name: "tune", load: () => import("./tune.js") },
  { name: "probe", load: () => import("./probe.js") },
  { name: "host", load: () => import("./host.js") },
  { name: "calibrate", load: () => import("./calibrate.js") },
  { name: "published", load: () => import("./published.js") },
  { name: "run", load: () => import("./run.js") },
  { name: "merge", load: () => import("./merge.js") },
  { name: "schema", load: () => import("./schema.js") },
  { name: "compare", load: () => import("./compare.js") },
];

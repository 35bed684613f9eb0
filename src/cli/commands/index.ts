/** Every CLI command module; add one line here to add a command. */
import type { CommandModule } from "../program.js";
import * as baseline from "./baseline.js";
import * as bench from "./bench.js";
import * as explain from "./explain.js";
import * as merge from "./merge.js";
import * as probe from "./probe.js";
import * as profiles from "./profiles.js";
import * as run from "./run.js";
import * as selftest from "./selftest.js";
import * as tune from "./tune.js";
import * as validate from "./validate.js";

export type { CommandModule };

export const commands: readonly CommandModule[] = [
  profiles,
  bench,
  baseline,
  selftest,
  validate,
  explain,
  tune,
  probe,
  run,
  merge,
];

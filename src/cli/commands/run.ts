/**
 * `pagemig run SCENARIO`: a machine at work. Applications run on the emulated machine while
 * movers migrate their memory; the reporters of report/run/ write what each thread and mover
 * did and the time series (a table by default; json, csv, numastat, html, perfetto).
 */
import type { Command } from "commander";
import { parseAssignment, readUserFile, setPath, yamlValue } from "../../config/document.js";
import { UsageError } from "../../errors.js";
import { type LoadedProfile, loadProfile } from "../../machine/profile.js";
import { RUN_REPORTERS } from "../../report/run/index.js";
import { planRunShard } from "../../report/run/shard.js";
import { runScenario } from "../../workload/app/run-scenario.js";
import {
  checkScenarioOnProfile,
  type Scenario,
  validateScenario,
} from "../../workload/app/scenario.js";
import { print } from "../output.js";
import {
  addReporterOptions,
  loadReporters,
  needsRecording,
  type ReporterFlags,
  resolveReporters,
  writeReports,
} from "../reporters.js";

const DEFAULT_REPORTER = "table";

interface RunFlags extends ReporterFlags {
  set: string[];
  sweep: string[];
  shard?: string;
}

export const collect = (value: string, previous: string[]) => [...previous, value];

/** Split `a,b,[1, 2]` at the commas outside brackets and braces. */
function splitValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "[" || ch === "{") depth++;
    if (ch === "]" || ch === "}") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export interface Variant {
  /** The sweep's `path=value` of this run, in the order given. */
  settings: string[];
  scenario: Scenario;
  profile: LoadedProfile;
}

/** The scenario with every --set, then each combination of the --sweep values (the first varies slowest). */
export function scenarioVariants(file: string, flags: Pick<RunFlags, "set" | "sweep">): Variant[] {
  const label = `scenario ${file}`;
  const raw = yamlValue(readUserFile(file, label), label, "scenario");
  for (const text of flags.set) {
    const { path, value } = parseAssignment(text, "--set");
    setPath(raw, path, value, "--set");
  }
  const sweeps = flags.sweep.map((text) => {
    const eq = text.indexOf("=");
    if (eq <= 0) throw new UsageError(`--sweep: expected path=v1,v2,..., got '${text}'`);
    const path = text.slice(0, eq).trim();
    return {
      path,
      values: splitValues(text.slice(eq + 1)).map((v) =>
        parseAssignment(`${path}=${v}`, "--sweep"),
      ),
    };
  });
  let combos: { path: string; value: unknown }[][] = [[]];
  for (const sw of sweeps) combos = combos.flatMap((c) => sw.values.map((v) => [...c, v]));
  // Every variant is checked before the first runs, so a bad value never leaves half a sweep.
  return combos.map((combo) => {
    const doc = structuredClone(raw);
    for (const { path, value } of combo) setPath(doc, path, value, "--sweep");
    const settings = combo.map(
      ({ path, value }) => `${path}=${typeof value === "string" ? value : JSON.stringify(value)}`,
    );
    const where = settings.length === 0 ? label : `${label} (${settings.join(", ")})`;
    const scenario = validateScenario(doc, where);
    const profile = loadProfile(scenario.profile);
    checkScenarioOnProfile(scenario, profile, where);
    return { settings, scenario, profile };
  });
}

export function register(program: Command): void {
  const run = program
    .command("run")
    .description(
      "run a scenario: applications on the machine while movers migrate their memory (scenarios/)",
    )
    .argument("<scenario>", "scenario file, YAML or JSON")
    .option(
      "--set <path=value>",
      "override one field, e.g. engine.migrator=dcbm (repeatable)",
      collect,
      [],
    )
    .option(
      "--sweep <path=v1,v2>",
      "run each value, e.g. engine.migrator=serial,mtcopy,dcbm (repeatable: the cross product)",
      collect,
      [],
    )
    .option(
      "--shard <i/n>",
      "run shard I of N of the sweep: its runs at positions I, I+N, I+2N, ... of the cross product (from 1), as a json report for `pagemig merge`",
    );
  addReporterOptions(run, DEFAULT_REPORTER, RUN_REPORTERS).action(
    async (file: string, flags: RunFlags, cmd: Command) => {
      const planned = scenarioVariants(file, flags);
      const sweep = { scenario: file, set: flags.set, sweep: flags.sweep };
      const shard =
        flags.shard === undefined ? undefined : planRunShard(flags.shard, sweep, planned);
      const targets = resolveReporters(flags, {
        reporters: RUN_REPORTERS,
        defaultReporter: shard === undefined ? DEFAULT_REPORTER : "json",
      });
      const other = targets.find((t) => t.reporter.name !== "json");
      if (shard !== undefined && other !== undefined) {
        throw new UsageError(
          `--reporter ${other.spec}: a shard writes only its json report; pagemig merge writes the others`,
        );
      }
      await loadReporters(targets);
      const runs = (shard?.runIndices.map((i) => planned[i]) ?? planned).map((v) => ({
        settings: v.settings,
        result: runScenario(v.scenario, v.profile, { record: needsRecording(targets) }),
      }));
      writeReports(targets, { ...sweep, runs, shard }, (data) => print(cmd, data));
    },
  );
}

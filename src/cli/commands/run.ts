/**
 * `pagemig run SCENARIO`: a machine at work. Applications run on the emulated machine while
 * movers migrate their memory; prints each thread's operations per second, its time stalled
 * in migration entries and where its accesses went, and each mover's calls and throughput.
 */
import type { Command } from "commander";
import { parseAssignment, readUserFile, setPath, yamlValue } from "../../config/document.js";
import { UsageError } from "../../errors.js";
import { type LoadedProfile, loadProfile } from "../../machine/profile.js";
import { runScenario, type ScenarioResult } from "../../workload/app/run-scenario.js";
import {
  checkScenarioOnProfile,
  type Scenario,
  validateScenario,
} from "../../workload/app/scenario.js";
import { formatTable, print } from "../output.js";

interface RunFlags {
  json?: boolean;
  set: string[];
  sweep: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

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

interface Variant {
  /** The sweep's `path=value` of this run, in the order given. */
  settings: string[];
  scenario: Scenario;
  profile: LoadedProfile;
}

/** The scenario with every --set, then each combination of the --sweep values (the first varies slowest). */
function variants(file: string, flags: RunFlags): Variant[] {
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

function totals(r: ScenarioResult) {
  return {
    mops: r.threads.reduce((a, t) => a + t.opsPerSec, 0) / 1e6,
    stalledMs: r.threads.reduce((a, t) => a + t.stallNs, 0) / 1e6,
    cpuLostMs: r.threads.reduce((a, t) => a + t.cpuLostNs, 0) / 1e6,
    moverGBps: r.movers.length === 0 ? 0 : r.movers.reduce((a, m) => a + m.gbps, 0),
  };
}

/** One row per run of a sweep, with each figure's difference to the first run's. */
function formatSweep(runs: { settings: string[]; result: ScenarioResult }[]): string {
  const first = totals(runs[0].result);
  const diff = (x: number, base: number) =>
    base === 0 ? "-" : `${x >= base ? "+" : ""}${(((x - base) / base) * 100).toFixed(1)}%`;
  return `${formatTable(
    [
      "RUN",
      "MOPS/s",
      "VS-FIRST",
      "STALLED-ms",
      "VS-FIRST",
      "CPU-LOST-ms",
      "MOVER-GB/s",
      "VS-FIRST",
    ],
    runs.map(({ settings, result }) => {
      const t = totals(result);
      return [
        settings.join(" "),
        fmt(t.mops, 3),
        diff(t.mops, first.mops),
        fmt(t.stalledMs, 3),
        diff(t.stalledMs, first.stalledMs),
        fmt(t.cpuLostMs, 3),
        fmt(t.moverGBps),
        diff(t.moverGBps, first.moverGBps),
      ];
    }),
  )}\nMOPS/s, STALLED-ms and CPU-LOST-ms (CPU time the threads lost to copy threads and movers sharing their CPUs) are summed over every thread; MOVER-GB/s over the movers.\n`;
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);

/** Per process, why its threads did what they did: the time of one operation and what bound it. */
function whySentences(r: ScenarioResult): string[] {
  const names = [...new Set(r.threads.map((t) => t.process))];
  return names.map((name) => {
    const ts = r.threads.filter((t) => t.process === name);
    const mean = (f: (t: (typeof ts)[number]) => number) =>
      ts.reduce((a, t) => a + f(t), 0) / ts.length;
    const access = mean((t) => t.meanAccessNs);
    const compute = mean((t) => t.computeNs);
    const mlp = mean((t) => t.mlp);
    const stalled = mean((t) => t.stallNs) / r.durationNs;
    const lost = mean((t) => t.cpuLostNs) / r.durationNs;
    const bound = mean((t) => t.bandwidthBoundShare);
    const parts = [
      `${name}: ${fmt(mean((t) => t.opsPerSec) / 1e6, 3)} Mops/s per thread, each operation ${fmt(compute, 0)} ns of compute and a ${fmt(access, 0)} ns access${mlp > 1 ? ` / ${fmt(mlp, 0)} in flight` : ""} (mean over the run, loaded; ${(mean((t) => t.remoteShare) * 100).toFixed(0)}% of accesses to another node)`,
      `${(stalled * 100).toFixed(1)}% of the time stalled in migration entries`,
    ];
    if (lost > 0) parts.push(`${(lost * 100).toFixed(1)}% of its CPU lost to kernel work`);
    if (bound > 0) parts.push(`memory bandwidth bound it ${(bound * 100).toFixed(0)}% of the time`);
    return `${parts.join("; ")}.`;
  });
}

function formatRun(r: ScenarioResult): string {
  const engine = [
    r.engine.migrator,
    r.engine.threads !== undefined ? `${r.engine.threads} threads` : "",
    r.engine.channels !== undefined ? `${r.engine.channels} channels` : "",
  ]
    .filter((x) => x !== "")
    .join(" ");
  let out = `profile ${r.profile}, ${fmt(r.durationNs / 1e6, 1)} ms of virtual time, engine ${engine}, seed ${r.seed}\n\n`;
  out += `${formatTable(
    [
      "PROCESS",
      "CPU",
      "REGION",
      "MOPS/s",
      "STALLED-ms",
      "STALLS",
      "US/STALL",
      "CPU-LOST-ms",
      "REMOTE",
    ],
    r.threads.map((t) => [
      t.process,
      String(t.cpu),
      t.region,
      fmt(t.opsPerSec / 1e6, 3),
      fmt(t.stallNs / 1e6, 3),
      String(t.stalls),
      t.stalls === 0 ? "-" : fmt(t.stallNs / t.stalls / 1e3, 2),
      fmt(t.cpuLostNs / 1e6, 3),
      `${(t.remoteShare * 100).toFixed(0)}%`,
    ]),
  )}`;
  if (r.movers.length > 0) {
    out += `\n${formatTable(
      ["MOVER", "REGION", "CALLS", "FOLIOS", "BUSY-ms", "GB/s"],
      r.movers.map((m) => [
        m.process,
        m.region,
        String(m.calls),
        String(m.foliosMoved),
        fmt(m.busyNs / 1e6, 3),
        fmt(m.gbps),
      ]),
    )}`;
  }
  out += `\n${whySentences(r).join("\n")}\n`;
  out += `\nvmstat: pgmigrate_success ${r.vmstat.pgmigrate_success}, pgmigrate_fail ${r.vmstat.pgmigrate_fail}\n`;
  return out;
}

export function register(program: Command): void {
  program
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
    .option("--json", "print the result as JSON")
    .action((file: string, flags: RunFlags, cmd: Command) => {
      const runs = variants(file, flags).map((v) => ({
        settings: v.settings,
        result: runScenario(v.scenario, v.profile),
      }));
      if (flags.json) {
        const doc = flags.sweep.length === 0 ? runs[0].result : runs;
        print(cmd, `${JSON.stringify(doc, null, 2)}\n`);
      } else if (flags.sweep.length === 0) {
        print(cmd, formatRun(runs[0].result));
      } else {
        print(
          cmd,
          `${runs.map((r) => `${r.settings.join(" ")}\n${formatRun(r.result)}`).join("\n")}\n${formatSweep(runs)}`,
        );
      }
    });
}

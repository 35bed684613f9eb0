/**
 * Real, short runs for the run reporters' tests: the THP ping-pong for 5 ms (a 2M folio moved
 * between nodes 0 and 1 about every 250 µs under two readers, so memory per node changes), the
 * same swept over two engines, and remote-half's migration home under three engines.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../machine/package-root.js";
import { loadProfile } from "../../machine/profile.js";
import { runScenario } from "../../workload/app/run-scenario.js";
import { parseScenario, type Scenario } from "../../workload/app/scenario.js";
import type { RunReportInput } from "./input.js";

export const SCENARIO = "scenarios/ping-pong-thp.yaml";

function load(file: string, duration: number): Scenario {
  const text = readFileSync(join(packageRoot(), file), "utf8");
  return { ...parseScenario(text, file), duration };
}

const scenario = () => load(SCENARIO, 5_000_000);

const run = (s: Scenario, record = false) => runScenario(s, loadProfile(s.profile), { record });

/** `pagemig run scenarios/ping-pong-thp.yaml --set duration=5ms` (recorded: as perfetto has it). */
export function pingPongInput(record = false): RunReportInput {
  return {
    scenario: SCENARIO,
    set: ["duration=5ms"],
    sweep: [],
    runs: [{ settings: [], result: run(scenario(), record) }],
  };
}

function engineSweep(
  file: string,
  s: Scenario,
  migrators: Scenario["engine"]["migrator"][],
  record = false,
) {
  return {
    scenario: file,
    set: [`duration=${s.duration / 1e6}ms`],
    sweep: [`engine.migrator=${migrators.join(",")}`],
    runs: migrators.map((migrator) => ({
      settings: [`engine.migrator=${migrator}`],
      result: run({ ...s, engine: { ...s.engine, migrator } }, record),
    })),
  };
}

/** The same with `--sweep engine.migrator=serial,dcbm`. */
export function pingPongSweepInput(): RunReportInput {
  return engineSweep(SCENARIO, scenario(), ["serial", "dcbm"]);
}

/**
 * `--sweep engine.migrator=serial,mtcopy,dcbm --reporter perfetto`: every engine's tracks (the
 * task's, copy threads', DMA channels'), each run recorded.
 */
export function pingPongRecordedInput(): RunReportInput {
  return engineSweep(SCENARIO, scenario(), ["serial", "mtcopy", "dcbm"], true);
}

/**
 * `pagemig run scenarios/remote-half.yaml --set duration=100ms --sweep
 * engine.migrator=serial,mtcopy,dcbm`: half of 1 GiB moved home from 20 ms, each engine done
 * before the end.
 */
export function remoteHalfSweepInput(): RunReportInput {
  const file = "scenarios/remote-half.yaml";
  return engineSweep(file, load(file, 100_000_000), ["serial", "mtcopy", "dcbm"]);
}

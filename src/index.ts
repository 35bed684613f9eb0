/**
 * pagemig as a library: the package's entry point (`import { ... } from "pagemig"`).
 *
 * Each function takes typed options and returns the same results the CLI prints, without
 * touching stdout; bad input throws `UsageError` (what the CLI reports as exit 2), a failed run
 * `RunFailure`. Times are virtual nanoseconds or microseconds as each field says; GB/s is 1e9
 * bytes per second of virtual time.
 *
 *   import { benchMovePages, loadProfile } from "pagemig";
 *   const r = await benchMovePages({ profile: "zen3-2s-ptdma", migrator: "dcbm", workers: 4,
 *                                    folioSizeBytes: 2 << 20, folioCount: 512 });
 *   console.log(r.throughputGBps.mean);
 *
 * - `loadProfile`, `profileNames`, `validateProfile`: machine profiles.
 * - `bootMachine`: a `Kernel` booted on a profile, to drive the model's syscalls yourself.
 * - `benchMovePages`: one configuration of the move_pages(2) benchmark (`pagemig bench`).
 * - `runScenario`: a scenario document, applications at work (`pagemig run`).
 * - `explainMovePages`: where one configuration's time went (`pagemig explain`).
 * - `tuneWorkload`: the search and its recommendation (`pagemig tune`).
 * - `validateModel`: the published tables through the model (`pagemig validate`).
 * - `jsonSchemaOf`: the JSON Schemas of profiles, workloads, scenarios and bench's report.
 */
import { availableParallelism } from "node:os";
import { type ValidateOptions, type ValidationReport, validate } from "./calibration/validate.js";
import { validated } from "./config/document.js";
import type { Explanation } from "./explain/explain.js";
import { type ExplainRunOptions, explainMovePages as explainRun } from "./explain/run.js";
import { LoadedProfile, loadProfile } from "./machine/profile.js";
import { Kernel, type KernelOptions } from "./migrate/kernel.js";
import { type TuneResult, tune } from "./tune/tune.js";
import { workloadFromDocument } from "./tune/workload.js";
import { runScenario as runScenarioOn, type ScenarioResult } from "./workload/app/run-scenario.js";
import { checkScenarioOnProfile, ScenarioSchema } from "./workload/app/scenario.js";
import {
  type MovePagesBenchOptions,
  type MovePagesBenchResult,
  runMovePagesBench,
} from "./workload/move-pages-bench.js";

export type { TableId, ValidateOptions, ValidationReport } from "./calibration/validate.js";
export type { MigratorName } from "./copy/engines.js";
export { MIGRATORS } from "./copy/engines.js";
export { RunFailure, UsageError } from "./errors.js";
export type { Explanation } from "./explain/explain.js";
export { LoadedProfile, loadProfile, profileNames } from "./machine/profile.js";
export {
  type MachineProfile,
  type MachineProfileDocument,
  type ProfileValidation,
  validateProfile,
} from "./machine/schema.js";
export { Kernel, type KernelOptions } from "./migrate/kernel.js";
export { DOCUMENT_SCHEMAS, type DocumentHeader } from "./report/header.js";
export type { ReportDocument, ReportedResult } from "./report/json.js";
export type { RunDocument } from "./report/run/json.js";
export { jsonSchemaOf, SCHEMA_KIND_NAMES, type SchemaKind } from "./schemas.js";
export type { Recommendation, TuneResult } from "./tune/tune.js";
export type { Workload } from "./tune/workload.js";
export type { ScenarioResult } from "./workload/app/run-scenario.js";
export type { Scenario } from "./workload/app/scenario.js";
export type { MeanSd, MovePagesBenchResult } from "./workload/move-pages-bench.js";

/** A profile's name (shipped), a path to a YAML file, or a profile already loaded. */
export type ProfileRef = string | LoadedProfile;

function profileOf(p: ProfileRef): LoadedProfile {
  return p instanceof LoadedProfile ? p : loadProfile(p);
}

/** Boots a machine on `profile`: an idle kernel with every node's memory free. */
export function bootMachine(
  profile: ProfileRef,
  options: Omit<KernelOptions, "profile"> = {},
): Kernel {
  return new Kernel({ ...options, profile: profileOf(profile) });
}

export interface BenchOptions
  extends Omit<MovePagesBenchOptions, "profile" | "runs" | "seed" | "verify" | "onMove"> {
  profile: ProfileRef;
  /** Timed calls (default 1: the model is deterministic). */
  runs?: number;
  seed?: number;
  /** Bytes mode: real page contents, checked after every call. */
  verify?: boolean;
}

/**
 * One configuration of `pagemig bench move-pages`: a region of `folioCount` folios of
 * `folioSizeBytes` on `fromNode` (0), moved to `toNode` (1) by `runs` timed move_pages(2) calls.
 */
export function benchMovePages(o: BenchOptions): Promise<MovePagesBenchResult> {
  return runMovePagesBench({
    ...o,
    profile: profileOf(o.profile),
    runs: o.runs ?? 1,
    seed: o.seed ?? 1,
    verify: o.verify ?? false,
  });
}

export interface ExplainOptions extends Omit<ExplainRunOptions, "profile" | "seed" | "verify"> {
  profile: ProfileRef;
  seed?: number;
  verify?: boolean;
}

/** `pagemig explain` of one configuration, against the serial kernel on the same region. */
export function explainMovePages(o: ExplainOptions): Promise<Explanation> {
  return explainRun({
    ...o,
    profile: profileOf(o.profile),
    seed: o.seed ?? 1,
    verify: o.verify ?? false,
  });
}

/**
 * Runs a scenario document (the value of a scenario YAML or JSON file, see `jsonSchemaOf(
 * "scenario")`) on the profile it names.
 */
export function runScenario(scenario: unknown): ScenarioResult {
  const s = validated(ScenarioSchema, scenario, "scenario");
  const profile = loadProfile(s.profile);
  checkScenarioOnProfile(s, profile, "scenario");
  return runScenarioOn(s, profile);
}

export interface TuneOptions {
  /** The profile's name or YAML file (default zen3-2s-ptdma). */
  profile?: string;
  /** Simulations run at once on worker threads (default: one per available core). */
  jobs?: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * `pagemig tune` for a workload document (the --workload file's fields: folioSizes, total,
 * reasons, latencyBudget, callBudget, cpuBudget; all optional).
 */
export function tuneWorkload(workload: unknown, o: TuneOptions = {}): Promise<TuneResult> {
  return tune(workloadFromDocument(workload), {
    profile: o.profile ?? "zen3-2s-ptdma",
    threads: o.jobs ?? availableParallelism(),
    seed: o.seed,
    onProgress: o.onProgress,
  });
}

/** `pagemig validate`: the published tables through the model, and whether every band holds. */
export function validateModel(o: ValidateOptions = {}): Promise<ValidationReport> {
  return validate(o);
}

/**
 * `pagemig tune`'s search: simulate every distinct (engine setting, folio size) once on the
 * worker pool, compose each candidate's figures for the workload, keep the Pareto front of the
 * feasible ones and recommend one.
 */
import { hasDmaChannels } from "../copy/engines.js";
import { UsageError } from "../errors.js";
import { type LoadedProfile, loadProfile } from "../machine/profile.js";
import { formatSize } from "../machine/units.js";
import {
  BREAK_EVEN_BATCH_PAGES,
  type BreakEven,
  breakEven,
  breakEvenEngines,
  breakEvenFolios,
  breakEvenJob,
} from "./break-even.js";
import { type Candidate, exceededBudgets } from "./budgets.js";
import { evaluate } from "./evaluate.js";
import { paretoFront } from "./pareto.js";
import { runJobs } from "./pool.js";
import { choose, reasoning } from "./recommend.js";
import { type Settings, settingsFor } from "./settings.js";
import { type SimJob, type SimOutcome, scaleToCall, simJob, simKey } from "./sim-job.js";
import {
  type EngineConfig,
  engineConfigs,
  reasonMasks,
  sameConfig,
  VANILLA,
  vanillaAt,
} from "./space.js";
import type { Workload } from "./workload.js";

export interface TuneOptions {
  /** Profile name or path. */
  profile: string;
  /** Simulation worker threads. */
  threads: number;
  /** Seed of every simulation (default 1). */
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface Recommendation {
  candidate: Candidate;
  /** Throughput over vanilla's, minus 1. */
  gain: number;
  reasoning: string[];
  settings: Settings;
}

export interface TuneResult {
  profile: string;
  seed: number;
  workload: Workload;
  /** Distinct simulations run for the search. */
  simulations: number;
  /** Simulations run for the break-even batches. */
  breakEvenSimulations: number;
  candidates: Candidate[];
  vanilla: Candidate;
  /** Non-dominated among the feasible candidates (among all when none is feasible), fastest first. */
  front: Candidate[];
  feasible: number;
  /** Where each mtcopy and dcbm setting starts to beat the CPU copy, per folio size. */
  breakEvens: BreakEven[];
  recommendation: Recommendation | null;
}

/**
 * The search before any simulation: the engine settings, and every simulation the figures will
 * be composed from (the search's, deduplicated by key, then the break-even batches'), so the
 * same plan can run here, on a pool, or split into shards on several machines (shard.ts).
 */
export interface TunePlan {
  /** Profile name or path, as the jobs name it. */
  profileArg: string;
  profile: LoadedProfile;
  /** Every simulation's seed. */
  seed: number;
  workload: Workload;
  configs: EngineConfig[];
  /** The search's simulations, one per key. */
  searchJobs: SimJob[];
  breakEven: BreakEvenPlan;
}

interface BreakEvenPlan {
  engines: EngineConfig[];
  /** Per folio size of the workload, the batch sizes in folios that fit on the nodes. */
  sizes: { size: number; folios: number[] }[];
  /** Vanilla's points, then each engine's, each per size and batch size in that order. */
  jobs: SimJob[];
}

export function planTune(w: Workload, profileArg: string, seed = 1): TunePlan {
  const profile = loadProfile(profileArg);
  for (const nid of [0, 1]) {
    if (nid >= profile.nodeCount || w.totalBytes > profile.nodeBytes(nid)) {
      throw new UsageError(
        `--total ${formatSize(w.totalBytes)}: does not fit on node ${nid} of profile ${profile.name}`,
      );
    }
  }
  const configs = engineConfigs({ dma: hasDmaChannels(profile) });
  const searchJobs = uniqueJobs(
    configs.flatMap((c) => w.folioMix.map((f) => simJob(profileArg, c, f.key, w.totalBytes))),
  ).map((j) => ({ ...j, seed }));
  const breakEven = planBreakEvens(profileArg, profile, w);
  breakEven.jobs = breakEven.jobs.map((j) => ({ ...j, seed }));
  return { profileArg, profile, seed, workload: w, configs, searchJobs, breakEven };
}

/** The jobs with one per key, in the order of each key's first. */
function uniqueJobs(jobs: readonly SimJob[]): SimJob[] {
  const byKey = new Map<string, SimJob>();
  for (const j of jobs) if (!byKey.has(simKey(j))) byKey.set(simKey(j), j);
  return [...byKey.values()];
}

/** Every distinct simulation of the plan, the search's first. */
export function planSimulations(plan: TunePlan): SimJob[] {
  return uniqueJobs([...plan.searchJobs, ...plan.breakEven.jobs]);
}

export async function tune(w: Workload, o: TuneOptions): Promise<TuneResult> {
  const plan = planTune(w, o.profile, o.seed);
  const jobs = planSimulations(plan);
  const outcomes = await runJobs(jobs, { threads: o.threads, onDone: o.onProgress });
  const byKey = new Map(jobs.map((j, i) => [simKey(j), outcomes[i]]));
  return composeTune(plan, (j) => {
    const outcome = byKey.get(simKey(j));
    if (outcome === undefined) throw new Error(`no simulation for ${simKey(j)}`);
    return outcome;
  });
}

/** The search's figures, front and recommendation from the outcome of each of the plan's jobs. */
export function composeTune(plan: TunePlan, outcomeOf: (j: SimJob) => SimOutcome): TuneResult {
  const { workload: w, configs } = plan;
  const callOutcome = (c: EngineConfig, size: number): SimOutcome => {
    const j = simJob(plan.profileArg, c, size, w.totalBytes);
    return scaleToCall(j, outcomeOf(j), w.totalBytes);
  };

  const reasons = w.reasons.map((r) => r.key);
  const candidates: Candidate[] = [];
  let vanilla: Candidate | undefined;
  for (const config of configs) {
    for (const reasonMask of reasonMasks(config, reasons)) {
      const metrics = evaluate(w, config, reasonMask, callOutcome);
      const c: Candidate = {
        id: candidates.length,
        config,
        reasonMask,
        metrics,
        exceeds: exceededBudgets(metrics, w.budgets),
      };
      candidates.push(c);
      if (sameConfig(config, VANILLA)) vanilla = c;
    }
  }
  if (vanilla === undefined) throw new Error("the search space lacks the vanilla setting");
  const feasible = candidates.filter((c) => c.exceeds.length === 0);
  const pool = feasible.length > 0 ? feasible : candidates;
  const front = paretoFront(pool.map((c) => c.metrics)).map((i) => pool[i]);
  const breakEvens = composeBreakEvens(plan.breakEven, plan.breakEven.jobs.map(outcomeOf));
  const rec = choose(candidates);
  return {
    profile: plan.profile.name,
    seed: plan.seed,
    workload: w,
    simulations: plan.searchJobs.length,
    breakEvenSimulations: plan.breakEven.jobs.length,
    candidates,
    vanilla,
    front,
    feasible: feasible.length,
    breakEvens,
    recommendation:
      rec === null
        ? null
        : {
            candidate: rec,
            gain: rec.metrics.throughputGBps / vanilla.metrics.throughputGBps - 1,
            reasoning: reasoning(rec, vanilla, candidates, w, breakEvens),
            settings: settingsFor(rec.config, rec.reasonMask),
          },
  };
}

/**
 * The break-even batch of every mtcopy (spread) and dcbm setting of the search, at each of
 * the workload's folio sizes: simulations of one batch of 1, 2, 4, ... folios.
 */
function planBreakEvens(profileArg: string, profile: LoadedProfile, w: Workload): BreakEvenPlan {
  const engines = breakEvenEngines({ dma: hasDmaChannels(profile) });
  const room = Math.min(profile.nodeBytes(0), profile.nodeBytes(1));
  const sizes = w.folioMix.map((f) => ({
    size: f.key,
    folios: breakEvenFolios(f.key).filter((n) => n * f.key <= room),
  }));
  const jobs: SimJob[] = [];
  for (const c of [vanillaAt(BREAK_EVEN_BATCH_PAGES), ...engines]) {
    for (const p of sizes)
      for (const n of p.folios) jobs.push(breakEvenJob(profileArg, c, p.size, n));
  }
  return { engines, sizes, jobs };
}

function composeBreakEvens(plan: BreakEvenPlan, outcomes: readonly SimOutcome[]): BreakEven[] {
  const perEngine = plan.sizes.reduce((a, p) => a + p.folios.length, 0);
  const out: BreakEven[] = [];
  plan.engines.forEach((c, e) => {
    let at = 0;
    for (const p of plan.sizes) {
      const slice = (base: number) => outcomes.slice(base + at, base + at + p.folios.length);
      out.push(breakEven(c, p.size, p.folios, slice((e + 1) * perEngine), slice(0)));
      at += p.folios.length;
    }
  });
  return out;
}

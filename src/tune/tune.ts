/**
 * `pagemig tune`'s search: simulate every distinct (engine setting, folio size) once on the
 * worker pool, compose each candidate's figures for the workload, keep the Pareto front of the
 * feasible ones and recommend one.
 */
import { UsageError } from "../errors.js";
import { loadProfile } from "../machine/profile.js";
import { formatSize } from "../machine/units.js";
import { type Candidate, exceededBudgets } from "./budgets.js";
import { evaluate } from "./evaluate.js";
import { paretoFront } from "./pareto.js";
import { runJobs } from "./pool.js";
import { choose, reasoning } from "./recommend.js";
import { type Settings, settingsFor } from "./settings.js";
import { type SimJob, type SimOutcome, scaleToCall, simJob, simKey } from "./sim-job.js";
import { type EngineConfig, engineConfigs, reasonMasks, sameConfig, VANILLA } from "./space.js";
import type { Workload } from "./workload.js";

export interface TuneOptions {
  /** Profile name or path. */
  profile: string;
  /** Simulation worker threads. */
  threads: number;
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
  workload: Workload;
  /** Distinct simulations run. */
  simulations: number;
  candidates: Candidate[];
  vanilla: Candidate;
  /** Non-dominated among the feasible candidates (among all when none is feasible), fastest first. */
  front: Candidate[];
  feasible: number;
  recommendation: Recommendation | null;
}

export async function tune(w: Workload, o: TuneOptions): Promise<TuneResult> {
  const profile = loadProfile(o.profile);
  for (const nid of [0, 1]) {
    if (nid >= profile.nodeCount || w.totalBytes > profile.nodeBytes(nid)) {
      throw new UsageError(
        `--total ${formatSize(w.totalBytes)}: does not fit on node ${nid} of profile ${profile.name}`,
      );
    }
  }
  const configs = engineConfigs();
  const jobs: SimJob[] = [];
  const jobIndex = new Map<string, number>();
  const jobOf = (c: EngineConfig, size: number): SimJob => simJob(o.profile, c, size, w.totalBytes);
  for (const c of configs) {
    for (const f of w.folioMix) {
      const j = jobOf(c, f.key);
      const key = simKey(j);
      if (!jobIndex.has(key)) {
        jobIndex.set(key, jobs.length);
        jobs.push(j);
      }
    }
  }
  const outcomes = await runJobs(jobs, { threads: o.threads, onDone: o.onProgress });
  const callOutcome = (c: EngineConfig, size: number): SimOutcome => {
    const j = jobOf(c, size);
    const i = jobIndex.get(simKey(j));
    if (i === undefined) throw new Error(`no simulation for ${simKey(j)}`);
    return scaleToCall(j, outcomes[i], w.totalBytes);
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
  const rec = choose(candidates);
  return {
    profile: profile.name,
    workload: w,
    simulations: jobs.length,
    candidates,
    vanilla,
    front,
    feasible: feasible.length,
    recommendation:
      rec === null
        ? null
        : {
            candidate: rec,
            gain: rec.metrics.throughputGBps / vanilla.metrics.throughputGBps - 1,
            reasoning: reasoning(rec, vanilla, candidates, w),
            settings: settingsFor(rec.config, rec.reasonMask),
          },
  };
}

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

export async function tune(w: Workload, o: TuneOptions): Promise<TuneResult> {
  const profile = loadProfile(o.profile);
  for (const nid of [0, 1]) {
    if (nid >= profile.nodeCount || w.totalBytes > profile.nodeBytes(nid)) {
      throw new UsageError(
        `--total ${formatSize(w.totalBytes)}: does not fit on node ${nid} of profile ${profile.name}`,
      );
    }
  }
  const configs = engineConfigs({ dma: hasDmaChannels(profile) });
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
  const { breakEvens, simulations } = await offloadBreakEvens(o, profile, w, jobs.length);
  const rec = choose(candidates);
  return {
    profile: profile.name,
    workload: w,
    simulations: jobs.length,
    breakEvenSimulations: simulations,
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
 * the workload's folio sizes: a second round of simulations, of one batch of 1, 2, 4, ...
 * folios.
 */
async function offloadBreakEvens(
  o: TuneOptions,
  profile: LoadedProfile,
  w: Workload,
  jobsBefore: number,
): Promise<{ breakEvens: BreakEven[]; simulations: number }> {
  const engines = breakEvenEngines({ dma: hasDmaChannels(profile) });
  const room = Math.min(profile.nodeBytes(0), profile.nodeBytes(1));
  const plan = w.folioMix.map((f) => ({
    size: f.key,
    folios: breakEvenFolios(f.key).filter((n) => n * f.key <= room),
  }));
  const jobs: SimJob[] = [];
  for (const c of [vanillaAt(BREAK_EVEN_BATCH_PAGES), ...engines]) {
    for (const p of plan)
      for (const n of p.folios) jobs.push(breakEvenJob(o.profile, c, p.size, n));
  }
  const outcomes = await runJobs(jobs, {
    threads: o.threads,
    onDone: (done, total) => o.onProgress?.(jobsBefore + done, jobsBefore + total),
  });
  const perEngine = plan.reduce((a, p) => a + p.folios.length, 0);
  const out: BreakEven[] = [];
  engines.forEach((c, e) => {
    let at = 0;
    for (const p of plan) {
      const slice = (base: number) => outcomes.slice(base + at, base + at + p.folios.length);
      out.push(breakEven(c, p.size, p.folios, slice((e + 1) * perEngine), slice(0)));
      at += p.folios.length;
    }
  });
  return { breakEvens: out, simulations: jobs.length };
}

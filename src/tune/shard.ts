/**
 * `pagemig tune --shard I/N`: one share of the search's simulations, and `pagemig merge` of all
 * the shares into the search's result. The plan (tune.ts: every distinct simulation, by key) is
 * the same wherever it is made from the same workload and profile; its simulations, largest
 * first (ties in plan order), are dealt round-robin to the shards (config/shard.ts). A shard
 * writes the outcome of each of its simulations; merge makes the plan again, checks it is the
 * one the shards ran, and composes the figures from their outcomes, which gives the unsharded
 * search's output byte for byte (a simulation's outcome depends only on its job).
 */
import { z } from "zod";
import { validated } from "../config/document.js";
import {
  checkShardCount,
  checkShardSet,
  digestOf,
  parseShard,
  profileDefinition,
  type Shard,
  type ShardFile,
  shardPositions,
} from "../config/shard.js";
import { UsageError } from "../errors.js";
import { DOCUMENT_SCHEMAS, type DocumentHeader, documentHeader } from "../report/header.js";
import { runJobs } from "./pool.js";
import { type SimJob, type SimOutcome, simKey } from "./sim-job.js";
import {
  composeTune,
  planSimulations,
  planTune,
  type TuneOptions,
  type TunePlan,
  type TuneResult,
} from "./tune.js";
import type { Workload } from "./workload.js";

export const TUNE_SHARD_SCHEMA = "pagemig-tune-shard";
/** Raised when a field is removed, renamed or changes meaning or unit. */
export const TUNE_SHARD_SCHEMA_VERSION = DOCUMENT_SCHEMAS[TUNE_SHARD_SCHEMA];

export interface TuneShardDocument extends DocumentHeader<typeof TUNE_SHARD_SCHEMA> {
  /** `--profile` as given. */
  profile: string;
  /** `--seed` (every simulation's); absent in shards written before it, which ran seed 1. */
  seed?: number;
  workload: Workload;
  shard: Shard & {
    /** Distinct simulations of the whole search. */
    simulations: number;
    /** digestOf the profile's definition, the workload and every simulation's key. */
    digest: string;
  };
  /** This shard's simulations, in the shard's order, each with its key. */
  outcomes: ({ key: string } & SimOutcome)[];
}

function planDigest(plan: TunePlan, jobs: readonly SimJob[]): string {
  return digestOf({
    profile: profileDefinition(plan.profile),
    workload: plan.workload,
    keys: jobs.map(simKey),
  });
}

/** The simulations of `shard` among the plan's `jobs`. */
export function shardJobs(jobs: readonly SimJob[], shard: Shard): SimJob[] {
  const largestFirst = jobs
    .map((_, i) => i)
    .sort((a, b) => jobs[b].folioCount - jobs[a].folioCount || a - b);
  return shardPositions(jobs.length, shard).map((p) => jobs[largestFirst[p]]);
}

/** Runs shard `spec` (`I/N`) of the search for `w`. */
export async function runTuneShard(
  w: Workload,
  o: TuneOptions,
  spec: string,
): Promise<TuneShardDocument> {
  const shard = parseShard(spec);
  const plan = planTune(w, o.profile, o.seed);
  const all = planSimulations(plan);
  checkShardCount(shard, all.length, "simulations in the search");
  const jobs = shardJobs(all, shard);
  const outcomes = await runJobs(jobs, { threads: o.threads, onDone: o.onProgress });
  return {
    ...documentHeader(TUNE_SHARD_SCHEMA, "tune"),
    profile: o.profile,
    seed: plan.seed,
    workload: w,
    shard: { ...shard, simulations: all.length, digest: planDigest(plan, all) },
    outcomes: jobs.map((j, i) => ({ key: simKey(j), ...outcomes[i] })),
  };
}

const count = z.int().min(1);
const weighted = z.array(z.object({ key: z.number(), weight: z.number() }));
const shardDocument = z.object({
  schema: z.literal(TUNE_SHARD_SCHEMA),
  schemaVersion: z.literal(TUNE_SHARD_SCHEMA_VERSION),
  version: z.string(),
  profile: z.string(),
  workload: z.object({
    folioMix: weighted,
    totalBytes: z.number(),
    reasons: weighted,
    budgets: z.object({
      firstFolioNs: z.number().optional(),
      callNs: z.number().optional(),
      cpu: z
        .union([
          z.object({ kind: z.literal("per-gib"), ns: z.number() }),
          z.object({ kind: z.literal("cores"), cores: z.number() }),
        ])
        .optional(),
    }),
  }),
  shard: z.object({ index: count, count, simulations: count, digest: z.string() }),
  outcomes: z.array(
    z.object({
      key: z.string(),
      callNs: z.number(),
      cpuNs: z.number(),
      firstFolioNs: z.number(),
      perCallNs: z.number(),
    }),
  ),
});

/** The unsharded search's result, from the documents of all its shards. */
export function mergeTuneShards(files: readonly ShardFile[]): TuneResult {
  // The documents are used as parsed, not as zod rebuilt them: the digest is of the workload's
  // JSON, keys in the order the shard wrote them.
  const docs = files.map(({ file, doc }) => {
    validated(shardDocument, doc, `merge: ${file}`);
    return { file, d: doc as TuneShardDocument };
  });
  checkShardSet(
    docs.map(({ file, d }) => ({
      file,
      version: d.version,
      shard: d.shard,
      definition: {
        "--profile": d.profile,
        "--seed": d.seed ?? 1,
        "the workload": d.workload,
        "the number of simulations": d.shard.simulations,
      },
      digest: d.shard.digest,
    })),
  );
  const first = docs[0];
  const plan = planTune(first.d.workload, first.d.profile, first.d.seed);
  const all = planSimulations(plan);
  if (planDigest(plan, all) !== first.d.shard.digest) {
    throw new UsageError(
      `merge: ${first.file}: the shards searched another plan than profile ${first.d.profile} gives here (a different profile file?)`,
    );
  }
  const outcomes = new Map<string, SimOutcome>();
  for (const { file, d } of docs) {
    const keys = shardJobs(all, d.shard).map(simKey);
    if (keys.length !== d.outcomes.length || keys.some((k, i) => d.outcomes[i].key !== k)) {
      throw new UsageError(
        `merge: ${file}: its simulations are not those of shard ${d.shard.index}/${d.shard.count}`,
      );
    }
    for (const { key, ...outcome } of d.outcomes) outcomes.set(key, outcome);
  }
  return composeTune(plan, (j) => {
    const outcome = outcomes.get(simKey(j));
    if (outcome === undefined) throw new Error(`no simulation for ${simKey(j)}`);
    return outcome;
  });
}

/**
 * A sweep of `pagemig run` split across machines: `--shard I/N` runs the sweep's runs at
 * positions I-1, I-1+N, I-1+2N, ... of its cross product (config/shard.ts), and its json report
 * says so in a `shard` field; `pagemig merge` checks a whole set of such reports and gives back
 * the input of the unsharded run, from which every reporter writes what the unsharded run
 * writes, byte for byte. A run does not depend on which others run beside it: each boots its
 * own machine from its own scenario and seed.
 */
import { z } from "zod";
import { validated } from "../../config/document.js";
import {
  checkShardCount,
  checkShardSet,
  digestOf,
  parseShard,
  profileDefinition,
  type Shard,
  type ShardFile,
  shardPositions,
} from "../../config/shard.js";
import { UsageError } from "../../errors.js";
import type { LoadedProfile } from "../../machine/loaded-profile.js";
import type { RunReportInput, ScenarioRun } from "./input.js";
import type { RunDocument } from "./json.js";
import { runDocumentSchema } from "./read.js";

/** The `shard` field of a shard's json report. */
export interface RunShardHeader extends Shard {
  /** Runs of the whole sweep. */
  totalRuns: number;
  /** Where each of this report's runs stands in the unsharded report's, from 0. */
  runIndices: number[];
  /** digestOf the scenario, --set and --sweep as given and every run's scenario and profile. */
  digest: string;
}

/** What a run of the sweep is made of, as `pagemig run` checked it before running any. */
export interface PlannedRun {
  settings: string[];
  scenario: unknown;
  profile: LoadedProfile;
}

/** The shard `spec` of the sweep `planned`, and which of its runs are the shard's. */
export function planRunShard(
  spec: string,
  input: Pick<RunReportInput, "scenario" | "set" | "sweep">,
  planned: readonly PlannedRun[],
): RunShardHeader {
  const shard = parseShard(spec);
  if (input.sweep.length === 0) {
    throw new UsageError(`--shard ${spec}: needs --sweep (without one there is a single run)`);
  }
  checkShardCount(shard, planned.length, "runs in the sweep");
  const inputs = planned.map((r) => ({ ...r, profile: profileDefinition(r.profile) }));
  return {
    ...shard,
    totalRuns: planned.length,
    runIndices: shardPositions(planned.length, shard),
    digest: digestOf({ scenario: input.scenario, set: input.set, sweep: input.sweep, inputs }),
  };
}

const count = z.int().min(1);
const shardDocument = runDocumentSchema.extend({
  shard: z.object({
    index: count,
    count,
    totalRuns: count,
    runIndices: z.array(z.int().min(0)),
    digest: z.string(),
  }),
});

/** The unsharded run's report input, from the json reports of all its shards. */
export function mergeRunShards(files: readonly ShardFile[]): RunReportInput {
  // The documents are used as parsed, not as zod rebuilt them, so every key keeps its order.
  const docs = files.map(({ file, doc }) => {
    if (typeof doc === "object" && doc !== null && !("shard" in doc)) {
      throw new UsageError(
        `merge: ${file}: a pagemig-run report of a whole run, not of a shard (pagemig run --sweep ... --shard I/N)`,
      );
    }
    validated(shardDocument, doc, `merge: ${file}`);
    const d = doc as RunDocument & { shard: RunShardHeader };
    const expected = shardPositions(d.shard.totalRuns, d.shard);
    if (d.runs.length !== expected.length || expected.some((p, i) => d.shard.runIndices[i] !== p)) {
      throw new UsageError(
        `merge: ${file}: its runs are not those of shard ${d.shard.index}/${d.shard.count} of ${d.shard.totalRuns}`,
      );
    }
    return { file, d };
  });
  checkShardSet(
    docs.map(({ file, d }) => ({
      file,
      version: d.version,
      shard: d.shard,
      definition: {
        "the scenario": d.scenario,
        "--set": d.set,
        "--sweep": d.sweep,
        "the number of runs": d.shard.totalRuns,
      },
      digest: d.shard.digest,
    })),
  );
  const { d: first } = docs[0];
  const runs: ScenarioRun[] = new Array(first.shard.totalRuns);
  for (const { d } of docs) {
    d.shard.runIndices.forEach((p, i) => {
      runs[p] = d.runs[i];
    });
  }
  return { scenario: first.scenario, set: first.set, sweep: first.sweep, runs };
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { digestOf, profileDefinition } from "../config/shard.js";
import { packageVersion } from "../machine/package-root.js";
import { usageError } from "../test-support/usage-error.js";
import { mergeTuneShards, shardJobs, TUNE_SHARD_SCHEMA, type TuneShardDocument } from "./shard.js";
import { type SimJob, simKey } from "./sim-job.js";
import { planSimulations, planTune } from "./tune.js";
import { workloadFromFlags } from "./workload.js";

const job = (folioCount: number, i: number): SimJob => ({
  profile: "p",
  migrator: "serial",
  workers: 1,
  placement: "spread",
  minBatchFolios: 0,
  batchPages: i + 1,
  folioSizeBytes: 4096,
  folioCount,
});

describe("the tune shards' simulations", () => {
  it("deal every simulation to exactly one shard, largest first, for any count", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 80 })
          .chain((counts) =>
            fc.tuple(fc.constant(counts), fc.integer({ min: 1, max: counts.length })),
          ),
        ([counts, n]) => {
          const jobs = counts.map(job);
          const shards = Array.from({ length: n }, (_, i) =>
            shardJobs(jobs, { index: i + 1, count: n }).map(simKey),
          );
          expect(shards.flat().sort()).toEqual(jobs.map(simKey).sort());
          // Shard 1 holds the largest: it is dealt first.
          expect(shards[0][0]).toBe(simKey(jobs[counts.indexOf(Math.max(...counts))]));
        },
      ),
    );
  });
});

describe("mergeTuneShards", () => {
  const workload = workloadFromFlags({ folioSize: "2M", total: "16M" });
  const plan = planTune(workload, "small-2node");
  const all = planSimulations(plan);
  /** Shard i of 2 as runTuneShard writes it, its outcomes zeros that no test here lets merge compose. */
  const doc = (index: number): TuneShardDocument => ({
    schema: TUNE_SHARD_SCHEMA,
    schemaVersion: 1,
    tool: "pagemig",
    version: packageVersion(),
    command: "tune",
    profile: "small-2node",
    workload,
    shard: {
      index,
      count: 2,
      simulations: all.length,
      digest: digestOf({
        profile: profileDefinition(plan.profile),
        workload,
        keys: all.map(simKey),
      }),
    },
    outcomes: shardJobs(all, { index, count: 2 }).map((j) => ({
      key: simKey(j),
      callNs: 0,
      cpuNs: 0,
      firstFolioNs: 0,
      perCallNs: 0,
    })),
  });
  const merge = (...docs: unknown[]) =>
    usageError(() =>
      mergeTuneShards(
        docs.map((d, i) => ({ file: `t${i + 1}.json`, doc: JSON.parse(JSON.stringify(d)) })),
      ),
    );

  it("refuses shards whose plan is not the one their profile and workload give here", () => {
    const [one, two] = [doc(1), doc(2)];
    for (const d of [one, two]) d.shard.digest = "0".repeat(64);
    expect(merge(one, two)).toBe(
      "merge: t1.json: the shards searched another plan than profile small-2node gives here (a different profile file?)",
    );
  });

  it("refuses a shard that holds other simulations than its own", () => {
    const two = doc(2);
    two.outcomes.reverse();
    expect(merge(doc(1), two)).toBe("merge: t2.json: its simulations are not those of shard 2/2");
  });

  it("refuses a document that is not a tune shard's, naming the field", () => {
    const two = doc(2) as unknown as Record<string, unknown>;
    delete two.outcomes;
    expect(merge(doc(1), two)).toMatch(/^merge: t2\.json: outcomes: /);
  });
});

/**
 * `pagemig explain`: one configuration of the move_pages benchmark, and the vanilla (serial)
 * kernel on the same region as its reference, explained: where the call's time went, what
 * bounds it, the Amdahl ceiling of offloading its copy, and what delays the first folio.
 * Given a scenario (or a run's JSON report), where the applications' time went instead
 * (explain-scenario.ts).
 */
import type { Command } from "commander";
import { MIGRATORS, workerKind } from "../../copy/engines.js";
import { MTCOPY_DEFAULT_THREADS } from "../../copy/mtcopy.js";
import { UsageError } from "../../errors.js";
import type { Explanation } from "../../explain/explain.js";
import { formatExplanation } from "../../explain/format.js";
import { explainMovePages } from "../../explain/run.js";
import { formatScenarioExplanation } from "../../explain/scenario-format.js";
import { loadProfile } from "../../machine/profile.js";
import { jsonDocument } from "../../report/header.js";
import { print } from "../output.js";
import { type BenchPlan, DEFAULT_PROFILE, folioCountOf, planBench } from "./bench.js";
import { explainScenarioFile } from "./explain-scenario.js";
import { collect } from "./run.js";

interface ExplainFlags {
  profile: string;
  migrator: string;
  threads?: string;
  channels?: string;
  placement: string;
  minBatch?: string;
  inject?: string;
  folioSize: string;
  total?: string;
  count?: string;
  batchPages?: string;
  cpuLoad: string;
  from: string;
  to: string;
  seed: string;
  json?: boolean;
  set: string[];
}

/** The bench plan of the one configuration the flags give; a list in any flag is an error. */
function planExplain(f: ExplainFlags): BenchPlan {
  // The model is deterministic: one timed call says all that more would.
  const plan = planBench({ ...f, runs: "1" }, loadProfile(f.profile));
  const lists: [string, readonly unknown[]][] = [
    ["--migrator", plan.migrators],
    ["--threads", plan.threads],
    ["--channels", plan.channels],
    ["--placement", plan.placements],
    ["--folio-size", plan.folioSizes],
    ["--batch-pages", plan.batchPages],
    ["--cpu-load", plan.cpuLoads],
    [plan.regions.some((r) => "folios" in r) ? "--count" : "--total", plan.regions],
  ];
  for (const [flag, values] of lists) {
    if (values.length > 1) {
      throw new UsageError(
        `${flag}: explain takes one configuration, not a list of ${values.length}`,
      );
    }
  }
  return plan;
}

/** Runs the plan's one configuration, with its serial baseline, and explains it. */
function runExplain(plan: BenchPlan): Promise<Explanation> {
  const migrator = plan.migrators[0];
  const kind = workerKind(migrator);
  return explainMovePages({
    migrator,
    workers: kind === "threads" ? plan.threads[0] : kind === "channels" ? plan.channels[0] : 1,
    placement: plan.placements[0],
    minBatchFolios: plan.minBatchFolios,
    inject: plan.inject,
    profile: plan.profile,
    folioSizeBytes: plan.folioSizes[0],
    folioCount: folioCountOf(plan.regions[0], plan.folioSizes[0]),
    seed: plan.seed,
    batchPages: plan.batchPages[0],
    cpuLoad: plan.cpuLoads[0],
    verify: plan.verify,
    fromNode: plan.fromNode,
    toNode: plan.toNode,
  });
}

export function register(program: Command): void {
  program
    .command("explain")
    .description(
      "explain one configuration of bench move-pages (where the time went, what bounds it, the Amdahl ceiling of its copy), or a scenario run: where the applications' time went",
    )
    .option("--profile <name>", "machine profile name or YAML file", DEFAULT_PROFILE)
    .option("--migrator <name>", `copy engine: ${MIGRATORS.join(", ")}`, "serial")
    .option("--threads <n>", `mtcopy copy threads (default ${MTCOPY_DEFAULT_THREADS})`)
    .option("--channels <n>", "dcbm DMA channels, nr_dma_chan (default 1)")
    .option("--placement <p>", "mtcopy thread placement: spread or fill", "spread")
    .option("--min-batch <n>", "dcbm declines batches of fewer folios (default 0: never)")
    .option("--inject <spec>", "fault injection, e.g. dma-timeout=0.1,worker-crash@2 or all")
    .option("--folio-size <size>", "folio size, 4K..2M", "2M")
    .option("--total <size>", "bytes in the region (default 1G)")
    .option("--count <n>", "folios in the region (instead of --total)")
    .option("--batch-pages <n>", "NR_MAX_BATCHED_MIGRATION in base pages (default: profile)")
    .option(
      "--cpu-load <n>",
      "a busy machine: other tasks always runnable on every CPU (the run and its baseline)",
      "0",
    )
    .option("--from <node>", "node the region starts on", "0")
    .option("--to <node>", "node the call moves the region to", "1")
    .option("--seed <n>", "seed of the run", "1")
    .option("--json", "print the explanation as JSON")
    .argument(
      "[scenario]",
      "a scenario file (run with its engine and with the vanilla kernel), or a run's JSON report",
    )
    .option(
      "--set <path=value>",
      "with a scenario: override one of its fields (repeatable)",
      collect,
      [],
    )
    .action(async (scenario: string | undefined, flags: ExplainFlags, cmd: Command) => {
      if (scenario !== undefined) {
        const given = cmd.options.find(
          (o) =>
            !["json", "set"].includes(o.attributeName()) &&
            cmd.getOptionValueSource(o.attributeName()) === "cli",
        );
        if (given !== undefined) {
          throw new UsageError(
            `${given.long}: for bench move-pages; with a scenario, set its fields with --set (e.g. --set engine.migrator=dcbm)`,
          );
        }
        const e = explainScenarioFile(scenario, flags.set);
        print(
          cmd,
          flags.json
            ? jsonDocument("pagemig-explain-scenario", "explain", e)
            : formatScenarioExplanation(e.runs, e.comparisons),
        );
        return;
      }
      if (flags.set.length > 0) throw new UsageError("--set: only with a scenario");
      const e = await runExplain(planExplain(flags));
      print(cmd, flags.json ? jsonDocument("pagemig-explain", "explain", e) : formatExplanation(e));
    });
}

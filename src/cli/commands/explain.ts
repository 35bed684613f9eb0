/**
 * `pagemig explain`: one configuration of the move_pages benchmark, and the vanilla (serial)
 * kernel on the same region as its reference, explained: where the call's time went, what
 * bounds it, the Amdahl ceiling of offloading its copy, and what delays the first folio.
 */
import type { Command } from "commander";
import { MIGRATORS } from "../../copy/engines.js";
import { MTCOPY_DEFAULT_THREADS } from "../../copy/mtcopy.js";
import { UsageError } from "../../errors.js";
import { type Explanation, explain } from "../../explain/explain.js";
import { formatExplanation } from "../../explain/format.js";
import { jsonDocument } from "../../report/header.js";
import { print } from "../output.js";
import { type BenchPlan, DEFAULT_PROFILE, planBench, runBenchPlan } from "./bench.js";

interface ExplainFlags {
  profile: string;
  migrator: string;
  threads?: string;
  channels?: string;
  placement: string;
  folioSize: string;
  total?: string;
  count?: string;
  batchPages?: string;
  seed: string;
  json?: boolean;
}

/** Where the benchmark's calls run: its task on CPU 0, moving node 0's region to node 1. */
const BENCH_TASK_CPU = 0;
const BENCH_FROM_NODE = 0;
const BENCH_TO_NODE = 1;

/** The bench plan of the one configuration the flags give; a list in any flag is an error. */
function planExplain(f: ExplainFlags): BenchPlan {
  // The model is deterministic: one timed call says all that more would.
  const plan = planBench({ ...f, runs: "1", cpuLoad: "0" });
  const lists: [string, readonly unknown[]][] = [
    ["--migrator", plan.migrators],
    ["--threads", plan.threads],
    ["--channels", plan.channels],
    ["--placement", plan.placements],
    ["--folio-size", plan.folioSizes],
    ["--batch-pages", plan.batchPages],
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

/** Runs the configuration and, unless it is serial, the serial baseline; explains the first. */
async function runExplain(plan: BenchPlan): Promise<Explanation> {
  const [run] = await runBenchPlan(plan);
  const migrator = plan.migrators[0];
  const [baseline] =
    migrator === "serial" ? [run] : await runBenchPlan({ ...plan, migrators: ["serial"] });
  return explain({
    profile: plan.profile,
    config: {
      migrator,
      workers: run.workers,
      placement: plan.placements[0],
      folioSizeBytes: run.folioSizeBytes,
      folioCount: run.folioCount,
      batchPages: run.batchPages,
      fromNode: BENCH_FROM_NODE,
      toNode: BENCH_TO_NODE,
      taskCpu: BENCH_TASK_CPU,
    },
    run,
    baseline,
  });
}

export function register(program: Command): void {
  program
    .command("explain")
    .description(
      "explain one configuration of bench move-pages: where the time went, what bounds it, the Amdahl ceiling of its copy",
    )
    .option("--profile <name>", "machine profile name or YAML file", DEFAULT_PROFILE)
    .option("--migrator <name>", `copy engine: ${MIGRATORS.join(", ")}`, "serial")
    .option("--threads <n>", `mtcopy copy threads (default ${MTCOPY_DEFAULT_THREADS})`)
    .option("--channels <n>", "dcbm DMA channels, nr_dma_chan (default 1)")
    .option("--placement <p>", "mtcopy thread placement: spread or fill", "spread")
    .option("--folio-size <size>", "folio size, 4K..2M", "2M")
    .option("--total <size>", "bytes in the region (default 1G)")
    .option("--count <n>", "folios in the region (instead of --total)")
    .option("--batch-pages <n>", "NR_MAX_BATCHED_MIGRATION in base pages (default: profile)")
    .option("--seed <n>", "seed of the run", "1")
    .option("--json", "print the explanation as JSON")
    .action(async (flags: ExplainFlags, cmd: Command) => {
      const e = await runExplain(planExplain(flags));
      print(cmd, flags.json ? jsonDocument("pagemig-explain", "explain", e) : formatExplanation(e));
    });
}

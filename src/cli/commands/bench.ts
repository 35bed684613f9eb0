/** `pagemig bench move-pages`: the authors' move_pages(2) benchmark on a machine profile. */
import type { Command } from "commander";
import {
  checkMigratorOnProfile,
  MIGRATORS,
  type MigratorName,
  parseMigratorName,
  workerKind,
} from "../../copy/engines.js";
import { MTCOPY_DEFAULT_THREADS, type MtPlacement } from "../../copy/mtcopy.js";
import { UsageError } from "../../errors.js";
import { FaultInjector } from "../../fault/inject.js";
import { openProfile } from "../../machine/builtin-profiles.js";
import type { LoadedProfile } from "../../machine/loaded-profile.js";
import {
  formatSize,
  parseCount,
  parseFolioSize,
  parseList,
  parsePositiveInt,
  parseSize,
} from "../../machine/units.js";
import { MAX_CPU_LOAD } from "../../migrate/kernel.js";
import { REPORTERS } from "../../report/index.js";
import { type MovePagesBenchResult, runMovePagesBench } from "../../workload/move-pages-bench.js";
import { print } from "../output.js";
import {
  addReporterOptions,
  loadReporters,
  needsRecording,
  type ReporterFlags,
  resolveReporters,
  writeReports,
} from "../reporters.js";

export const DEFAULT_PROFILE = "zen3-2s-ptdma";
/** By default the benchmark moves node 0's region to node 1 and back, as the authors' does. */
const DEFAULT_FROM_NODE = "0";
const DEFAULT_TO_NODE = "1";
const DEFAULT_REPORTER = "table";

interface BenchFlags extends ReporterFlags {
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
  runs: string;
  seed: string;
  batchPages?: string;
  cpuLoad: string;
  from: string;
  to: string;
  verify?: boolean;
}

export interface BenchPlan {
  profile: LoadedProfile;
  migrators: MigratorName[];
  threads: number[];
  channels: number[];
  placements: MtPlacement[];
  minBatchFolios: number;
  inject?: string;
  folioSizes: number[];
  batchPages: (number | undefined)[];
  cpuLoads: number[];
  runs: number;
  seed: number;
  verify: boolean;
  /** The timed calls move the region from this node to `toNode`; the untimed ones move it back. */
  fromNode: number;
  toNode: number;
  /** The regions swept: each a size in bytes or a number of folios (one flag or the other). */
  regions: Region[];
}

/** A region of `--total` bytes or of `--count` folios. */
export type Region = { bytes: number } | { folios: number };

export function folioCountOf(r: Region, folioSize: number): number {
  return "folios" in r ? r.folios : r.bytes / folioSize;
}

function regionFlag(r: Region): string {
  return "folios" in r ? `--count ${r.folios}` : `--total ${formatSize(r.bytes)}`;
}

/**
 * Validates every flag before anything runs, so bad input never leaves partial output;
 * `profile` is the one `--profile` names.
 */
export function planBench(f: BenchFlags, profile: LoadedProfile): BenchPlan {
  const migrators = parseList(f.migrator, "--migrator", parseMigratorName);
  for (const m of migrators) checkMigratorOnProfile(m, profile);
  const usesWorkers = (kind: "threads" | "channels") =>
    migrators.some((m) => workerKind(m) === kind);
  for (const [flag, kind, value] of [
    ["--threads", "threads", f.threads],
    ["--channels", "channels", f.channels],
  ] as const) {
    if (value !== undefined && !usesWorkers(kind)) {
      throw new UsageError(`${flag}: no --migrator given that has ${kind}`);
    }
  }
  const threads = parseList(
    f.threads ?? String(MTCOPY_DEFAULT_THREADS),
    "--threads",
    parsePositiveInt,
  );
  const channels = parseList(f.channels ?? "1", "--channels", parsePositiveInt);
  const placements = parseList(f.placement, "--placement", (p, what) => {
    if (p !== "spread" && p !== "fill")
      throw new UsageError(`${what}: '${p}' is not spread or fill`);
    return p as MtPlacement;
  });
  if (f.inject !== undefined) new FaultInjector(1, f.inject);
  const folioSizes = parseList(f.folioSize, "--folio-size", parseFolioSize);
  const fromNode = parseNode(profile, f.from, "--from");
  const toNode = parseNode(profile, f.to, "--to");
  if (fromNode === toNode) throw new UsageError(`--to ${toNode}: the same node as --from`);
  if (f.total !== undefined && f.count !== undefined) {
    throw new UsageError("--total and --count: give one, not both");
  }
  const regions: Region[] =
    f.count === undefined
      ? parseList(f.total ?? "1G", "--total", parseSize).map((bytes) => ({ bytes }))
      : parseList(f.count, "--count", parsePositiveInt).map((folios) => ({ folios }));
  for (const region of regions) {
    for (const size of folioSizes) {
      if ("bytes" in region && region.bytes % size !== 0) {
        throw new UsageError(
          `${regionFlag(region)}: not a multiple of the folio size ${formatSize(size)}`,
        );
      }
      // Checked here for every size, so a sweep fails before its first run, naming the flag.
      const bytes = folioCountOf(region, size) * size;
      for (const nid of [fromNode, toNode]) {
        if (bytes > profile.nodeBytes(nid)) {
          throw new UsageError(
            `${regionFlag(region)}: ${formatSize(bytes)} of ${formatSize(size)} folios does not fit on node ${nid} of profile ${profile.name} (${formatSize(profile.nodeBytes(nid))})`,
          );
        }
      }
    }
  }
  const batchPages =
    f.batchPages === undefined
      ? [undefined]
      : parseList(f.batchPages, "--batch-pages", parsePositiveInt);
  const cpuLoads = parseList(f.cpuLoad, "--cpu-load", (text, what) => {
    const n = parseCount(text, what);
    if (n > MAX_CPU_LOAD) throw new UsageError(`${what}: at most ${MAX_CPU_LOAD}, got ${n}`);
    return n;
  });
  return {
    profile,
    migrators,
    threads,
    channels,
    placements,
    cpuLoads,
    minBatchFolios: f.minBatch === undefined ? 0 : parseCount(f.minBatch, "--min-batch"),
    inject: f.inject,
    folioSizes,
    batchPages,
    runs: parsePositiveInt(f.runs, "--runs"),
    seed: parsePositiveInt(f.seed, "--seed"),
    verify: f.verify === true,
    fromNode,
    toNode,
    regions,
  };
}

/** A node of the profile that has memory (every node of a profile has). */
function parseNode(profile: BenchPlan["profile"], text: string, flag: string): number {
  const nid = parseCount(text, flag);
  if (!profile.topology.nodes.some((n) => n.id === nid)) {
    const ids = profile.topology.nodes.map((n) => `${n.id} (${n.kind})`).join(", ");
    throw new UsageError(`${flag} ${nid}: no such node on profile ${profile.name} (nodes: ${ids})`);
  }
  return nid;
}

/** Every (migrator, workers, placement) the plan sweeps, in order. */
function engines(
  plan: BenchPlan,
): { migrator: MigratorName; workers: number; placement: MtPlacement }[] {
  const out: { migrator: MigratorName; workers: number; placement: MtPlacement }[] = [];
  for (const migrator of plan.migrators) {
    const kind = workerKind(migrator);
    const workers = kind === "threads" ? plan.threads : kind === "channels" ? plan.channels : [1];
    const placements = kind === "threads" ? plan.placements : [plan.placements[0]];
    for (const placement of placements) {
      for (const w of workers) out.push({ migrator, workers: w, placement });
    }
  }
  return out;
}

/** Runs every configuration of the plan; `record` keeps each one's last call for reporters. */
export async function runBenchPlan(
  plan: BenchPlan,
  record = false,
): Promise<MovePagesBenchResult[]> {
  const results: MovePagesBenchResult[] = [];
  for (const cpuLoad of plan.cpuLoads) {
    for (const e of engines(plan)) {
      for (const batchPages of plan.batchPages) {
        for (const folioSizeBytes of plan.folioSizes) {
          for (const region of plan.regions) {
            results.push(
              await runMovePagesBench({
                ...e,
                minBatchFolios: plan.minBatchFolios,
                inject: plan.inject,
                profile: plan.profile,
                folioSizeBytes,
                folioCount: folioCountOf(region, folioSizeBytes),
                runs: plan.runs,
                seed: plan.seed,
                batchPages,
                cpuLoad,
                verify: plan.verify,
                fromNode: plan.fromNode,
                toNode: plan.toNode,
                record,
              }),
            );
          }
        }
      }
    }
  }
  return results;
}

export function register(program: Command): void {
  const bench = program.command("bench").description("run a benchmark workload on the model");
  const movePages = bench
    .command("move-pages")
    .description("move a region between two nodes with move_pages(2), as the authors' benchmark")
    .option("--profile <name>", "machine profile name or YAML file", DEFAULT_PROFILE)
    .option("--migrator <list>", `copy engine(s): ${MIGRATORS.join(", ")}`, "serial")
    .option("--threads <list>", `mtcopy copy threads (default ${MTCOPY_DEFAULT_THREADS})`)
    .option("--channels <list>", "dcbm DMA channels, nr_dma_chan (default 1)")
    .option(
      "--placement <list>",
      "mtcopy thread placement: spread across CCDs, or fill one CCD first",
      "spread",
    )
    .option("--min-batch <n>", "dcbm declines batches of fewer folios (default 0: never)")
    .option("--inject <spec>", "fault injection, e.g. dma-timeout=0.1,worker-crash@2 or all")
    .option("--folio-size <list>", "folio size(s), 4K..2M", "4K,16K,64K,128K,256K,512K,1M,2M")
    .option("--total <list>", "bytes in the region (default 1G)")
    .option("--count <list>", "folios in the region (instead of --total)")
    .option("--runs <n>", "timed move_pages calls (the region is moved back between them)", "5")
    .option("--seed <n>", "seed of the run", "1")
    .option("--batch-pages <list>", "NR_MAX_BATCHED_MIGRATION in base pages (default: profile)")
    .option(
      "--cpu-load <list>",
      `a busy machine: other tasks always runnable on every CPU, 0..${MAX_CPU_LOAD}`,
      "0",
    )
    .option(
      "--from <node>",
      "node the region starts on (the timed calls move it away)",
      DEFAULT_FROM_NODE,
    )
    .option("--to <node>", "node the timed calls move the region to", DEFAULT_TO_NODE)
    .option("--verify", "bytes mode: real page contents, every page checked after each run");
  addReporterOptions(movePages, DEFAULT_REPORTER, REPORTERS).action(
    async (flags: BenchFlags, cmd: Command) => {
      const plan = planBench(flags, await openProfile(flags.profile));
      const targets = resolveReporters(flags, {
        reporters: REPORTERS,
        defaultReporter: DEFAULT_REPORTER,
      });
      await loadReporters(targets);
      const results = await runBenchPlan(plan, needsRecording(targets));
      writeReports(
        targets,
        {
          command: "bench move-pages",
          profile: plan.profile.name,
          cpus: plan.profile.cpus,
          seed: plan.seed,
          results,
        },
        (data) => print(cmd, data),
      );
    },
  );
}

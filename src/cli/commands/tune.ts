/**
 * `pagemig tune`: searches batch size, migrator, threads or channels, placement, minimum batch
 * and reason mask for a workload on a profile, prints the Pareto front of throughput, CPU time
 * and first-folio latency, and recommends a setting within the budgets with its settings.
 */

import { availableParallelism } from "node:os";
import type { Command } from "commander";
import { formatReasonMask } from "../../copy/reason-mask.js";
import { UsageError } from "../../errors.js";
import { formatSize, parsePositiveInt, signedPercent } from "../../machine/units.js";
import { MIGRATE_REASON_NAMES } from "../../migrate/modes.js";
import { jsonDocument } from "../../report/header.js";
import { BREAK_EVEN_BATCH_PAGES } from "../../tune/break-even.js";
import type { Candidate } from "../../tune/budgets.js";
import { progressBar } from "../../tune/progress.js";
import { describeCandidate } from "../../tune/recommend.js";
import { runTuneShard } from "../../tune/shard.js";
import { describeEngine } from "../../tune/space.js";
import { type TuneResult, tune } from "../../tune/tune.js";
import { cpuBudgetText, durationText, gbps, ms, us } from "../../tune/units.js";
import { type Workload, type WorkloadFlags, workloadFromFlags } from "../../tune/workload.js";
import { formatTable, print } from "../output.js";
import { DEFAULT_PROFILE } from "./bench.js";

interface TuneFlags extends WorkloadFlags {
  profile: string;
  jobs?: string;
  seed: string;
  json?: boolean;
  progress: boolean;
  shard?: string;
}

function share(weight: number): string {
  return `${(weight * 100).toFixed(0)}%`;
}

function describeWorkload(w: Workload): string {
  const sizes = w.folioMix.map((f) => `${formatSize(f.key)} ${share(f.weight)}`).join(" + ");
  const reasons = w.reasons
    .map((r) => `${MIGRATE_REASON_NAMES[r.key]} ${share(r.weight)}`)
    .join(", ");
  return `${formatSize(w.totalBytes)} per call of ${sizes}; reasons ${reasons}`;
}

function describeBudgets(w: Workload): string {
  const b = w.budgets;
  const parts = [
    b.firstFolioNs === undefined ? null : `first folio ${durationText(b.firstFolioNs)}`,
    b.callNs === undefined ? null : `call ${durationText(b.callNs)}`,
    b.cpu === undefined ? null : `CPU ${cpuBudgetText(b.cpu)}`,
  ].filter((p) => p !== null);
  return parts.length === 0 ? "none" : parts.join(", ");
}

function workersText(c: Candidate): string {
  if (c.config.migrator === "mtcopy") return `${c.config.workers} threads ${c.config.placement}`;
  if (c.config.migrator === "dcbm") return `${c.config.workers} ch`;
  return "-";
}

function formatFront(front: readonly Candidate[]): string {
  const rows = front.map((c) => [
    c.config.migrator,
    workersText(c),
    c.config.migrator === "dcbm" ? String(c.config.minBatchFolios) : "-",
    String(c.config.batchPages),
    c.config.migrator === "serial" ? "-" : formatReasonMask(c.reasonMask),
    gbps(c.metrics.throughputGBps),
    ms(c.metrics.cpuNsPerGiB),
    c.metrics.cores.toFixed(2),
    us(c.metrics.firstFolioNs),
    ms(c.metrics.callNs),
  ]);
  return formatTable(
    [
      "MIGRATOR",
      "WORKERS",
      "MIN-BATCH",
      "BATCH",
      "REASONS",
      "GB/s",
      "CPU-ms/GiB",
      "CORES",
      "FIRST-FOLIO-us",
      "CALL-ms",
    ],
    rows,
  );
}

/** Break-even batch per engine (rows) and folio size (columns). */
function formatBreakEvens(r: TuneResult): string {
  const sizes = r.workload.folioMix.map((f) => f.key);
  const engines = [...new Set(r.breakEvens.map((b) => describeEngine(b.config)))];
  const rows = engines.map((name) => [
    name,
    ...sizes.map((size) => {
      const b = r.breakEvens.find(
        (x) => describeEngine(x.config) === name && x.folioSizeBytes === size,
      );
      return b?.folios == null ? "-" : String(b.folios);
    }),
  ]);
  const most = Math.max(...r.breakEvens.map((b) => b.points.at(-1)?.folios ?? 0));
  return `Break-even batch in folios: the smallest batch from which the engine copies it faster than the CPU (one batch, batch limit ${BREAK_EVEN_BATCH_PAGES}; - : no batch up to ${most} folios):\n${formatTable(["ENGINE", ...sizes.map((s) => formatSize(s))], rows)}\n`;
}

export function formatTuneText(r: TuneResult): string {
  const lines = [
    `profile ${r.profile}: ${describeWorkload(r.workload)}`,
    `budgets: ${describeBudgets(r.workload)}`,
    `searched ${r.candidates.length} settings (${r.simulations} simulations, and ${r.breakEvenSimulations} for the break-even batches), ${r.feasible} within the budgets`,
    "",
    r.feasible > 0
      ? "Pareto front within the budgets (throughput, CPU time, first-folio latency):"
      : "No setting meets the budgets. Pareto front of all settings:",
  ];
  let out = `${lines.join("\n")}\n${formatFront(r.front)}\n`;
  const rec = r.recommendation;
  if (rec === null) return out;
  const m = rec.candidate.metrics;
  out += `Recommended: ${describeCandidate(rec.candidate)}\n`;
  out += `  ${gbps(m.throughputGBps)} GB/s (${signedPercent(rec.gain)} over vanilla's ${gbps(r.vanilla.metrics.throughputGBps)}), ${ms(m.cpuNsPerGiB)} ms of CPU per GiB (${m.cores.toFixed(2)} cores), first folio after ${us(m.firstFolioNs)} us, ${ms(m.callNs)} ms per call\n`;
  out += `Why:\n${rec.reasoning.map((s) => `  - ${s}`).join("\n")}\n`;
  if (r.breakEvens.length > 0) out += formatBreakEvens(r);
  out += `Settings:\n${rec.settings.lines.map((s) => `  ${s}`).join("\n")}\n`;
  out += `In the model: ${rec.settings.bench}\n`;
  return out;
}

function candidateJson(c: Candidate) {
  return {
    migrator: c.config.migrator,
    workers: c.config.workers,
    placement: c.config.placement,
    minBatchFolios: c.config.minBatchFolios,
    batchPages: c.config.batchPages,
    reasonMask: formatReasonMask(c.reasonMask),
    throughputGBps: c.metrics.throughputGBps,
    cpuMsPerGiB: c.metrics.cpuNsPerGiB / 1e6,
    cores: c.metrics.cores,
    firstFolioUs: c.metrics.firstFolioNs / 1e3,
    callMs: c.metrics.callNs / 1e6,
    exceeds: c.exceeds,
  };
}

export function tuneJson(r: TuneResult): string {
  const rec = r.recommendation;
  const doc = {
    profile: r.profile,
    seed: r.seed,
    workload: {
      totalBytes: r.workload.totalBytes,
      folioSizes: r.workload.folioMix.map((f) => ({ bytes: f.key, weight: f.weight })),
      reasons: r.workload.reasons.map((x) => ({
        reason: MIGRATE_REASON_NAMES[x.key],
        weight: x.weight,
      })),
      budgets: {
        firstFolioUs:
          r.workload.budgets.firstFolioNs === undefined
            ? null
            : r.workload.budgets.firstFolioNs / 1e3,
        callMs: r.workload.budgets.callNs === undefined ? null : r.workload.budgets.callNs / 1e6,
        cpu: r.workload.budgets.cpu ?? null,
      },
    },
    settingsSearched: r.candidates.length,
    simulations: r.simulations,
    breakEvenSimulations: r.breakEvenSimulations,
    feasible: r.feasible,
    vanilla: candidateJson(r.vanilla),
    front: r.front.map(candidateJson),
    breakEvens: r.breakEvens.map((b) => ({
      migrator: b.config.migrator,
      workers: b.config.workers,
      placement: b.config.placement,
      folioSizeBytes: b.folioSizeBytes,
      folios: b.folios,
      points: b.points,
    })),
    recommendation:
      rec === null
        ? null
        : {
            ...candidateJson(rec.candidate),
            gainOverVanilla: rec.gain,
            reasoning: rec.reasoning,
            driverParameters: rec.settings.driver,
            settings: rec.settings.lines,
            bench: rec.settings.bench,
          },
  };
  return jsonDocument("pagemig-tune", "tune", doc);
}

/**
 * Each worker thread loads the whole model (tens of MB), and the search has at most a few
 * hundred simulations, so more threads than this only cost memory.
 */
const MAX_TUNE_WORKERS = 64;

function parseJobs(text: string): number {
  const n = parsePositiveInt(text, "--jobs");
  if (n > MAX_TUNE_WORKERS) {
    throw new UsageError(`--jobs: at most ${MAX_TUNE_WORKERS} threads, got ${n}`);
  }
  return n;
}

export function register(program: Command): void {
  program
    .command("tune")
    .description(
      "search batch size, migrator, workers, placement, min batch and reason mask for a workload: the Pareto front and a recommendation",
    )
    .option("--profile <name>", "machine profile name or YAML file", DEFAULT_PROFILE)
    .option("--workload <file>", "workload as YAML or JSON (flags override its fields)")
    .option(
      "--folio-size <mix>",
      "folio sizes with their share of the bytes, e.g. 2M:0.7,4K:0.3 (default 2M)",
    )
    .option("--total <size>", "bytes per call (default 1G)")
    .option(
      "--reasons <mix>",
      "migrate reasons with their share, e.g. syscall:0.5,demotion:0.3,numa_misplaced:0.2 (default syscall)",
    )
    .option("--latency-budget <time>", "first-folio latency from migrate_pages() entry, e.g. 500us")
    .option("--call-budget <time>", "time of one call, e.g. 20ms")
    .option(
      "--cpu-budget <cpu>",
      "CPU time per GiB moved (e.g. 300ms/G) or average CPUs busy (e.g. 2cores)",
    )
    .option(
      "--jobs <n>",
      `simulations run at once on worker threads, at most ${MAX_TUNE_WORKERS} (default: one per available core)`,
    )
    .option("--seed <n>", "seed of every simulation", "1")
    .option("--json", "print JSON")
    .option("--no-progress", "no progress bar (it is drawn only when stderr is a terminal)")
    .option(
      "--shard <i/n>",
      "run shard I of N of the search: of its simulations, largest first, those at positions I, I+N, I+2N, ... (from 1), printed as JSON for `pagemig merge`",
    )
    .action(async (flags: TuneFlags, cmd: Command) => {
      const workload = workloadFromFlags(flags);
      const threads = flags.jobs === undefined ? availableParallelism() : parseJobs(flags.jobs);
      const seed = parsePositiveInt(flags.seed, "--seed");
      const bar = flags.progress ? progressBar(process.stderr, "simulating") : null;
      const options = {
        profile: flags.profile,
        threads,
        seed,
        onProgress:
          bar === null ? undefined : (done: number, total: number) => bar.update(done, total),
      };
      let out: string;
      try {
        out =
          flags.shard === undefined
            ? (flags.json ? tuneJson : formatTuneText)(await tune(workload, options))
            : `${JSON.stringify(await runTuneShard(workload, options, flags.shard), null, 2)}\n`;
      } finally {
        bar?.end();
      }
      print(cmd, out);
    });
}

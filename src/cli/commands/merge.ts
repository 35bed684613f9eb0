/**
 * `pagemig merge FILES...`: joins the outputs of the shards of one `pagemig run --sweep ...
 * --shard I/N` (their json reports) or of one `pagemig tune --shard I/N` into what the
 * unsharded command writes, byte for byte, in any of its reporters. Every file is read and
 * every shard checked (same pagemig, same job, each shard once, none missing) before anything
 * is written.
 */
import type { Command } from "commander";
import { readUserFile } from "../../config/document.js";
import type { ShardFile } from "../../config/shard.js";
import { UsageError } from "../../errors.js";
import type { Reporter } from "../../report/reporter.js";
import { RUN_REPORTERS } from "../../report/run/index.js";
import { RUN_SCHEMA } from "../../report/run/json.js";
import { mergeRunShards } from "../../report/run/shard.js";
import { mergeTuneShards, TUNE_SHARD_SCHEMA } from "../../tune/shard.js";
import type { TuneResult } from "../../tune/tune.js";
import { print } from "../output.js";
import {
  addReporterOptions,
  loadReporters,
  type ReporterFlags,
  resolveReporters,
  writeReports,
} from "../reporters.js";
import { formatTuneText, tuneJson } from "./tune.js";

const DEFAULT_REPORTER = "table";

/** What merged tune shards can be written as: tune's two outputs. */
const TUNE_REPORTERS: readonly Reporter<TuneResult>[] = [
  {
    name: "table",
    description: "tune's text: the Pareto front, the recommendation and its reasons (the default)",
    needsRecording: false,
    binary: false,
    render: formatTuneText,
  },
  {
    name: "json",
    description: "tune --json's document",
    needsRecording: false,
    binary: false,
    render: tuneJson,
  },
];

/**
 * What merged run shards can be written as: run's reporters but perfetto, whose recording of
 * each run a json report does not hold (run the sweep unsharded for a trace).
 */
const MERGED_RUN_REPORTERS = RUN_REPORTERS.filter((r) => !r.needsRecording);

const KINDS: Record<string, "run" | "tune"> = { [RUN_SCHEMA]: "run", [TUNE_SHARD_SCHEMA]: "tune" };

function readShard(file: string): ShardFile {
  const label = `merge: ${file}`;
  const text = readUserFile(file, label);
  try {
    return { file, doc: JSON.parse(text) };
  } catch (err) {
    throw new UsageError(`${label}: not JSON (${(err as Error).message})`);
  }
}

/** Whether the files are shards of a run or of a tune, all of one. */
function kindOf(files: readonly ShardFile[]): "run" | "tune" {
  const kinds = files.map(({ file, doc }) => {
    const schema = (doc as { schema?: unknown } | null)?.schema;
    const kind = typeof schema === "string" ? KINDS[schema] : undefined;
    if (kind === undefined) {
      throw new UsageError(
        `merge: ${file}: not the output of pagemig run --shard or pagemig tune --shard`,
      );
    }
    return kind;
  });
  const other = kinds.findIndex((k) => k !== kinds[0]);
  if (other >= 0) {
    throw new UsageError(
      `merge: ${files[0].file} is a shard of ${kinds[0]} and ${files[other].file} of ${kinds[other]}`,
    );
  }
  return kinds[0];
}

async function merge<I>(
  flags: ReporterFlags,
  reporters: readonly Reporter<I>[],
  input: () => I,
  cmd: Command,
): Promise<void> {
  const targets = resolveReporters(flags, { reporters, defaultReporter: DEFAULT_REPORTER });
  await loadReporters(targets);
  writeReports(targets, input(), (data) => print(cmd, data));
}

export function register(program: Command): void {
  const cmd = program
    .command("merge")
    .description(
      "join the shards of a `run --sweep` or a `tune` (--shard I/N) into the unsharded output",
    )
    .argument("<files...>", "every shard's output (run: its json report), in any order");
  const width = Math.max(...TUNE_REPORTERS.map((r) => r.name.length));
  addReporterOptions(cmd, DEFAULT_REPORTER, MERGED_RUN_REPORTERS)
    .addHelpText(
      "after",
      `Reporters of tune shards:\n${TUNE_REPORTERS.map((r) => `  ${r.name.padEnd(width)}  ${r.description}`).join("\n")}\n`,
    )
    .action(async (files: string[], flags: ReporterFlags, c: Command) => {
      const shards = files.map(readShard);
      if (kindOf(shards) === "run") {
        await merge(flags, MERGED_RUN_REPORTERS, () => mergeRunShards(shards), c);
      } else await merge(flags, TUNE_REPORTERS, () => mergeTuneShards(shards), c);
    });
}

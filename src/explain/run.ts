/**
 * Runs what an explanation needs: one timed call of a configuration of the move_pages
 * benchmark and, unless it is the serial copy already, the vanilla (serial) kernel's call on the
 * same region as its reference; then explains the first against the second.
 */
import { RunFailure } from "../errors.js";
import {
  BENCH_TASK_CPU,
  type MovePagesBenchOptions,
  runMovePagesBench,
} from "../workload/move-pages-bench.js";
import { type Explanation, explain } from "./explain.js";

/** A configuration of the benchmark; the model is deterministic, so one call says all. */
export type ExplainRunOptions = Omit<MovePagesBenchOptions, "runs" | "record" | "onMove">;

export async function explainMovePages(o: ExplainRunOptions): Promise<Explanation> {
  const run = await runMovePagesBench({ ...o, runs: 1 });
  const baseline =
    o.migrator === "serial"
      ? run
      : await runMovePagesBench({ ...o, migrator: "serial", workers: 1, runs: 1 });
  // The account is of a call that moves its region; injected faults may leave folios behind.
  for (const [what, r] of [
    ["the call", run],
    ["the serial baseline", baseline],
  ] as const) {
    if ((r.foliosNotMigrated ?? 0) > 0) {
      throw new RunFailure(
        `explain: with --inject ${o.inject}, ${what} left ${r.foliosNotMigrated} of ${r.folioCount} folios where they were; explain accounts a call that moves its region (bench --inject reports what the faults did)`,
      );
    }
  }
  return explain({
    profile: o.profile,
    config: {
      migrator: o.migrator,
      workers: run.workers,
      placement: o.placement ?? "spread",
      folioSizeBytes: run.folioSizeBytes,
      folioCount: run.folioCount,
      batchPages: run.batchPages,
      fromNode: run.fromNode,
      toNode: run.toNode,
      taskCpu: BENCH_TASK_CPU,
      cpuLoad: run.cpuLoad,
      minBatchFolios: o.minBatchFolios ?? 0,
      inject: o.inject,
    },
    run,
    baseline,
  });
}

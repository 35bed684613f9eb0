/**
 * A real, small, recorded benchmark sweep for the HTML report's end-to-end tests: two engines,
 * two folio sizes and two batch sizes on small-2node, so every chart has data.
 */

import { loadProfile } from "../machine/profile.js";
import { type MovePagesBenchResult, runMovePagesBench } from "../workload/move-pages-bench.js";
import type { ReportInput } from "./reporter.js";

export async function smallRunInput(): Promise<ReportInput> {
  const profile = loadProfile("small-2node");
  const results: MovePagesBenchResult[] = [];
  for (const [migrator, workers] of [
    ["serial", 1],
    ["mtcopy", 2],
  ] as const) {
    for (const [folioSizeBytes, batchPages] of [
      [4096, 512],
      [65536, 64],
      [65536, 512],
    ]) {
      results.push(
        await runMovePagesBench({
          migrator,
          workers,
          profile,
          folioSizeBytes,
          folioCount: (1 << 20) / folioSizeBytes,
          batchPages,
          runs: 2,
          seed: 1,
          verify: false,
          record: true,
        }),
      );
    }
  }
  return {
    command: "bench move-pages",
    profile: profile.name,
    cpus: profile.cpus,
    seed: 1,
    results,
  };
}

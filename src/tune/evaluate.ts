/**
 * A candidate's figures for the workload, composed from one simulated call per folio size.
 *
 * A call moves the workload's bytes per call, split among the folio sizes by the mix; each
 * size's part takes the time and CPU of its own simulation (batches of mixed sizes are not
 * simulated as such). A call has one migrate reason: reasons in the candidate's mask batch and
 * offload with its engine, the others run the vanilla flow (no migrator) at the same
 * NR_MAX_BATCHED_MIGRATION, which is one compile-time limit for every caller. Every reason is
 * costed as a move_pages(2) call: the model's cost does not otherwise depend on the reason.
 *
 * Rates are over all bytes by their reason's share; the latency and call budgets are limits,
 * so the worst folio size and reason count for them.
 */

import type { SimOutcome } from "./sim-job.js";
import type { EngineConfig } from "./space.js";
import { vanillaAt } from "./space.js";
import type { Workload } from "./workload.js";

export interface Metrics {
  /** Bytes over time, all calls (1e9 bytes per second). */
  throughputGBps: number;
  /** CPU time per GiB moved, all CPUs. */
  cpuNsPerGiB: number;
  /** Average CPUs busy while migrating. */
  cores: number;
  /** First-folio latency from migrate_pages() entry: the worst over folio sizes and reasons. */
  firstFolioNs: number;
  /** Time of one call: the longest over the reasons. */
  callNs: number;
}

/** A call of the workload's bytes, all of one folio size, run by an engine setting. */
export type CallOutcome = (c: EngineConfig, folioSizeBytes: number) => SimOutcome;

export function evaluate(
  w: Workload,
  c: EngineConfig,
  reasonMask: number,
  outcome: CallOutcome,
): Metrics {
  const vanilla = vanillaAt(c.batchPages);
  let timeNs = 0;
  let cpuNs = 0;
  let firstFolioNs = 0;
  let callNs = 0;
  for (const r of w.reasons) {
    const engine = reasonMask & (1 << r.key) ? c : vanilla;
    let rCall = 0;
    let rCpu = 0;
    for (const f of w.folioMix) {
      const o = outcome(engine, f.key);
      rCall += f.weight * o.callNs;
      rCpu += f.weight * o.cpuNs;
      firstFolioNs = Math.max(firstFolioNs, o.firstFolioNs);
    }
    timeNs += r.weight * rCall;
    cpuNs += r.weight * rCpu;
    callNs = Math.max(callNs, rCall);
  }
  return {
    throughputGBps: w.totalBytes / timeNs,
    cpuNsPerGiB: (cpuNs / w.totalBytes) * 2 ** 30,
    cores: cpuNs / timeNs,
    firstFolioNs,
    callNs,
  };
}

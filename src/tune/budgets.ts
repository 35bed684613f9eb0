/** Candidates of the search and the workload's budgets they meet or exceed. */
import type { Metrics } from "./evaluate.js";
import type { EngineConfig } from "./space.js";
import type { Budgets } from "./workload.js";

export type BudgetName = "latency" | "call" | "cpu";

/** One setting of the search: an engine setting and the reasons it batches, with its figures. */
export interface Candidate {
  /** Position in the search order (simplest first), the final tie-break. */
  id: number;
  config: EngineConfig;
  reasonMask: number;
  metrics: Metrics;
  /** The budgets it exceeds; empty when it is feasible. */
  exceeds: BudgetName[];
}

export function exceededBudgets(m: Metrics, b: Budgets): BudgetName[] {
  const out: BudgetName[] = [];
  if (b.firstFolioNs !== undefined && m.firstFolioNs > b.firstFolioNs) out.push("latency");
  if (b.callNs !== undefined && m.callNs > b.callNs) out.push("call");
  if (b.cpu !== undefined) {
    const over = b.cpu.kind === "cores" ? m.cores > b.cpu.cores : m.cpuNsPerGiB > b.cpu.ns;
    if (over) out.push("cpu");
  }
  return out;
}

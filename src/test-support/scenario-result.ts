/** Readings of a scenario run's result that several tests take (tests only). */
import type { ScenarioResult } from "../workload/app/run-scenario.js";

const MS = 1e6;

/** The sum over the threads of each one's mean ops/s over [fromMs, toMs), from its series. */
export function threadsOpsPerSec(r: ScenarioResult, fromMs: number, toMs: number): number {
  const q = r.quantumNs;
  let sum = 0;
  for (const t of r.threads) {
    const xs = t.opsPerSecSeries.slice(Math.floor((fromMs * MS) / q), Math.floor((toMs * MS) / q));
    sum += xs.reduce((a, b) => a + b, 0) / xs.length;
  }
  return sum;
}

/** Pages migrated for `reason` over the run, from the series' GB/s per interval. */
export function migratedPages(r: ScenarioResult, reason: string): number {
  const gbps = r.series.migrations[reason]?.gbps ?? [];
  return gbps.reduce((a, g) => a + g * r.series.intervalNs, 0) / 4096;
}

/** `pagemig explain SCENARIO`'s text: each run's time by part, its callers, and the comparison. */
import { formatTable } from "../report/table.js";
import {
  type ScenarioComparison,
  type ScenarioExplanation,
  TIME_PART_TEXT,
  TIME_PARTS,
} from "./scenario.js";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const signedPct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;

function formatRun(e: ScenarioExplanation): string {
  const lines = [`${e.name}, ${(e.durationNs / 1e6).toFixed(1)} ms of virtual time`];
  for (const p of e.processes) {
    lines.push(
      "",
      `${p.process} (${p.threads} thread${p.threads === 1 ? "" : "s"}): ${(p.opsPerSec / 1e6).toFixed(3)} Mops/s; where its threads' time went:`,
    );
    const rows = TIME_PARTS.filter((part) => p.shares[part] > 0).map((part) => {
      let note = "";
      if (part === "migrationStall" && p.stalls > 0)
        note = `${p.stalls} waits, ${(p.nsPerStall / 1e3).toFixed(1)} us each`;
      if (part === "hintFault") note = `${p.hintFaults} faults`;
      return [`  ${TIME_PART_TEXT[part]}`, pct(p.shares[part]), note];
    });
    lines.push(formatTable(["  PART", "SHARE", ""], rows).trimEnd());
  }
  if (e.callers.length > 0) {
    lines.push("", "migrate_pages() by its callers: the batches they offered the copy engine");
    lines.push(
      formatTable(
        ["  REASON", "CALLS", "FOLIOS/CALL", "MOVED", "GB"],
        e.callers.map((c) => [
          `  ${c.reason}`,
          String(c.calls),
          c.meanBatch.toFixed(1),
          String(c.foliosMoved),
          (c.bytesMoved / 1e9).toFixed(3),
        ]),
      ).trimEnd(),
    );
  } else lines.push("", "no migrate_pages() calls");
  const cpu = Object.entries(e.cpuByKind).map(([k, ns]) => `${k} ${(ns / 1e6).toFixed(3)}`);
  lines.push("", `CPU time, ms: ${cpu.join(", ")}`);
  return lines.join("\n");
}

/** The part whose share moved most between the two runs of a process, and by how much. */
function biggestShift(c: ScenarioComparison, process: string): string {
  const a = c.run.processes.find((p) => p.process === process);
  const b = c.reference.processes.find((p) => p.process === process);
  if (a === undefined || b === undefined) return "";
  const moved = TIME_PARTS.map((part) => ({ part, d: a.shares[part] - b.shares[part] }))
    .filter((x) => Math.abs(x.d) >= 0.0005)
    .sort((x, y) => Math.abs(y.d) - Math.abs(x.d))
    .slice(0, 3);
  if (moved.length === 0) return "its time splits as in the reference";
  return moved
    .map(
      ({ part, d }) =>
        `${TIME_PART_TEXT[part]} ${pct(b.shares[part])} -> ${pct(a.shares[part])} (${signedPct(d)} of its time)`,
    )
    .join("; ");
}

export function formatScenarioExplanation(
  runs: readonly ScenarioExplanation[],
  comparisons: readonly ScenarioComparison[],
): string {
  const parts = runs.map(formatRun);
  for (const c of comparisons) {
    const lines = [`${c.run.name} against ${c.reference.name}:`];
    for (const g of c.gain) {
      lines.push(`  ${g.process}: ops/s ${signedPct(g.gain)}; ${biggestShift(c, g.process)}`);
    }
    parts.push(lines.join("\n"));
  }
  return `${parts.join("\n\n")}\n`;
}

/**
 * The recommendation: the fastest setting within the budgets, and why, in plain words.
 *
 * Settings within THROUGHPUT_TIE of the fastest feasible one count as equally fast (the model
 * is calibrated to within several percent, so a fraction of a percent is no reason to spend
 * more CPU): among them the least CPU wins, then the lower first-folio latency, then the
 * higher throughput, then the simpler setting (earlier in the search order). So the
 * recommendation is always on the Pareto front.
 */
import { formatReasonMask } from "../copy/reason-mask.js";
import { formatSize, signedPercent } from "../machine/units.js";
import { PAGE_SIZE } from "../mm/folio.js";
import type { BreakEven } from "./break-even.js";
import type { BudgetName, Candidate } from "./budgets.js";
import { describeEngine, sameConfig, sameEngine, UPSTREAM_BATCH_PAGES } from "./space.js";
import { cpuBudgetText, durationText, gbps, ms, us } from "./units.js";
import type { Budgets, Workload } from "./workload.js";

export const THROUGHPUT_TIE = 0.01;

/** The recommended candidate among `candidates` (feasible or not, only feasible ones count). */
export function choose(candidates: readonly Candidate[]): Candidate | null {
  const feasible = candidates.filter((c) => c.exceeds.length === 0);
  if (feasible.length === 0) return null;
  const best = Math.max(...feasible.map((c) => c.metrics.throughputGBps));
  const tied = feasible.filter((c) => c.metrics.throughputGBps >= best * (1 - THROUGHPUT_TIE));
  tied.sort(
    (a, b) =>
      a.metrics.cpuNsPerGiB - b.metrics.cpuNsPerGiB ||
      a.metrics.firstFolioNs - b.metrics.firstFolioNs ||
      b.metrics.throughputGBps - a.metrics.throughputGBps ||
      a.id - b.id,
  );
  return tied[0];
}

const label = (name: BudgetName): string => (name === "cpu" ? "CPU" : name);

function budgetValue(name: BudgetName, b: Budgets): string {
  if (name === "latency") return `${durationText(b.firstFolioNs ?? 0)} to the first folio`;
  if (name === "call") return `${durationText(b.callNs ?? 0)} per call`;
  return b.cpu === undefined ? "" : cpuBudgetText(b.cpu);
}

function figure(name: BudgetName, c: Candidate): string {
  if (name === "latency") return `a first folio after ${us(c.metrics.firstFolioNs)} us`;
  if (name === "call") return `calls of ${ms(c.metrics.callNs)} ms`;
  return `${ms(c.metrics.cpuNsPerGiB)} ms of CPU per GiB (${c.metrics.cores.toFixed(2)} cores)`;
}

export function describeCandidate(c: Candidate): string {
  return `${describeEngine(c.config)}, batch ${c.config.batchPages}${
    c.config.migrator === "serial" ? "" : `, reasons ${formatReasonMask(c.reasonMask)}`
  }`;
}

/** Plain-words reasons for recommending `rec`, one sentence each. */
export function reasoning(
  rec: Candidate,
  vanilla: Candidate,
  all: readonly Candidate[],
  w: Workload,
  breakEvens: readonly BreakEven[] = [],
): string[] {
  const out: string[] = [];
  const m = rec.metrics;
  const faster = all.filter(
    (c) => c.exceeds.length > 0 && c.metrics.throughputGBps > m.throughputGBps,
  );
  if (faster.length === 0) {
    out.push("No budget binds: no faster setting in the search exceeds one.");
  }
  for (const name of ["latency", "call", "cpu"] as BudgetName[]) {
    const over = faster.filter((c) => c.exceeds.includes(name));
    if (over.length === 0) continue;
    const top = over.reduce((a, b) =>
      b.metrics.throughputGBps > a.metrics.throughputGBps ? b : a,
    );
    out.push(
      `The ${label(name)} budget (${budgetValue(name, w.budgets)}) binds: it rules out ${over.length} faster setting${over.length > 1 ? "s" : ""}, the fastest ${describeCandidate(top)} at ${gbps(top.metrics.throughputGBps)} GB/s with ${figure(name, top)}.`,
    );
  }
  out.push(batchReason(rec, all));
  const tiedFaster = all.filter(
    (c) =>
      c.exceeds.length === 0 &&
      c.metrics.throughputGBps > m.throughputGBps &&
      c.metrics.cpuNsPerGiB > m.cpuNsPerGiB,
  );
  if (tiedFaster.length > 0) {
    const top = tiedFaster.reduce((a, b) =>
      b.metrics.throughputGBps > a.metrics.throughputGBps ? b : a,
    );
    out.push(
      `${describeCandidate(top)} is ${signedPercent(top.metrics.throughputGBps / m.throughputGBps - 1)} faster for ${ms(top.metrics.cpuNsPerGiB)} instead of ${ms(m.cpuNsPerGiB)} ms of CPU per GiB: within ${THROUGHPUT_TIE * 100}% of the fastest, the least CPU wins.`,
    );
  }
  out.push(engineReason(rec, all));
  const be = breakEvenReason(rec, w, breakEvens);
  if (be !== null) out.push(be);
  const maskReason = reasonMaskReason(rec, all, w);
  if (maskReason !== null) out.push(maskReason);
  const v = vanilla.metrics;
  out.push(
    `Against vanilla (serial, batch ${UPSTREAM_BATCH_PAGES}): ${signedPercent(m.throughputGBps / v.throughputGBps - 1)} throughput (${gbps(m.throughputGBps)} vs ${gbps(v.throughputGBps)} GB/s), ${ms(m.cpuNsPerGiB)} vs ${ms(v.cpuNsPerGiB)} ms of CPU per GiB, first folio after ${us(m.firstFolioNs)} vs ${us(v.firstFolioNs)} us.`,
  );
  return out;
}

/** What the other batch limits would do with the same engine and reasons. */
function batchReason(rec: Candidate, all: readonly Candidate[]): string {
  const others = all
    .filter(
      (c) =>
        sameEngine(c.config, rec.config) &&
        c.reasonMask === rec.reasonMask &&
        c.config.batchPages !== rec.config.batchPages,
    )
    .sort((a, b) => a.config.batchPages - b.config.batchPages);
  // Limits past the size of a call give the same figures: one batch holds the whole call.
  const groups: Candidate[][] = [];
  for (const c of others) {
    const g = groups.find((x) => sameFigures(x[0], c));
    if (g === undefined) groups.push([c]);
    else g.push(c);
  }
  const parts = groups.map((g) => {
    const c = g[0];
    const limits = g.map((x) => x.config.batchPages).join(" = ");
    if (sameFigures(c, rec)) return `${limits}: the same`;
    const over =
      c.exceeds.length > 0 ? `, over the ${c.exceeds.map(label).join(" and ")} budget` : "";
    return `${limits}: ${gbps(c.metrics.throughputGBps)} GB/s, first folio ${us(c.metrics.firstFolioNs)} us, ${ms(c.metrics.cpuNsPerGiB)} ms CPU/GiB${over}`;
  });
  const largerOverLatency = others.some(
    (c) => c.config.batchPages > rec.config.batchPages && c.exceeds.includes("latency"),
  );
  const steps =
    rec.config.migrator === "serial"
      ? "unmapped before the first is copied and mapped again"
      : "unmapped and copied before the first is mapped again";
  const why = largerOverLatency
    ? ` Larger batches raise the first-folio latency: every folio of a batch is ${steps}.`
    : "";
  const size = formatSize(rec.config.batchPages * PAGE_SIZE);
  return `Batch ${rec.config.batchPages} pages (${size} per batch); with the same engine, batch ${parts.join("; ")}.${why}`;
}

function sameFigures(a: Candidate, b: Candidate): boolean {
  const x = a.metrics;
  const y = b.metrics;
  return (
    x.throughputGBps === y.throughputGBps &&
    x.cpuNsPerGiB === y.cpuNsPerGiB &&
    x.firstFolioNs === y.firstFolioNs &&
    x.callNs === y.callNs
  );
}

/** The best feasible setting of each other migrator. */
function engineReason(rec: Candidate, all: readonly Candidate[]): string {
  const best = new Map<string, Candidate>();
  for (const c of all) {
    if (c.exceeds.length > 0 || c.config.migrator === rec.config.migrator) continue;
    const b = best.get(c.config.migrator);
    if (b === undefined || c.metrics.throughputGBps > b.metrics.throughputGBps) {
      best.set(c.config.migrator, c);
    }
  }
  if (best.size === 0) return `Only ${rec.config.migrator} settings meet the budgets.`;
  const parts = [...best.values()].map(
    (c) =>
      `${describeEngine(c.config)} at batch ${c.config.batchPages}, ${gbps(c.metrics.throughputGBps)} GB/s`,
  );
  return `Best of the other migrators within the budgets: ${parts.join("; ")}.`;
}

/** Why some of the workload's reasons stay on the vanilla flow, if they do. */
function reasonMaskReason(rec: Candidate, all: readonly Candidate[], w: Workload): string | null {
  if (rec.config.migrator === "serial") return null;
  const full = w.reasons.reduce((mask, r) => mask | (1 << r.key), 0);
  if (rec.reasonMask === full) return null;
  const left = formatReasonMask(full & ~rec.reasonMask);
  const withAll = all.find((c) => sameConfig(c.config, rec.config) && c.reasonMask === full);
  if (withAll === undefined) return `Reasons left to the vanilla flow: ${left}.`;
  const over =
    withAll.exceeds.length > 0
      ? `, over the ${withAll.exceeds.map(label).join(" and ")} budget`
      : "";
  return `Reasons left to the vanilla flow: ${left}; offloading them too would give ${gbps(withAll.metrics.throughputGBps)} GB/s for ${ms(withAll.metrics.cpuNsPerGiB)} ms of CPU per GiB${over}.`;
}

/** Where offload starts to pay at each folio size, against the batches this workload makes. */
function breakEvenReason(
  rec: Candidate,
  w: Workload,
  breakEvens: readonly BreakEven[],
): string | null {
  if (breakEvens.length === 0) return null;
  const batchBytes = Math.min(w.totalBytes, rec.config.batchPages * PAGE_SIZE);
  const parts = w.folioMix.map((f) => {
    const n = Math.max(1, Math.floor(batchBytes / f.key));
    const at = breakEvens.filter((b) => b.folioSizeBytes === f.key);
    const pay = at.filter((b) => b.folios !== null && b.folios <= n);
    const from = (b: BreakEven) => `${describeEngine(b.config)} (from ${b.folios})`;
    const most = Math.max(...pay.map((b) => b.folios ?? 0));
    let payText = `offload pays there for ${pay.map(from).join(", ")}`;
    if (pay.length === 0) payText = "no offload setting pays there";
    else if (pay.length === at.length) {
      payText = `every offload setting pays there (from ${most === 1 ? "1 folio" : `at most ${most} folios`})`;
    }
    const dcbm = at
      .filter((b) => b.config.migrator === "dcbm" && b.folios !== null)
      .sort((a, b) => (a.folios ?? 0) - (b.folios ?? 0))[0];
    let dcbmText = "";
    if (dcbm === undefined) {
      dcbmText = at.some((b) => b.config.migrator === "dcbm")
        ? `; dcbm pays on no batch of up to ${at[at.length - 1].points.at(-1)?.folios} folios`
        : "";
    } else if ((dcbm.folios ?? 0) > n) {
      dcbmText = `; dcbm pays from ${dcbm.folios} folios at best (${describeEngine(dcbm.config)}), so a minimum batch of ${dcbm.folios} would decline these batches`;
    }
    return `at ${formatSize(f.key)} this workload's batches hold ${n} folio${n === 1 ? "" : "s"}: ${payText}${dcbmText}`;
  });
  return `Break-even (the table below: one batch, against the CPU copy): ${parts.join("; ")}.`;
}

/**
 * An explanation's account in plain words: the bound and the comparisons that decided it, what
 * sets the copy's bandwidth and what its overhead is made of, the Amdahl ceiling, and what
 * comes before the first folio is accessible again.
 */

import { MAX_DMA_CHANNELS } from "../copy/dcbm.js";
import { formatSize } from "../machine/units.js";
import type { Limit } from "./bandwidth.js";
import type { Decision, Explanation, WhatIf } from "./explain.js";
import { fmtGBps, fmtNs, fmtPct, fmtUs, fmtX, plural } from "./words.js";

/** "CCD 0's cross-socket traffic (ccd0.remote, fabric.ccdRemoteGBps)". */
function limitName(l: Limit): string {
  return l.resource === "fabric" ? `${l.what} (${l.name}, ${l.param})` : `${l.what} (${l.param})`;
}

/** The account in plain words, one sentence (or short paragraph) each. */
export function sentencesOf(e: Explanation): string[] {
  const out = [...conditionSentences(e), boundSentence(e)];
  if (e.bound.kind === "per-folio-cpu") {
    const pf = e.perFolio;
    out.push(
      `Per folio: ${fmtNs(pf.measuredNs)} of CPU around the copy; the profile's costs give ${pf.modelTerms.map((t) => t.detail).join(" + ")} = ${fmtNs(pf.modelNs)}.`,
    );
    const top = pf.modelTerms.reduce((a, t) => (t.us > a.us ? t : a));
    // A call of few folios is dominated by what it pays once; say which cost that is.
    if (top.us * 1000 > pf.modelNs / 2) {
      out.push(
        `Most of it is ${top.name}: ${fmtNs(top.us * 1000)} per folio, ${Math.round((top.us * 1e5) / pf.modelNs)}% of the profile's costs.`,
      );
    }
  }
  out.push(perCallSentence(e));
  out.push(...copySentences(e), amdahlSentence(e), firstFolioSentence(e));
  return out;
}

/**
 * What the run had beyond the idle benchmark (--cpu-load, --min-batch, --inject), said first:
 * the measured times include their effect, the bounds computed from the profile do not.
 */
function conditionSentences(e: Explanation): string[] {
  const c = e.config;
  const out: string[] = [];
  if (c.cpuLoad > 0) {
    out.push(
      `A busy machine: ${plural(c.cpuLoad, "other task")} always runnable on every CPU, so the task and each copy thread get a 1/${c.cpuLoad + 1} share of their CPU; the times measured here include the waits, the bandwidth bounds below are the idle machine's.`,
    );
  }
  if (c.minBatchFolios > 0 && c.migrator.startsWith("dcbm")) {
    const declined = c.foliosPerBatch < c.minBatchFolios;
    out.push(
      `${c.migrator} declines batches of fewer than ${plural(c.minBatchFolios, "folio")} (--min-batch); this call's batches hold up to ${plural(c.foliosPerBatch, "folio")}, so ${declined ? "they are declined (-EOPNOTSUPP) and the CPU copies them" : "they are offloaded (a shorter last batch may be declined)"}.`,
    );
  }
  if (c.inject !== undefined) {
    out.push(
      `Faults injected (${c.inject}) in the run and its baseline: their error paths and retries are in the times measured.`,
    );
  }
  return out;
}

/** What the call pays whatever its size, and how calls of more folios amortise it. */
function perCallSentence(e: Explanation): string {
  const a = e.perCall;
  const c = e.config;
  const terms = (ts: { name: string; us: number }[]) =>
    ts.map((t) => `${t.name} ${fmtUs(t.us)}`).join(", ");
  const batches = Math.ceil(c.folioCount / c.foliosPerBatch);
  const reach =
    a.folios90 <= 1
      ? "a call of one folio already gets 90% of it"
      : `calls of ${a.folios90} folios or more get 90% of it`;
  return (
    `Per call: ${fmtUs(a.callUs)} whatever its size (${terms(a.callTerms)}), and ${fmtUs(a.batchUs)} per batch (${terms(a.batchTerms)}); with ${plural(batches, "batch", "batches")} that is ${fmtPct(a.fixedShare)} of this call. ` +
    `The rest, ${fmtUs(a.restPerFolioUs)} per ${formatSize(c.folioSizeBytes)} folio, would move ${fmtGBps(a.limitGBps)} in calls of full batches of ${c.batchPages} pages; ${reach}, at the same rate per folio.`
  );
}

/** The bound, and the comparisons that decided it. */
function boundSentence(e: Explanation): string {
  const { bound } = e;
  const [d0, d1] = bound.decisions;
  const l = bound.limit;
  const what =
    l === undefined
      ? bound.name
      : l.resource === "fabric"
        ? `${bound.name}, ${l.what} (${l.name})`
        : `${bound.name}, ${l.what}`;
  let s = `Bound: ${what}. ${cap(d0.winner)} takes ${fmtUs(d0.winnerUs)} (${fmtPct(d0.winnerUs / e.callTimeUs)} of the call) against ${fmtUs(d0.loserUs)} for ${d0.loser}${ratio(d0)}`;
  if (d1 !== undefined) {
    const verb = d1.winner.startsWith("the bytes") ? "take" : "takes";
    s +=
      d1.loserUs <= d1.winnerUs * 1e-3
        ? `; within it, ${d1.winner} ${verb} all of it`
        : `; within it, ${d1.winner} ${verb} ${fmtUs(d1.winnerUs)} against ${fmtUs(d1.loserUs)} for ${d1.loser}${ratio(d1)}`;
  }
  return `${s}.`;
}

/** What sets the copy's bandwidth, and what its overhead is made of. */
function copySentences(e: Explanation): string[] {
  const out: string[] = [];
  const { copy } = e;
  const c = e.config;
  const bw = copy.bandwidth;
  const achieved = `Copy: ${fmtGBps(copy.achievedGBps)} achieved in the copy phase, ${fmtPct(copy.achievedGBps / bw.rateGBps)} of its bandwidth bound of ${fmtGBps(bw.rateGBps)}`;
  if (bw.copiers === 1) {
    const next = bw.slowestOnPath;
    const copier = bw.copier === "core" ? `CPU ${c.taskCpu}'s core` : `one ${bw.copier}`;
    const own = { core: "core", "copy thread": "thread", "DMA channel": "channel" }[bw.copier];
    const tail =
      bw.binding.name === "cap"
        ? `so the ${own}'s own rate binds, ${fmtPct(1 - bw.cap.capacityGBps / next.capacityGBps)} below it`
        : `so the path binds, ${fmtPct(1 - next.capacityGBps / bw.cap.capacityGBps)} below the copier`;
    out.push(
      `${achieved}. ${cap(copier)} copies at ${fmtGBps(bw.cap.capacityGBps)} (${bw.cap.param}); the slowest resource on its path node ${c.fromNode}→${c.toNode}, ${limitName(next)}, allows ${fmtGBps(next.capacityGBps)}, ${tail}.`,
    );
  } else {
    const demand = bw.copiers * bw.cap.capacityGBps;
    const b = bw.binding;
    const lim =
      b.name === "cap"
        ? "each runs at its own rate"
        : `${limitName(b)}, ${fmtGBps(b.capacityGBps)}, is crossed by ${b.sharedBy} of them and holds each to ${fmtGBps(bw.perCopierGBps)}: ${fmtX(demand / bw.rateGBps)} oversubscribed`;
    out.push(
      `${achieved}. ${bw.copiers} ${bw.copier}s could copy ${fmtGBps(bw.cap.capacityGBps)} each (${bw.cap.param}), ${fmtGBps(demand)} in all; ${lim}.`,
    );
  }
  if (bw.copier === "DMA channel" && bw.copiers < c.workers) {
    out.push(
      `Only ${bw.copiers} of the ${c.workers} channels ${bw.copiers === 1 ? "works" : "work"}: a batch of ${c.batchPages} pages holds ${plural(c.foliosPerBatch, "folio")} of ${formatSize(c.folioSizeBytes)}, and ${c.migrator} keeps at most one channel per folio${c.workers > MAX_DMA_CHANNELS ? ` and ${MAX_DMA_CHANNELS} in all` : ""} busy.`,
    );
  }
  if (copy.overheadTerms.length > 0) {
    const predicted = copy.overheadTerms.reduce((a, t) => a + t.us, 0);
    // Threads start copying while the later ones are still being dispatched.
    const overlap = bw.copier === "copy thread" ? " if nothing overlapped" : "";
    out.push(
      `${cap(copy.overheadName)}: ${copy.overheadTerms.map((t) => `${t.name} ${fmtUs(t.us)} (${t.detail})`).join("; ")}. ${fmtUs(predicted)} predicted${overlap}; ${fmtUs(copy.overheadUs)} of the copy phase is beyond its bytes.`,
    );
  }
  return out;
}

function amdahlSentence(e: Explanation): string {
  const a = e.amdahl;
  const base = `Amdahl: the copy is ${fmtPct(a.copyShare)} of the serial call (${fmtUs(a.serialCopyUs)} of ${fmtUs(a.serialCallUs)}); making it free gives at most ${fmtX(a.ceiling)}`;
  const busy = (w: WhatIf) => (w.copiers < w.workers ? `, ${w.copiers} busy per batch` : "");
  if (a.measured === undefined) {
    const ifs = a.whatIf.map(
      (w) =>
        `${w.engine} at ${fmtGBps(w.rateGBps)}${busy(w)} (${fmtX(w.copySpeedup)} the copy) would give at most ${fmtX(w.callSpeedup)}`,
    );
    return `${base}; ${ifs.join("; ")}.`;
  }
  const w = a.whatIf[0];
  const m = a.measured;
  return `${base}; at this engine's ${fmtGBps(w.rateGBps)} (${fmtX(w.copySpeedup)} the serial copy's ${fmtGBps(a.serialCopyGBps)}) the call would be ${fmtX(w.callSpeedup)} faster; measured ${fmtX(m.callSpeedup)} (the copy phase ${fmtX(m.copySpeedup)}).`;
}

function firstFolioSentence(e: Explanation): string {
  const ff = e.firstFolio;
  const lat = ff.latencyUs;
  const [iso, unmap, cp, remap] = ff.terms;
  const then = ff.batchCopy
    ? `the copy of the whole batch (${fmtUs(cp.us)}) before the first is remapped (${fmtUs(remap.us)})`
    : `the first folio's copy (${fmtUs(cp.us)}) and remap (${fmtUs(remap.us)})`;
  return `First folio: accessible after ${fmtUs(lat.first)} (median ${fmtUs(lat.median)}, last ${fmtUs(lat.last)}): move_pages isolates all ${plural(e.config.folioCount, "folio")} first (${fmtUs(iso.us)}), then migrate_pages unmaps the whole first batch of ${plural(ff.batchFolios, "folio")} (${fmtUs(unmap.us)}: ${unmap.detail}), then ${then}; ${fmtUs(ff.predictedUs)} in all.`;
}

/** ` (1.93×)`, or nothing when the loser took no time. */
function ratio(d: Decision): string {
  return d.loserUs > 0 ? ` (${fmtX(d.winnerUs / d.loserUs)})` : "";
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

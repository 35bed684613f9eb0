/**
 * The tuner's quantities as text: sizes (`1G`, folio sizes `2M`), durations (`500us`, `20ms`),
 * CPU budgets (`300ms/G` of CPU per GiB moved, or `2cores`), and weighted mixes
 * (`2M:0.7,4K:0.3`). Each parser returns a value or the reason it failed, so the flag parser
 * and the workload schema can report the reason with their own name for the field.
 */

import { parseReasonMask } from "../copy/reason-mask.js";
import { type SizeResult, spaceReason, tryParseFolioSize, tryParseSize } from "../machine/units.js";

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const DURATION_RE = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s)$/;
const NS_PER: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };

/** `800ns`, `500us` (or `µs`), `20ms`, `1.5s` -> nanoseconds; the unit is required. */
export function parseDuration(text: string): Parsed<number> {
  const spaced = spaceReason(text, "duration");
  if (spaced !== null) return { ok: false, reason: spaced };
  const m = DURATION_RE.exec(text);
  if (m === null) return { ok: false, reason: `invalid duration '${text}' (e.g. 500us, 20ms)` };
  const ns = Number(m[1]) * NS_PER[m[2]];
  if (ns <= 0) return { ok: false, reason: `duration must be greater than zero (got '${text}')` };
  return { ok: true, value: ns };
}

/** CPU time per GiB moved (all CPUs: the caller's and copy threads'), or average busy CPUs. */
export type CpuBudget = { kind: "per-gib"; ns: number } | { kind: "cores"; cores: number };

const CORES_RE = /^(\d+(?:\.\d+)?)cores?$/;
const PER_GIB_RE = /^(.*?)\/(?:G|GiB)$/;

/** `300ms/G` or `300ms` (CPU time per GiB moved), or `2cores` (average CPUs busy). */
export function parseCpuBudget(text: string): Parsed<CpuBudget> {
  const t = text;
  const spaced = spaceReason(t, "CPU budget");
  if (spaced !== null) return { ok: false, reason: spaced };
  const cores = CORES_RE.exec(t);
  if (cores !== null) {
    const n = Number(cores[1]);
    if (n <= 0) return { ok: false, reason: `core count must be greater than zero (got '${t}')` };
    return { ok: true, value: { kind: "cores", cores: n } };
  }
  const d = parseDuration(PER_GIB_RE.exec(t)?.[1] ?? t);
  if (!d.ok) {
    return {
      ok: false,
      reason: `invalid CPU budget '${t}' (CPU time per GiB moved, e.g. 300ms/G, or a core count, e.g. 2cores)`,
    };
  }
  return { ok: true, value: { kind: "per-gib", ns: d.value } };
}

/** A size in bytes, `1G`. */
export function parseBytes(text: string): Parsed<number> {
  return bytesOf(tryParseSize(text));
}

/** A folio size in bytes: a power of two from 4K to 2M. */
export function parseFolioSize(text: string): Parsed<number> {
  return bytesOf(tryParseFolioSize(text));
}

function bytesOf(r: SizeResult): Parsed<number> {
  return r.ok ? { ok: true, value: r.bytes } : { ok: false, reason: r.reason };
}

/** One migrate reason (MR_*) by its name in migrate_reason_names (`syscall` is accepted). */
export function parseReason(text: string): Parsed<number> {
  const mask = parseReasonMask(text);
  if (typeof mask === "string") return { ok: false, reason: mask };
  if (mask === 0 || (mask & (mask - 1)) !== 0) {
    return { ok: false, reason: `'${text}' is not one migrate reason` };
  }
  return { ok: true, value: 31 - Math.clz32(mask) };
}

export interface Weighted<T> {
  key: T;
  weight: number;
}

/** Checks weights (positive, finite), rejects repeated keys, and scales the weights to sum 1. */
export function normalizeMix<T>(
  items: readonly (Weighted<T> & { text: string })[],
): Parsed<Weighted<T>[]> {
  if (items.length === 0) return { ok: false, reason: "empty mix" };
  const seen = new Set<T>();
  for (const { key, weight, text } of items) {
    if (!Number.isFinite(weight) || weight <= 0) {
      return { ok: false, reason: `${text}: weight ${weight} must be a positive number` };
    }
    if (seen.has(key)) return { ok: false, reason: `${text}: given twice` };
    seen.add(key);
  }
  const sum = items.reduce((s, x) => s + x.weight, 0);
  return { ok: true, value: items.map(({ key, weight }) => ({ key, weight: weight / sum })) };
}

/** `A:w,B:w,...` (a missing `:w` is weight 1) with each key read by `parseKey`. */
export function parseMix<T>(
  text: string,
  parseKey: (s: string) => Parsed<T>,
): Parsed<Weighted<T>[]> {
  const items: (Weighted<T> & { text: string })[] = [];
  for (const part of text.split(",")) {
    const [keyText, weightText, extra] = part.split(":");
    if (keyText === "" || extra !== undefined) {
      return { ok: false, reason: `'${part}' is not KEY or KEY:WEIGHT` };
    }
    const key = parseKey(keyText);
    if (!key.ok) return key;
    const weight =
      weightText === undefined
        ? 1
        : /^\d+(\.\d+)?$/.test(weightText)
          ? Number(weightText)
          : Number.NaN;
    if (Number.isNaN(weight)) {
      return { ok: false, reason: `weight '${weightText}' is not a positive decimal number` };
    }
    items.push({ key: key.value, weight, text: keyText });
  }
  return normalizeMix(items);
}

/**
 * Access patterns: which page of a region a thread touches next. A pattern draws page indices
 * in [0, pages) from the thread's own random stream, so a run is reproducible and threads do
 * not disturb each other's draws.
 *
 * - uniform: every page equally likely.
 * - zipf: page ranks follow Zipf's law with exponent `skew` (rank r drawn with weight r^-skew),
 *   by rejection-inversion (Hörmann and Derflinger, 1996), O(1) per draw for any region size.
 *   Ranks are scattered over the region by a fixed bijection, so hot pages are spread across
 *   folios and nodes rather than packed at the start.
 * - hotset: a window of `fraction` of the pages gets `probability` of the accesses (the rest
 *   go anywhere); every `periodNs` the window moves on by its own size, wrapping around.
 * - sequential: a stream from page 0 to the end and around again.
 */
import type { Rng } from "../../sim/rng.js";

export interface AccessPattern {
  /** The next page index in [0, pages), drawn at virtual time `nowNs`. */
  next(rng: Rng, nowNs: number): number;
  /**
   * The probability that one access at `nowNs` falls in pages [first, first + count): what
   * share of a thread's accesses a folio gets. A sequential stream is counted by its average,
   * count / pages.
   */
  share(first: number, count: number, nowNs: number): number;
  /**
   * A pattern whose shares move over time keeps each constant over periods of this length
   * ([j * periodNs, (j + 1) * periodNs)); absent, the shares never change.
   */
  readonly periodNs?: number;
}

export type PatternSpec =
  | { kind: "uniform" }
  | { kind: "zipf"; skew: number }
  | { kind: "hotset"; fraction: number; probability: number; periodNs: number }
  | { kind: "sequential" };

export function makePattern(spec: PatternSpec, pages: number): AccessPattern {
  if (!Number.isSafeInteger(pages) || pages <= 0) {
    throw new RangeError(`pattern: pages must be a positive integer, got ${pages}`);
  }
  switch (spec.kind) {
    case "uniform":
      return { next: (rng) => rng.int(pages), share: (_, count) => count / pages };
    case "zipf":
      return zipfPattern(spec.skew, pages);
    case "hotset":
      return hotsetPattern(spec.fraction, spec.probability, spec.periodNs, pages);
    case "sequential": {
      let cursor = 0;
      return {
        next: () => {
          const p = cursor;
          cursor = cursor + 1 === pages ? 0 : cursor + 1;
          return p;
        },
        share: (_, count) => count / pages,
      };
    }
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** A step coprime to `n` near n / golden ratio: rank r goes to page (r * step) mod n. */
export function scatterStep(n: number): number {
  let step = Math.max(1, Math.floor(n * 0.6180339887));
  while (gcd(step, n) !== 1) step++;
  return step;
}

/** The inverse of `a` modulo `n` (a and n coprime), by the extended Euclidean algorithm. */
export function inverseMod(a: number, n: number): number {
  let [r0, r1] = [n, a % n];
  let [t0, t1] = [0, 1];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return ((t0 % n) + n) % n;
}

/** (a * b) mod n for a, b < n, exact also when a * b passes 2^53. */
function mulMod(a: number, b: number, n: number): number {
  const p = a * b;
  return p < Number.MAX_SAFE_INTEGER ? p % n : Number((BigInt(a) * BigInt(b)) % BigInt(n));
}

/**
 * sum over r = 1..n of r^-s: exact for the first terms, the midpoint integral for the tail
 * (its error is below 1e-9 of the sum past the exact part).
 */
function zipfNorm(s: number, n: number): number {
  const exact = Math.min(n, 4096);
  let sum = 0;
  for (let r = 1; r <= exact; r++) sum += r ** -s;
  if (n === exact) return sum;
  const a = exact + 0.5;
  const b = n + 0.5;
  return sum + (s === 1 ? Math.log(b / a) : (b ** (1 - s) - a ** (1 - s)) / (1 - s));
}

/** (e^x - 1) / x, accurate near 0. */
function expm1OverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x / 2 + (x * x) / 6;
}

/** log(1 + x) / x, accurate near 0. */
function log1pOverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x / 2 + (x * x) / 3;
}

/** Zipf ranks 1..n with weight r^-s by rejection-inversion, scattered over the pages. */
function zipfPattern(s: number, n: number): AccessPattern {
  if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`zipf: skew must be > 0, got ${s}`);
  // H is an antiderivative of h(x) = x^-s; sampling inverts H on [H(1.5) - 1, H(n + 0.5)].
  const h = (x: number) => Math.exp(-s * Math.log(x));
  const H = (x: number) => {
    const lx = Math.log(x);
    return expm1OverX((1 - s) * lx) * lx;
  };
  const Hinv = (y: number) => {
    const t = Math.max(-1, y * (1 - s));
    return Math.exp(log1pOverX(t) * y);
  };
  const lo = H(1.5) - 1;
  const hi = H(n + 0.5);
  const accept = 2 - Hinv(H(2.5) - h(2));
  const step = scatterStep(n);
  const unstep = inverseMod(step, n);
  let norm = 0;
  return {
    next: (rng) => {
      for (;;) {
        const u = hi + rng.next() * (lo - hi);
        const x = Hinv(u);
        const k = Math.min(n, Math.max(1, Math.round(x)));
        if (k - x <= accept || u >= H(k + 0.5) - h(k)) return mulMod(k - 1, step, n);
      }
    },
    share: (first, count) => {
      if (norm === 0) norm = zipfNorm(s, n);
      let w = 0;
      for (let i = first; i < first + count; i++) w += (mulMod(i, unstep, n) + 1) ** -s;
      return w / norm;
    },
  };
}

function hotsetPattern(
  fraction: number,
  probability: number,
  periodNs: number,
  n: number,
): AccessPattern {
  if (!(fraction > 0 && fraction <= 1))
    throw new RangeError(`hotset: fraction ${fraction} not in (0, 1]`);
  if (!(probability >= 0 && probability <= 1)) {
    throw new RangeError(`hotset: probability ${probability} not in [0, 1]`);
  }
  if (!(periodNs > 0)) throw new RangeError(`hotset: period must be > 0, got ${periodNs}`);
  const size = Math.max(1, Math.round(fraction * n));
  const windowStart = (nowNs: number) => (Math.floor(nowNs / periodNs) * size) % n;
  return {
    periodNs,
    next: (rng, nowNs) => {
      if (!rng.bool(probability)) return rng.int(n);
      return (windowStart(nowNs) + rng.int(size)) % n;
    },
    share: (first, count, nowNs) => {
      // The window may wrap: count its pages in [first, first + count) in two runs.
      const start = windowStart(nowNs);
      const overlap = (a: number, b: number) =>
        Math.max(0, Math.min(b, first + count) - Math.max(a, first));
      const end = start + size;
      const hot = overlap(start, Math.min(end, n)) + (end > n ? overlap(0, end - n) : 0);
      return (probability * hot) / size + ((1 - probability) * count) / n;
    },
  };
}

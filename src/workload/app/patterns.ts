/**
 * Access patterns: which page of a region a thread touches next. A pattern draws page indices
 * in [0, pages) from the thread's own random stream, so a run is reproducible and threads do
 * not disturb each other's draws.
 *
 * - uniform: every page equally likely.
 * - zipf: page ranks follow Zipf's law with exponent `skew` (rank r drawn with weight r^-skew),
 *   exactly, in O(1) per draw for any region size: the ranks are cut into buckets (the first
 *   ones alone, then runs a 256th longer than where they start), a bucket is picked by
 *   Walker's alias method (Vose's construction) in proportion to its width times its first
 *   rank's weight, a rank uniformly in it, and kept with probability its weight over the first
 *   one's (above 0.99 for skews up to 2; rejection starts over). One uniform draw does all
 *   three when kept. Ranks are scattered over the region by a fixed bijection, so hot pages
 *   are spread across folios and nodes rather than packed at the start.
 * - hotset: a window of `fraction` of the pages gets `probability` of the accesses (the rest
 *   go anywhere); every `periodNs` the window moves on by its own size, wrapping around.
 * - sequential: a stream from page 0 to the end and around again.
 */
import { oneWordInt, type Rng, uniformOf } from "../../sim/rng.js";

export interface AccessPattern {
  /** The next page index in [0, pages), drawn at virtual time `nowNs`. */
  next(rng: Rng, nowNs: number): number;
  /** Draw `out.length` pages into `out`, each as `next` draws one (a quantum's samples). */
  fill(rng: Rng, nowNs: number, out: Float64Array): void;
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
  if (spec.kind === "zipf") return zipfPattern(spec.skew, pages);
  if (spec.kind === "hotset") {
    return hotsetPattern(spec.fraction, spec.probability, spec.periodNs, pages);
  }
  const p = drawnOneByOne(spec, pages);
  return {
    ...p,
    fill: (rng, nowNs, out) => {
      for (let i = 0; i < out.length; i++) out[i] = p.next(rng, nowNs);
    },
  };
}

/** The patterns whose draws are cheap enough to fill a quantum's samples one call at a time. */
function drawnOneByOne(
  spec: Exclude<PatternSpec, { kind: "zipf" | "hotset" }>,
  pages: number,
): Omit<AccessPattern, "fill"> {
  switch (spec.kind) {
    case "uniform":
      return { next: (rng) => rng.int(pages), share: (_, count) => count / pages };
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
function inverseMod(a: number, n: number): number {
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
export function mulMod(a: number, b: number, n: number): number {
  const p = a * b;
  if (p < TWO_POW_52) {
    // A float division (far cheaper than %): its quotient is off by at most one below 2^52,
    // and p - q * n is exact there.
    const r = p - Math.floor(p / n) * n;
    return r < 0 ? r + n : r >= n ? r - n : r;
  }
  return Number((BigInt(a) * BigInt(b)) % BigInt(n));
}

const TWO_POW_52 = 2 ** 52;

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

/** Ranks drawn one by one before the buckets start to grow. */
const ZIPF_HEAD = 256;
/** A tail bucket is this fraction longer than its first rank (at least one rank wide). */
const ZIPF_GROWTH = 1 / 64;

/**
 * The buckets of ranks 1..n and their alias table. Per bucket j, at 4j..4j+3 of `table`: the
 * alias method's probability of keeping j, its first rank, its width, and the least weight
 * ratio in it (a draw below that is kept without computing its own).
 */
interface ZipfTable {
  buckets: number;
  table: Float64Array;
  alias: Int32Array;
}

/**
 * Tables of the last few (skew, pages) asked for: the threads of a process share their
 * region's, which keeps one in the cache rather than one per thread.
 */
const zipfTables = new Map<string, ZipfTable>();
const ZIPF_TABLES_KEPT = 8;

function sharedZipfTable(s: number, n: number): ZipfTable {
  const key = `${s} ${n}`;
  let t = zipfTables.get(key);
  if (t === undefined) {
    t = zipfTable(s, n);
    if (zipfTables.size === ZIPF_TABLES_KEPT)
      zipfTables.delete(zipfTables.keys().next().value as string);
    zipfTables.set(key, t);
  }
  return t;
}

function zipfTable(s: number, n: number): ZipfTable {
  const first: number[] = [];
  const width: number[] = [];
  for (let r = 1; r <= n; ) {
    const end =
      r <= ZIPF_HEAD ? r + 1 : Math.min(n + 1, Math.max(r + 1, Math.floor(r * (1 + ZIPF_GROWTH))));
    first.push(r);
    width.push(end - r);
    r = end;
  }
  const k = first.length;
  // Each bucket's mass under the envelope (its first rank's weight over its whole width),
  // scaled to a mean of 1 for Vose's construction.
  const mass = first.map((r, j) => width[j] * r ** -s);
  const total = mass.reduce((a, m) => a + m, 0);
  const scaled = mass.map((m) => (m * k) / total);
  const table = new Float64Array(4 * k);
  const alias = new Int32Array(k);
  const small: number[] = [];
  const large: number[] = [];
  for (let j = 0; j < k; j++) (scaled[j] < 1 ? small : large).push(j);
  while (small.length > 0 && large.length > 0) {
    const l = small.pop() as number;
    const g = large.pop() as number;
    table[4 * l] = scaled[l];
    alias[l] = g;
    scaled[g] += scaled[l] - 1;
    (scaled[g] < 1 ? small : large).push(g);
  }
  // What is left is 1 but for rounding.
  for (const j of [...small, ...large]) {
    table[4 * j] = 1;
    alias[j] = j;
  }
  for (let j = 0; j < k; j++) {
    table[4 * j + 1] = first[j];
    table[4 * j + 2] = width[j];
    table[4 * j + 3] = ((first[j] + width[j] - 1) / first[j]) ** -s;
  }
  return { buckets: k, table, alias };
}

/** Zipf ranks 1..n with weight r^-s, scattered over the pages. */
function zipfPattern(s: number, n: number): AccessPattern {
  if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`zipf: skew must be > 0, got ${s}`);
  const { buckets, table, alias } = sharedZipfTable(s, n);
  const step = scatterStep(n);
  const unstep = inverseMod(step, n);
  let norm = 0;
  /** Page `i` of a fill from the uniform `x`, or -1 when the draw is rejected. */
  const page = (x: number): number => {
    // The bucket from the draw's integer part, and a fresh uniform from what is left of it.
    const scaled = x * buckets;
    let j = Math.floor(scaled);
    let u = scaled - j;
    const keep = table[4 * j];
    if (u < keep) {
      u /= keep;
    } else {
      u = (u - keep) / (1 - keep);
      j = alias[j];
    }
    const o = 4 * j;
    const a = table[o + 1];
    const y = u * table[o + 2];
    const offset = Math.floor(y);
    const v = y - offset;
    const r = a + offset;
    // Kept with probability (r / a)^-s.
    return v < table[o + 3] || v < (r / a) ** -s ? mulMod(r - 1, step, n) : -1;
  };
  let uniforms = new Float64Array(16);
  // The uniforms come from one call into an array (a thread's every sample: nothing to box);
  // a rejected draw takes the next uniform after them.
  const fill = (rng: Rng, _nowNs: number, out: Float64Array) => {
    if (uniforms.length !== out.length) uniforms = new Float64Array(out.length);
    rng.fill(uniforms);
    for (let i = 0; i < out.length; i++) {
      let p = page(uniforms[i]);
      while (p < 0) p = page(rng.next());
      out[i] = p;
    }
  };
  const one = new Float64Array(1);
  return {
    fill,
    next: (rng, nowNs) => {
      fill(rng, nowNs, one);
      return one[0];
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
  // The window of the period last asked for: every draw and share asks, and a float `%` is a
  // library call.
  let period = -1;
  let start = 0;
  const windowStart = (nowNs: number) => {
    const j = Math.floor(nowNs / periodNs);
    if (j !== period) {
      period = j;
      start = (j * size) % n;
    }
    return start;
  };
  /** A draw with the window at `at`: both terms are below n, so one subtraction wraps it. */
  const draw = (rng: Rng, at: number) => {
    if (!rng.bool(probability)) return rng.int(n);
    const p = at + rng.int(size);
    return p >= n ? p - n : p;
  };
  // A region and window of power-of-two pages (up to 2^30) take three raw outputs a draw, the
  // bool's two and the int's one: a quantum's are made in one call, and each draw from them
  // as `draw` makes it.
  const words = oneWordInt(n) && oneWordInt(size);
  let buf = new Uint32Array(0);
  return {
    periodNs,
    next: (rng, nowNs) => draw(rng, windowStart(nowNs)),
    fill: (rng, nowNs, out) => {
      const at = windowStart(nowNs);
      if (!words) {
        for (let i = 0; i < out.length; i++) out[i] = draw(rng, at);
        return;
      }
      if (buf.length !== 3 * out.length) buf = new Uint32Array(3 * out.length);
      rng.words(buf);
      for (let i = 0; i < out.length; i++) {
        const w = 3 * i;
        if (!(uniformOf(buf[w], buf[w + 1]) < probability)) {
          out[i] = buf[w + 2] & (n - 1);
          continue;
        }
        const p = at + (buf[w + 2] & (size - 1));
        out[i] = p >= n ? p - n : p;
      }
    },
    share: (first, count, nowNs) => {
      // The window may wrap: count its pages in [first, first + count) in two runs.
      const start = windowStart(nowNs);
      const end = start + size;
      const hot =
        overlap(first, count, start, Math.min(end, n)) +
        (end > n ? overlap(first, count, 0, end - n) : 0);
      return (probability * hot) / size + ((1 - probability) * count) / n;
    },
  };
}

/** Pages of [first, first + count) in [a, b). */
function overlap(first: number, count: number, a: number, b: number): number {
  return Math.max(0, Math.min(b, first + count) - Math.max(a, first));
}

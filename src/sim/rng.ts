/**
 * Seeded pseudo-random numbers for the model (the model never touches Math.random).
 *
 * Generator: xoshiro128** (Blackman and Vigna), 128 bits of state in four 32-bit words,
 * seeded through a splitmix-style mixer so that nearby seeds give unrelated streams.
 *
 * Substreams: `fork(label)` derives a child generator from this generator's seed and the
 * label only, never from how many numbers have been drawn. A component that draws from its
 * own fork therefore sees the same numbers however the rest of the model changes, and adding
 * a draw in one place does not perturb every other random choice in the run.
 */

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;
const GOLDEN = 0x9e3779b9;
/** Rounds discarded after seeding, so state words written separately have mixed. */
const WARMUP = 8;

/** murmur3's 32-bit finaliser: a bijection on 32-bit words with full avalanche. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * fmix32 as an int32 (the same bits): for a chain of hashes that only ever reads the bits, a
 * small integer where the unsigned word past 2^31 would be boxed out of a call not inlined.
 */
function fmix32i(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The float `next` (and `bool`) makes of two successive raw outputs `w0`, `w1` (Rng.words). */
export function uniformOf(w0: number, w1: number): number {
  return ((w0 >>> 5) * 0x400_0000 + (w1 >>> 6)) / TWO_POW_53;
}

/** Whether `int(n)` takes one raw output, its low bits: n a power of two up to 2^30. */
export function oneWordInt(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && n <= 0x4000_0000 && (n & (n - 1)) === 0;
}

/** Split a safe integer into its low and high 32-bit words (two's complement above 2^53). */
function splitSeed(seed: number, what: string): [number, number] {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`Rng: ${what} must be a safe integer, got ${seed}`);
  }
  return [seed >>> 0, Math.floor(seed / TWO_POW_32) >>> 0];
}

/** Two independent 32-bit hashes of a string label (FNV-1a with two offset bases). */
function hashLabel(label: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x7a3f1e2d;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return [fmix32(a), fmix32(b ^ label.length)];
}

/**
 * a % n for integers a in [0, 2^32] and n in [1, 2^32], by a float division: `%` on numbers past int32 is a
 * library call (fmod), several times slower. Exact: a / n rounds by less than 2^-21 / n, and
 * its fraction is 0 or at least 1 / n short of the next integer, so the floor is the quotient.
 */
function mod32(a: number, n: number): number {
  return a - Math.floor(a / n) * n;
}

export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  /** The seed as two 32-bit words; forks derive from these, not from the live state. */
  private seedLo = 0;
  private seedHi = 0;
  /** fill()'s raw outputs. */
  private fillWords = new Uint32Array(0);

  /** `seed` is any safe integer (53-bit range); distinct seeds give distinct streams. */
  constructor(seed = 1) {
    const [lo, hi] = splitSeed(seed, "seed");
    this.init(lo, hi);
  }

  private init(lo: number, hi: number): void {
    this.seedLo = lo;
    this.seedHi = hi;
    // x and y are bijections of the two seed words, so distinct seeds give distinct states.
    const x = fmix32((lo + GOLDEN) >>> 0);
    const y = fmix32((hi ^ 0x6a09e667) >>> 0);
    // The state words are kept as int32 (the steps are bitwise): small integers in the object,
    // which a step updates without allocating.
    this.a = x | 0;
    this.b = y | 0;
    this.c = fmix32((x + 2 * GOLDEN) >>> 0) | 0;
    this.d = fmix32((y + 3 * GOLDEN) >>> 0) | 1; // never the all-zero state
    for (let i = 0; i < WARMUP; i++) this.u32();
  }

  /** Next raw 32-bit output, an integer in [0, 2^32). */
  u32(): number {
    return this.bits(0);
  }

  /**
   * Step the generator; its output's top 32 - `shift` bits. With shift 5 or more the result
   * is a small integer, which a call the compiler did not inline returns without boxing it.
   */
  private bits(shift: number): number {
    const b = this.b;
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> shift;
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.bits(5); // 27 bits
    const lo = this.bits(6); // 26 bits
    return (hi * 0x400_0000 + lo) / TWO_POW_53;
  }

  /**
   * `out.length` uniform floats in [0, 1) into `out`, the same as as many calls of `next`: for
   * hot loops, which then read them from the array rather than from a call that may box them.
   * Two raw outputs a float, made by `words` into a buffer kept for the next call.
   */
  fill(out: Float64Array): void {
    if (this.fillWords.length !== 2 * out.length) this.fillWords = new Uint32Array(2 * out.length);
    const w = this.fillWords;
    this.words(w);
    for (let i = 0; i < out.length; i++) out[i] = uniformOf(w[2 * i], w[2 * i + 1]);
  }

  /**
   * `out.length` raw 32-bit outputs into `out`, the same as as many calls of `u32`: for a
   * pattern that knows how many each draw takes (next: two, bool: two, int of a power of two:
   * one; `uniformOf`, `below` turn them into those draws).
   */
  words(out: Uint32Array): void {
    // bits() spelt out, the state in locals for the loop (a step is a few instructions; the
    // loads and stores of the object's words were most of it).
    let { a, b, c, d } = this;
    for (let i = 0; i < out.length; i++) {
      out[i] = Math.imul(rotl(Math.imul(b, 5), 7), 9);
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = rotl(d, 11);
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /** Uniform integer in [0, n), without modulo bias. `n` is a positive safe integer. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new RangeError(`Rng.int: n must be a positive safe integer, got ${n}`);
    }
    // A power of two up to 2^30 divides 2^32: nothing to reject, the residue is the low bits.
    if (n <= 0x4000_0000 && (n & (n - 1)) === 0) return this.u32() & (n - 1);
    if (n <= TWO_POW_32) {
      // Reject the top partial bucket so every residue is equally likely.
      const limit = TWO_POW_32 - mod32(TWO_POW_32, n);
      for (;;) {
        const u = this.u32();
        if (u < limit) return mod32(u, n);
      }
    }
    const limit = TWO_POW_53 - (TWO_POW_53 % n);
    for (;;) {
      const u = (this.u32() >>> 5) * 0x400_0000 + (this.u32() >>> 6);
      if (u < limit) return u % n;
    }
  }

  /** True with probability `p`; p <= 0 is never true and p >= 1 always is. */
  bool(p = 0.5): boolean {
    if (Number.isNaN(p)) throw new RangeError("Rng.bool: p is NaN");
    // next() spelt out: its float, returned from a call the compiler did not inline, is boxed.
    const hi = this.bits(5);
    const lo = this.bits(6);
    return (hi * 0x400_0000 + lo) / TWO_POW_53 < p;
  }

  /** A uniformly chosen element. */
  pick<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new RangeError("Rng.pick: empty array");
    return arr[this.int(arr.length)];
  }

  /** Fisher-Yates shuffle in place; returns `arr`. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /**
   * An independent substream named by `label` (a string or a safe integer). Pure in
   * (this generator's seed lineage, label): it does not advance this generator, and the same
   * label always yields the same stream. String and number labels hash differently ("1" vs 1).
   */
  fork(label: string | number): Rng {
    let h1: number;
    let h2: number;
    if (typeof label === "string") {
      [h1, h2] = hashLabel(label);
    } else {
      const [lo, hi] = splitSeed(label, "fork label");
      h1 = fmix32((lo ^ 0x3c6ef372) >>> 0);
      h2 = fmix32((hi ^ 0xa54ff53a) >>> 0) ^ 0x5be0cd19;
    }
    // Chain the mixer over (parent seed, label) to get the child's two seed words.
    const lo = fmix32((this.seedLo ^ fmix32((h1 + GOLDEN) >>> 0)) >>> 0);
    const hi = fmix32((this.seedHi ^ fmix32((h2 + lo) >>> 0)) >>> 0);
    // Child seeds range over 64 bits, beyond a safe integer, so seed the child by words.
    const child = new Rng();
    child.init(lo, hi);
    return child;
  }
}

const hashF64 = new Float64Array(1);
const hashWords = new Uint32Array(hashF64.buffer);

/** Mix the 64 bits of the float `x` into the hash `h`. */
function mixNumber(h: number, x: number): number {
  hashF64[0] = x;
  h = fmix32i((h ^ hashWords[0]) + GOLDEN);
  return fmix32i((h ^ hashWords[1]) + GOLDEN);
}

/** hashUniform's last first two arguments, and their hash. */
let keptA = Number.NaN;
let keptB = Number.NaN;
let keptAB = 0;

/**
 * A uniform number in [0, 1) that is a pure function of four numbers (their float64 bits):
 * a draw keyed by what it is about (seed, address space, page, time), so it is the same
 * whatever else the model has drawn before, and in whatever order such draws are made.
 */
export function hashUniform(a: number, b: number, c: number, d: number): number {
  // The first two are mostly the same from call to call (a seed, an address space): their
  // hash is kept. Same bits, same hash: a zero's sign counts.
  if (
    !(
      a === keptA &&
      b === keptB &&
      (a !== 0 || 1 / a === 1 / keptA) &&
      (b !== 0 || 1 / b === 1 / keptB)
    )
  ) {
    keptA = a;
    keptB = b;
    keptAB = mixNumber(mixNumber(0x243f6a88, a), b);
  }
  let h = mixNumber(mixNumber(keptAB, c), d);
  const hi = h >>> 5; // 27 bits
  h = fmix32i((h ^ 0x5be0cd19) + GOLDEN);
  return (hi * 0x400_0000 + (h >>> 6)) / TWO_POW_53;
}

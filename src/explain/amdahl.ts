/**
 * Amdahl's law for a copy: with the copy a share F of the call, making it s times faster gives
 * the whole call 1 / ((1 - F) + F / s), and no speed of copy beats 1 / (1 - F).
 */

function checkShare(f: number): void {
  if (!(f >= 0 && f <= 1)) throw new RangeError(`amdahl: share ${f} is not in [0, 1]`);
}

/** Speedup of the whole when a share `f` of it runs `s` times faster. */
export function amdahlSpeedup(f: number, s: number): number {
  checkShare(f);
  if (!(s > 0)) throw new RangeError(`amdahl: speedup ${s} of the part must be > 0`);
  return 1 / (1 - f + f / s);
}

/** The limit of amdahlSpeedup as s grows: Infinity when the part is the whole. */
export function amdahlCeiling(f: number): number {
  checkShare(f);
  return 1 / (1 - f);
}

/** Numbers as the explanation prints them: short, with their unit. */

/** A duration given in µs: `0.38 µs`, `261 µs`, `39.3 ms`, `1.25 s`. */
export function fmtUs(us: number): string {
  const a = Math.abs(us);
  if (a >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  if (a >= 1e4) return `${(us / 1e3).toFixed(1)} ms`;
  if (a >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  if (a >= 10) return `${us.toFixed(0)} µs`;
  return `${us.toFixed(2)} µs`;
}

/** A duration given in ns: `730 ns`, `1.5 µs`. */
export function fmtNs(ns: number): string {
  return Math.abs(ns) >= 1000 ? fmtUs(ns / 1000) : `${Number(ns.toFixed(1))} ns`;
}

export function fmtGBps(gbps: number): string {
  return `${gbps.toFixed(gbps >= 100 ? 0 : gbps >= 10 ? 1 : 2)} GB/s`;
}

/** A share of 1 as a whole percentage, `<1%` for a small non-zero one. */
export function fmtPct(share: number): string {
  if (share > 0 && share < 0.005) return "<1%";
  return `${(share * 100).toFixed(0)}%`;
}

/** A ratio: `1.13×`, `16.7×`, `114×`. */
export function fmtX(x: number): string {
  if (x === Number.POSITIVE_INFINITY) return "unbounded";
  return `${x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2)}×`;
}

/** `n` and the noun, plural when n is not 1: `1 folio`, `512 folios`, `2 batches`. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}

/**
 * The counter tracks derived from a recording's per-folio times: the rate at which folios
 * became accessible again at their destination (GB/s, bucketed), and how many were unmapped
 * and not yet mapped again.
 */

import type { Recording } from "../../workload/measurements.js";

export interface CounterPoint {
  /** Absolute virtual time, ns. */
  ns: number;
  value: number;
}

/**
 * Bytes remapped per bucket divided by the bucket's length (bytes/ns = GB/s), one point at
 * the start of each of `buckets` equal buckets over the call and 0 at its end.
 */
export function remapThroughput(rec: Recording, buckets: number): CounterPoint[] {
  const span = rec.endNs - rec.startNs;
  if (!(span > 0)) return [{ ns: rec.startNs, value: 0 }];
  const width = span / buckets;
  const bytes = new Float64Array(buckets);
  for (const t of rec.remapNs) {
    if (t < 0) continue;
    const i = Math.min(buckets - 1, Math.max(0, Math.floor((t - rec.startNs) / width)));
    bytes[i] += rec.folioSizeBytes;
  }
  const points: CounterPoint[] = [];
  for (let i = 0; i < buckets; i++) {
    points.push({ ns: rec.startNs + i * width, value: bytes[i] / width });
  }
  points.push({ ns: rec.endNs, value: 0 });
  return points;
}

/**
 * Folios unmapped and not yet mapped again, a point wherever the count changes. A folio never
 * mapped again at its destination (it failed and went back to its source) counts until the
 * call returns.
 */
export function foliosInFlight(rec: Recording): CounterPoint[] {
  const n = rec.unmapNs.length;
  const ups: number[] = [];
  const downs: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rec.unmapNs[i] < 0) continue;
    ups.push(rec.unmapNs[i]);
    downs.push(rec.remapNs[i] < 0 ? rec.endNs : rec.remapNs[i]);
  }
  ups.sort((a, b) => a - b);
  downs.sort((a, b) => a - b);
  const points: CounterPoint[] = [{ ns: rec.startNs, value: 0 }];
  let value = 0;
  let u = 0;
  let d = 0;
  while (u < ups.length || d < downs.length) {
    const ns = Math.min(ups[u] ?? Infinity, downs[d] ?? Infinity);
    while (u < ups.length && ups[u] === ns) {
      value++;
      u++;
    }
    while (d < downs.length && downs[d] === ns) {
      value--;
      d++;
    }
    const last = points[points.length - 1];
    if (last.ns === ns) last.value = value;
    else if (last.value !== value) points.push({ ns, value });
  }
  return points;
}

/**
 * The Pareto front of (throughput: more is better, CPU time: less, first-folio latency: less).
 */

export interface Objectives {
  throughputGBps: number;
  cpuNsPerGiB: number;
  firstFolioNs: number;
}

/** a is at least as good as b in every objective and better in one. */
export function dominates(a: Objectives, b: Objectives): boolean {
  const noWorse =
    a.throughputGBps >= b.throughputGBps &&
    a.cpuNsPerGiB <= b.cpuNsPerGiB &&
    a.firstFolioNs <= b.firstFolioNs;
  return (
    noWorse &&
    (a.throughputGBps > b.throughputGBps ||
      a.cpuNsPerGiB < b.cpuNsPerGiB ||
      a.firstFolioNs < b.firstFolioNs)
  );
}

function same(a: Objectives, b: Objectives): boolean {
  return (
    a.throughputGBps === b.throughputGBps &&
    a.cpuNsPerGiB === b.cpuNsPerGiB &&
    a.firstFolioNs === b.firstFolioNs
  );
}

/**
 * Indices of the non-dominated points, fastest first. Of points with the same objectives only
 * the first (lowest index) is kept. In (throughput descending, CPU, latency) order anything
 * that dominates a point comes before it, and whatever dominates a dropped point is itself
 * dominated by a kept one, so each point is checked against the front so far only.
 */
export function paretoFront(points: readonly Objectives[]): number[] {
  const order = points
    .map((_, i) => i)
    .sort((i, j) => {
      const a = points[i];
      const b = points[j];
      return (
        b.throughputGBps - a.throughputGBps ||
        a.cpuNsPerGiB - b.cpuNsPerGiB ||
        a.firstFolioNs - b.firstFolioNs ||
        i - j
      );
    });
  const front: number[] = [];
  for (const i of order) {
    const p = points[i];
    if (!front.some((f) => dominates(points[f], p) || same(points[f], p))) front.push(i);
  }
  return front;
}

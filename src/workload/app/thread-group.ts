/**
 * The threads of a region that draw from equal patterns and write the same share: the
 * accesses they are expected to make to some pages are their pattern's share of those pages
 * times the operations of them all. Reclaim asks for every folio it ages, so the group asks
 * its pattern once per folio rather than once per thread, and sums the threads' operations
 * once per quantum rather than once per question.
 */
import type { AppThread } from "./app.js";
import type { AccessPattern, PatternSpec } from "./patterns.js";

export class ThreadGroup {
  readonly pattern: AccessPattern;
  /** The share of the accesses that are writes, the same for every thread of the group. */
  readonly writes: number;
  /** Sum of the threads' operations in each quantum done, and before each. */
  private opsLog = new Float64Array(0);
  private opsBefore = new Float64Array(1);
  /** Quanta summed so far. */
  private summed = 0;

  constructor(
    readonly threads: readonly AppThread[],
    private readonly quantumNs: number,
  ) {
    this.pattern = threads[0].pattern;
    this.writes = threads[0].writes;
  }

  /**
   * Expected accesses of the threads to their region's pages [first, first + count) over
   * (fromNs, toNs]: their operations then (one access each) times the pattern's share of those
   * pages, integrated over the periods where a moving pattern's share is constant.
   */
  expectedAccesses(first: number, count: number, fromNs: number, toNs: number): number {
    const pattern = this.pattern;
    const period = pattern.periodNs;
    if (period === undefined) {
      return pattern.share(first, count, fromNs) * (this.opsUntil(toNs) - this.opsUntil(fromNs));
    }
    let m = 0;
    for (let a = fromNs; a < toNs; ) {
      let b = Math.min(toNs, (Math.floor(a / period) + 1) * period);
      if (b <= a) b = Math.min(toNs, a + period);
      m += pattern.share(first, count, a) * (this.opsUntil(b) - this.opsUntil(a));
      a = b;
    }
    return m;
  }

  /**
   * The threads' operations done by time t: each finished quantum's spread evenly over it; the
   * quantum running now at the last one's rate (its own count is known only at its end), or
   * before one has finished, one operation per opNs. The threads run in lockstep from one
   * start (App.start), so the first one's quanta are everyone's.
   */
  private opsUntil(t: number): number {
    const t0 = this.threads[0];
    if (t <= t0.startNs) return 0;
    const q = this.quantumNs;
    const done = t0.quantaDone;
    if (done > this.summed) this.sum(done);
    const i = Math.floor((t - t0.startNs) / q);
    if (i < done) {
      const start = t0.startNs + i * q;
      const len = Math.min(start + q, t0.endNs) - start;
      return this.opsBefore[i] + (this.opsLog[i] * (t - start)) / len;
    }
    const start = t0.startNs + done * q;
    const elapsed = Math.min(t, t0.endNs) - start;
    return this.opsBefore[done] + (elapsed > 0 ? elapsed * this.rateNow(done) : 0);
  }

  /** The threads' operations per ns in the quantum running after `done` quanta. */
  private rateNow(done: number): number {
    if (done === 0) {
      let r = 0;
      for (const t of this.threads) r += 1 / t.opNs;
      return r;
    }
    const t0 = this.threads[0];
    const start = t0.startNs + (done - 1) * this.quantumNs;
    return this.opsLog[done - 1] / (Math.min(start + this.quantumNs, t0.endNs) - start);
  }

  /** Sum the quanta up to `done`, growing the sums by doubling. */
  private sum(done: number): void {
    if (done > this.opsLog.length) {
      const log = new Float64Array(Math.max(64, 2 * done));
      log.set(this.opsLog);
      this.opsLog = log;
      const before = new Float64Array(log.length + 1);
      before.set(this.opsBefore);
      this.opsBefore = before;
    }
    for (let i = this.summed; i < done; i++) {
      let ops = 0;
      for (const t of this.threads) ops += t.opsIn(i);
      this.opsLog[i] = ops;
      this.opsBefore[i + 1] = this.opsBefore[i] + ops;
    }
    this.summed = done;
  }
}

/** The threads in groups by their pattern and write share, in the order each first appears. */
export function groupThreads(threads: readonly AppThread[], quantumNs: number): ThreadGroup[] {
  const byKey = new Map<string, AppThread[]>();
  for (const t of threads) {
    const key = `${patternKey(t.spec.pattern)} ${t.writes}`;
    const group = byKey.get(key);
    if (group === undefined) byKey.set(key, [t]);
    else group.push(t);
  }
  return [...byKey.values()].map((ts) => new ThreadGroup(ts, quantumNs));
}

/** Equal for equal specs, whatever the order of their fields. */
function patternKey(spec: PatternSpec): string {
  return JSON.stringify(Object.entries(spec).sort(([a], [b]) => (a < b ? -1 : 1)));
}

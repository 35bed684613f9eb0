/**
 * The times a thread spent in the kernel for its own accesses (hint faults, task_work), for its
 * quanta: a wait begins at a time known in advance and ends when the kernel is done, and
 * each quantum asks how much of it was spent waiting.
 */
export class WaitLog<K> {
  /** Waits that began (or will, at their start time) and have not ended, by what they wait on. */
  private readonly open = new Map<K, number>();
  /** Ended waits not yet counted against a quantum, as [start, end] pairs. */
  private ended: number[] = [];

  /** A wait on `key` begins at `startNs` (which may still be ahead). */
  begin(key: K, startNs: number): void {
    this.open.set(key, startNs);
  }

  /** The wait on `key` ends at `ns`; returns how long it lasted (0 if it had not begun). */
  end(key: K, ns: number): number {
    const start = this.open.get(key);
    if (start === undefined) return 0;
    this.open.delete(key);
    if (start >= ns) return 0;
    this.ended.push(start, ns);
    return ns - start;
  }

  /** Time of [from, to) spent waiting, from ended waits and open ones that have begun. */
  within(from: number, to: number): number {
    if (this.ended.length === 0 && this.open.size === 0) return 0;
    let ns = 0;
    const keep: number[] = [];
    for (let i = 0; i < this.ended.length; i += 2) {
      const a = this.ended[i];
      const b = this.ended[i + 1];
      ns += Math.max(0, Math.min(b, to) - Math.max(a, from));
      if (b > to) keep.push(a, b);
    }
    this.ended = keep;
    // An open wait lasts at least until now: the kernel is not done with its page yet.
    for (const start of this.open.values()) ns += Math.max(0, to - Math.max(start, from));
    return Math.min(ns, to - from);
  }
}

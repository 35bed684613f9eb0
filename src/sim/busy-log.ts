/**
 * When each lane (a CPU) was busy with some activity, as intervals that open when the
 * activity starts and close when it ends, so that another activity can ask how much of a
 * window it had to share, even while the busy one is still running.
 *
 * A reader walks forward in time with its own cursor: intervals that closed before the
 * reader's window are skipped for good, so each reader pays for each interval about once.
 */
export class BusyLog {
  /** Per lane, flat [start, end] pairs in the order they opened; end is NaN while open. */
  private readonly lanes: number[][] = [];

  private lane(lane: number): number[] {
    while (this.lanes.length <= lane) this.lanes.push([]);
    return this.lanes[lane];
  }

  /** An interval on `lane` from `start`; returns its handle for `close`. */
  open(lane: number, start: number): number {
    const l = this.lane(lane);
    l.push(start, Number.NaN);
    return l.length - 2;
  }

  close(lane: number, handle: number, end: number): void {
    this.lane(lane)[handle + 1] = end;
  }

  /**
   * Busy time of `lane` within [from, to): closed intervals' overlap, and open ones' from their
   * start to `to`. `cursor` (the reader's own, starting at 0) must only see windows moving
   * forward in time.
   */
  overlap(lane: number, from: number, to: number, cursor: { at: number }): number {
    const l = this.lane(lane);
    while (cursor.at < l.length && l[cursor.at + 1] <= from) cursor.at += 2;
    let ns = 0;
    for (let i = cursor.at; i < l.length; i += 2) {
      const s = l[i];
      if (s >= to) continue;
      const e = Number.isNaN(l[i + 1]) ? to : Math.min(l[i + 1], to);
      ns += Math.max(0, e - Math.max(s, from));
    }
    return ns;
  }
}

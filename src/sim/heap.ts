/**
 * Indexed binary min-heap: the simulator's pending-event queue.
 *
 * Entries are ordered by (time, seq). `seq` is an insertion counter owned by the heap, so
 * entries due at the same instant run in the order they were scheduled (FIFO). That makes a
 * run a pure function of its inputs, which is what lets one seed reproduce one trace.
 *
 * Each entry records its own slot (`heapIndex`), so removing an arbitrary entry (cancelling
 * a timer, rescheduling a flow whose rate changed) is O(log n) with no search. Entries are
 * the caller's own objects (timers, processes, flows): queuing one allocates nothing.
 */

/** An object that can sit in an IndexedHeap. The heap owns all three fields. */
export interface HeapEntry {
  /** Key: when the entry is due. */
  time: number;
  /** Tie-break: insertion order. */
  seq: number;
  /** Slot in the heap array, or -1 when the entry is not queued. */
  heapIndex: number;
}

export class IndexedHeap<E extends HeapEntry> {
  private readonly items: E[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Queue `e` at `time`. An entry can be in at most one heap at a time. */
  push(e: E, time: number): void {
    if (e.heapIndex !== -1) throw new Error("IndexedHeap.push: entry is already queued");
    e.time = time;
    e.seq = this.nextSeq++;
    this.items.push(e);
    this.siftUp(e, this.items.length - 1);
  }

  /**
   * Move `e` to `time`, queuing it if it is not queued. Like remove then push (it goes after
   * entries already due at `time`), but with one sift instead of two.
   */
  update(e: E, time: number): void {
    const i = e.heapIndex;
    if (i < 0) {
      this.push(e, time);
      return;
    }
    if (this.items[i] !== e) throw new Error("IndexedHeap.update: entry is in another heap");
    // The new seq is the largest yet, so the key grows exactly when time does not shrink.
    const grows = time >= e.time;
    e.time = time;
    e.seq = this.nextSeq++;
    if (grows) this.siftDown(e, i);
    else this.siftUp(e, i);
  }

  /** The earliest entry, left in place. */
  peek(): E | undefined {
    return this.items[0];
  }

  /** Remove and return the earliest entry. */
  pop(): E | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop() as E;
    if (last !== top) this.siftDown(last, 0);
    top.heapIndex = -1;
    return top;
  }

  /** Remove `e` wherever it is. Returns false when it was not queued. */
  remove(e: E): boolean {
    const i = e.heapIndex;
    const items = this.items;
    if (i < 0 || items[i] !== e) return false;
    const last = items.pop() as E;
    e.heapIndex = -1;
    if (last === e) return true;
    // The moved entry may belong above or below the hole.
    if (i > 0 && less(last, items[(i - 1) >> 1])) this.siftUp(last, i);
    else this.siftDown(last, i);
    return true;
  }

  /** Place `e` into slot `i` or above, moving larger parents down (hole technique). */
  private siftUp(e: E, i: number): void {
    const items = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p];
      if (!less(e, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = e;
    e.heapIndex = i;
  }

  /** Place `e` into slot `i` or below, moving smaller children up. */
  private siftDown(e: E, i: number): void {
    const items = this.items;
    const n = items.length;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && less(items[c + 1], items[c])) c++;
      const child = items[c];
      if (!less(child, e)) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = e;
    e.heapIndex = i;
  }
}

function less(a: HeapEntry, b: HeapEntry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

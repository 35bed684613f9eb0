/**
 * A thread's waits in migration entries (migration_entry_wait()), one folio at a time.
 *
 * When a migration unmaps a folio the thread touches, the thread's next access to it is drawn
 * as running time ahead (time the thread runs, not time it waits). The thread blocks at its
 * first access to a folio that is still unmapped and issues no other access until that folio
 * is mapped again; its accesses to the other unmapped folios come later by the length of the
 * wait (its running time stood still meanwhile). Its waits therefore never overlap, and never
 * add up to more than its time.
 *
 * Unmaps and remaps come at the migrating tasks' own times: each task's in order, but several
 * tasks' interleaved, and none before the end of the quantum last asked about (a task's time is
 * never behind the simulator's). They are kept until a quantum asks (`within`), then played in
 * time order up to its end, so the order they were told in does not matter.
 *
 * What a thread waits on is one unmap of a folio until its remap (an Unmapping), told to
 * every thread that touches the folio: each keeps its pending access to it at its own index
 * of the Unmapping's `next`, so a thread finds it without a lookup of its own (millions of
 * events, each told to every thread). Most accesses drawn come after the remap: when the remap
 * is told before the unmap has played, such a pair is dropped at once.
 */
import { type HeapEntry, IndexedHeap } from "../../sim/heap.js";

/** A folio's next access by one thread, on the thread's clock of running time (`time`). */
export interface NextAccess<K> extends HeapEntry {
  key: K;
}

/**
 * One unmap of a folio, until its remap: its time once told (NaN before); `next[slot]` is the
 * access of the thread at `slot` (or PENDING, DEAD), `draws[slot]` the running time the thread
 * drew to it.
 */
export interface Unmapping {
  readonly next: (NextAccess<Unmapping> | undefined)[];
  readonly draws: number[];
  unmapNs: number;
}

/** The thread was told of the unmap and has not played it. */
const PENDING: NextAccess<Unmapping> = { time: 0, seq: 0, heapIndex: -1, key: null as never };
/** The unmap and its remap cannot make the thread wait: the unmap plays as nothing. */
const DEAD: NextAccess<Unmapping> = { time: 0, seq: 0, heapIndex: -1, key: null as never };

/**
 * An access drawn this far after its folio's remap (relative to the times) comes after it
 * whatever the thread waits on meanwhile (waits only delay it), with room for the rounding
 * of the running clock's sums.
 */
const AFTER_REMAP_REL = 1e-9;

/** Marks a remap in the kept events' draws. */
const REMAP = -1;

export class EntryWaits<K extends Unmapping> {
  /**
   * Events told and not played yet, in slots [0, told): time, folio, and the draw (running
   * ns) or REMAP. Reused from quantum to quantum: a run tells millions.
   */
  private evNs = new Float64Array(64);
  private evRun = new Float64Array(64);
  private readonly evKey: (K | undefined)[] = [];
  private told = 0;
  /** Events are played up to here. */
  private playedTo = Number.NEGATIVE_INFINITY;
  /** The next access to each unmapped folio the thread has not blocked on yet. */
  private readonly next = new IndexedHeap<NextAccess<K>>();
  /** Access records no longer queued, for reuse. */
  private readonly spare: NextAccess<K>[] = [];
  /** The folio the thread is blocked on (null: it runs), and since when. */
  private blockedOn: K | null = null;
  private since = 0;
  /** The running clock: `runAt` ns of running time at `runBase`, and running since then. */
  private runBase = 0;
  private runAt = 0;
  /** Waits over and not yet counted past, as [start, end] pairs, in order and disjoint. */
  private readonly ended: number[] = [];
  /** The thread stops at endNs: no wait begins from then on. */
  private endNs = Number.POSITIVE_INFINITY;
  private closed = false;

  /**
   * The thread's index in each Unmapping's `next` is `slot`; `waited` hears of each wait as it
   * ends: what it waited on, and the wait's start and end.
   */
  constructor(
    private readonly slot: number,
    private readonly waited: (key: K, fromNs: number, toNs: number) => void,
  ) {}

  /** The thread runs until `endNs`. */
  stopAt(endNs: number): void {
    this.endNs = endNs;
  }

  /** `key` was unmapped at `ns`; the thread's next access to it is `runNs` of running time on. */
  unmapped(key: K, ns: number, runNs: number): void {
    if (!this.closed) {
      key.unmapNs = ns;
      key.draws[this.slot] = runNs;
      key.next[this.slot] = PENDING;
    }
    this.tell(key, ns, runNs);
  }

  /** `key` was mapped again at `ns`. */
  remapped(key: K, ns: number): void {
    const slot = this.slot;
    if (key.next[slot] === PENDING) {
      // The unmap not played yet, and the access it drew comes after this remap (at least
      // its draw after the unmap; the remap plays at its time, or at the quantum's end if a
      // residue behind it): neither event can make the thread wait, or change what else it
      // does (a time an event would have advanced to, the next reaches just the same).
      const due = key.unmapNs + key.draws[slot];
      const remap = Math.max(ns, this.playedTo);
      if (due - remap > AFTER_REMAP_REL * (Math.abs(due) + remap)) {
        key.next[slot] = DEAD;
        return;
      }
    }
    this.tell(key, ns, REMAP);
  }

  /** Time of [from, to) spent waiting; events up to `to` are final once asked. */
  within(from: number, to: number): number {
    // Most quanta: nothing told, kept or waited, and not the last.
    if (
      this.told === 0 &&
      this.blockedOn === null &&
      this.next.size === 0 &&
      this.ended.length === 0 &&
      to < this.endNs
    ) {
      if (to > this.playedTo) this.playedTo = to;
      return 0;
    }
    this.playUntil(to);
    if (to >= this.endNs && !this.closed) {
      // No wait begins after the end: the rest (the remap that ends the last wait) plays in
      // any order, as it comes.
      this.playUntil(Number.POSITIVE_INFINITY);
      this.closed = true;
    }
    let ns = 0;
    const ended = this.ended;
    let kept = 0;
    for (let i = 0; i < ended.length; i += 2) {
      const a = ended[i];
      const b = ended[i + 1];
      ns += Math.max(0, Math.min(b, to) - Math.max(a, from));
      if (b > to) {
        ended[kept++] = a;
        ended[kept++] = b;
      }
    }
    // (Setting an array's length is a call: skipped when nothing ended.)
    if (kept !== ended.length) ended.length = kept;
    // A wait not over yet lasts at least until `to`: its folio is not mapped again by then.
    if (this.blockedOn !== null && this.since < to) ns += to - Math.max(this.since, from);
    return ns;
  }

  private tell(key: K, ns: number, run: number): void {
    if (this.closed) {
      this.play(key, ns, run);
      return;
    }
    const n = this.told;
    if (n === this.evNs.length) {
      const ns2 = new Float64Array(2 * n);
      ns2.set(this.evNs);
      this.evNs = ns2;
      const run2 = new Float64Array(2 * n);
      run2.set(this.evRun);
      this.evRun = run2;
    }
    // Kept in time order as told, ties in the order told: events come nearly in order (only
    // tasks' times interleave), so this one goes in a few slots from the end at most.
    const { evNs, evRun, evKey } = this;
    let i = n;
    while (i > 0 && evNs[i - 1] > ns) i--;
    if (i < n) {
      evNs.copyWithin(i + 1, i, n);
      evRun.copyWithin(i + 1, i, n);
      for (let j = n; j > i; j--) evKey[j] = evKey[j - 1];
    }
    evNs[i] = ns;
    evRun[i] = run;
    evKey[i] = key;
    this.told = n + 1;
  }

  /** Play the kept events at or before `to`, in time order (ties as told), and reach `to`. */
  private playUntil(to: number): void {
    const n = this.told;
    const { evNs, evRun, evKey } = this;
    let i = 0;
    for (; i < n && evNs[i] <= to; i++) {
      this.play(evKey[i] as K, evNs[i], evRun[i]);
    }
    // The events after `to` move to the front.
    for (let j = i; j < n; j++) {
      evNs[j - i] = evNs[j];
      evRun[j - i] = evRun[j];
      evKey[j - i] = evKey[j];
    }
    for (let j = n - i; j < n; j++) evKey[j] = undefined;
    this.told = n - i;
    if (to !== Number.POSITIVE_INFINITY) this.advance(to);
  }

  private play(key: K, at: number, run: number): void {
    if (this.closed) {
      // After the end only the remap that ends the last wait matters, whenever it is told.
      if (run === REMAP && this.blockedOn === key) this.unblock(key, at);
      return;
    }
    const slots = key.next as (NextAccess<K> | undefined)[];
    const slot = this.slot;
    if (run !== REMAP) {
      const was = slots[slot] as NextAccess<Unmapping> | undefined;
      if (was === DEAD || was === PENDING) slots[slot] = undefined;
      if (was === DEAD) return;
    }
    // No task is behind the simulator; a time a float residue behind the quantum's end counts
    // as that end.
    const ns = Math.max(at, this.playedTo);
    this.advance(ns);
    if (run === REMAP) {
      if (this.blockedOn === key) this.unblock(key, ns);
      else {
        const a = slots[slot];
        if (a !== undefined) {
          this.next.remove(a);
          slots[slot] = undefined;
          this.spare.push(a);
        }
      }
      return;
    }
    if (this.blockedOn === key || ns >= this.endNs) return;
    // While blocked the running clock stands at the wait's start.
    const runNow = this.runAt + (this.blockedOn === null ? ns : this.since) - this.runBase;
    let a = slots[slot];
    if (a !== undefined) this.next.remove(a);
    else a = this.spare.pop() ?? { time: 0, seq: 0, heapIndex: -1, key };
    a.key = key;
    this.next.push(a, runNow + run);
    slots[slot] = a;
  }

  /** The folio the thread waits on is mapped again at `ns`: the thread runs again. */
  private unblock(key: K, ns: number): void {
    this.blockedOn = null;
    this.ended.push(this.since, ns);
    this.runAt += this.since - this.runBase;
    this.runBase = ns;
    this.waited(key, this.since, ns);
  }

  /**
   * Time reaches `ns`: a thread that runs blocks at the first access due before then (one due
   * at `ns` comes after what happens at `ns`, such as its folio's remap).
   */
  private advance(ns: number): void {
    if (ns > this.playedTo) this.playedTo = ns;
    if (this.blockedOn !== null) return;
    const a = this.next.peek();
    if (a === undefined) return;
    const at = this.runBase + (a.time - this.runAt);
    if (at >= ns || at >= this.endNs) return;
    this.next.pop();
    a.key.next[this.slot] = undefined;
    this.spare.push(a);
    this.blockedOn = a.key;
    this.since = at;
  }
}

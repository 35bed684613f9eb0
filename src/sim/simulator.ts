/**
 * Discrete-event simulator: a virtual clock in nanoseconds and a queue of things due.
 *
 * The machine model runs on virtual time, so a migration's cost comes from the cost model
 * rather than from how fast the host happens to be, and a run is reproducible: entries due at
 * the same instant run in the order they were scheduled, and all randomness comes from the
 * seeded `rng`.
 *
 * Activities are written as generator functions in the style of SimPy. A process yields
 *   - a number: sleep that many ns (0 lets everything else due now run first);
 *   - a SimEvent: resume with its value once it is triggered;
 *   - a Process: join it, resuming with its return value;
 *   - `sim.allOf([...])`: resume once every item is done, with their values in order.
 * A process is its own queue entry, so a process that sleeps allocates nothing per step. While
 * `run()` runs, a process that sleeps until before anything else is due goes on at once, its
 * clock moved on: the queue would hand it back next anyway.
 *
 * Waking is always through the queue, never a direct call: a process waiting on an event is
 * queued at the current time when the event triggers (also when the event had already
 * triggered), so a trigger never runs another process's code in the middle of the caller's.
 * `onTrigger` callbacks, by contrast, run synchronously inside `trigger()`; they are for
 * plumbing such as `allOf`, not for model activity.
 *
 * An exception thrown by a process or a timer callback propagates out of `run()`/`step()`;
 * the simulator stays consistent (the entry that threw is no longer queued) so the caller
 * may inspect it.
 */

import { type HeapEntry, IndexedHeap } from "./heap.js";
import { Rng } from "./rng.js";

/**
 * Something the simulator can queue: a timer, a process or, for the flow model, a flow's
 * completion. Subclasses say what happens when it comes due.
 */
export abstract class Scheduled implements HeapEntry {
  /** When the entry is (or was last) due, in ns. Owned by the queue. */
  time = 0;
  seq = 0;
  heapIndex = -1;

  /** Whether the entry is waiting in the simulator's queue. */
  get queued(): boolean {
    return this.heapIndex >= 0;
  }

  /** Called by the simulator, with `now` equal to `time`, when the entry comes due. */
  abstract fire(): void;
}

/** A callback queued with `at`/`after`; pass it to `cancel` to drop it. */
export class Timer extends Scheduled {
  constructor(private readonly fn: () => void) {
    super();
  }

  fire(): void {
    this.fn();
  }
}

/** Type-erased so that SimEvent<T> stays covariant in T (a SimEvent<number> is a Waitable). */
type Listener = Process<unknown> | ((value: unknown) => void);

/** A one-shot event. Processes wait on it by yielding it. */
export class SimEvent<T = void> {
  private fired = false;
  private val: T | undefined = undefined;
  // One listener inline: the common case is a single waiter, which then costs no array.
  private first: Listener | null = null;
  private rest: Listener[] | null = null;

  constructor(readonly sim: Simulator) {}

  get triggered(): boolean {
    return this.fired;
  }

  /** The value passed to `trigger`. Reading it before the trigger is an error. */
  get value(): T {
    if (!this.fired) throw new Error("SimEvent.value: event has not been triggered");
    return this.val as T;
  }

  /**
   * Fire the event: run `onTrigger` callbacks now and queue waiting processes at the current
   * time, all in registration order. An event fires once; a second trigger is an error.
   */
  trigger(value: T): void {
    if (this.fired) throw new Error("SimEvent.trigger: event already triggered");
    this.fired = true;
    this.val = value;
    const first = this.first;
    if (first === null) return;
    const rest = this.rest;
    this.first = null;
    this.rest = null;
    notify(first, value);
    if (rest !== null) for (const l of rest) notify(l, value);
  }

  /** Call `cb` with the value when the event triggers, or right away if it already has. */
  onTrigger(cb: (value: T) => void): void {
    if (this.fired) cb(this.val as T);
    else this.listen(cb as (value: unknown) => void);
  }

  /** Resume `p` through the queue once the event has triggered. */
  wake(p: Process<unknown>): void {
    if (this.fired) p.resume(this.val);
    else this.listen(p);
  }

  private listen(l: Listener): void {
    if (this.first === null) this.first = l;
    else if (this.rest === null) this.rest = [l];
    else this.rest.push(l);
  }
}

function notify(l: Listener, value: unknown): void {
  if (typeof l === "function") l(value);
  else l.resume(value);
}

/** What a process may yield; see the module comment. */
export type Yieldable = number | SimEvent<unknown> | Process<unknown>;
/** What `allOf` accepts. */
export type Waitable = SimEvent<unknown> | Process<unknown>;
/** The value a Waitable delivers when done. */
export type WaitValue<W> = W extends Process<infer T> ? T : W extends SimEvent<infer T> ? T : never;

/** A running generator. `done` triggers with its return value. */
export class Process<T = unknown> extends Scheduled {
  readonly done: SimEvent<T>;
  /** What the pending `yield` evaluates to when the process next runs. */
  private resumeValue: unknown = undefined;

  constructor(
    readonly sim: Simulator,
    private readonly gen: Generator<Yieldable, T, unknown>,
    readonly name: string,
  ) {
    super();
    this.done = new SimEvent<T>(sim);
  }

  /** Queue the process to continue at the current time with `value` as the yield's result. */
  resume(value: unknown): void {
    this.resumeValue = value;
    this.sim.schedule(this, this.sim.now);
  }

  fire(): void {
    const v = this.resumeValue;
    this.resumeValue = undefined;
    this.sim.active = this;
    try {
      this.step(v);
    } finally {
      this.sim.active = null;
    }
  }

  private step(v: unknown): void {
    let r = this.gen.next(v);
    // Loops only when a bad yield is thrown back into the generator and it carries on.
    for (;;) {
      if (r.done) {
        this.done.trigger(r.value);
        return;
      }
      const y = r.value;
      if (typeof y === "number") {
        if (y >= 0 && y !== Number.POSITIVE_INFINITY) {
          if (this.sim.continueAfter(y)) {
            r = this.gen.next(undefined);
            continue;
          }
          this.sim.schedule(this, this.sim.now + y);
          return;
        }
        r = this.gen.throw(new RangeError(`process "${this.name}" yielded invalid delay ${y}`));
        continue;
      }
      const ev = y instanceof Process ? y.done : y instanceof SimEvent ? y : null;
      if (ev !== null && ev.sim === this.sim) {
        ev.wake(this);
        return;
      }
      const what =
        ev === null ? `a non-yieldable value (${String(y)})` : "another simulator's event";
      r = this.gen.throw(new TypeError(`process "${this.name}" yielded ${what}`));
    }
  }
}

export class Simulator {
  readonly rng: Rng;
  /** The process whose step is running (null between steps and in timers). */
  active: Process<unknown> | null = null;
  private clock = 0;
  private readonly queue = new IndexedHeap<Scheduled>();
  private running = false;
  private spawned = 0;
  /** While run() runs, its `until` (continueAfter); -Infinity otherwise. */
  private continueUntil = Number.NEGATIVE_INFINITY;

  constructor(seed = 1) {
    this.rng = new Rng(seed);
  }

  /** Virtual time in ns. */
  get now(): number {
    return this.clock;
  }

  /** Number of queued entries (timers, runnable or sleeping processes, flow completions). */
  get pending(): number {
    return this.queue.size;
  }

  /** Queue `entry` at absolute `time` (>= now). Low-level: for Scheduled subclasses. */
  schedule(entry: Scheduled, time: number): void {
    if (!(time >= this.clock) || time === Number.POSITIVE_INFINITY) {
      throw new RangeError(`Simulator: cannot schedule at ${time} (now ${this.clock})`);
    }
    this.queue.push(entry, time);
  }

  /** Move `entry` to absolute `time` (>= now), queuing it if it is not queued. */
  reschedule(entry: Scheduled, time: number): void {
    if (!(time >= this.clock) || time === Number.POSITIVE_INFINITY) {
      throw new RangeError(`Simulator: cannot schedule at ${time} (now ${this.clock})`);
    }
    this.queue.update(entry, time);
  }

  /**
   * The running process sleeps `delay` ns: may it go on at once? Yes while run() runs, when
   * nothing queued is due by then (an entry due at the same time was queued first, and runs
   * first) and it is not past run()'s `until`; the clock then moves on by `delay`. A step
   * saved: the process would be queued and popped next.
   */
  continueAfter(delay: number): boolean {
    const time = this.clock + delay;
    if (!(time <= this.continueUntil)) return false;
    const next = this.queue.peek();
    if (next !== undefined && next.time <= time) return false;
    this.clock = time;
    return true;
  }

  /** Drop a queued entry. Returns false when it was not queued. */
  unschedule(entry: Scheduled): boolean {
    return this.queue.remove(entry);
  }

  /** Run `fn` at absolute time `time` (>= now). */
  at(time: number, fn: () => void): Timer {
    const t = new Timer(fn);
    this.schedule(t, time);
    return t;
  }

  /** Run `fn` `delay` ns from now. */
  after(delay: number, fn: () => void): Timer {
    if (!(delay >= 0)) throw new RangeError(`Simulator.after: invalid delay ${delay}`);
    return this.at(this.clock + delay, fn);
  }

  /** Drop a timer that has not fired. Returns false when it already fired or was cancelled. */
  cancel(t: Timer): boolean {
    return this.queue.remove(t);
  }

  event<T = void>(): SimEvent<T> {
    return new SimEvent<T>(this);
  }

  /** Start a process; its first step runs at the current time, after what is already due. */
  spawn<T>(gen: Generator<Yieldable, T, unknown>, name?: string): Process<T> {
    const p = new Process<T>(this, gen, name ?? `process-${this.spawned}`);
    this.spawned++;
    this.schedule(p, this.clock);
    return p;
  }

  /**
   * An event that triggers once every item has, with their values in item order. With no
   * items, or all already done, it is triggered on return.
   */
  allOf<const W extends readonly Waitable[]>(
    items: W,
  ): SimEvent<{ -readonly [K in keyof W]: WaitValue<W[K]> }> {
    type Values = { -readonly [K in keyof W]: WaitValue<W[K]> };
    const all = new SimEvent<Values>(this);
    const values = new Array<unknown>(items.length);
    let left = items.length;
    if (left === 0) {
      all.trigger(values as Values);
      return all;
    }
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const ev: SimEvent<unknown> = item instanceof Process ? item.done : item;
      if (ev.sim !== this) throw new TypeError("Simulator.allOf: item from another simulator");
      ev.onTrigger((v) => {
        values[i] = v;
        if (--left === 0) all.trigger(values as Values);
      });
    }
    return all;
  }

  /** Run the earliest entry. Returns false when nothing is queued. */
  step(): boolean {
    this.enter("step");
    try {
      const e = this.queue.pop();
      if (e === undefined) return false;
      this.clock = e.time;
      e.fire();
      return true;
    } finally {
      this.running = false;
    }
  }

  /**
   * Run entries in (time, seq) order until the queue is empty or the next entry is due after
   * `until` (entries due exactly at `until` run). With a finite `until`, the clock then
   * stands at `until` even if the queue emptied earlier.
   */
  run(until = Number.POSITIVE_INFINITY): void {
    if (!(until >= this.clock)) {
      throw new RangeError(`Simulator.run: until ${until} is before now ${this.clock}`);
    }
    this.enter("run");
    this.continueUntil = until;
    try {
      const queue = this.queue;
      for (;;) {
        const e = queue.peek();
        if (e === undefined || e.time > until) break;
        queue.pop();
        this.clock = e.time;
        e.fire();
      }
    } finally {
      this.running = false;
      this.continueUntil = Number.NEGATIVE_INFINITY;
    }
    if (until !== Number.POSITIVE_INFINITY) this.clock = until;
  }

  /**
   * Run until `p` finishes and return its value. Throws if the queue empties first: nothing
   * can ever wake `p`, a deadlock.
   */
  runUntilDone<T>(p: Process<T>): T {
    this.enter("runUntilDone");
    try {
      const queue = this.queue;
      while (!p.done.triggered) {
        const e = queue.pop();
        if (e === undefined) {
          throw new Error(`Simulator: deadlock, queue empty before process "${p.name}" finished`);
        }
        this.clock = e.time;
        e.fire();
      }
    } finally {
      this.running = false;
    }
    return p.done.value;
  }

  /** Entries run one at a time; a nested run from inside an entry would reorder time. */
  private enter(what: string): void {
    if (this.running) throw new Error(`Simulator.${what}: called from inside a running entry`);
    this.running = true;
  }
}

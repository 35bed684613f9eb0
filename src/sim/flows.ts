/**
 * Fluid bandwidth-sharing model, after SimGrid's flow ("LMM") model.
 *
 * A copy of N bytes is not simulated packet by packet or cache line by cache line: it is a
 * flow that crosses a list of resources (a memory controller, an interconnect link, a DMA
 * engine), each with a capacity in bytes per ns (numerically GB/s), and may carry its own
 * rate cap (`maxRate`, e.g. what one core can copy). Concurrent flows share each resource
 * max-min fairly: no flow can get faster without slowing one that is no faster than it. That
 * is what contended memory bandwidth looks like to a first approximation, and it is cheap:
 * rates only change when a flow starts or finishes, so the model does work per flow, not
 * per byte.
 *
 * Rates come from progressive filling (water-filling): all unfrozen flows rise together;
 * a flow freezes when it reaches its cap or when a resource it crosses saturates. Each
 * flow's completion is queued in the simulator and requeued when its rate changes.
 *
 * A flow that lists a resource twice uses it twice (both directions of a copy through one
 * memory controller): it consumes, and is counted in `bytesCarried`, twice.
 *
 * A flow may stand for several (`weight`, an aggregate of many threads' traffic): it shares as
 * that many flows would, rising at `weight` times the common level (weighted max-min). A flow
 * of Infinity bytes is a stream: it carries bytes at its rate until stopped, and never
 * completes (an application's traffic, whose demand is a rate). `batch` makes several starts,
 * stops and cap changes at one instant share the bandwidth once, at its end: the rates are
 * those the changes one by one would end with. A `coalesce` start does the same across the
 * processes that start flows at one instant (a DMA engine's channels): the sharing waits until
 * the entries already due then have run. The rates are the same; as the flows' progress is
 * advanced in fewer steps, an end time may differ from the one-by-one starts' in its last bit.
 *
 * Networks are built explicitly, `new FlowNetwork(sim)`; a simulator may host several.
 * Flows and resources are iterated in creation order, so allocations are deterministic.
 */

import { Scheduled, type SimEvent, type Simulator, Timer } from "./simulator.js";

/**
 * Two shares within this relative distance are the same bottleneck level: float error
 * must not split one saturation into two rounds and leave a sliver of capacity behind.
 */
const SHARE_REL_EPS = 1e-12;
/**
 * A flow is finished when what it has left is float residue: at most BYTES_EPS plus
 * FINISH_REL_EPS of its size (rounding in the subtractions) and of what it moves in `now` ns
 * (rounding in the clock, whose ulp grows with time).
 */
const BYTES_EPS = 1e-6;
const FINISH_REL_EPS = 1e-12;

export interface FlowOptions {
  /** Rate cap in bytes/ns, > 0; default: none. */
  maxRate?: number;
  /** How many flows this one stands for in the sharing, a positive integer; default 1. */
  weight?: number;
  name?: string;
  /**
   * Share the bandwidth once for all the flows started at this instant, when the entries the
   * simulator already has due now have run (or at the network's next change, if sooner),
   * rather than at each start; until then the flow moves nothing. The rates are those the
   * starts one by one would end with.
   */
  coalesce?: boolean;
}

export class Resource {
  /** Current total rate through this resource, bytes/ns. */
  used = 0;
  /** Active flows crossing, counting a flow once per appearance in its path. */
  crossings = 0;
  /** Totals up to the network's last update; the getters add the interval since. */
  private carried = 0;
  private busy = 0;
  /** Scratch for the allocation: capacity not yet handed out, and unfrozen crossings. */
  spare = 0;
  weight = 0;
  saturated = false;
  /** Allocation round in which this resource was last listed (deduplicates the scratch list). */
  epoch = -1;

  constructor(
    private readonly net: FlowNetwork,
    readonly id: number,
    readonly name: string,
    /** bytes/ns, i.e. GB/s. */
    readonly capacity: number,
  ) {}

  /** Bytes that have crossed this resource so far. */
  get bytesCarried(): number {
    return this.carried + this.used * this.net.sinceUpdate();
  }

  /** ns during which at least one flow crossed this resource. */
  get busyNs(): number {
    return this.busy + (this.crossings > 0 ? this.net.sinceUpdate() : 0);
  }

  /** Bring the totals up to date over `dt` ns at the current allocation. */
  account(dt: number): void {
    this.carried += this.used * dt;
    this.busy += dt;
  }

  /** Credit bytes a finishing flow delivered beyond the accounted rate (float residue). */
  settle(bytes: number): void {
    this.carried += bytes;
  }
}

export class Flow extends Scheduled {
  readonly done: SimEvent<void>;
  /** Current rate, bytes/ns; 0 once finished. */
  rate = 0;
  readonly startedAt: number;
  /** Completion time, NaN while running. */
  finishedAt = Number.NaN;
  /** Bytes left as of the network's last update; Infinity for a stream. */
  left: number;
  /** A stream's bytes carried up to `sentAt` (its rate changes only in an allocation). */
  sent = 0;
  sentAt: number;
  /** Scratch for the allocation: the rate, whether it is fixed, the cap per unit of weight. */
  newRate = 0;
  frozen = false;
  capLevel = 0;

  constructor(
    private readonly net: FlowNetwork,
    readonly id: number,
    private readonly label: string | undefined,
    readonly bytes: number,
    /** The caller's array, not a copy: leave it unchanged while the flow runs. */
    readonly path: readonly Resource[],
    /** bytes/ns; +Infinity when uncapped. Change it through FlowNetwork.setMaxRate. */
    public maxRate: number,
    /** The flows it stands for in the sharing. Change it through FlowNetwork.setMaxRate. */
    public weight: number,
  ) {
    super();
    this.left = bytes;
    this.startedAt = net.sim.now;
    this.sentAt = this.startedAt;
    this.done = net.sim.event<void>();
  }

  /** The name given at start, else `flow-<id>` (built on demand: most flows are never named). */
  get name(): string {
    return this.label ?? `flow-${this.id}`;
  }

  /** Bytes still to move, now. */
  get remaining(): number {
    return Math.max(0, this.left - this.rate * this.net.sinceUpdate());
  }

  fire(): void {
    this.net.complete(this);
  }
}

export class FlowNetwork {
  private readonly res: Resource[] = [];
  private readonly flows: Flow[] = [];
  private lastUpdate: number;
  private flowCount = 0;
  private epoch = 0;
  /** busy[0..nBusy): resources crossed by an active flow, rebuilt by each allocation. */
  private readonly busy: Resource[] = [];
  private nBusy = 0;
  /** Scratch for `complete`, kept to avoid garbage. */
  private readonly finishing: Flow[] = [];
  /** Open `batch` calls, and whether a change (inside them, or coalesced) awaits the allocation. */
  private held = 0;
  private stale = false;
  /** The allocation of coalesced starts, queued at their instant. */
  private readonly coalesced = new Timer(() => {
    if (this.stale && this.held === 0) this.allocate();
  });

  constructor(readonly sim: Simulator) {
    this.lastUpdate = sim.now;
  }

  /** All resources, in creation order. */
  get resources(): readonly Resource[] {
    return this.res;
  }

  /** Flows in progress, in creation order. */
  get active(): readonly Flow[] {
    return this.flows;
  }

  addResource(name: string, capacity: number): Resource {
    if (!(capacity > 0) || capacity === Number.POSITIVE_INFINITY) {
      throw new RangeError(`FlowNetwork: resource "${name}" needs a finite capacity > 0`);
    }
    const r = new Resource(this, this.res.length, name, capacity);
    this.res.push(r);
    return r;
  }

  /**
   * Start moving `bytes` across `path`. A 0-byte flow is done on return; an Infinity-byte one
   * is a stream, which runs until stopped.
   */
  start(bytes: number, path: readonly Resource[], opts?: FlowOptions): Flow {
    const maxRate = opts?.maxRate ?? Number.POSITIVE_INFINITY;
    const weight = opts?.weight ?? 1;
    if (!(bytes >= 0)) {
      throw new RangeError(`FlowNetwork: flow ${describe(opts)} has invalid size ${bytes}`);
    }
    if (!(maxRate > 0)) {
      throw new RangeError(`FlowNetwork: flow ${describe(opts)} has invalid maxRate ${maxRate}`);
    }
    if (!Number.isSafeInteger(weight) || weight < 1) {
      throw new RangeError(`FlowNetwork: flow ${describe(opts)} has invalid weight ${weight}`);
    }
    if (path.length === 0 && maxRate === Number.POSITIVE_INFINITY) {
      throw new RangeError(`FlowNetwork: flow ${describe(opts)} has no resources and no maxRate`);
    }
    for (let i = 0; i < path.length; i++) {
      const r = path[i];
      if (this.res[r.id] !== r) {
        throw new RangeError(
          `FlowNetwork: flow ${describe(opts)} crosses a foreign resource "${r.name}"`,
        );
      }
    }
    const f = new Flow(this, this.flowCount++, opts?.name, bytes, path, maxRate, weight);
    if (bytes === 0) {
      f.finishedAt = this.sim.now;
      f.done.trigger();
      return f;
    }
    this.advance();
    this.flows.push(f);
    for (let i = 0; i < path.length; i++) path[i].crossings++;
    if (opts?.coalesce === true) {
      this.stale = true;
      if (!this.coalesced.queued) this.sim.schedule(this.coalesced, this.sim.now);
    } else {
      this.reallocate();
    }
    return f;
  }

  /**
   * Run `changes` (starts, stops, cap changes at this instant) and share the bandwidth once,
   * when they are done; until then the rates stay as they were. Nests.
   */
  batch(changes: () => void): void {
    this.held++;
    try {
      changes();
    } finally {
      if (--this.held === 0 && this.stale) this.allocate();
    }
  }

  /** `start(...).done`, for `yield net.transfer(...)` in a process. */
  transfer(bytes: number, path: readonly Resource[], opts?: FlowOptions): SimEvent<void> {
    return this.start(bytes, path, opts).done;
  }

  /**
   * End `f` now, delivered or not (an application's traffic for a quantum that is over), and
   * share its bandwidth among the others. Returns the bytes it delivered. A finished flow
   * delivered all of them.
   */
  stop(f: Flow): number {
    if (!Number.isNaN(f.finishedAt)) return f.left === Number.POSITIVE_INFINITY ? f.sent : f.bytes;
    this.advance();
    const active = this.flows;
    const i = active.indexOf(f);
    if (i < 0) throw new RangeError(`FlowNetwork.stop: flow ${f.name} is not in this network`);
    active.splice(i, 1);
    this.sim.unschedule(f);
    for (let j = 0; j < f.path.length; j++) f.path[j].crossings--;
    const now = this.sim.now;
    let delivered: number;
    if (f.left === Number.POSITIVE_INFINITY) {
      f.sent += f.rate * (now - f.sentAt);
      f.sentAt = now;
      delivered = f.sent;
    } else {
      delivered = f.bytes - Math.max(0, f.left);
    }
    f.rate = 0;
    f.finishedAt = now;
    this.reallocate();
    f.done.trigger();
    return delivered;
  }

  /**
   * Change a running flow's cap (a copying core whose share of its CPU changed), and its
   * weight if given (an aggregate whose members changed), and share the bandwidth anew. A
   * finished flow is left alone.
   */
  setMaxRate(f: Flow, maxRate: number, weight = f.weight): void {
    if (!(maxRate > 0))
      throw new RangeError(`FlowNetwork: flow ${f.name}: invalid maxRate ${maxRate}`);
    if (!Number.isSafeInteger(weight) || weight < 1)
      throw new RangeError(`FlowNetwork: flow ${f.name}: invalid weight ${weight}`);
    if (!Number.isNaN(f.finishedAt) || (f.maxRate === maxRate && f.weight === weight)) return;
    this.advance();
    f.maxRate = maxRate;
    f.weight = weight;
    this.reallocate();
  }

  /** Bytes a stream has carried so far. */
  sent(f: Flow): number {
    if (f.left !== Number.POSITIVE_INFINITY)
      throw new RangeError(`FlowNetwork.sent: flow ${f.name} is not a stream`);
    return f.sent + f.rate * (this.sim.now - f.sentAt);
  }

  /** ns since the accounting was last brought up to date. */
  sinceUpdate(): number {
    return this.sim.now - this.lastUpdate;
  }

  /** `f`'s completion came due: retire it, and any flow finishing at the same instant. */
  complete(f: Flow): void {
    this.advance();
    f.left = 0;
    const now = this.sim.now;
    const finishing = this.finishing;
    const active = this.flows;
    let kept = 0;
    for (let i = 0; i < active.length; i++) {
      const g = active[i];
      // A stream (left Infinity) never finishes; the bound is Infinity for it too.
      const left = g.left;
      if (left <= BYTES_EPS + FINISH_REL_EPS * (g.bytes + g.rate * now) && left !== Infinity) {
        finishing.push(g);
      } else {
        active[kept++] = g;
      }
    }
    // pop, not `length =`: shrinking through the length setter is a slow runtime call.
    while (active.length > kept) active.pop();
    for (let i = 0; i < finishing.length; i++) {
      const g = finishing[i];
      if (g !== f) this.sim.unschedule(g);
      const path = g.path;
      for (let j = 0; j < path.length; j++) {
        path[j].crossings--;
        path[j].settle(g.left);
      }
      g.left = 0;
      g.rate = 0;
      g.finishedAt = now;
    }
    this.allocate();
    // Trigger only once the network is consistent: waiters may start flows of their own.
    for (let i = 0; i < finishing.length; i++) finishing[i].done.trigger();
    while (finishing.length > 0) finishing.pop();
  }

  /** Share the bandwidth anew now, or at the end of the open batch. */
  private reallocate(): void {
    if (this.held > 0) this.stale = true;
    else this.allocate();
  }

  /** Bring flows' bytes left and resources' totals up to now at the current rates. */
  private advance(): void {
    const now = this.sim.now;
    const dt = now - this.lastUpdate;
    if (dt === 0) return;
    const res = this.busy;
    for (let i = 0; i < this.nBusy; i++) res[i].account(dt);
    const flows = this.flows;
    for (let i = 0; i < flows.length; i++) flows[i].left -= flows[i].rate * dt;
    this.lastUpdate = now;
  }

  /** Max-min fair rates for the active flows by progressive filling; requeue completions. */
  private allocate(): void {
    this.stale = false;
    const flows = this.flows;
    const nFlows = flows.length;
    const res = this.busy;
    // Resources that just lost their last flow drop out of the list; clear them first.
    for (let i = 0; i < this.nBusy; i++) res[i].used = 0;
    let nRes = 0;
    const epoch = ++this.epoch;
    for (let i = 0; i < nFlows; i++) {
      const f = flows[i];
      f.frozen = false;
      // Exactly maxRate at weight 1, so unweighted networks share as they always did.
      f.capLevel = f.maxRate / f.weight;
      const path = f.path;
      for (let j = 0; j < path.length; j++) {
        const r = path[j];
        if (r.epoch !== epoch) {
          r.epoch = epoch;
          r.spare = r.capacity;
          r.weight = 0;
          if (nRes < res.length) res[nRes] = r;
          else res.push(r);
          nRes++;
        }
        r.weight += f.weight;
      }
    }
    this.nBusy = nRes;
    let unfrozen = nFlows;
    while (unfrozen > 0) {
      // The level at which the first resource saturates...
      let share = Number.POSITIVE_INFINITY;
      for (let i = 0; i < nRes; i++) {
        const r = res[i];
        if (r.weight > 0) {
          const s = r.spare / r.weight;
          if (s < share) share = s;
        }
      }
      // ...unless a flow reaches its cap first. Freezing capped flows at or below the
      // share only raises every other share, so all of them can freeze in one round.
      let cap = Number.POSITIVE_INFINITY;
      for (let i = 0; i < nFlows; i++) {
        const f = flows[i];
        if (!f.frozen && f.capLevel < cap) cap = f.capLevel;
      }
      if (cap <= share) {
        for (let i = 0; i < nFlows; i++) {
          const f = flows[i];
          if (!f.frozen && f.capLevel <= share) {
            freeze(f, f.maxRate);
            unfrozen--;
          }
        }
        continue;
      }
      // The resource that set `share` always qualifies, so every round freezes a flow.
      const limit = share + Math.abs(share) * SHARE_REL_EPS;
      for (let i = 0; i < nRes; i++) {
        const r = res[i];
        r.saturated = r.weight > 0 && r.spare / r.weight <= limit;
      }
      for (let i = 0; i < nFlows; i++) {
        const f = flows[i];
        if (!f.frozen && crossesSaturated(f)) {
          freeze(f, share * f.weight);
          unfrozen--;
        }
      }
    }
    const now = this.sim.now;
    for (let i = 0; i < nFlows; i++) {
      const f = flows[i];
      const rate = f.newRate;
      const path = f.path;
      for (let j = 0; j < path.length; j++) path[j].used += rate;
      if (rate !== f.rate) {
        if (f.left === Number.POSITIVE_INFINITY) {
          // A stream never completes: count what it carried at the rate it had.
          f.sent += f.rate * (now - f.sentAt);
          f.sentAt = now;
          f.rate = rate;
          continue;
        }
        f.rate = rate;
        // left may be a hair below 0 when this flow is due now but its entry has not run.
        this.sim.reschedule(f, now + Math.max(0, f.left) / rate);
      }
    }
  }
}

function describe(opts: FlowOptions | undefined): string {
  return opts?.name === undefined ? "(unnamed)" : `"${opts.name}"`;
}

function crossesSaturated(f: Flow): boolean {
  const path = f.path;
  for (let j = 0; j < path.length; j++) if (path[j].saturated) return true;
  return false;
}

/** Fix `f` at `rate` and take that rate out of every resource it crosses. */
function freeze(f: Flow, rate: number): void {
  f.frozen = true;
  f.newRate = rate;
  const path = f.path;
  for (let j = 0; j < path.length; j++) {
    path[j].spare -= rate;
    path[j].weight -= f.weight;
  }
}

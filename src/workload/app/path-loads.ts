/**
 * The load an application's threads put on their read paths for one quantum, solved for its
 * fixed point: the threads' demand follows from their access latencies, the latencies from
 * the paths' utilisation, and the utilisation from the demand (plus whatever else crosses the
 * paths: migration copies, other applications). Taking the utilisation the last quantum left
 * instead makes threads that run in lockstep and saturate a path alternate every quantum
 * (a saturated quantum's latency gives too little demand, whose latency gives too much).
 *
 * The unknowns are the utilisations of the resources the paths cross (a memory controller is
 * one unknown for every CCD that reads it, so what its readers share is solved as one). Each
 * resource's utilisation is found by bracketed regula falsi (the Illinois variant) with the
 * others held, resource after resource (Gauss-Seidel), from the last quantum's solution: a
 * quantum that asks what the last one did costs one evaluation per resource. A resource's
 * utilisation is its load over its capacity, at most 1 (it cannot carry more); higher
 * utilisation means higher latency and less demand, so each resource's equation has one root.
 *
 * As the loaded latency leaves out a thread's own traffic (its own load is in its idle latency,
 * which is what a lone reader measures), each thread of a path leaves out an equal share of
 * the path's demand; that share is held through a sweep over the resources, then set from the
 * demand their utilisations give, sweep after sweep until neither moves.
 *
 * A solve asks each resource's equation tens of times with the threads' counts fixed, so it
 * first lays out what each thread reads (its nonzero counts and their slots) and what it puts
 * on each resource in flat arrays; every sum is taken in the order the counts come in.
 */
import type { Flow, Resource } from "../../sim/flows.js";

/** What the solve needs of a thread. */
export interface PathUser {
  /** The quantum's sampled accesses by node id (of `samples`). */
  readonly counts: Float64Array;
  /** The App's path slot of each node id. */
  readonly slotOfNode: Int32Array;
  readonly computeNs: number;
  readonly mlp: number;
}

/** Bytes an access moves: a cache line. */
export const ACCESS_BYTES = 64;
/** Past this the queueing term would grow without bound; a saturated memory is held here. */
export const MAX_UTILISATION = 0.95;
/** A utilisation this close to its equation's root is the root. */
const TOLERANCE = 1e-9;
/** Regula falsi steps per resource, and sweeps over the resources, at most. */
const MAX_STEPS = 60;
const MAX_SWEEPS = 64;

export class PathLoads {
  /** Each path slot's access latency for the quantum, ns (valid for slots with users). */
  readonly latNs: Float64Array;
  /** Threads with accesses on each slot this quantum, and the bytes/ns they ask of it. */
  readonly users: Float64Array;
  readonly demand: Float64Array;
  private readonly res: Resource[] = [];
  /** Per slot, the indices of its path's resources; per resource, the slots through it. */
  private readonly slotRes: number[][] = [];
  private readonly resSlots: number[][] = [];
  /** Per resource, the threads (their indices) with a slot through it. */
  private readonly resUsers: number[][] = [];
  /** Whether slot s crosses resource i, at i * slots + s. */
  private readonly crosses: Uint8Array;
  /** Per resource: its utilisation solved for (the next quantum starts from it), what others put on it. */
  private readonly rho: Float64Array;
  private readonly others: Float64Array;
  /** Per slot: the bytes/ns each of its threads leaves out as its own; trial latencies. */
  private readonly own: Float64Array;
  private readonly trial: Float64Array;
  /** Whether a solution stands from an earlier quantum. */
  private solved = false;
  /** Each slot's idle latency, ns (NaN until asked). */
  private readonly idle: Float64Array;
  /** Each thread's compute time and accesses in flight. */
  private readonly computeNs: Float64Array;
  private readonly mlp: Float64Array;
  /**
   * The solve's layout. Thread t's nonzero counts and their slots, in node order, are entries
   * [entryStart[t], entryStart[t + 1]) of entryCount and entrySlot. Per resource i, the threads
   * that read through it are readers[i * threads + k] for k < nReaders[i], with their counts
   * through it (the sum in node order) at the same place of readCounts.
   */
  private readonly entryStart: Int32Array;
  private readonly entryCount: Float64Array;
  private readonly entrySlot: Int32Array;
  private readonly readers: Int32Array;
  private readonly readCounts: Float64Array;
  private readonly nReaders: Int32Array;

  constructor(
    paths: readonly (readonly Resource[])[],
    private readonly threads: readonly PathUser[],
    /** Each slot's node. */
    slotNid: readonly number[],
    /** Each slot's idle latency (asked only for slots with users) and queueing term, ns. */
    private readonly idleNs: (slot: number) => number,
    private readonly queueingNs: Float64Array,
    private readonly samples: number,
  ) {
    const nSlots = paths.length;
    const index = new Map<Resource, number>();
    for (let s = 0; s < nSlots; s++) {
      const ids: number[] = [];
      for (const r of paths[s]) {
        let i = index.get(r);
        if (i === undefined) {
          i = this.res.length;
          index.set(r, i);
          this.res.push(r);
          this.resSlots.push([]);
        }
        ids.push(i);
        this.resSlots[i].push(s);
      }
      this.slotRes.push(ids);
    }
    const nRes = this.res.length;
    this.crosses = new Uint8Array(nRes * nSlots);
    for (let i = 0; i < nRes; i++)
      for (const s of this.resSlots[i]) this.crosses[i * nSlots + s] = 1;
    for (let i = 0; i < nRes; i++) {
      const through = (t: PathUser) => this.resSlots[i].some((s) => t.slotOfNode[slotNid[s]] === s);
      this.resUsers.push(threads.flatMap((t, j) => (through(t) ? [j] : [])));
    }
    this.rho = new Float64Array(nRes);
    this.others = new Float64Array(nRes);
    this.latNs = new Float64Array(nSlots);
    this.users = new Float64Array(nSlots);
    this.demand = new Float64Array(nSlots);
    this.own = new Float64Array(nSlots);
    this.trial = new Float64Array(nSlots);
    this.idle = new Float64Array(nSlots).fill(Number.NaN);
    const nThreads = threads.length;
    this.computeNs = Float64Array.from(threads, (t) => t.computeNs);
    this.mlp = Float64Array.from(threads, (t) => t.mlp);
    const nodes = nThreads === 0 ? 0 : threads[0].counts.length;
    this.entryStart = new Int32Array(nThreads + 1);
    this.entryCount = new Float64Array(nThreads * nodes);
    this.entrySlot = new Int32Array(nThreads * nodes);
    this.readers = new Int32Array(nRes * nThreads);
    this.readCounts = new Float64Array(nRes * nThreads);
    this.nReaders = new Int32Array(nRes);
  }

  /**
   * Solve the quantum's loads, the paths' streams (`streams`, per slot, null where none ran)
   * carrying the last quantum's traffic: fills latNs, users and demand. `mixed`: some thread's
   * counts changed since the last solve; if not, and nothing else on the paths did, the last
   * solution stands. Returns whether it solved anew.
   */
  solve(streams: readonly (Flow | null)[], mixed: boolean): boolean {
    const nSlots = this.latNs.length;
    const res = this.res;
    let still = !mixed && this.solved;
    for (let i = 0; i < res.length; i++) {
      let v = res[i].used;
      const slots = this.resSlots[i];
      for (let k = 0; k < slots.length; k++) {
        const f = streams[slots[k]];
        if (f !== null) v -= f.rate;
      }
      v = Math.max(0, v);
      if (v !== this.others[i]) still = false;
      this.others[i] = v;
    }
    this.solved = true;
    if (still) return false;
    this.layOut();
    const users = this.users;
    const demand = this.demand;
    for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      for (let s = 0; s < nSlots; s++) this.own[s] = users[s] > 0 ? demand[s] / users[s] : 0;
      for (let s = 0; s < nSlots; s++) if (users[s] > 0) this.latency(this.latNs, s, -1, 0);
      let moved = 0;
      for (let i = 0; i < res.length; i++) moved = Math.max(moved, this.solveResource(i));
      if (!this.measureDemand() && moved <= TOLERANCE) break;
    }
    return true;
  }

  /**
   * The threads' counts laid out for the solve (the class comment), and the users of each
   * slot.
   */
  private layOut(): void {
    const users = this.users;
    users.fill(0);
    const threads = this.threads;
    const nThreads = threads.length;
    const { entryStart, entryCount, entrySlot } = this;
    let e = 0;
    for (let t = 0; t < nThreads; t++) {
      entryStart[t] = e;
      const c = threads[t].counts;
      const slots = threads[t].slotOfNode;
      for (let n = 0; n < c.length; n++) {
        if (c[n] === 0) continue;
        users[slots[n]]++;
        entryCount[e] = c[n];
        entrySlot[e] = slots[n];
        e++;
      }
    }
    entryStart[nThreads] = e;
    const nSlots = this.latNs.length;
    for (let i = 0; i < this.res.length; i++) {
      const row = i * nSlots;
      const base = i * nThreads;
      let k = 0;
      for (const t of this.resUsers[i]) {
        let here = 0;
        for (let x = entryStart[t]; x < entryStart[t + 1]; x++) {
          if (this.crosses[row + entrySlot[x]] === 1) here += entryCount[x];
        }
        // A thread with nothing through the resource puts nothing on it.
        if (here === 0) continue;
        this.readers[base + k] = t;
        this.readCounts[base + k] = here;
        k++;
      }
      this.nReaders[i] = k;
    }
  }

  /** The slots' demand at the solved latencies; whether it moved since the last. */
  private measureDemand(): boolean {
    const demand = this.trial;
    demand.fill(0);
    const perSample = 1 / this.samples;
    const { entryStart, entryCount, entrySlot, latNs } = this;
    for (let t = 0; t < this.threads.length; t++) {
      const first = entryStart[t];
      const end = entryStart[t + 1];
      let latSum = 0;
      for (let x = first; x < end; x++) latSum += entryCount[x] * latNs[entrySlot[x]];
      const opNs = this.computeNs[t] + (latSum * perSample) / this.mlp[t];
      for (let x = first; x < end; x++) {
        demand[entrySlot[x]] += (ACCESS_BYTES * entryCount[x] * perSample) / opNs;
      }
    }
    let moved = false;
    for (let s = 0; s < demand.length; s++) {
      if (Math.abs(demand[s] - this.demand[s]) > TOLERANCE * demand[s]) moved = true;
      this.demand[s] = demand[s];
    }
    return moved;
  }

  /** Solve resource i's utilisation with the others held; returns how far it moved. */
  private solveResource(i: number): number {
    const x0 = this.rho[i];
    const g0 = this.residual(i, x0);
    if (Math.abs(g0) <= TOLERANCE) return 0;
    // The root lies between x0 and x0 + g0: the load at x0 bounds it on the far side.
    let a = x0;
    let fa = g0;
    let b = x0 + g0;
    let fb = this.residual(i, b);
    for (let step = 0; step < MAX_STEPS && Math.abs(fb) > TOLERANCE && fa !== fb; step++) {
      const c = b - (fb * (b - a)) / (fb - fa);
      const fc = this.residual(i, c);
      if (fc * fb < 0) {
        a = b;
        fa = fb;
      } else {
        fa /= 2;
      }
      b = c;
      fb = fc;
    }
    this.rho[i] = b;
    const slots = this.resSlots[i];
    for (let k = 0; k < slots.length; k++) {
      if (this.users[slots[k]] > 0) this.latency(this.latNs, slots[k], -1, 0);
    }
    return Math.abs(b - x0);
  }

  /**
   * Resource i's load over its capacity (at most 1) at utilisation x, less x: the threads'
   * demand at the latencies x gives its slots, the others' as they are.
   */
  private residual(i: number, x: number): number {
    const trial = this.trial;
    trial.set(this.latNs);
    // Indexed loops here: this is asked ~135,000 times a run, and an iterator not optimized
    // away is garbage each time.
    const slots = this.resSlots[i];
    for (let k = 0; k < slots.length; k++) {
      if (this.users[slots[k]] > 0) this.latency(trial, slots[k], i, x);
    }
    let load = this.others[i];
    const perSample = 1 / this.samples;
    const { entryStart, entryCount, entrySlot, readers, readCounts } = this;
    const base = i * this.threads.length;
    const end = base + this.nReaders[i];
    for (let k = base; k < end; k++) {
      const t = readers[k];
      let latSum = 0;
      for (let x = entryStart[t]; x < entryStart[t + 1]; x++) {
        latSum += entryCount[x] * trial[entrySlot[x]];
      }
      const opNs = this.computeNs[t] + (latSum * perSample) / this.mlp[t];
      load += (ACCESS_BYTES * readCounts[k] * perSample) / opNs;
    }
    const cap = this.res[i].capacity;
    return Math.min(load, cap) / cap - x;
  }

  /**
   * Slot s's latency into out[s], resource `at` at utilisation x (-1: every resource at its
   * solved one); into an array, as a number returned may be boxed (it is asked ~700,000 times).
   */
  private latency(out: Float64Array, s: number, at: number, x: number): void {
    let u = 0;
    const own = this.own[s];
    const ids = this.slotRes[s];
    for (let k = 0; k < ids.length; k++) {
      const i = ids[k];
      const r = (i === at ? x : this.rho[i]) - own / this.res[i].capacity;
      if (r > u) u = r;
    }
    u = Math.min(u, MAX_UTILISATION);
    let idle = this.idle[s];
    if (Number.isNaN(idle)) {
      idle = this.idleNs(s);
      this.idle[s] = idle;
    }
    out[s] = idle + (this.queueingNs[s] * u) / (1 - u);
  }
}

/**
 * An application on the emulated machine: a process whose threads run on CPUs and touch its
 * anonymous regions, feeling where each page is and whether it is being migrated.
 *
 * Accesses are modelled in aggregate, not one event per access. Each thread runs in quanta of
 * virtual time; at the start of a quantum it samples the pages its pattern touches, takes the
 * mean time of one operation (its compute time plus one dependent memory access at the
 * latency of the page's node, seen from the thread's socket) and counts the quantum's
 * operations as its running time over that mean.
 *
 * The threads of an application start together and share one quantum, so one simulator
 * process runs them in lockstep. Their traffic (a cache line per access) is one flow per read
 * path (the CCD's and the node's, the same for every thread of the CCD) per quantum, weighted
 * by the threads on it so that it shares links with migration copies as the threads' own flows
 * would, and what it delivers goes back to the threads in proportion to their demand. A
 * quantum's latencies are those of the paths as loaded at its start, by everything on them
 * (the quantum that just ended included). The node of each sampled page comes from the
 * region's own node map (AppRegion), which follows every fault-in and migration of its folios.
 *
 * Migration stalls are exact in expectation rather than sampled. When a migration unmaps a
 * folio (its PTEs become migration entries), each thread that touches the folio draws how much
 * longer it would run before it next accesses it, from its access rate to the folio (its
 * pattern's share of the folio over its time per operation, a Poisson process); if that comes
 * before the folio is mapped again the thread waits in migration_entry_wait() from then until
 * the remap, and runs no operation meanwhile. It waits on one folio at a time: while it waits
 * it touches no other, so its next accesses come later by the wait (entry-waits.ts). The
 * migration reports unmaps and remaps through `watcher`, which the migrating task's Exec
 * carries (Exec.folioEvents), at the task's own times.
 *
 * A thread is a task of the scheduler (sched/), always runnable on its CPU (pinned, or placed
 * among its allowed CPUs by select_idle_sibling() when the application starts), at its nice
 * level, in its process's cgroup. A quantum's running time is the CPU time the scheduler gave
 * it; kernel work on its CPU (mtcopy's kworkers, a migrating task) takes a share while it
 * runs, and the thread counts the CPU time it lost to it.
 *
 * Simplifications (docs/model.md): a thread waiting in migration_entry_wait() keeps its place
 * on the runqueue (its stalls are drawn in expectation, after the fact); regions are faulted
 * in whole when the application starts, by the first thread that uses them, under their
 * policy.
 *
 * Accessed and dirty bits are not set per access either: the process's address space gets an
 * access model (accesses.ts) from which mm/access.ts brings an entry's bits up to date when a
 * scanner reads them, and change_prot_numa() hands it the folios whose first access is a hint
 * fault (hint-faults.ts).
 */
import { RunFailure } from "../../errors.js";
import { readPath } from "../../machine/fabric.js";
import type { LoadedProfile } from "../../machine/profile.js";
import type { FolioEvents } from "../../migrate/exec.js";
import type { Kernel } from "../../migrate/kernel.js";
import { type Folio, PAGE_SIZE } from "../../mm/folio.js";
import { type Mempolicy, MPOL_DEFAULT } from "../../mm/mempolicy.js";
import type { PhysMem } from "../../mm/phys.js";
import type { Task } from "../../mm/task.js";
import { type MmStruct, VM_READ, VM_WRITE, type Vma } from "../../mm/vm.js";
import type { SchedTask } from "../../sched/scheduler.js";
import type { Flow, Resource } from "../../sim/flows.js";
import type { Rng } from "../../sim/rng.js";
import type { Process, Yieldable } from "../../sim/simulator.js";
import { pageKey } from "../region.js";
import { AppAccesses } from "./accesses.js";
import { EntryWaits, type Unmapping } from "./entry-waits.js";
import { faultIn, type LateFault, type RegionFault } from "./fault-in.js";
import { ACCESS_BYTES, PathLoads } from "./path-loads.js";
import { type AccessPattern, makePattern, type PatternSpec } from "./patterns.js";
import { WaitLog } from "./wait-log.js";

export interface AppRegionSpec {
  bytes: number;
  folioSizeBytes: number;
  policy: Mempolicy;
}

export interface AppThreadSpec {
  /** The CPU it is pinned to; with `cpus`, the CPU placement starts from. */
  cpu: number;
  /** CPUs the thread may run on (its affinity), placed among them at start; pinned if absent. */
  cpus?: readonly number[];
  /** -20..19 (0 by default). */
  nice?: number;
  /** Index into AppSpec.regions. */
  region: number;
  pattern: PatternSpec;
  /** CPU time between two memory accesses, ns. */
  computeNs: number;
  /** Memory-level parallelism: accesses the thread has in flight at once (1: each depends on the last). */
  mlp: number;
  /** Share of the accesses that are writes (they set dirty bits); 0 by default. */
  writes?: number;
}

export interface AppSpec {
  /** The process's name, for its threads' tracks on a timeline. */
  name?: string;
  /**
   * The process's memory policy (task->mempolicy), set before its threads start as
   * `numactl --interleave=...` does before exec, and inherited by each thread: what a region
   * without a policy of its own faults in under. The default policy (local) when absent or
   * MPOL_DEFAULT.
   */
  mempolicy?: Mempolicy;
  /** Each region's VMA policy; MPOL_DEFAULT gives the VMA none (the task's applies). */
  regions: AppRegionSpec[];
  /** The process's cgroup (the root by default). */
  cgroup?: string;
  threads: AppThreadSpec[];
  /** Length of a thread's accounting step, ns. */
  quantumNs?: number;
  /** Pages sampled per quantum for the node mix. */
  samplesPerQuantum?: number;
  /**
   * The regions are faulted in later, by faultInLater() (a process that starts during the
   * run), rather than now.
   */
  faultLater?: boolean;
}

export const DEFAULT_QUANTUM_NS = 100_000;
export const DEFAULT_SAMPLES = 16;
/** A thread's node mix stops drawing samples when it holds this many quanta's worth. */
export const MIX_QUANTA = 16;
/** Latency histogram buckets: bucket i counts accesses of [2^i, 2^(i+1)) ns, as pmbench's. */
export const LATENCY_BUCKETS = 40;

/** Idle latency of one dependent access from `cpu` to memory on `nid`, ns. */
export function accessLatencyNs(profile: LoadedProfile, cpu: number, nid: number): number {
  const m = profile.memory;
  if (m === undefined) {
    throw new RunFailure(
      `profile ${profile.name} has no memory section: applications need its latencies`,
    );
  }
  const node = profile.topology.nodes.find((n) => n.id === nid);
  if (node === undefined) throw new RangeError(`no node ${nid} in profile ${profile.name}`);
  const base = node.latencyNs ?? (node.kind === "cxl" ? m.cxlLatencyNs : m.dramLatencyNs);
  if (base === undefined)
    throw new RunFailure(
      `profile ${profile.name}: CXL node ${nid} has no latencyNs, and memory.cxlLatencyNs is not set`,
    );
  return base + (profile.socketOfCpu(cpu) === node.socket ? 0 : m.socketHopNs);
}

/** The latency histogram's bucket of `ns`. */
function latencyBucket(ns: number): number {
  return Math.min(LATENCY_BUCKETS - 1, Math.max(0, Math.floor(Math.log2(Math.max(1, ns)))));
}

/** The queueing term of `nid`'s loaded-latency curve: its own queueingNs, else memory.queueingNs. */
function queueingNs(profile: LoadedProfile, nid: number): number {
  const node = profile.topology.nodes.find((n) => n.id === nid);
  return node?.queueingNs ?? profile.memory?.queueingNs ?? 0;
}

/**
 * The latency of an access from `cpu` to `nid` at utilisation `u` of its path: the idle
 * latency plus queueingNs * u / (1 - u), the shape of a loaded-latency curve (the node's own
 * queueingNs, else memory.queueingNs).
 */
export function loadedLatencyNs(
  profile: LoadedProfile,
  cpu: number,
  nid: number,
  u: number,
): number {
  return accessLatencyNs(profile, cpu, nid) + (queueingNs(profile, nid) * u) / (1 - u);
}

/** A region folio's node before it is faulted in. */
const NO_NODE = 255;
/** A folio whose pages are on several nodes (a THP a migration split): see its pages' nodes. */
const SPLIT = 254;

/**
 * A delivered share of a quantum's traffic this close to all of it is all of it: the float
 * residue of a rate times a duration.
 */
const DELIVERED_REL_EPS = 1e-9;

export class AppRegion {
  readonly pages: number;
  readonly order: number;
  /** Pages per folio, and its inverse (a power of two: a page's folio is an exact product). */
  readonly folioPages: number;
  private readonly perFolioPage: number;
  /** Bytes of the region on each node, kept as migrations move its folios. */
  readonly bytesByNode = new Map<number, number>();
  /** Bumped whenever a page's node changes: what a thread's node mix was drawn against. */
  version = 0;
  /**
   * The node of each folio of the region, kept at every fault-in and remap (`place`), so a
   * thread's sample costs an array read rather than a page-table walk.
   */
  private readonly folioNid: Uint8Array;
  /** The pages' nodes of the folios marked SPLIT, by folio. */
  private readonly splitNids = new Map<number, Uint8Array>();
  /** placeEach()'s bytes by node, reused. */
  private readonly addedBytes = new Float64Array(SPLIT);

  /**
   * The region's addresses: those of the VMA it was mapped as, which mbind(2) over part of it
   * may split into several since (the region's own extent does not change).
   */
  readonly start: number;
  readonly end: number;

  constructor(
    vma: Vma,
    readonly folioSizeBytes: number,
  ) {
    this.start = vma.start;
    this.end = vma.end;
    this.pages = (vma.end - vma.start) / PAGE_SIZE;
    this.order = Math.log2(folioSizeBytes / PAGE_SIZE);
    this.folioPages = folioSizeBytes / PAGE_SIZE;
    if (!Number.isInteger(this.order) || this.order < 0)
      throw new RangeError(`AppRegion: folio size ${folioSizeBytes} is not a power-of-two pages`);
    this.perFolioPage = 1 / this.folioPages;
    this.folioNid = new Uint8Array(Math.ceil(this.pages / this.folioPages)).fill(NO_NODE);
  }

  /** The node of the region's page `page`, or NO_NODE (255) when it was never faulted in. */
  nidOfPage(page: number): number {
    const f = Math.floor(page * this.perFolioPage);
    const nid = this.folioNid[f];
    if (nid !== SPLIT) return nid;
    return (this.splitNids.get(f) as Uint8Array)[page - f * this.folioPages];
  }

  /**
   * Count the nodes of `pages` (a quantum's samples) into `counts`, by node id; throws if one
   * was never faulted in. nidOfPage in one loop: this is the model's hottest.
   */
  countNodes(pages: Float64Array, counts: Float64Array): void {
    const map = this.folioNid;
    const per = this.perFolioPage;
    for (let i = 0; i < pages.length; i++) {
      const page = pages[i];
      let nid = map[Math.floor(page * per)];
      if (nid === SPLIT) nid = this.nidOfPage(page);
      if (nid >= counts.length)
        throw new Error(`AppThread: page ${page} of its region is not mapped`);
      counts[nid]++;
    }
  }

  /**
   * Pages [first, first + count) are on `nid` now: faulted in there, or mapped again there
   * after a migration (or after one that failed, where they were). Moves their bytes from the
   * nodes they were on.
   */
  place(first: number, count: number, nid: number): void {
    if (!(Number.isInteger(nid) && nid >= 0 && nid < SPLIT)) {
      throw new RangeError(`AppRegion: node ${nid} out of range (0..${SPLIT - 1})`);
    }
    const fp = this.folioPages;
    const end = first + count;
    for (let p = first; p < end; ) {
      const f = Math.floor(p / fp);
      const start = f * fp;
      const stop = Math.min(start + fp, end);
      const old = this.folioNid[f];
      if (p === start && stop === start + fp && old !== SPLIT) {
        if (old !== nid) {
          if (old !== NO_NODE) this.account(old, -this.folioSizeBytes);
          this.folioNid[f] = nid;
          this.account(nid, this.folioSizeBytes);
          this.version++;
        }
      } else {
        // Part of a folio: its pages get nodes of their own until they are on one again.
        let nids = this.splitNids.get(f);
        if (nids === undefined) {
          nids = new Uint8Array(fp).fill(old);
          this.splitNids.set(f, nids);
          this.folioNid[f] = SPLIT;
        }
        for (let q = p; q < stop; q++) {
          const was = nids[q - start];
          if (was === nid) continue;
          if (was !== NO_NODE) this.account(was, -PAGE_SIZE);
          nids[q - start] = nid;
          this.account(nid, PAGE_SIZE);
          this.version++;
        }
        if (nids.every((n) => n === nid)) {
          this.splitNids.delete(f);
          this.folioNid[f] = nid;
        }
      }
      p = stop;
    }
  }

  /**
   * place(first + i, 1, nids[i]) for each i < n of a region of 4K folios, as one update of the
   * bytes by node (the fault-in of a page table's worth of pages).
   */
  placeEach(first: number, nids: Uint8Array, n: number): void {
    if (this.folioPages !== 1)
      throw new Error("AppRegion.placeEach: the region's folios are large");
    const added = this.addedBytes;
    added.fill(0);
    let changed = false;
    for (let i = 0; i < n; i++) {
      const nid = nids[i];
      const old = this.folioNid[first + i];
      if (old === nid) continue;
      if (old === SPLIT || nid >= SPLIT) {
        this.place(first + i, 1, nid);
        continue;
      }
      if (old !== NO_NODE) this.account(old, -PAGE_SIZE);
      // The node's key enters the map where one place() at a time would have put it.
      if (added[nid] === 0) this.account(nid, 0);
      added[nid] += PAGE_SIZE;
      this.folioNid[first + i] = nid;
      changed = true;
    }
    if (!changed) return;
    for (let nid = 0; nid < SPLIT; nid++) if (added[nid] !== 0) this.account(nid, added[nid]);
    this.version++;
  }

  /**
   * Bring the node map (and the bytes by node) up to date from the page table, after
   * migrations nobody reported: direct reclaim demoting the region's folios while this or
   * another application faulted in, before the policies had the applications' watchers.
   */
  resync(mm: MmStruct, phys: PhysMem): void {
    this.folioNid.fill(NO_NODE);
    this.splitNids.clear();
    this.bytesByNode.clear();
    this.version++;
    const fp = this.folioPages;
    for (let f = 0; f * fp < this.pages; f++) {
      const first = mm.entryAt(this.start + f * fp * PAGE_SIZE);
      if (first.kind !== "none" && first.pmd) {
        this.place(f * fp, fp, phys.nidOf(first.pfn));
        continue;
      }
      for (let p = f * fp; p < Math.min((f + 1) * fp, this.pages); p++) {
        const e = mm.entryAt(this.start + p * PAGE_SIZE);
        if (e.kind !== "none") this.place(p, 1, phys.nidOf(e.pfn));
      }
    }
  }

  /** `bytes` more (or fewer) of the region on `nid`. */
  private account(nid: number, bytes: number): void {
    this.bytesByNode.set(nid, (this.bytesByNode.get(nid) ?? 0) + bytes);
  }

  /** The region's page index of `folio`'s first page, or -1 when the folio is not in it. */
  pageOf(folio: Folio): number {
    const addr = folio.index * PAGE_SIZE;
    return addr >= this.start && addr < this.end ? (addr - this.start) / PAGE_SIZE : -1;
  }
}

/** One unmap of a folio by a migration, until its remap: what the threads may wait on. */
interface FolioUnmap extends Unmapping {
  readonly folio: Folio;
}

export class AppThread {
  /** Operations done (fractional: a quantum's running time over its mean time per operation). */
  ops = 0;
  /** Time in migration_entry_wait(), ns, and the waits. */
  stallNs = 0;
  stalls = 0;
  /** CPU time the scheduler gave the thread (stalled or not), ns. */
  schedCpuNs = 0;
  /** CPU time the thread lost to kernel work on its CPU (copy threads, migrating tasks), ns. */
  cpuLostNs = 0;
  /** CPU time the thread ran: its share of its CPU less the time it was stalled, ns. */
  cpuNs = 0;
  /** Time in quanta where the memory system, not the thread's time, bound its operations. */
  bandwidthBoundNs = 0;
  /** Sum of each quantum's mean access latency times its operations (for the mean). */
  accessNsOps = 0;
  /** Operations per quantum, in order: the thread's throughput over time. */
  get opsPerQuantum(): Float64Array {
    return this.opsLog.subarray(0, this.quanta);
  }
  /** log2 buckets of access latency, ns, counting operations (stalled accesses included). */
  readonly latency = new Float64Array(LATENCY_BUCKETS);
  /** Bytes mode: sampled accesses whose page bytes the thread checked. */
  pagesRead = 0;
  /** Sampled accesses by node id. */
  readonly accessesByNode: Float64Array;
  /** Mean time of one operation in the last quantum, ns: sets the access rate for stalls. */
  opNs: number;
  /** Share of the accesses that are writes. */
  readonly writes: number;
  /** NUMA hint faults the thread took, and the time they took (entry cost and handler), ns. */
  hintFaults = 0;
  hintFaultNs = 0;
  /** Bytes mode: sampled writes, which rewrote the page's own bytes. */
  pagesWritten = 0;
  /** When the thread starts and stops running (App.start), ns. */
  startNs = 0;
  endNs = 0;
  /**
   * Quanta done, and the operations in each (quantum i starts at startNs + i * quantum), sized
   * for the run by `plan` (a growing array would be copied by every young-generation GC of the
   * run).
   */
  private quanta = 0;
  private opsLog = new Float64Array(0);
  /** Waits in migration entries, one folio at a time. */
  private readonly stallLog: EntryWaits<FolioUnmap>;
  /** Hint faults in progress. */
  private readonly faultLog = new WaitLog<object>();
  /** Decides which sampled accesses are writes (bytes mode), apart from the pattern's stream. */
  private readonly writeRng: Rng;
  /** The thread's track on the kernel's timeline, where its stalls go when it records. */
  readonly track: number;
  /** The App's path slot of each node id: the thread's read path to it. */
  readonly slotOfNode: Int32Array;
  /** The running quantum's sampled pages. */
  private readonly drawn: Float64Array;
  /**
   * Sampled accesses by node id since the region's node map (its version) or the pattern's
   * period (its epoch) last changed, and how many; a sequential stream's mix drifts.
   */
  private readonly mix: Float64Array;
  private mixSamples = 0;
  private mixVersion = -1;
  private mixEpoch = -1;
  private readonly drifts: boolean;
  /** Bytes mode: draws the pages to check in quanta whose mix is not drawn. */
  private readonly touchRng: Rng;
  /** The running quantum's sampled accesses (of the App's samples) by node id. */
  readonly counts: Float64Array;
  /** The spec's compute time between accesses, ns, and accesses in flight. */
  readonly computeNs: number;
  readonly mlp: number;
  /** The running quantum's mean access latency, ns. */
  private meanLatNs = 0;
  /** The scheduler's CPU time of the thread, and kernel work on its CPU, at the quantum's start. */
  private cpuMark = 0;
  private kernelMark = 0;
  /** Scheduler.cpuTimes' answer. */
  private readonly times = new Float64Array(2);

  /** The CPU the thread runs on. */
  readonly cpu: number;

  constructor(
    readonly app: App,
    readonly spec: AppThreadSpec,
    /** The thread's task on the scheduler, runnable from the application's start. */
    readonly se: SchedTask,
    readonly region: AppRegion,
    readonly pattern: AccessPattern,
    readonly rng: Rng,
    /** What the timeline calls it: its process and its place there. */
    name: string,
    /** Node ids are below this. */
    nidSpan: number,
    /** The thread's index in the App, its slot in each FolioUnmap. */
    index: number,
  ) {
    this.cpu = se.cpu;
    this.stallLog = new EntryWaits<FolioUnmap>(index, (u, from, to) =>
      this.waited(u.folio, from, to),
    );
    const local = app.k.profile.nodeOfCpu(this.cpu);
    const tl = app.k.timeline;
    this.track = tl.enabled ? tl.track("app", `${name} (cpu${this.cpu})`, this.cpu) : -1;
    this.opNs = spec.computeNs + accessLatencyNs(app.k.profile, this.cpu, local) / spec.mlp;
    this.writes = spec.writes ?? 0;
    this.writeRng = rng.fork("writes");
    this.touchRng = rng.fork("touches");
    this.drifts = spec.pattern.kind === "sequential";
    this.mix = new Float64Array(nidSpan);
    this.accessesByNode = new Float64Array(nidSpan);
    this.drawn = new Float64Array(app.samples);
    this.counts = new Float64Array(nidSpan);
    this.computeNs = spec.computeNs;
    this.mlp = spec.mlp;
    this.slotOfNode = new Int32Array(nidSpan);
  }

  /**
   * Operations per ns the thread runs at now: its last quantum's, or before it has finished
   * one, one operation per opNs.
   */
  rateNow(): number {
    const done = this.quanta;
    if (done === 0) return 1 / this.opNs;
    const q = this.app.quantumNs;
    const start = this.startNs + (done - 1) * q;
    return this.opsLog[done - 1] / (Math.min(start + q, this.endNs) - start);
  }

  /** Quanta done. */
  get quantaDone(): number {
    return this.quanta;
  }

  /** Operations of quantum `i`, one of those done. */
  opsIn(i: number): number {
    return this.opsLog[i];
  }

  /** A hint fault on one of this thread's accesses begins at `ns`; returns its key for faultDone. */
  faultBegins(ns: number): object {
    const key = {};
    this.faultLog.begin(key, ns);
    return key;
  }

  /** The hint fault `key` is over at `ns`: the thread resumes, its access done. */
  faultDone(key: object, ns: number): void {
    const d = this.kernelDone(key, ns);
    this.hintFaults++;
    this.hintFaultNs += d;
    this.addLatency(d + this.opNs, 1);
  }

  /**
   * Kernel work in the thread's context that began with faultBegins() (a fault, or task_work
   * such as task_numa_work()'s scan) is over at `ns`; returns how long it took.
   */
  kernelDone(key: object, ns: number): number {
    return this.faultLog.end(key, ns);
  }

  /**
   * A migration unmapped `u.folio` at `ns`, which takes `share` of the thread's accesses (its
   * pattern's share of the folio): draw the running time until this thread's next access to
   * it, from its access rate to the folio.
   */
  unmapped(u: FolioUnmap, share: number, ns: number): void {
    const rate = share / this.opNs;
    if (!(rate > 0)) return;
    this.stallLog.unmapped(u, ns, -Math.log(1 - this.rng.next()) / rate);
  }

  /** `u.folio` was mapped again at `ns`: a wait on it ends. */
  remapped(u: FolioUnmap, ns: number): void {
    this.stallLog.remapped(u, ns);
  }

  /** The thread waited on `folio`'s migration entry from `from` to `to`. */
  private waited(folio: Folio, from: number, to: number): void {
    this.stalls++;
    if (this.track >= 0) {
      this.app.k.timeline.slice(this.track, "migration_entry_wait", from, to, {
        pfn: folio.pfn,
        pages: folio.nrPages,
      });
    }
    // The access that waited took the wait plus its own latency.
    this.addLatency(to - from + this.opNs, 1);
  }

  /**
   * Bytes mode: the sampled access to the region's page `page`, which the region's node map
   * puts on `nid`, goes through the page table: the entry must be there, on that node (else
   * the map missed a migration), and a mapped page holds its own bytes. A page that is mapped
   * is never mid-copy (a migration maps the destination only once it is copied), so a wrong
   * byte here is a migration bug, reported at once. A sampled write stores the page's own
   * bytes again, so the page stays verifiable while the write really goes to the frame the
   * page table maps.
   */
  private touch(page: number, nid: number): void {
    const k = this.app.k;
    const contents = k.phys.contents;
    if (contents === null) return;
    const mm = this.app.task.mm as NonNullable<Task["mm"]>;
    const addr = this.region.start + page * PAGE_SIZE;
    const e = mm.entryAt(addr);
    if (e.kind === "none") throw new Error(`AppThread: page ${page} of its region is not mapped`);
    if (k.phys.nidOf(e.pfn) !== nid) {
      throw new Error(
        `AppThread: page ${page} of its region is on node ${k.phys.nidOf(e.pfn)}, its node map says ${nid}`,
      );
    }
    if (e.kind !== "present") return;
    const key = pageKey(this.app.seed, mm.id, addr / PAGE_SIZE);
    this.pagesRead++;
    if (!contents.checkPage(e.pfn, key)) {
      throw new RunFailure(
        `a thread on CPU ${this.cpu} read page 0x${addr.toString(16)} (pfn ${e.pfn}) and found other bytes`,
      );
    }
    if (this.writes > 0 && this.writeRng.bool(this.writes)) {
      this.pagesWritten++;
      contents.fillPage(e.pfn, key);
    }
  }

  private addLatency(ns: number, weight: number): void {
    this.latency[latencyBucket(ns)] += weight;
  }

  /** The thread runs from now until `endNs`, in `quanta` quanta. */
  plan(endNs: number, quanta: number): void {
    this.startNs = this.app.k.sim.now;
    this.endNs = endNs;
    this.stallLog.stopAt(endNs);
    this.opsLog = new Float64Array(quanta);
  }

  /** The thread starts running now: its CPU time counts from here. */
  started(): void {
    const sched = this.app.k.sched;
    this.cpuMark = sched.cpuTimeNs(this.se);
    this.kernelMark = sched.kernelCpuNs(this.cpu);
  }

  /**
   * Quantum [t, t + len) begins priced as the last one was (neither the node mix nor the paths'
   * loads changed): only count its samples.
   */
  repeatQuantum(): void {
    const counts = this.counts;
    for (let n = 0; n < counts.length; n++)
      if (counts[n] !== 0) this.accessesByNode[n] += counts[n];
  }

  /**
   * Quantum [t, t + len) begins, its node mix sampled (`sampleNodes`) and its paths' loads
   * solved (PathLoads): price the mix at its paths' latencies (`latNs`, per slot) and add the
   * quantum's traffic, a cache line per access, to its paths' `want` (bytes).
   */
  beginQuantum(len: number, latNs: Float64Array, want: Float64Array): void {
    const counts = this.counts;
    const slots = this.slotOfNode;
    const samples = this.app.samples;
    let latSum = 0;
    for (let n = 0; n < counts.length; n++) {
      const c = counts[n];
      if (c === 0) continue;
      this.accessesByNode[n] += c;
      latSum += latNs[slots[n]] * c;
    }
    this.meanLatNs = latSum / samples;
    this.opNs = this.computeNs + this.meanLatNs / this.mlp;
    const bytesPerSample = ((len / this.opNs) * ACCESS_BYTES) / samples;
    for (let n = 0; n < counts.length; n++) {
      const c = counts[n];
      if (c !== 0) want[slots[n]] += bytesPerSample * c;
    }
  }

  /**
   * The node mix of the quantum beginning at `t` into `counts`, scaled to the quantum's samples:
   * that of every sample drawn since the region's pages or the pattern's shares last changed
   * (a mix that has not changed is only estimated better by more samples, which stop at
   * MIX_QUANTA quanta's worth). A sequential stream's mix moves with its cursor: drawn afresh.
   * Bytes mode reads the quantum's samples' pages, or pages drawn from a stream of their own
   * when the mix is not drawn, so checking bytes does not change the figures. Returns whether
   * the counts may have changed.
   */
  sampleNodes(t: number): boolean {
    const counts = this.counts;
    const mix = this.mix;
    const samples = this.app.samples;
    const region = this.region;
    const period = this.pattern.periodNs;
    const epoch = period === undefined ? 0 : Math.floor(t / period);
    if (this.drifts || region.version !== this.mixVersion || epoch !== this.mixEpoch) {
      // Loops, not fill(): a few nodes, every quantum of every thread (fill's call costs more).
      for (let n = 0; n < mix.length; n++) mix[n] = 0;
      this.mixSamples = 0;
      this.mixVersion = region.version;
      this.mixEpoch = epoch;
    }
    const bytesMode = this.app.k.phys.contents !== null;
    const drawn = this.drawn;
    const drawing = this.mixSamples < MIX_QUANTA * samples;
    if (drawing) {
      for (let n = 0; n < counts.length; n++) counts[n] = 0;
      this.pattern.fill(this.rng, t, drawn);
      region.countNodes(drawn, counts);
      for (let n = 0; n < counts.length; n++) mix[n] += counts[n];
      this.mixSamples += samples;
    } else if (bytesMode) {
      this.pattern.fill(this.touchRng, t, drawn);
    }
    if (bytesMode)
      for (let i = 0; i < samples; i++) this.touch(drawn[i], region.nidOfPage(drawn[i]));
    if (!drawing) return false;
    const scale = samples / this.mixSamples;
    for (let n = 0; n < counts.length; n++) counts[n] = mix[n] * scale;
    return true;
  }

  /**
   * Quantum [t, t + len) is over, its paths having delivered `delivered` (per slot, the share of
   * the traffic wanted): count the operations of the time the thread ran, or of the bytes it
   * got, whichever binds, at the latencies it began with (their histogram buckets `buckets`,
   * per slot).
   */
  endQuantum(t: number, len: number, delivered: Float64Array, buckets: Int32Array): void {
    const sched = this.app.k.sched;
    const stalled = this.stallLog.within(t, t + len);
    this.stallNs += stalled;
    const faulted = this.faultLog.within(t, t + len);
    // The CPU time the scheduler gave the thread, and its weight's share of what kernel work
    // took from the CPU's steady tasks (application threads and the busy machine's load).
    const times = this.times;
    sched.cpuTimes(this.se, times);
    const cpuNow = times[0];
    const kernelNow = times[1];
    const cpu = cpuNow - this.cpuMark;
    this.schedCpuNs += cpu;
    if (kernelNow !== this.kernelMark) {
      this.cpuLostNs += ((kernelNow - this.kernelMark) * this.se.weight) / sched.userLoad(this.cpu);
    }
    this.cpuMark = cpuNow;
    this.kernelMark = kernelNow;
    const running = cpu * (1 - Math.min(len, stalled + faulted) / len);
    this.cpuNs += running;
    // The share of its traffic the thread got: its samples' paths' shares.
    const counts = this.counts;
    const slots = this.slotOfNode;
    const samples = this.app.samples;
    let got = 0;
    for (let n = 0; n < counts.length; n++) {
      if (counts[n] !== 0) got += counts[n] * delivered[slots[n]];
    }
    got /= samples;
    // Whichever binds: the time it ran, or the bytes the memory system delivered it.
    const ops = Math.min(running, len * got) / this.opNs;
    if (len * got < running) this.bandwidthBoundNs += len;
    this.accessNsOps += this.meanLatNs * ops;
    this.ops += ops;
    this.opsLog[this.quanta++] = ops;
    for (let n = 0; n < counts.length; n++) {
      if (counts[n] !== 0) this.latency[buckets[slots[n]]] += (ops * counts[n]) / samples;
    }
  }
}

export class App {
  /** The process's name (AppSpec.name). */
  readonly name: string;
  readonly task: Task;
  readonly regions: AppRegion[];
  readonly threads: AppThread[];
  readonly quantumNs: number;
  readonly samples: number;
  /** Give it to the migrating task's Exec (folioEvents) so the threads feel the migration. */
  readonly watcher: FolioEvents;

  /** The seed of the pages' contents in bytes mode (pageKey), and of the access bits' draws. */
  readonly seed: number;
  /** Each region's fault-in: the node of the thread that first touches it. */
  private readonly faults: RegionFault[] = [];
  private readonly byRegion = new Map<AppRegion, AppThread[]>();
  /**
   * The machine's folios migrated before the regions were faulted in: more at the start, and
   * some may have been the regions' own, unreported.
   */
  private readonly migratedMark: number;
  /**
   * The threads' read paths, one slot per (CCD, node): every thread of a CCD reads a node over
   * the same resources at the same idle latency, so their traffic to it is one flow.
   */
  private readonly slotPaths: Resource[][] = [];
  private readonly slotCpu: number[] = [];
  private readonly slotNid: number[] = [];
  /**
   * Each slot's idle latency (NaN until first needed: a node nobody touches needs none) and
   * its curve's queueing term.
   */
  private readonly slotIdleNs: Float64Array;
  /** The paths' loads for each quantum, solved for their fixed point. */
  private readonly loads: PathLoads;

  constructor(
    readonly k: Kernel,
    spec: AppSpec,
    rng: Rng,
  ) {
    if (spec.threads.length === 0) throw new RangeError("App: no threads");
    this.name = spec.name ?? "app";
    this.seed = rng.fork("contents").int(2 ** 31);
    this.quantumNs = spec.quantumNs ?? DEFAULT_QUANTUM_NS;
    this.samples = spec.samplesPerQuantum ?? DEFAULT_SAMPLES;
    this.task = k.spawnProcess(spec.threads[0].cpu);
    const pol = spec.mempolicy;
    this.task.mempolicy = pol === undefined || pol.mode === MPOL_DEFAULT ? null : pol;
    this.migratedMark = migratedTotal(k);
    const nids = k.profile.topology.nodes.map((n) => n.id);
    const nidSpan = Math.max(...nids) + 1;
    if (nidSpan > SPLIT)
      throw new RangeError(`App: node ids up to ${SPLIT - 1}, got ${nidSpan - 1}`);
    const mm = this.task.mm;
    if (mm === null) throw new Error("App: spawned without an mm");
    k.copyFlows = true;
    // Each thread's task wakes on its CPU now, so the next one's placement sees it busy.
    const tasks = spec.threads.map((t, i) => {
      const cpu = t.cpus === undefined ? t.cpu : k.sched.selectIdleSibling(t.cpus, t.cpu);
      const se = k.sched.addTask({
        name: `pid ${this.task.pid} thread ${i}`,
        kind: "app",
        cpu,
        nice: t.nice,
        cgroup: spec.cgroup,
      });
      k.sched.wake(se);
      mm.cpuMask.add(cpu);
      return se;
    });
    this.regions = spec.regions.map((r, i) => {
      const vma = mm.mmap(r.bytes, VM_READ | VM_WRITE);
      vma.policy = r.policy.mode === MPOL_DEFAULT ? null : r.policy;
      const user = spec.threads.find((t) => t.region === i);
      const region = new AppRegion(vma, r.folioSizeBytes);
      const localNid = k.profile.nodeOfCpu(
        tasks[user === undefined ? 0 : spec.threads.indexOf(user)].cpu,
      );
      this.faults.push({ region, localNid });
      return region;
    });
    if (!spec.faultLater) {
      for (const r of this.faults) {
        // At boot, before the run: the buddy allocator only, no compaction.
        const gen = faultIn(k, this.task, r, this.seed, null);
        if (!gen.next().done) throw new Error("App: a boot-time fault-in waited");
      }
    }
    this.threads = spec.threads.map((t, i) => {
      const region = this.regions[t.region];
      if (region === undefined)
        throw new RangeError(`App: thread ${i} uses region ${t.region}, which does not exist`);
      return new AppThread(
        this,
        t,
        tasks[i],
        region,
        makePattern(t.pattern, region.pages),
        rng.fork(`thread${i}`),
        `${this.name} thread ${i}`,
        nidSpan,
        i,
      );
    });
    const slotOf = new Map<number, number>();
    for (const t of this.threads) {
      const ccd = k.profile.ccdOfCpu(t.cpu);
      t.slotOfNode.fill(-1);
      for (const nid of nids) {
        const key = ccd * nidSpan + nid;
        let slot = slotOf.get(key);
        if (slot === undefined) {
          slot = this.slotPaths.length;
          slotOf.set(key, slot);
          this.slotPaths.push(readPath(k.fabric, t.cpu, nid));
          this.slotCpu.push(t.cpu);
          this.slotNid.push(nid);
        }
        t.slotOfNode[nid] = slot;
      }
    }
    const nSlots = this.slotPaths.length;
    this.slotIdleNs = new Float64Array(nSlots).fill(Number.NaN);
    this.loads = new PathLoads(
      this.slotPaths,
      this.threads,
      this.slotNid,
      (slot) => this.idleLatencyNs(slot),
      Float64Array.from(this.slotNid, (nid) => queueingNs(k.profile, nid)),
      this.samples,
    );
    const regionOf = (folio: Folio): AppRegion | undefined =>
      this.regions.find((r) => r.pageOf(folio) >= 0);
    // Set below: the threads' accesses; unmapped() asks it the threads' shares of a folio.
    let accesses: AppAccesses;
    const shares = new Float64Array(this.threads.length);
    const threadsOf = (region: AppRegion) => this.threadsOf(region);
    // The kernel's policies tell every application of every folio they migrate, and another
    // process's region may sit at the same addresses: a folio is this one's when this page
    // table holds its migration entry. Those unmapped and not mapped again yet, and what the
    // threads were told:
    const unmappedHere = new Map<Folio, FolioUnmap>();
    const nThreads = this.threads.length;
    this.watcher = {
      unmapped: (folio, ns) => {
        const region = regionOf(folio);
        if (region === undefined) return;
        const e = mm.entryAt(folio.index * PAGE_SIZE);
        if (e.kind !== "migration" || e.pfn !== folio.pfn) return;
        const u: FolioUnmap = {
          folio,
          next: new Array(nThreads),
          // A plain array: a typed array per unmap costs more to make than it saves.
          draws: new Array<number>(nThreads),
          unmapNs: Number.NaN,
        };
        unmappedHere.set(folio, u);
        const first = region.pageOf(folio);
        accesses.threadShares(this.regions.indexOf(region), first, folio.nrPages, ns, shares);
        const ts = threadsOf(region);
        for (let j = 0; j < ts.length; j++) ts[j].unmapped(u, shares[j], ns);
      },
      remapped: (folio, ns) => {
        const region = regionOf(folio);
        if (region === undefined) return;
        const u = unmappedHere.get(folio);
        if (u === undefined) return;
        unmappedHere.delete(folio);
        // The source folio's pages are mapped again, at the destination's frames (or at its
        // own, when the migration failed).
        const e = mm.entryAt(folio.index * PAGE_SIZE);
        if (e.kind === "present") {
          const first = region.pageOf(folio);
          if (region.nidOfPage(first) !== folio.nid) {
            throw new Error(
              `App: page ${first} of a region was on node ${folio.nid}, its node map says ${region.nidOfPage(first)} (a migration it was not told of)`,
            );
          }
          region.place(first, folio.nrPages, k.phys.nidOf(e.pfn));
        }
        for (const t of threadsOf(region)) t.remapped(u, ns);
      },
    };
    // The threads' accesses set the accessed and dirty bits, and fault on PROT_NONE entries.
    accesses = new AppAccesses(this);
    mm.access = accesses;
  }

  /** The threads that use `region`. */
  threadsOf(region: AppRegion): AppThread[] {
    let ts = this.byRegion.get(region);
    if (ts === undefined) {
      ts = this.threads.filter((t) => t.region === region);
      this.byRegion.set(region, ts);
    }
    return ts;
  }

  /**
   * Bytes mode, after the run: every page of every region mapped (no migration entry left),
   * on the node its page table says, holding its own bytes. Returns the pages checked; throws
   * RunFailure naming the first bad page.
   */
  verify(): number {
    const contents = this.k.phys.contents;
    const mm = this.task.mm;
    if (contents === null || mm === null) throw new Error("App.verify needs bytes mode");
    let pages = 0;
    for (const region of this.regions) {
      for (let addr = region.start; addr < region.end; addr += PAGE_SIZE) {
        const e = mm.entryAt(addr);
        if (e.kind !== "present")
          throw new RunFailure(
            `page at 0x${addr.toString(16)} is not mapped (${e.kind}) after the run`,
          );
        if (!contents.checkPage(e.pfn, pageKey(this.seed, mm.id, addr / PAGE_SIZE))) {
          throw new RunFailure(
            `page at 0x${addr.toString(16)} (pfn ${e.pfn}, node ${this.k.phys.nidOf(e.pfn)}) lost its contents`,
          );
        }
        pages++;
      }
    }
    return pages;
  }

  /**
   * Fault every region in now (AppSpec.faultLater), as `late` allocates: the threads start
   * after, and the first of them, which faults, spends the time it takes.
   */
  *faultInLater(late: LateFault): Generator<Yieldable, void, unknown> {
    for (const r of this.faults) yield* faultIn(this.k, this.task, r, this.seed, late);
  }

  /** Start every thread; they run until `endNs` of virtual time, in lockstep, in the process returned. */
  start(endNs: number): Process<void> {
    // The watchers hear of every migration from here on; before, only this one's own movers.
    if (migratedTotal(this.k) !== this.migratedMark) {
      const mm = this.task.mm as NonNullable<Task["mm"]>;
      for (const r of this.regions) r.resync(mm, this.k.phys);
    }
    // Counted as `run` steps through them, float sums and all.
    let quanta = 0;
    for (let t = this.k.sim.now; t < endNs; t += Math.min(this.quantumNs, endNs - t)) quanta++;
    for (const t of this.threads) t.plan(endNs, quanta);
    return this.k.sim.spawn(this.run(endNs), `app ${this.name}`);
  }

  /** The idle latency of an access over slot `slot`'s path, ns. */
  private idleLatencyNs(slot: number): number {
    let idle = this.slotIdleNs[slot];
    if (Number.isNaN(idle)) {
      idle = accessLatencyNs(this.k.profile, this.slotCpu[slot], this.slotNid[slot]);
      this.slotIdleNs[slot] = idle;
    }
    return idle;
  }

  /**
   * The threads' lives from now until `endNs`, quantum by quantum. Each path's traffic is one
   * stream for the whole run, re-capped at each quantum's edge. At an edge, in one batch of
   * the flow network (so the loads read in it are those of the quantum that ends): the ending
   * quantum's threads count their operations from what their paths delivered, then the next
   * one's threads sample, the paths' loads are solved for their fixed point with what else
   * crosses them, and their streams take the new demand.
   */
  private *run(endNs: number): Generator<number, void, unknown> {
    const k = this.k;
    const net = k.net;
    const q = this.quantumNs;
    const threads = this.threads;
    // Indexed loops in the edge: it runs every quantum, over every thread.
    const nThreads = threads.length;
    const nSlots = this.slotPaths.length;
    const want = new Float64Array(nSlots);
    const delivered = new Float64Array(nSlots);
    /** The latency histogram's bucket of each slot's latency in the quantum. */
    const buckets = new Int32Array(nSlots);
    const loads = this.loads;
    /** Each path's stream, and what it had sent when the quantum began. */
    const streams: (Flow | null)[] = new Array(nSlots).fill(null);
    const sentBefore = new Float64Array(nSlots);
    for (const t of threads) t.started();
    let t = k.sim.now;
    let len = 0;
    const edge = () => {
      if (len > 0) {
        for (let s = 0; s < nSlots; s++) {
          const f = streams[s];
          if (f === null) continue;
          const total = net.sent(f);
          const sent = total - sentBefore[s];
          sentBefore[s] = total;
          delivered[s] = sent >= want[s] * (1 - DELIVERED_REL_EPS) ? 1 : sent / want[s];
        }
        for (let i = 0; i < nThreads; i++) threads[i].endQuantum(t - len, len, delivered, buckets);
      }
      if (t >= endNs) {
        for (const f of streams) if (f !== null) net.stop(f);
        return;
      }
      let mixed = false;
      for (let i = 0; i < nThreads; i++) mixed = threads[i].sampleNodes(t) || mixed;
      const lenWas = len;
      len = Math.min(q, endNs - t);
      if (!loads.solve(streams, mixed) && len === lenWas) {
        for (let i = 0; i < nThreads; i++) threads[i].repeatQuantum();
      } else {
        const latNs = loads.latNs;
        for (let s = 0; s < nSlots; s++)
          if (loads.users[s] > 0) buckets[s] = latencyBucket(latNs[s]);
        want.fill(0);
        for (let i = 0; i < nThreads; i++) threads[i].beginQuantum(len, latNs, want);
      }
      const users = loads.users;
      for (let s = 0; s < nSlots; s++) {
        const f = streams[s];
        if (want[s] === 0) {
          if (f !== null) net.stop(f);
          streams[s] = null;
        } else if (f === null) {
          const opts = { maxRate: want[s] / len, weight: users[s] };
          streams[s] = net.start(Number.POSITIVE_INFINITY, this.slotPaths[s], opts);
          sentBefore[s] = 0;
        } else {
          net.setMaxRate(f, want[s] / len, users[s]);
        }
      }
    };
    for (;;) {
      net.batch(edge);
      if (t >= endNs) break;
      yield len;
      t += len;
    }
    for (const th of threads) k.sched.block(th.se);
  }
}

/** Folios the machine has migrated so far, for every reason. */
function migratedTotal(k: Kernel): number {
  let n = 0;
  for (let r = 0; r < k.migratedFolios.length; r++) n += k.migratedFolios[r];
  return n;
}

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
 * Migration stalls are exact in expectation rather than sampled. When a migration unmaps a
 * folio (its PTEs become migration entries), each thread that touches the folio draws when it
 * would next access it, from its access rate to the folio (its pattern's share of the folio
 * over its time per operation, a Poisson process); if that comes before the folio is mapped
 * again the thread waits in migration_entry_wait() from then until the remap, and runs no
 * operation meanwhile. The migration reports unmaps and remaps through `watcher`, which the
 * migrating task's Exec carries (Exec.folioEvents), at the task's own times.
 *
 * A thread is always runnable on its CPU. CFS shares a CPU equally among what is runnable on
 * it: the threads pinned there and, while they run, kernel work (mtcopy's copy threads, a
 * migrating task), which is slowed by the same share (Kernel.runnableOn). A thread counts the
 * CPU time it lost that way.
 *
 * Simplifications (docs/model.md): latency does not rise with load, and application traffic
 * takes no bandwidth from migration copies (no flows); no scheduler beyond that equal share (no
 * weights, wakeups or load balancing); regions are faulted
 * in whole when the application starts, by the first thread that uses them, under their
 * policy; no access sets accessed or dirty bits yet.
 */
import { RunFailure } from "../../errors.js";
import { readPath } from "../../machine/fabric.js";
import type { LoadedProfile } from "../../machine/profile.js";
import type { FolioEvents } from "../../migrate/exec.js";
import type { Kernel } from "../../migrate/kernel.js";
import { type Folio, PAGE_SIZE } from "../../mm/folio.js";
import { interleaveIndex, type Mempolicy, policyNodes } from "../../mm/mempolicy.js";
import type { Task } from "../../mm/task.js";
import { VM_READ, VM_WRITE, type Vma } from "../../mm/vm.js";
import { BusyLog } from "../../sim/busy-log.js";
import type { Flow, Resource } from "../../sim/flows.js";
import type { Rng } from "../../sim/rng.js";
import type { Process } from "../../sim/simulator.js";
import { pageKey } from "../region.js";
import { type AccessPattern, makePattern, type PatternSpec } from "./patterns.js";

export interface AppRegionSpec {
  bytes: number;
  folioSizeBytes: number;
  policy: Mempolicy;
}

export interface AppThreadSpec {
  cpu: number;
  /** Index into AppSpec.regions. */
  region: number;
  pattern: PatternSpec;
  /** CPU time between two memory accesses, ns. */
  computeNs: number;
  /** Memory-level parallelism: accesses the thread has in flight at once (1: each depends on the last). */
  mlp: number;
}

export interface AppSpec {
  regions: AppRegionSpec[];
  threads: AppThreadSpec[];
  /** Length of a thread's accounting step, ns. */
  quantumNs?: number;
  /** Pages sampled per quantum for the node mix. */
  samplesPerQuantum?: number;
}

export const DEFAULT_QUANTUM_NS = 100_000;
export const DEFAULT_SAMPLES = 16;
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
  const base = node.kind === "cxl" ? m.cxlLatencyNs : m.dramLatencyNs;
  if (base === undefined)
    throw new RunFailure(`profile ${profile.name}: no memory.cxlLatencyNs for CXL node ${nid}`);
  return base + (profile.socketOfCpu(cpu) === node.socket ? 0 : m.socketHopNs);
}

/** Bytes an access moves: one cache line (reads only; a write's line is read in first). */
export const ACCESS_BYTES = 64;

/** The busiest resource's utilisation on `path` (used over capacity), below 1. */
function utilisation(path: readonly Resource[]): number {
  let u = 0;
  for (const r of path) u = Math.max(u, r.used / r.capacity);
  return Math.min(u, MAX_UTILISATION);
}

/** Past this the queueing term would grow without bound; a saturated memory is held here. */
const MAX_UTILISATION = 0.95;

/**
 * The latency of an access from `cpu` to `nid` at utilisation `u` of its path: the idle
 * latency plus memory.queueingNs * u / (1 - u), the shape of a loaded-latency curve.
 */
export function loadedLatencyNs(
  profile: LoadedProfile,
  cpu: number,
  nid: number,
  u: number,
): number {
  const q = profile.memory?.queueingNs ?? 0;
  return accessLatencyNs(profile, cpu, nid) + (q * u) / (1 - u);
}

export class AppRegion {
  readonly pages: number;
  readonly order: number;
  /** Bytes of the region on each node, kept as migrations move its folios. */
  readonly bytesByNode = new Map<number, number>();

  constructor(
    readonly vma: Vma,
    readonly folioSizeBytes: number,
  ) {
    this.pages = (vma.end - vma.start) / PAGE_SIZE;
    this.order = Math.log2(folioSizeBytes / PAGE_SIZE);
  }

  /** `bytes` more (or fewer) of the region on `nid`. */
  account(nid: number, bytes: number): void {
    this.bytesByNode.set(nid, (this.bytesByNode.get(nid) ?? 0) + bytes);
  }

  /** The region's page index of `folio`'s first page, or -1 when the folio is not in it. */
  pageOf(folio: Folio): number {
    const addr = folio.index * PAGE_SIZE;
    return addr >= this.vma.start && addr < this.vma.end ? (addr - this.vma.start) / PAGE_SIZE : -1;
  }
}

/** A stall that began and has not ended: the folio is still unmapped. */
interface OpenStall {
  startNs: number;
}

export class AppThread {
  /** Operations done (fractional: a quantum's running time over its mean time per operation). */
  ops = 0;
  /** Time in migration_entry_wait(), ns, and the waits. */
  stallNs = 0;
  stalls = 0;
  /** CPU time the thread lost to kernel work on its CPU (copy threads, migrating tasks), ns. */
  cpuLostNs = 0;
  /** Time in quanta where the memory system, not the thread's time, bound its operations. */
  bandwidthBoundNs = 0;
  /** Sum of each quantum's mean access latency times its operations (for the mean). */
  accessNsOps = 0;
  private readonly busyCursor = { at: 0 };
  /** The thread's read path to each node, built once: its CPU does not change. */
  private readonly paths = new Map<number, Resource[]>();
  /** Operations per quantum, in order: the thread's throughput over time. */
  readonly opsPerQuantum: number[] = [];
  /** log2 buckets of access latency, ns, counting operations (stalled accesses included). */
  readonly latency = new Float64Array(LATENCY_BUCKETS);
  /** Bytes mode: sampled accesses whose page bytes the thread checked. */
  pagesRead = 0;
  /** Sampled accesses by node. */
  readonly accessesByNode = new Map<number, number>();
  /** Mean time of one operation in the last quantum, ns: sets the access rate for stalls. */
  opNs: number;
  private readonly open = new Map<Folio, OpenStall>();
  /** Ended stalls not yet counted against a quantum, as [start, end] pairs. */
  private ended: number[] = [];

  constructor(
    readonly app: App,
    readonly spec: AppThreadSpec,
    readonly region: AppRegion,
    readonly pattern: AccessPattern,
    readonly rng: Rng,
  ) {
    const local = app.k.profile.nodeOfCpu(spec.cpu);
    this.opNs = spec.computeNs + accessLatencyNs(app.k.profile, spec.cpu, local) / spec.mlp;
  }

  /** A migration unmapped `folio` at `ns`: draw when this thread would next touch it. */
  unmapped(folio: Folio, first: number, ns: number): void {
    const rate = this.pattern.share(first, folio.nrPages, ns) / this.opNs;
    if (!(rate > 0)) return;
    const wait = -Math.log(1 - this.rng.next()) / rate;
    this.open.set(folio, { startNs: ns + wait });
  }

  /** `folio` was mapped again at `ns`: a stall that had begun by then ends. */
  remapped(folio: Folio, ns: number): void {
    const s = this.open.get(folio);
    if (s === undefined) return;
    this.open.delete(folio);
    if (s.startNs >= ns) return;
    this.ended.push(s.startNs, ns);
    this.stalls++;
    // The access that waited took the wait plus its own latency.
    this.addLatency(ns - s.startNs + this.opNs, 1);
  }

  /**
   * Bytes mode: the sampled access reads the page and finds its own bytes. A page that is
   * mapped is never mid-copy (a migration maps the destination only once it is copied), so a
   * wrong byte here is a migration bug, reported at once.
   */
  private read(addr: number, pfn: number): void {
    const contents = this.app.k.phys.contents;
    if (contents === null) return;
    this.pagesRead++;
    const mm = this.app.task.mm as NonNullable<Task["mm"]>;
    if (!contents.checkPage(pfn, pageKey(this.app.seed, mm.id, addr / PAGE_SIZE))) {
      throw new RunFailure(
        `a thread on CPU ${this.spec.cpu} read page 0x${addr.toString(16)} (pfn ${pfn}) and found other bytes`,
      );
    }
  }

  private addLatency(ns: number, weight: number): void {
    const b = Math.min(LATENCY_BUCKETS - 1, Math.max(0, Math.floor(Math.log2(Math.max(1, ns)))));
    this.latency[b] += weight;
  }

  /** Time of [from, to) spent stalled, from ended stalls and open ones that have begun. */
  private stalledIn(from: number, to: number): number {
    let ns = 0;
    const keep: number[] = [];
    for (let i = 0; i < this.ended.length; i += 2) {
      const a = this.ended[i];
      const b = this.ended[i + 1];
      ns += Math.max(0, Math.min(b, to) - Math.max(a, from));
      if (b > to) keep.push(a, b);
    }
    this.ended = keep;
    // An open stall lasts at least until now: its folio is not mapped again yet.
    for (const s of this.open.values()) ns += Math.max(0, to - Math.max(s.startNs, from));
    return Math.min(ns, to - from);
  }

  private pathTo(nid: number): Resource[] {
    let path = this.paths.get(nid);
    if (path === undefined) {
      path = readPath(this.app.k.fabric, this.spec.cpu, nid);
      this.paths.set(nid, path);
    }
    return path;
  }

  /** The thread's life from now until `endNs`. */
  *run(endNs: number): Generator<number, void, unknown> {
    const k = this.app.k;
    const q = this.app.quantumNs;
    const samples = this.app.samples;
    const mm = this.app.task.mm;
    if (mm === null) throw new Error("AppThread: the process has no mm");
    let t = k.sim.now;
    while (t < endNs) {
      const len = Math.min(q, endNs - t);
      // The node mix at the quantum's start; a page under migration counts at its source node.
      const perNode = new Map<number, number>();
      for (let i = 0; i < samples; i++) {
        const page = this.pattern.next(this.rng, t);
        const addr = this.region.vma.start + page * PAGE_SIZE;
        const e = mm.entryAt(addr);
        if (e.kind === "none")
          throw new Error(`AppThread: page ${page} of its region is not mapped`);
        const nid = k.phys.nidOf(e.pfn);
        if (e.kind === "present") this.read(addr, e.pfn);
        perNode.set(nid, (perNode.get(nid) ?? 0) + 1);
        this.accessesByNode.set(nid, (this.accessesByNode.get(nid) ?? 0) + 1);
      }
      // Each node's latency as loaded now (by every flow on its path, migration copies too).
      const lats: [number, number][] = [];
      let latSum = 0;
      for (const [nid, count] of perNode) {
        const path = this.pathTo(nid);
        const lat = loadedLatencyNs(k.profile, this.spec.cpu, nid, utilisation(path));
        lats.push([lat, count]);
        latSum += lat * count;
      }
      this.opNs = this.spec.computeNs + latSum / samples / this.spec.mlp;
      // The quantum's traffic, a cache line per access, as flows it shares with everything else.
      const wantBytes = (len / this.opNs) * ACCESS_BYTES;
      const flows: Flow[] = [];
      for (const [nid, count] of perNode) {
        const share = count / samples;
        flows.push(
          k.net.start(wantBytes * share, this.pathTo(nid), {
            maxRate: (wantBytes * share) / len,
          }),
        );
      }
      yield len;
      let delivered = 0;
      for (const f of flows) delivered += k.net.stop(f);
      const stalled = this.stalledIn(t, t + len);
      this.stallNs += stalled;
      // CFS shares the CPU equally among what is runnable on it: the threads pinned there, the
      // busy machine's always-runnable tasks (cpuLoad), and kernel work while it runs (ov).
      const n = k.pinnedOn(this.spec.cpu) + k.cpuLoad;
      const ov = Math.min(len, k.cpuBusy?.overlap(this.spec.cpu, t, t + len, this.busyCursor) ?? 0);
      const cpu = (len - ov) / n + ov / (n + 1);
      this.cpuLostNs += ov / n - ov / (n + 1);
      const running = cpu * (1 - stalled / len);
      // Whichever binds: the time it ran, or the bytes the memory system delivered it.
      const ops = Math.min(running / this.opNs, delivered / ACCESS_BYTES);
      if (delivered / ACCESS_BYTES < running / this.opNs) this.bandwidthBoundNs += len;
      this.accessNsOps += (latSum / samples) * ops;
      this.ops += ops;
      this.opsPerQuantum.push(ops);
      for (const [lat, count] of lats) this.addLatency(lat, (ops * count) / samples);
      t += len;
    }
  }
}

export class App {
  readonly task: Task;
  readonly regions: AppRegion[];
  readonly threads: AppThread[];
  readonly quantumNs: number;
  readonly samples: number;
  /** Give it to the migrating task's Exec (folioEvents) so the threads feel the migration. */
  readonly watcher: FolioEvents;

  /** The seed of the pages' contents in bytes mode (pageKey). */
  readonly seed: number;

  constructor(
    readonly k: Kernel,
    spec: AppSpec,
    rng: Rng,
  ) {
    if (spec.threads.length === 0) throw new RangeError("App: no threads");
    this.seed = rng.fork("contents").int(2 ** 31);
    this.quantumNs = spec.quantumNs ?? DEFAULT_QUANTUM_NS;
    this.samples = spec.samplesPerQuantum ?? DEFAULT_SAMPLES;
    this.task = k.spawnProcess(spec.threads[0].cpu);
    const mm = this.task.mm;
    if (mm === null) throw new Error("App: spawned without an mm");
    k.cpuBusy ??= new BusyLog();
    k.copyFlows = true;
    for (const t of spec.threads) {
      mm.cpuMask.add(t.cpu);
      k.pin(t.cpu);
    }
    this.regions = spec.regions.map((r, i) => {
      const vma = mm.mmap(r.bytes, VM_READ | VM_WRITE);
      const user = spec.threads.find((t) => t.region === i);
      const region = new AppRegion(vma, r.folioSizeBytes);
      faultIn(
        k,
        this.task,
        region,
        r.policy,
        k.profile.nodeOfCpu(user?.cpu ?? spec.threads[0].cpu),
        this.seed,
      );
      return region;
    });
    this.threads = spec.threads.map((t, i) => {
      const region = this.regions[t.region];
      if (region === undefined)
        throw new RangeError(`App: thread ${i} uses region ${t.region}, which does not exist`);
      return new AppThread(
        this,
        t,
        region,
        makePattern(t.pattern, region.pages),
        rng.fork(`thread${i}`),
      );
    });
    const regionOf = (folio: Folio): AppRegion | undefined =>
      this.regions.find((r) => r.pageOf(folio) >= 0);
    const threadsOf = (region: AppRegion) => this.threads.filter((t) => t.region === region);
    this.watcher = {
      unmapped: (folio, ns) => {
        const region = regionOf(folio);
        if (region === undefined) return;
        for (const t of threadsOf(region)) t.unmapped(folio, region.pageOf(folio), ns);
      },
      remapped: (folio, ns) => {
        const region = regionOf(folio);
        if (region === undefined) return;
        // The source folio's pages are mapped again, at the destination's frames.
        const e = mm.entryAt(folio.index * PAGE_SIZE);
        if (e.kind === "present") {
          region.account(folio.nid, -folio.sizeBytes);
          region.account(k.phys.nidOf(e.pfn), folio.sizeBytes);
        }
        for (const t of threadsOf(region)) t.remapped(folio, ns);
      },
    };
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
      for (let addr = region.vma.start; addr < region.vma.end; addr += PAGE_SIZE) {
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

  /** Start every thread; they run until `endNs` of virtual time. */
  start(endNs: number): Process<void>[] {
    return this.threads.map((t, i) => this.k.sim.spawn(t.run(endNs), `app thread ${i}`));
  }
}

/**
 * Fault in every folio of `region` under `policy`, as first touches from a CPU of `localNid`;
 * in bytes mode each page gets the bytes of (seed, mm, virtual page).
 */
function faultIn(
  k: Kernel,
  task: Task,
  region: AppRegion,
  policy: Mempolicy,
  localNid: number,
  seed: number,
): void {
  const mm = task.mm;
  if (mm === null) throw new Error("faultIn: no mm");
  const size = region.folioSizeBytes;
  for (let addr = region.vma.start; addr < region.vma.end; addr += size) {
    const ilx = interleaveIndex(region.vma, addr, region.order);
    let folio: Folio | null = null;
    for (const nid of policyNodes(k.profile, policy, localNid, ilx)) {
      folio = k.phys.allocFolio(nid, region.order);
      if (folio !== null) break;
    }
    if (folio === null) {
      throw new RunFailure(
        `out of memory: no node the policy allows has a free ${size}-byte folio for 0x${addr.toString(16)}`,
      );
    }
    mm.mapFolio(region.vma, addr, folio, { dirty: true });
    region.account(folio.nid, size);
    // Bytes mode: every page holds bytes of its own, for the threads' reads and the final check.
    const contents = k.phys.contents;
    if (contents !== null) {
      const vpn = addr / PAGE_SIZE;
      for (let j = 0; j < folio.nrPages; j++)
        contents.fillPage(folio.pfn + j, pageKey(seed, mm.id, vpn + j));
    }
  }
}

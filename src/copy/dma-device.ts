/**
 * DMA copy engines and the part of the dmaengine client API the dcbm migrators use.
 *
 * Device model (the profile's `dma` section): each engine (an AMD PTDMA; SDXI and Intel DSA
 * are described the same way) sits on one socket's IO die and is a shared-bandwidth resource
 * of `deviceGBps`, split into `channelsPerDevice` DMA_MEMCPY channels. A channel runs its
 * descriptors one after another: `descriptorNs` of engine time, then the bytes as a flow capped
 * at `channelGBps` from the source memory, over the socket link to the engine's socket if it
 * differs, through the engine, over the link to the destination's socket if it differs, into
 * the destination memory. A descriptor prepared with DMA_PREP_INTERRUPT raises an interrupt
 * when it is done, and only interrupts wake a waiter. A source page with hardware poison fails
 * the read of its descriptor; the channel carries on with the next one.
 *
 * API (the dmaengine call each stands for):
 *   DmaEngines.of(k)                   the kernel's engines, built once from its profile
 *   new DmaEngines(k, spec)            engines from an explicit `dma` section (none: no channel)
 *   engines.requestChannel()           dma_request_chan_by_mask(DMA_MEMCPY): the first free
 *                                      channel, engine by engine in profile order, or null
 *   chan.prepMemcpy(dst, src, n, fl)   dmaengine_prep_dma_memcpy + dmaengine_submit of n pages;
 *                                      false when either fails; chan.submitted counts them
 *   chan.issuePending()                dma_async_issue_pending
 *   yield* chan.waitInterrupts(n, ns)  wait_for_completion_timeout until the channel has raised
 *                                      n interrupts; false on timeout
 *   chan.interrupts                    interrupts raised so far in the transaction
 *   chan.descOk(i), chan.errors        the result of descriptor i; descriptors that failed
 *   chan.release()                     dmaengine_terminate_sync + dma_release_channel
 * Faults: "dma-desc-error" fails a prep or submit; "dma-timeout" makes an issued channel hang;
 * "worker-crash" fails a descriptor's transfer (in bytes mode its worker really crashes).
 *
 * In bytes mode each descriptor's bytes are really copied by a worker thread (host-copy.ts)
 * while the model moves them; a worker that fails makes the descriptor fail.
 *
 * On a recording timeline each channel is a track (`ptdma0 chan1`) with a slice per run of
 * descriptors: from when issue_pending starts an idle channel until it has done everything
 * issued.
 */

import type { CopyRange } from "../content/workers.js";
import type { MachineProfile } from "../machine/schema.js";
import type { MigGen } from "../migrate/core.js";
import type { Kernel } from "../migrate/kernel.js";
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, PAGE_SIZE } from "../mm/folio.js";
import type { PhysMem } from "../mm/phys.js";
import type { FlowOptions, Resource } from "../sim/flows.js";
import { type SimEvent, Timer, type Yieldable } from "../sim/simulator.js";
import { cancelHostCopy, finishHostCopy, type HostCopy, startHostCopy } from "./host-copy.js";

export type DmaSpec = NonNullable<MachineProfile["dma"]>;
export type DmaCpuCosts = DmaSpec["cpu"];
type DmaDeviceSpec = DmaSpec["devices"][number];

/** DMA_PREP_INTERRUPT: raise an interrupt (run the callback) when the descriptor completes. */
export const DMA_PREP_INTERRUPT = 1 << 0;

const DESC_OK = 1;
const DESC_ERROR = 2;
/** Descriptor slots a channel starts with; they double as needed. */
const INITIAL_SLOTS = 64;

/** The driver costs when there is no engine: never charged, since no channel can be had. */
const NO_CPU_COSTS: DmaCpuCosts = Object.freeze({
  channelSetupNs: 0,
  mapSegmentNs: 0,
  prepDescriptorNs: 0,
  interruptNs: 0,
});

/** `to` holding `from` at its start. */
function grown<T extends Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

export class DmaDevice {
  readonly channels: DmaChannel[] = [];
  /** The engine's bandwidth, shared by its channels. */
  readonly engine: Resource;
  readonly descriptorNs: number;
  readonly iommuPageNs: number;
  readonly maxSegmentBytes: number;
  /** Flow options of every copy: the channel's rate cap. */
  readonly flowOpts: FlowOptions;
  /**
   * flowOpts with coalesced starts, for the descriptors: a batch's channels start theirs at one
   * instant, so the flow network shares its bandwidth once for them all rather than once per
   * channel (the rates are the same).
   */
  readonly descriptorOpts: FlowOptions;
  /** Flow paths by source and destination node (srcNid * nodeCount + dstNid), built on use. */
  private readonly paths: (Resource[] | undefined)[] = [];

  constructor(
    private readonly k: Kernel,
    readonly name: string,
    readonly kind: DmaDeviceSpec["kind"],
    readonly socket: number,
    spec: DmaDeviceSpec,
  ) {
    this.engine = k.net.addResource(name, spec.deviceGBps);
    this.descriptorNs = spec.descriptorNs;
    this.iommuPageNs = spec.iommuPageNs;
    this.maxSegmentBytes = spec.maxSegmentBytes;
    this.flowOpts = { maxRate: spec.channelGBps };
    this.descriptorOpts = { ...this.flowOpts, coalesce: true };
  }

  /** The resources a copy by this engine from srcNid to dstNid crosses, in travel order. */
  path(srcNid: number, dstNid: number): readonly Resource[] {
    const { profile, fabric } = this.k;
    const key = srcNid * profile.nodeCount + dstNid;
    let p = this.paths[key];
    if (p === undefined) {
      const sockets = profile.topology.sockets;
      const srcSocket = profile.socketOfNode(srcNid);
      const dstSocket = profile.socketOfNode(dstNid);
      p = [fabric.mem[srcNid]];
      if (srcSocket !== this.socket) {
        p.push(fabric.interSocket[srcSocket * sockets + this.socket] as Resource);
      }
      p.push(this.engine);
      if (dstSocket !== this.socket) {
        p.push(fabric.interSocket[this.socket * sockets + dstSocket] as Resource);
      }
      p.push(fabric.mem[dstNid]);
      this.paths[key] = p;
    }
    return p;
  }
}

export class DmaChannel {
  /** Taken by a client (between requestChannel and release). */
  held = false;
  /** Descriptors of the current transaction that failed. */
  errors = 0;
  private queued = 0;
  private issued = 0;
  private completed = 0;
  private irqs = 0;
  private running = false;
  private hung = false;
  /** Bumped by release: a copy still in flight then belongs to a dead transaction. */
  private generation = 0;
  /** When release last ended a transaction (ns). */
  private releasedAt = 0;
  private waiter: SimEvent<boolean> | null = null;
  /**
   * The wait_for_completion_timeout in progress: the event its timeout ends, and the timer,
   * one per channel for all its waits (a wait per channel per batch would each make one).
   */
  private timing: SimEvent<boolean> | null = null;
  private readonly timeout = new Timer(() => {
    const ev = this.timing as SimEvent<boolean>;
    this.timing = null;
    this.waiter = null;
    ev.trigger(false);
  });
  private waitFor = 0;
  private srcPfn = new Int32Array(INITIAL_SLOTS);
  private dstPfn = new Int32Array(INITIAL_SLOTS);
  private nrPages = new Int32Array(INITIAL_SLOTS);
  private flags = new Uint8Array(INITIAL_SLOTS);
  private status = new Uint8Array(INITIAL_SLOTS);
  /** Bytes mode: per descriptor, its real copy in flight, and what the model decided of it. */
  private copies: (HostCopy | null)[] = [];
  private poisoned = new Uint8Array(INITIAL_SLOTS);
  private crashed = new Uint8Array(INITIAL_SLOTS);
  /** For a descriptor that ends a run of copies (endsRun): the run's first descriptor. */
  private groupStart = new Int32Array(INITIAL_SLOTS);
  private endsRun = new Uint8Array(INITIAL_SLOTS);
  /** A run's real copy already waited for by settleCopies: SETTLED_*, or 0. */
  private settled = new Uint8Array(INITIAL_SLOTS);
  private copiesStarted = 0;

  constructor(
    private readonly engines: DmaEngines,
    readonly device: DmaDevice,
    /** Position among all the machine's channels; picks the host worker in bytes mode. */
    readonly index: number,
    /** e.g. "ptdma0 chan1" */
    readonly name: string,
  ) {}

  /** Descriptors submitted in the current transaction. */
  get submitted(): number {
    return this.queued;
  }

  /** Interrupts the channel has raised in the current transaction. */
  get interrupts(): number {
    return this.irqs;
  }

  prepMemcpy(dstPfn: number, srcPfn: number, nrPages: number, flags: number): boolean {
    if (this.engines.k.faults.hit("dma-desc-error")) return false;
    const i = this.queued;
    if (i === this.srcPfn.length) this.grow();
    this.srcPfn[i] = srcPfn;
    this.dstPfn[i] = dstPfn;
    this.nrPages[i] = nrPages;
    this.flags[i] = flags;
    this.status[i] = 0;
    this.queued++;
    this.engines.descriptors++;
    return true;
  }

  issuePending(): void {
    if (this.issued === this.queued) return;
    this.issued = this.queued;
    if (this.running || this.hung) return;
    if (this.engines.k.faults.hit("dma-timeout")) {
      this.hung = true;
      return;
    }
    this.startCopies();
    this.running = true;
    this.engines.k.sim.spawn(this.run(this.generation));
  }

  /**
   * Bytes mode: queue the real copy of every issued descriptor on the channel's host worker
   * at once, one job per run of descriptors up to the next that interrupts (the driver looks
   * at results only after an interrupt), so the worker copies back to back while the model
   * runs. A job is waited for when the model completes the run's last descriptor. A poisoned
   * source stops the engine before it copies that descriptor.
   */
  private startCopies(): void {
    const k = this.engines.k;
    // Metadata mode copies nothing: no ranges to collect.
    const bytes = k.phys.contents !== null;
    let start = this.copiesStarted;
    let crash = false;
    const ranges: CopyRange[] = [];
    for (let d = this.copiesStarted; d < this.issued; d++) {
      const src = this.srcPfn[d];
      const n = this.nrPages[d];
      this.poisoned[d] = k.phys.rangeHasHwPoison(src, n) ? 1 : 0;
      if (k.faults.hit("worker-crash")) crash = true;
      if (bytes && !this.poisoned[d]) {
        ranges.push({ dstPfn: this.dstPfn[d], srcPfn: src, nrPages: n });
      }
      this.copies[d] = null;
      this.endsRun[d] = this.flags[d] & DMA_PREP_INTERRUPT || d === this.issued - 1 ? 1 : 0;
      if (this.endsRun[d]) {
        this.groupStart[d] = start;
        this.crashed[d] = crash ? 1 : 0;
        if (bytes) this.copies[d] = startHostCopy(k, this.index, ranges.splice(0), crash);
        start = d + 1;
        crash = false;
      }
    }
    this.copiesStarted = this.issued;
  }

  /**
   * After the model completed descriptor d: if it ends a run, wait for the run's real copy and
   * give every descriptor of the run its result.
   */
  private finishCopies(d: number): void {
    if (!this.endsRun[d]) return;
    const copy = this.copies[d];
    this.copies[d] = null;
    const landed =
      this.settled[d] !== 0
        ? this.settled[d] === SETTLED_LANDED
        : finishHostCopy(this.engines.k, copy, this.crashed[d] === 1);
    this.settled[d] = 0;
    for (let i = this.groupStart[d]; i <= d; i++) {
      if (landed && !this.poisoned[i]) {
        this.status[i] = DESC_OK;
      } else {
        this.status[i] = DESC_ERROR;
        this.errors++;
      }
    }
  }

  /**
   * Wait now for the host workers' copies of everything issued, keeping their outcomes for
   * when the model completes each run. The issuing task sleeps until the interrupts in the model
   * anyway; letting the workers finish first keeps the main thread off the cores they copy on.
   */
  settleCopies(): void {
    for (let d = this.completed; d < this.copiesStarted; d++) {
      const copy = this.copies[d];
      if (copy?.job == null) continue;
      const landed = finishHostCopy(this.engines.k, copy, this.crashed[d] === 1);
      this.settled[d] = landed ? SETTLED_LANDED : SETTLED_FAILED;
      this.copies[d] = null;
    }
  }

  /** Sleep until the channel has raised `count` interrupts (true) or `timeoutNs` passed (false). */
  *waitInterrupts(count: number, timeoutNs: number): MigGen<boolean> {
    if (this.irqs >= count) return true;
    const sim = this.engines.k.sim;
    const ev = sim.event<boolean>();
    this.waiter = ev;
    this.waitFor = count;
    // One client holds the channel and waits on it one wait at a time.
    if (this.timing !== null) throw new Error(`${this.name}: a second wait while one is pending`);
    this.timing = ev;
    sim.schedule(this.timeout, sim.now + timeoutNs);
    const ok = (yield ev) as boolean;
    if (ok) {
      sim.unschedule(this.timeout);
      this.timing = null;
    }
    return ok;
  }

  /** Whether descriptor `i` of the current transaction completed without error. */
  descOk(i: number): boolean {
    return this.status[i] === DESC_OK;
  }

  release(): void {
    // Terminated descriptors' copies must end before their destinations can be reused.
    for (let d = this.completed; d < this.copiesStarted; d++) {
      cancelHostCopy(this.engines.k, this.copies[d]);
      this.copies[d] = null;
      this.settled[d] = 0;
    }
    this.copiesStarted = 0;
    this.generation++;
    this.releasedAt = this.engines.k.sim.now;
    this.queued = 0;
    this.issued = 0;
    this.completed = 0;
    this.irqs = 0;
    this.errors = 0;
    this.running = false;
    this.hung = false;
    this.waiter = null;
    this.held = false;
  }

  private *run(generation: number): Generator<Yieldable, void, unknown> {
    const { k } = this.engines;
    const dev = this.device;
    const start = k.sim.now;
    let descriptors = 0;
    let bytes = 0;
    while (this.completed < this.issued) {
      const d = this.completed;
      const src = this.srcPfn[d];
      const dst = this.dstPfn[d];
      const n = this.nrPages[d];
      const setup = dev.descriptorNs + iommuPages(k.phys, src, n) * dev.iommuPageNs;
      if (setup > 0) yield setup;
      if (this.generation !== generation) break;
      const path = dev.path(k.phys.nidOf(src), k.phys.nidOf(dst));
      yield k.net.transfer(n * PAGE_SIZE, path, dev.descriptorOpts);
      if (this.generation !== generation) break;
      this.finishCopies(d);
      this.completed++;
      descriptors++;
      bytes += n * PAGE_SIZE;
      if (this.flags[d] & DMA_PREP_INTERRUPT) this.interrupt();
    }
    // A release while a descriptor was in flight ended the run then; a new one may be running.
    const stale = this.generation !== generation;
    const tl = k.timeline;
    if (tl.enabled) {
      const end = stale ? this.releasedAt : k.sim.now;
      tl.slice(tl.track("dma", this.name), "memcpy", start, end, { descriptors, bytes });
    }
    if (!stale) this.running = false;
  }

  private interrupt(): void {
    this.irqs++;
    this.engines.interrupts++;
    const w = this.waiter;
    if (w !== null && this.irqs >= this.waitFor) {
      this.waiter = null;
      w.trigger(true);
    }
  }

  private grow(): void {
    const n = this.srcPfn.length * 2;
    this.srcPfn = grown(this.srcPfn, new Int32Array(n));
    this.dstPfn = grown(this.dstPfn, new Int32Array(n));
    this.nrPages = grown(this.nrPages, new Int32Array(n));
    this.flags = grown(this.flags, new Uint8Array(n));
    this.status = grown(this.status, new Uint8Array(n));
    this.poisoned = grown(this.poisoned, new Uint8Array(n));
    this.crashed = grown(this.crashed, new Uint8Array(n));
    this.groupStart = grown(this.groupStart, new Int32Array(n));
    this.endsRun = grown(this.endsRun, new Uint8Array(n));
    this.settled = grown(this.settled, new Uint8Array(n));
  }
}

const SETTLED_LANDED = 1;
const SETTLED_FAILED = 2;

/** The engines of one booted machine, in profile order. */
export class DmaEngines {
  private static readonly byKernel = new WeakMap<Kernel, DmaEngines>();

  /** The engines of `k` if something created them, without creating them. */
  static existing(k: Kernel): DmaEngines | undefined {
    return DmaEngines.byKernel.get(k);
  }

  readonly devices: DmaDevice[] = [];
  /** All channels, engine by engine: the order requestChannel hands them out. */
  readonly channels: DmaChannel[] = [];
  readonly cpu: DmaCpuCosts;
  /** Descriptors submitted and interrupts raised, over all channels, since the engines were made. */
  descriptors = 0;
  interrupts = 0;

  /** The engines of `k`'s profile, created on first use (one set per machine). */
  static of(k: Kernel): DmaEngines {
    let e = DmaEngines.byKernel.get(k);
    if (e === undefined) {
      const profile: MachineProfile = k.profile;
      e = new DmaEngines(k, profile.dma);
      DmaEngines.byKernel.set(k, e);
    }
    return e;
  }

  constructor(
    readonly k: Kernel,
    spec: DmaSpec | undefined,
  ) {
    this.cpu = spec?.cpu ?? NO_CPU_COSTS;
    for (const group of spec?.devices ?? []) {
      group.sockets.forEach((socket, i) => {
        const dev = new DmaDevice(k, `${group.name}${i}`, group.kind, socket, group);
        for (let c = 0; c < group.channelsPerDevice; c++) {
          const chan = new DmaChannel(this, dev, this.channels.length, `${dev.name} chan${c}`);
          dev.channels.push(chan);
          this.channels.push(chan);
        }
        this.devices.push(dev);
      });
    }
  }

  requestChannel(): DmaChannel | null {
    for (const chan of this.channels) {
      if (!chan.held) {
        chan.held = true;
        return chan;
      }
    }
    return null;
  }
}

/**
 * IOMMU pages the engine translates for n pages at srcPfn. The IOMMU maps a PMD-size folio
 * with one large page and smaller folios with 4 KiB entries (AMD's v1 table replicates 4 KiB
 * entries for sizes below 2 MiB), so the folio's order decides. A merged segment holds folios
 * of one order in every workload modelled; the first folio's order stands for all of them.
 */
function iommuPages(phys: PhysMem, srcPfn: number, n: number): number {
  return phys.folioOrderAt(srcPfn) >= HPAGE_PMD_ORDER ? Math.ceil(n / HPAGE_PMD_NR) : n;
}

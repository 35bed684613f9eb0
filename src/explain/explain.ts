/**
 * `explain`: for one configuration of the move_pages benchmark, where the call's time went and
 * which mechanism of the model bounds it, from the run's measurements and the profile's
 * parameters. Pure: the caller runs the configuration and the vanilla (serial) baseline.
 *
 * The call time is the sum of the syscall task's phases. It is read as three terms: the work
 * around the copy (isolate, unmap, flush, move, putback: per-folio CPU), the copy phase's bytes
 * at the copy's bandwidth bound (bandwidth.ts), and the rest of the copy phase (DMA setup,
 * thread dispatch). The bound is the larger of the copy phase and the work around it; for the
 * copy, the larger of its bytes and its overhead, and for the bytes, what sets the bandwidth
 * (a copier's own rate, or a resource its copiers share). Each measured term is reported beside
 * what the profile's costs predict for it.
 */

import { MAX_DMA_CHANNELS } from "../copy/dcbm.js";
import { workerKind } from "../copy/engines.js";
import { MTCOPY_DEFAULT_THREADS } from "../copy/mtcopy.js";
import type { LoadedProfile } from "../machine/profile.js";
import { PHASES, type PhaseName } from "../migrate/exec.js";
import { lruCacheDisableNs } from "../migrate/isolate.js";
import { HPAGE_PMD_ORDER, PAGE_SIZE } from "../mm/folio.js";
import type { CpuByKind, FolioLatency, RunMeasurements } from "../workload/measurements.js";
import { amdahlCeiling, amdahlSpeedup } from "./amdahl.js";
import {
  type CopyBandwidth,
  type CopyEngineConfig,
  copyBandwidth,
  type Limit,
} from "./bandwidth.js";
import { sentencesOf } from "./sentences.js";
import { fmtGBps, fmtNs, plural } from "./words.js";

export interface ExplainConfig extends Omit<CopyEngineConfig, "foliosPerBatch"> {
  folioSizeBytes: number;
  folioCount: number;
  /** NR_MAX_BATCHED_MIGRATION in base pages, as the run used it. */
  batchPages: number;
  /** Other tasks always runnable on every CPU, in the run and its baseline (0: idle). */
  cpuLoad: number;
  /** dcbm declines batches of fewer folios (0: never). */
  minBatchFolios: number;
  /** The fault-injection spec both runs had, if any. */
  inject?: string;
}

export interface ExplainInput {
  profile: LoadedProfile;
  config: ExplainConfig;
  /** The configuration's measurements. */
  run: RunMeasurements;
  /** The vanilla kernel's (serial) on the same region and batch size. */
  baseline: RunMeasurements;
}

export interface PhaseShare {
  phase: PhaseName;
  wallUs: number;
  cpuUs: number;
  /** wallUs over the call time. */
  share: number;
}

/** One term of a prediction: what it is, its size, and the arithmetic behind it. */
export interface Term {
  name: string;
  us: number;
  detail: string;
  /** Paid once per batch whatever its folios (an engine's setup), not per folio or byte. */
  perBatch?: boolean;
}

/** What a call pays whatever its size, and what that means for calls of more folios. */
export interface PerCallAccount {
  /** Once per call, µs each: the syscall, lru_cache_disable(), migrate_pages()'s own work. */
  callTerms: Term[];
  callUs: number;
  /** Once per batch, µs each per batch: costs.batchNs and the copy engine's setup. */
  batchTerms: Term[];
  batchUs: number;
  /** Share of this call's time paid per call and per batch. */
  fixedShare: number;
  /** The rest of this call per folio, µs: what grows with its folios. */
  restPerFolioUs: number;
  /** A call of many folios at the same rest per folio, in full batches, GB/s. */
  limitGBps: number;
  /** The fewest folios per call that reach 90% of limitGBps. */
  folios90: number;
}

export interface CopyAccount {
  bytes: number;
  /** The copy phase's wall time on the syscall task, µs. */
  wallUs: number;
  /** bytes over wallUs. */
  achievedGBps: number;
  bandwidth: CopyBandwidth;
  /** The bytes at the bandwidth bound, µs (at most wallUs). */
  transferUs: number;
  /** The rest of the copy phase: setup, dispatch, waits, µs. */
  overheadUs: number;
  /** What the profile's costs predict for the overhead, term by term. */
  overheadTerms: Term[];
  /** What the overhead is called: "DMA setup", "thread dispatch" or "copy overhead". */
  overheadName: string;
}

export interface PerFolioAccount {
  /** Wall time of the phases around the copy, µs. */
  aroundUs: number;
  /** aroundUs per folio, ns. */
  measuredNs: number;
  /** The cost model's per-folio prediction, ns (per-call and per-batch costs spread over folios). */
  modelNs: number;
  /** Its terms, µs each; their details give the profile's ns. */
  modelTerms: Term[];
  /** THPs are mapped by one PMD; smaller folios by one PTE per page. */
  pmdMapped: boolean;
}

export type BoundKind =
  | "copy-bandwidth"
  | "shared-link"
  | "per-folio-cpu"
  | "dma-setup"
  | "thread-dispatch";

/** One comparison that decided the bound: the winner's time against the loser's. */
export interface Decision {
  winner: string;
  winnerUs: number;
  loser: string;
  loserUs: number;
}

export interface Bound {
  kind: BoundKind;
  /** In words: "copy bandwidth", "a shared link". */
  name: string;
  /** The limit that sets the copy's bandwidth (copy-bandwidth and shared-link). */
  limit?: Limit;
  decisions: Decision[];
}

export interface WhatIf {
  /** The engine: "dcbm (16 channels)". */
  engine: string;
  /** Threads or channels configured, and how many a batch keeps busy. */
  workers: number;
  copiers: number;
  /** Its bandwidth bound on this copy, GB/s. */
  rateGBps: number;
  /** rateGBps over the serial copy's achieved rate. */
  copySpeedup: number;
  /** amdahlSpeedup(copyShare, copySpeedup): what the call would gain at that rate. */
  callSpeedup: number;
}

export interface AmdahlAccount {
  /** The copy's share of the serial baseline's call. */
  copyShare: number;
  serialCallUs: number;
  serialCopyUs: number;
  serialCopyGBps: number;
  /** 1 / (1 - copyShare): the gain of a free copy. */
  ceiling: number;
  /** The configured engine at its bandwidth bound; for a CPU copy, the offload engines. */
  whatIf: WhatIf[];
  /** Measured against the baseline (absent for a CPU copy, whose baseline is itself or alike). */
  measured?: { callSpeedup: number; copySpeedup: number };
}

export interface FirstFolioAccount {
  latencyUs: FolioLatency;
  /** Folios in the first migrate_pages_batch() call. */
  batchFolios: number;
  /** The whole batch is copied before the first remap (a copy engine or batch-cpu). */
  batchCopy: boolean;
  /** What comes before the first remap, term by term. */
  terms: Term[];
  predictedUs: number;
}

export interface Explanation {
  config: ExplainConfig & { profile: string; bytes: number; foliosPerBatch: number };
  callTimeUs: number;
  throughputGBps: number;
  /** In PHASES order. */
  phases: PhaseShare[];
  cpuByKind: CpuByKind;
  cpuTotalUs: number;
  /** CPUs that did any of the call's work. */
  cpusUsed: number;
  copy: CopyAccount;
  perFolio: PerFolioAccount;
  perCall: PerCallAccount;
  bound: Bound;
  amdahl: AmdahlAccount;
  firstFolio: FirstFolioAccount;
  /** The account in plain words, one sentence (or short paragraph) each. */
  sentences: string[];
}

export function explain(input: ExplainInput): Explanation {
  const { profile, config: c, run, baseline } = input;
  for (const [what, m] of [
    ["run", run],
    ["baseline", baseline],
  ] as const) {
    if (!(m.callTimeUs > 0))
      throw new RangeError(`explain: the ${what}'s call time is ${m.callTimeUs}`);
  }
  if (!(c.folioCount > 0 && c.folioSizeBytes >= PAGE_SIZE && c.batchPages > 0)) {
    throw new RangeError(`explain: bad configuration ${JSON.stringify(c)}`);
  }
  const pages = c.folioSizeBytes / PAGE_SIZE;
  // A batch ends with the folio that takes it to batchPages base pages.
  const foliosPerBatch = Math.min(c.folioCount, Math.ceil(c.batchPages / pages));
  const batches = Math.ceil(c.folioCount / foliosPerBatch);
  const bytes = c.folioSizeBytes * c.folioCount;
  const callUs = run.callTimeUs;

  const phases = PHASES.map((phase) => ({
    phase,
    wallUs: run.phases[phase].wallUs,
    cpuUs: run.phases[phase].cpuUs,
    share: run.phases[phase].wallUs / callUs,
  }));
  const cpuTotalUs = Object.values(run.cpuByCpu).reduce((a, b) => a + b, 0);
  const cpusUsed = Object.values(run.cpuByCpu).filter((us) => us > 0).length;

  const bw = copyBandwidth(profile, { ...c, foliosPerBatch });
  const copy = copyAccount(input, bw, bytes, batches, foliosPerBatch);
  const perFolio = perFolioAccount(input, batches);
  const perCall = perCallAccount(input, copy, batches);
  const bound = boundOf(copy, perFolio);
  const amdahl = amdahlAccount(input, bytes, foliosPerBatch);
  const firstFolio = firstFolioAccount(input, batches, foliosPerBatch, copy);

  const ex: Explanation = {
    config: { ...c, profile: profile.name, bytes, foliosPerBatch },
    callTimeUs: callUs,
    throughputGBps: bytes / (callUs * 1000),
    phases,
    cpuByKind: run.cpuByKind,
    cpuTotalUs,
    cpusUsed,
    copy,
    perFolio,
    perCall,
    bound,
    amdahl,
    firstFolio,
    sentences: [],
  };
  ex.sentences = sentencesOf(ex);
  return ex;
}

/** "serial", "mtcopy (16 threads, fill)", "dcbm (2 channels)". */
export function engineLabel(c: Pick<ExplainConfig, "migrator" | "workers" | "placement">): string {
  const kind = workerKind(c.migrator);
  if (kind === "threads") return `${c.migrator} (${plural(c.workers, "thread")}, ${c.placement})`;
  if (kind === "channels") return `${c.migrator} (${plural(c.workers, "channel")})`;
  return c.migrator;
}

function copyAccount(
  input: ExplainInput,
  bw: CopyBandwidth,
  bytes: number,
  batches: number,
  foliosPerBatch: number,
): CopyAccount {
  const { profile, config: c, run } = input;
  const wallUs = run.phases.copy.wallUs;
  const transferUs = Math.min(wallUs, bytes / bw.rateGBps / 1000);
  const terms: Term[] = [];
  let overheadName = "copy overhead";
  if (bw.copier === "DMA channel" && profile.dma !== undefined) {
    overheadName = "DMA setup";
    // Channels are handed out from the first device entry first; its costs stand for all.
    const dev = profile.dma.devices[0];
    const cpu = profile.dma.cpu;
    const chans = bw.copiers;
    const descs = run.dmaDescriptors;
    // The IOMMU maps a PMD-size folio with one page and smaller folios page by page.
    const iommuPages =
      c.folioSizeBytes >= PAGE_SIZE << HPAGE_PMD_ORDER ? c.folioCount : bytes / PAGE_SIZE;
    const perChan = chans === 1 ? "" : ` / ${chans} channels`;
    terms.push(
      {
        name: "engine time per descriptor",
        us: (descs * dev.descriptorNs) / chans / 1000,
        detail: `${descs} descriptors × descriptorNs ${dev.descriptorNs} ns${perChan}`,
      },
      {
        name: "IOMMU translation",
        us: (iommuPages * dev.iommuPageNs) / chans / 1000,
        detail: `${iommuPages} IOMMU pages × iommuPageNs ${dev.iommuPageNs} ns${perChan}`,
      },
      {
        name: "mapping",
        us: (2 * c.folioCount * cpu.mapSegmentNs) / 1000,
        detail: `2 sides × ${c.folioCount} entries × mapSegmentNs ${cpu.mapSegmentNs} ns`,
      },
      {
        name: "descriptor preparation",
        us: (descs * cpu.prepDescriptorNs) / 1000,
        detail: `${descs} × prepDescriptorNs ${cpu.prepDescriptorNs} ns`,
      },
      {
        name: "interrupts",
        perBatch: true,
        us: (run.dmaInterrupts * cpu.interruptNs) / 1000,
        detail: `${run.dmaInterrupts} × interruptNs ${cpu.interruptNs} ns`,
      },
      {
        name: "channel setup",
        perBatch: true,
        us: (batches * requestedChannels(input, bw) * cpu.channelSetupNs) / 1000,
        detail: `${plural(batches, "batch", "batches")} × ${plural(requestedChannels(input, bw), "channel")} × channelSetupNs ${cpu.channelSetupNs} ns`,
      },
    );
  } else if (bw.copier === "copy thread") {
    overheadName = "thread dispatch";
    const threads = c.workers;
    // Fewer folios than threads: every thread takes a part of every folio.
    const chunks = foliosPerBatch < threads ? foliosPerBatch : Math.ceil(foliosPerBatch / threads);
    terms.push(
      {
        name: "work dispatch",
        perBatch: true,
        us: (batches * threads * profile.costs.workDispatchNs) / 1000,
        detail: `${plural(batches, "batch", "batches")} × ${threads} threads × workDispatchNs ${profile.costs.workDispatchNs} ns, on the calling CPU`,
      },
      {
        name: "chunk entry",
        us: (batches * chunks * profile.costs.copyChunkNs) / 1000,
        detail: `${plural(batches, "batch", "batches")} × ${plural(chunks, "chunk")} per thread × copyChunkNs ${profile.costs.copyChunkNs} ns`,
      },
    );
  }
  return {
    bytes,
    wallUs,
    achievedGBps: bytes / (wallUs * 1000),
    bandwidth: bw,
    transferUs,
    overheadUs: wallUs - transferUs,
    overheadTerms: terms,
    overheadName,
  };
}

/** Channels whose setup a batch pays: dcbm only those it uses, dcbm-v2 all it asks for. */
function requestedChannels(input: ExplainInput, bw: CopyBandwidth): number {
  const { config: c, profile } = input;
  if (c.migrator !== "dcbm-v2") return bw.copiers;
  return Math.min(c.workers, MAX_DMA_CHANNELS, dmaChannelsOf(profile));
}

/** DMA channels of all the profile's engines. */
function dmaChannelsOf(profile: LoadedProfile): number {
  return (profile.dma?.devices ?? []).reduce(
    (n, d) => n + d.sockets.length * d.channelsPerDevice,
    0,
  );
}

function perFolioAccount(input: ExplainInput, batches: number): PerFolioAccount {
  const { profile, config: c, run } = input;
  const k = profile.costs;
  let aroundUs = 0;
  for (const p of PHASES) if (p !== "copy") aroundUs += run.phases[p].wallUs;
  const pages = c.folioSizeBytes / PAGE_SIZE;
  const pmdMapped = pages >= 1 << HPAGE_PMD_ORDER;
  const n = c.folioCount;
  const terms: Term[] = [
    {
      name: "page walk and isolation",
      us: k.pageWalkNs / 1000,
      detail: `pageWalkNs ${k.pageWalkNs}`,
    },
    { name: "folio", us: k.folioNs / 1000, detail: `folioNs ${k.folioNs}` },
    pmdMapped
      ? {
          name: "PMD unmap, remap and flush",
          us: (k.pmdNs + k.tlbFlushNs) / 1000,
          detail: `pmdNs ${k.pmdNs} + tlbFlushNs ${k.tlbFlushNs}`,
        }
      : {
          name: "PTE unmap, remap and flush",
          us: (pages * (k.pteNs + k.tlbFlushNs)) / 1000,
          detail: `${plural(pages, "PTE")} × (pteNs ${k.pteNs} + tlbFlushNs ${k.tlbFlushNs})`,
        },
    ...callTerms(profile).map((t) => ({ ...t, us: t.us / n, detail: `${t.detail} / ${n}` })),
    {
      name: "the batches",
      us: (batches * k.batchNs) / n / 1000,
      detail: `${batches} × batchNs ${k.batchNs} / ${n}`,
    },
  ];
  return {
    aroundUs,
    measuredNs: (aroundUs * 1000) / n,
    modelNs: terms.reduce((a, t) => a + t.us, 0) * 1000,
    modelTerms: terms,
    pmdMapped,
  };
}

/** What every call pays once, whatever its size, µs each. */
function callTerms(profile: LoadedProfile): Term[] {
  const k = profile.costs;
  return [
    {
      name: "lru_cache_disable() on every CPU",
      us: lruCacheDisableNs(profile) / 1000,
      detail: `${profile.cpus} CPUs × lruDrainCpuNs ${k.lruDrainCpuNs}`,
    },
    {
      name: "migrate_pages()'s per-call work",
      us: k.migrateCallNs / 1000,
      detail: `migrateCallNs ${k.migrateCallNs}`,
    },
    { name: "the syscall", us: k.syscallNs / 1000, detail: `syscallNs ${k.syscallNs}` },
  ];
}

/** GB/s of a call of `n` folios at `restUs` per folio, paying `callUs` and `batchUs` per batch. */
function callGBps(n: number, folioBytes: number, a: PerCallAccount, perBatchFolios: number) {
  const us = n * a.restPerFolioUs + a.callUs + Math.ceil(n / perBatchFolios) * a.batchUs;
  return (n * folioBytes) / (us * 1000);
}

function perCallAccount(input: ExplainInput, copy: CopyAccount, batches: number): PerCallAccount {
  const { profile, config: c, run } = input;
  const call = callTerms(profile);
  const batch: Term[] = [
    {
      name: "migrate_pages_batch()",
      us: profile.costs.batchNs / 1000,
      detail: `batchNs ${profile.costs.batchNs}`,
    },
    ...copy.overheadTerms
      .filter((t) => t.perBatch === true)
      .map((t) => ({ ...t, us: t.us / batches, detail: `${t.detail} / ${batches}` })),
  ];
  const sum = (ts: Term[]) => ts.reduce((a, t) => a + t.us, 0);
  const account: PerCallAccount = {
    callTerms: call,
    callUs: sum(call),
    batchTerms: batch,
    batchUs: sum(batch),
    fixedShare: 0,
    restPerFolioUs: 0,
    limitGBps: 0,
    folios90: 0,
  };
  const fixedUs = account.callUs + batches * account.batchUs;
  account.fixedShare = fixedUs / run.callTimeUs;
  account.restPerFolioUs = Math.max(0, run.callTimeUs - fixedUs) / c.folioCount;
  // Large calls are made of full batches of the batch limit.
  const fullBatch = Math.max(1, Math.ceil(c.batchPages / (c.folioSizeBytes / PAGE_SIZE)));
  account.limitGBps =
    (fullBatch * c.folioSizeBytes) /
    ((fullBatch * account.restPerFolioUs + account.batchUs) * 1000);
  let n = 1;
  while (n < 1 << 30 && callGBps(n, c.folioSizeBytes, account, fullBatch) < 0.9 * account.limitGBps)
    n *= 2;
  // The first power of two past 90%; bisect below it.
  let lo = Math.floor(n / 2);
  while (lo + 1 < n) {
    const mid = Math.floor((lo + n) / 2);
    if (callGBps(mid, c.folioSizeBytes, account, fullBatch) >= 0.9 * account.limitGBps) n = mid;
    else lo = mid;
  }
  account.folios90 = n;
  return account;
}

function boundOf(copy: CopyAccount, perFolio: PerFolioAccount): Bound {
  const around = "the per-folio work around the copy";
  if (perFolio.aroundUs >= copy.wallUs) {
    return {
      kind: "per-folio-cpu",
      name: "per-folio CPU",
      decisions: [
        {
          winner: around,
          winnerUs: perFolio.aroundUs,
          loser: "the copy phase",
          loserUs: copy.wallUs,
        },
      ],
    };
  }
  const first: Decision = {
    winner: "the copy phase",
    winnerUs: copy.wallUs,
    loser: around,
    loserUs: perFolio.aroundUs,
  };
  const bytesName = `the bytes at ${fmtGBps(copy.bandwidth.rateGBps)}`;
  const bw = copy.bandwidth;
  if (copy.overheadUs > copy.transferUs && bw.copier !== "core") {
    const dma = bw.copier === "DMA channel";
    return {
      kind: dma ? "dma-setup" : "thread-dispatch",
      name: copy.overheadName,
      decisions: [
        first,
        {
          winner: copy.overheadName,
          winnerUs: copy.overheadUs,
          loser: bytesName,
          loserUs: copy.transferUs,
        },
      ],
    };
  }
  const shared = bw.binding.sharedBy > 1;
  return {
    kind: shared ? "shared-link" : "copy-bandwidth",
    name: !shared
      ? "copy bandwidth"
      : bw.binding.resource === "DMA engine"
        ? "a shared DMA engine"
        : "a shared link",
    limit: bw.binding,
    decisions: [
      first,
      {
        winner: bytesName,
        winnerUs: copy.transferUs,
        loser: copy.overheadName,
        loserUs: copy.overheadUs,
      },
    ],
  };
}

function amdahlAccount(input: ExplainInput, bytes: number, foliosPerBatch: number): AmdahlAccount {
  const { profile, config: c, run, baseline } = input;
  const serialCopyUs = baseline.phases.copy.wallUs;
  const copyShare = serialCopyUs / baseline.callTimeUs;
  const serialCopyGBps = bytes / (serialCopyUs * 1000);
  const whatIf = (engine: Pick<ExplainConfig, "migrator" | "workers" | "placement">): WhatIf => {
    const bw = copyBandwidth(profile, { ...c, ...engine, foliosPerBatch });
    const rate = bw.rateGBps;
    return {
      engine: engineLabel(engine),
      workers: engine.workers,
      copiers: bw.copiers,
      rateGBps: rate,
      copySpeedup: rate / serialCopyGBps,
      callSpeedup: amdahlSpeedup(copyShare, rate / serialCopyGBps),
    };
  };
  const cpuCopy = workerKind(c.migrator) === null;
  // For a CPU copy: the offload engines at their published best, all DMA channels the driver
  // takes and the default copy threads spread over the CCDs.
  const dmaChannels = Math.min(MAX_DMA_CHANNELS, dmaChannelsOf(profile));
  const engines: Pick<ExplainConfig, "migrator" | "workers" | "placement">[] = cpuCopy
    ? [
        ...(dmaChannels === 0
          ? []
          : [{ migrator: "dcbm" as const, workers: dmaChannels, placement: c.placement }]),
        { migrator: "mtcopy", workers: MTCOPY_DEFAULT_THREADS, placement: "spread" },
      ]
    : [c];
  return {
    copyShare,
    serialCallUs: baseline.callTimeUs,
    serialCopyUs,
    serialCopyGBps,
    ceiling: amdahlCeiling(copyShare),
    whatIf: engines.map(whatIf),
    measured: cpuCopy
      ? undefined
      : {
          callSpeedup: baseline.callTimeUs / run.callTimeUs,
          copySpeedup: serialCopyUs / run.phases.copy.wallUs,
        },
  };
}

function firstFolioAccount(
  input: ExplainInput,
  batches: number,
  batchFolios: number,
  copy: CopyAccount,
): FirstFolioAccount {
  const { config: c, run } = input;
  const n = c.folioCount;
  const ph = run.phases;
  // move_pages isolates every folio of a run of one target node before it migrates any; then
  // the first batch is unmapped (and flushed) whole; a copy engine copies the whole batch
  // before the move phase, the vanilla flow only the first folio.
  const batchCopy = copy.bandwidth.copier !== "core" || c.migrator === "batch-cpu";
  const unmapNs = (ph.unmap.wallUs / n) * 1000;
  const terms: Term[] = [
    { name: "isolation", us: ph.isolate.wallUs, detail: `all ${plural(n, "folio")}` },
    {
      name: "unmap",
      us: (unmapNs * batchFolios) / 1000 + ph.flush.wallUs / batches,
      detail: `${batchFolios} × ${fmtNs(unmapNs)}, and the flush`,
    },
    batchCopy
      ? { name: "batch copy", us: ph.copy.wallUs / batches, detail: "the whole batch" }
      : { name: "copy", us: ph.copy.wallUs / n, detail: "the first folio" },
    { name: "remap", us: ph.move.wallUs / n, detail: "the first folio" },
  ];
  return {
    latencyUs: run.folioLatencyUs,
    batchFolios,
    batchCopy,
    terms,
    predictedUs: terms.reduce((a, t) => a + t.us, 0),
  };
}

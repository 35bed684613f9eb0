/**
 * dcbm: the DMA batch-copy migrator of the offload series, as posted in v3-v6 (design notes
 * §2.9), over the engines of copy/dma-device.ts.
 *
 * Per batch of n folios: C = min(nr_dma_chan, n, MAX_DMA_CHANNELS) channels are requested;
 * channel i gets the contiguous slice [n*i/C, n*(i+1)/C). Each slice is one scatter-gather
 * table per side, one entry per folio, mapped once; the IOMMU merges physically contiguous
 * neighbours, so a side maps to one segment per run of contiguous folios. One memcpy descriptor
 * per segment, an interrupt only on each channel's last; issue_pending on all, then a 10 s wait
 * on each channel in turn. Any error (mapping, prep/submit, timeout, a failed descriptor)
 * terminates and unmaps everything, counts the whole batch in folios_failures and returns the
 * error with no folio marked: the move phase copies them all on the CPU (v6). On success every
 * destination gets FOLIO_CONTENT_COPIED.
 *
 * The driver's CPU work (channel setup, mapping, descriptor prep, and each completion
 * interrupt) is charged to the migrating task in PH_COPY; while the engines copy, the task
 * sleeps. The interrupt's cost is counted as interrupt time (Exec.irqNs): the model handles
 * it on the waiting task's CPU, in its time line.
 *
 * Channel requests: the driver asks dma_request_chan_by_mask() once per channel it wants and
 * stops at the first refusal, so a batch runs on the channels it got (none at all is -ENODEV);
 * nr_dma_chan above MAX_DMA_CHANNELS or above the machine's channels is not refused, only cut,
 * and channelsUsed reports what batches really obtained.
 *
 * Model choices: the two sides must map to the same segment boundaries, not only the same count, or
 * the slice fails with -EINVAL (the driver pairs segments by index, so unequal lengths would
 * copy wrongly); a descriptor that read a poisoned page fails the batch with -EIO.
 *
 * API:
 *   createDcbm(k, { channels = 1, minBatchFolios = 0, engines = DmaEngines.of(k) }): DcbmMigrator
 *     channels: nr_dma_chan. minBatchFolios: batches of fewer folios are declined with
 *     -EOPNOTSUPP before any work (0, dcbm's behaviour: never decline).
 *   dcbmChannels(nrDmaChan, nrFolios), sliceStart(nrFolios, nrChannels, i): the split rules.
 *   requestChannels(engines, want): the request loop, shared with dcbm-v2.
 * Fault "partial-batch": only a prefix of the batch is copied and marked (as the AMDESE chunked
 * variant does on a failed chunk) and the batch returns -EIO; the move phase copies the rest.
 */

import { UsageError } from "../errors.js";
import type { MigGen } from "../migrate/core.js";
import { PH_COPY } from "../migrate/exec.js";
import type { Kernel } from "../migrate/kernel.js";
import type { MigrationRun } from "../migrate/run.js";
import { EINVAL, EIO, ENODEV, ENOMEM, EOPNOTSUPP, ETIMEDOUT } from "../mm/errno.js";
import { FOLIO_CONTENT_COPIED, type Folio, PAGE_SIZE } from "../mm/folio.js";
import { DMA_PREP_INTERRUPT, type DmaChannel, DmaEngines } from "./dma-device.js";
import { touchHostMemory } from "./host-copy.js";
import type { Migrator, MigratorCounters } from "./migrator.js";

/** MAX_DMA_CHANNELS */
export const MAX_DMA_CHANNELS = 16;
/** The wait_for_completion_timeout of each channel: 10000 ms. */
export const DCBM_TIMEOUT_NS = 10_000_000_000;

export interface DcbmOptions {
  /** nr_dma_chan: channels per batch, at most MAX_DMA_CHANNELS are used (default 1). */
  channels?: number;
  /** Decline batches of fewer folios with -EOPNOTSUPP (default 0: never). */
  minBatchFolios?: number;
  /** The engines to use (default: the kernel's, from its profile). */
  engines?: DmaEngines;
}

/** Channels used for a batch: min(nr_dma_chan, nr_folios, MAX_DMA_CHANNELS). */
export function dcbmChannels(nrDmaChan: number, nrFolios: number): number {
  return Math.min(nrDmaChan, nrFolios, MAX_DMA_CHANNELS);
}

/**
 * The drivers' request loop: dma_request_chan_by_mask() once per channel wanted, stopping at
 * the first refusal; the channels obtained, maybe fewer than `want`, maybe none.
 */
export function requestChannels(engines: DmaEngines, want: number): DmaChannel[] {
  const chans: DmaChannel[] = [];
  for (let i = 0; i < want; i++) {
    const chan = engines.requestChannel();
    if (chan === null) break;
    chans.push(chan);
  }
  return chans;
}

/** First folio of channel i's slice; slice i is [sliceStart(i), sliceStart(i + 1)). */
export function sliceStart(nrFolios: number, nrChannels: number, i: number): number {
  return Math.floor((nrFolios * i) / nrChannels);
}

/** A positive integer (or, with min 0, a non-negative one) option, or a UsageError. */
export function checkCount(what: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new UsageError(`${what}: must be an integer >= ${min} (got ${value})`);
  }
  return value;
}

export class DcbmMigrator implements Migrator {
  readonly name = "dcbm";
  readonly counters: MigratorCounters = { foliosMigrated: 0, foliosFailures: 0 };
  /** The most channels one batch obtained: nr_dma_chan is a wish the request loop may cut. */
  channelsUsed = 0;

  constructor(
    readonly engines: DmaEngines,
    /** nr_dma_chan */
    readonly nrDmaChan: number,
    readonly minBatchFolios: number,
  ) {
    checkCount("dcbm nr_dma_chan", nrDmaChan, 1);
    checkCount("dcbm minBatchFolios", minBatchFolios, 0);
  }

  *offloadCopy(run: MigrationRun, dst: readonly Folio[], src: readonly Folio[]): MigGen<number> {
    const n = src.length;
    if (n < this.minBatchFolios) return -EOPNOTSUPP;
    const faults = run.k.faults;
    const partial = faults.hit("partial-batch");
    const count = partial ? Math.floor(faults.draw("partial-batch") * n) : n;
    const rc = count > 0 ? yield* this.copyBatch(run, dst, src, count) : 0;
    if (rc !== 0) {
      this.counters.foliosFailures += n;
      return rc;
    }
    for (let i = 0; i < count; i++) dst[i].migrateInfo |= FOLIO_CONTENT_COPIED;
    this.counters.foliosMigrated += count;
    this.counters.foliosFailures += n - count;
    return partial ? -EIO : 0;
  }

  /** Copy src[0..n) to dst[0..n) over the channels; 0 or the error of the first failure. */
  private *copyBatch(
    run: MigrationRun,
    dst: readonly Folio[],
    src: readonly Folio[],
    n: number,
  ): MigGen<number> {
    const exec = run.exec;
    const cpu = this.engines.cpu;
    // Per call: tasks migrating at the same time each run their own batch.
    const chans = requestChannels(this.engines, dcbmChannels(this.nrDmaChan, n));
    const nrChans = chans.length;
    if (nrChans > this.channelsUsed) this.channelsUsed = nrChans;
    if (nrChans === 0) return -ENODEV;
    exec.charge(PH_COPY, nrChans * cpu.channelSetupNs);
    let rc = 0;
    for (let i = 0; i < nrChans && rc === 0; i++) {
      const lo = sliceStart(n, nrChans, i);
      rc = this.prepSlice(run, chans[i], dst, src, lo, sliceStart(n, nrChans, i + 1));
    }
    if (rc === 0) {
      yield* exec.sync();
      if (run.k.phys.contents !== null) {
        touchHostMemory(run.k, src.slice(0, n));
        touchHostMemory(run.k, dst.slice(0, n));
      }
      for (let i = 0; i < nrChans; i++) chans[i].issuePending();
      for (let i = 0; i < nrChans; i++) chans[i].settleCopies();
      // Every channel is waited for before any result is looked at, so a failed channel never
      // leaves the others copying into destinations that are about to be freed.
      // The channels mostly interrupt together: once the first has, the others need no wait,
      // and each interrupt's sync is inlined (beginSync, yield, endSync), not a generator.
      for (let i = 0; i < nrChans; i++) {
        const chan = chans[i];
        if (chan.interrupts < 1 && !(yield* chan.waitInterrupts(1, DCBM_TIMEOUT_NS))) {
          if (rc === 0) rc = -ETIMEDOUT;
          continue;
        }
        exec.chargeIrq(PH_COPY, cpu.interruptNs);
        const delay = exec.beginSync();
        if (delay >= 0) {
          yield delay;
          exec.endSync();
        }
        if (rc === 0 && chan.errors > 0) rc = -EIO;
      }
    }
    for (let i = 0; i < nrChans; i++) chans[i].release();
    return rc;
  }

  /** Map one slice on both sides and submit a descriptor per segment; 0 or an errno. */
  private prepSlice(
    run: MigrationRun,
    chan: DmaChannel,
    dst: readonly Folio[],
    src: readonly Folio[],
    lo: number,
    hi: number,
  ): number {
    const { exec, k } = run;
    const cpu = this.engines.cpu;
    for (let side = 0; side < 2; side++) {
      exec.charge(PH_COPY, (hi - lo) * cpu.mapSegmentNs);
      if (k.faults.hit("dma-map-error")) return -ENOMEM;
    }
    // Where each side's entry i starts against where entry i - 1 ended.
    let srcEnd = src[lo].pfn + src[lo].nrPages;
    let dstEnd = dst[lo].pfn + dst[lo].nrPages;
    for (let i = lo + 1; i < hi; i++) {
      const s = src[i];
      const d = dst[i];
      if ((s.pfn === srcEnd) !== (d.pfn === dstEnd)) return -EINVAL;
      srcEnd = s.pfn + s.nrPages;
      dstEnd = d.pfn + d.nrPages;
    }
    // The IOMMU merges contiguous entries into one segment while it stays within the
    // device's maximum segment size (in pages here); a larger entry stays one of its own.
    const maxSegPages = chan.device.maxSegmentBytes / PAGE_SIZE;
    let start = lo;
    let segStart = src[lo].pfn;
    let segPages = src[lo].nrPages;
    for (let i = lo + 1; i <= hi; i++) {
      if (i < hi) {
        const s = src[i];
        const n = s.nrPages;
        if (s.pfn === segStart + segPages && segPages + n <= maxSegPages) {
          segPages += n;
          continue;
        }
      }
      exec.charge(PH_COPY, cpu.prepDescriptorNs);
      const flags = i === hi ? DMA_PREP_INTERRUPT : 0;
      if (!chan.prepMemcpy(dst[start].pfn, segStart, segPages, flags)) return -EIO;
      if (i < hi) {
        segStart = src[i].pfn;
        segPages = src[i].nrPages;
      }
      start = i;
    }
    return 0;
  }
}

export function createDcbm(k: Kernel, o: DcbmOptions = {}): DcbmMigrator {
  return new DcbmMigrator(o.engines ?? DmaEngines.of(k), o.channels ?? 1, o.minBatchFolios ?? 0);
}

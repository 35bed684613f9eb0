/**
 * dcbm-v2: the DMA migrator as posted in v2 of the series (design notes §2.4), kept to compare
 * against the v3+ rewrite (dcbm.ts): T3 notes it was several times slower for small folios.
 *
 * Per batch: min(nr_dma_chan, MAX_DMA_CHANNELS) channels are requested; folios are dealt to
 * them round-robin, one folio per descriptor, each side mapped on its own (dma_map_page) and
 * every descriptor raising an interrupt. After issue_pending on all, the driver takes the
 * interrupts one descriptor at a time, in submission order, each wait with the 10 s timeout;
 * a channel that times out is given up. A folio whose mapping, prep or copy failed, or whose
 * channel timed out, is left unmarked (the CPU copies it in the move phase); the batch always
 * returns 0.
 *
 * CPU costs on the migrating task (PH_COPY): channel setup per channel, mapSegmentNs per folio
 * per side, prepDescriptorNs per folio, interruptNs per interrupt taken (as interrupt time,
 * Exec.irqNs).
 *
 * API:
 *   createDcbmV2(k, { channels = 1, engines = DmaEngines.of(k) }): DcbmV2Migrator
 */

import type { MigGen } from "../migrate/core.js";
import { PH_COPY } from "../migrate/exec.js";
import type { Kernel } from "../migrate/kernel.js";
import type { MigrationRun } from "../migrate/run.js";
import { FOLIO_CONTENT_COPIED, type Folio } from "../mm/folio.js";
import { checkCount, DCBM_TIMEOUT_NS, MAX_DMA_CHANNELS, requestChannels } from "./dcbm.js";
import { DMA_PREP_INTERRUPT, DmaEngines } from "./dma-device.js";
import { touchHostMemory } from "./host-copy.js";
import type { Migrator, MigratorCounters } from "./migrator.js";

export interface DcbmV2Options {
  /** nr_dma_chan, clamped to MAX_DMA_CHANNELS (default 1). */
  channels?: number;
  /** The engines to use (default: the kernel's, from its profile). */
  engines?: DmaEngines;
}

export class DcbmV2Migrator implements Migrator {
  readonly name = "dcbm-v2";
  readonly counters: MigratorCounters = { foliosMigrated: 0, foliosFailures: 0 };
  /** The most channels one batch obtained. */
  channelsUsed = 0;

  constructor(
    readonly engines: DmaEngines,
    /** nr_dma_chan */
    readonly nrDmaChan: number,
  ) {
    checkCount("dcbm-v2 nr_dma_chan", nrDmaChan, 1);
  }

  *offloadCopy(run: MigrationRun, dst: readonly Folio[], src: readonly Folio[]): MigGen<number> {
    const { exec, k } = run;
    const cpu = this.engines.cpu;
    const n = src.length;
    const chans = requestChannels(this.engines, Math.min(this.nrDmaChan, MAX_DMA_CHANNELS));
    const nrChans = chans.length;
    if (nrChans > this.channelsUsed) this.channelsUsed = nrChans;
    if (nrChans === 0) {
      this.counters.foliosFailures += n;
      return 0;
    }
    exec.charge(PH_COPY, nrChans * cpu.channelSetupNs);
    // Descriptor index of each folio on its channel (folio i is on channel i % nrChans), -1
    // for a folio left to the CPU.
    const desc = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      desc[i] = -1;
      exec.charge(PH_COPY, cpu.mapSegmentNs);
      if (k.faults.hit("dma-map-error")) continue;
      exec.charge(PH_COPY, cpu.mapSegmentNs);
      if (k.faults.hit("dma-map-error")) continue;
      exec.charge(PH_COPY, cpu.prepDescriptorNs);
      const chan = chans[i % nrChans];
      if (chan.prepMemcpy(dst[i].pfn, src[i].pfn, src[i].nrPages, DMA_PREP_INTERRUPT)) {
        desc[i] = chan.submitted - 1;
      }
    }
    yield* exec.sync();
    touchHostMemory(run.k, src);
    touchHostMemory(run.k, dst);
    for (let c = 0; c < nrChans; c++) chans[c].issuePending();
    for (let c = 0; c < nrChans; c++) chans[c].settleCopies();
    // Channels given up after a timeout, one bit each (nrChans <= MAX_DMA_CHANNELS).
    let dead = 0;
    for (let i = 0; i < n; i++) {
      const c = i % nrChans;
      if (desc[i] < 0 || dead & (1 << c)) continue;
      if (!(yield* chans[c].waitInterrupts(desc[i] + 1, DCBM_TIMEOUT_NS))) {
        dead |= 1 << c;
        continue;
      }
      exec.chargeIrq(PH_COPY, cpu.interruptNs);
      yield* exec.sync();
    }
    let copied = 0;
    for (let i = 0; i < n; i++) {
      const c = i % nrChans;
      if (desc[i] >= 0 && !(dead & (1 << c)) && chans[c].descOk(desc[i])) {
        dst[i].migrateInfo |= FOLIO_CONTENT_COPIED;
        copied++;
      }
    }
    for (let c = 0; c < nrChans; c++) chans[c].release();
    this.counters.foliosMigrated += copied;
    this.counters.foliosFailures += n - copied;
    return 0;
  }
}

export function createDcbmV2(k: Kernel, o: DcbmV2Options = {}): DcbmV2Migrator {
  return new DcbmV2Migrator(o.engines ?? DmaEngines.of(k), o.channels ?? 1);
}

import type { Folio } from "../mm/folio.js";
import type { RemapResult, UnmapResult } from "../mm/rmap.js";
import type { Exec } from "./exec.js";
import type { Kernel } from "./kernel.js";

/** get_new_folio / put_new_folio of migrate_pages(): where destinations come from. */
export interface MigrationTarget {
  /** A destination of the source's order, refcount 1; null when the allocation fails. */
  alloc(src: Folio): Folio | null;
  /** Give back a destination that was not used. */
  free(dst: Folio): void;
}

/** One migrate_pages() call in progress: the kernel, the task's CPU meter and the target. */
export class MigrationRun {
  /** Bytes the CPU copied in the move phase. */
  copiedBytes = 0;
  /** The destination of the folio migrateFolioUnmap() last unmapped (saves an allocation). */
  unmappedDst: Folio | null = null;
  /** Scratch results of the rmap walks, reused for every folio. */
  readonly unmapResult: UnmapResult = { ptes: 0, pmds: 0, localFlushes: 0, ipis: 0 };
  readonly remapResult: RemapResult = { ptes: 0, pmds: 0 };

  constructor(
    readonly k: Kernel,
    readonly exec: Exec,
    readonly target: MigrationTarget,
    /**
     * The caller reads nothing of the folios it passes but what migrate_pages() leaves in its
     * list (the syscalls): the objects of folios one batch freed may then be reused by the
     * next batch's destinations (PhysMem.recycleFreedFolios), so a call holds the objects of
     * its sources and one batch of destinations rather than of both whole sets.
     */
    readonly recycleBetweenBatches = false,
  ) {}

  /** Pins a concurrent GUP took on unmapped sources (fault injection), dropped at the end. */
  private readonly transientPins: Folio[] = [];

  /** A pin taken by someone else while the folio is unmapped: its refcount check will fail. */
  pinTransient(folio: Folio): void {
    folio.refcount++;
    this.transientPins.push(folio);
  }

  /** The concurrent GUP users are done: drop their references. */
  releaseTransientPins(): void {
    for (const folio of this.transientPins) folio.refcount--;
    this.transientPins.length = 0;
  }

  /**
   * The calling task's timeline track: the one its syscall opened (`cpu0 move_pages`), or one
   * named after migrate_pages() for callers that opened none.
   */
  taskTrack(): number {
    const exec = this.exec;
    if (exec.track < 0) {
      const cpu = exec.task.cpu;
      exec.track = this.k.timeline.track("cpu", `cpu${cpu} migrate_pages`, cpu);
    }
    return exec.track;
  }

  /** Charge TLB flushes done at once (local) and the IPIs of remote shootdowns. */
  chargeFlushes(localFlushes: number, ipis: number, phase: number): void {
    const c = this.k.costs;
    this.exec.charge(phase, localFlushes * c.tlbFlushNs + ipis * c.ipiNs);
    this.exec.tlbFlushes += localFlushes;
    this.exec.ipis += ipis;
  }
}

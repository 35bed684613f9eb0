/**
 * A recording of who did what when, in virtual time: tracks (a CPU's syscall task, a copy
 * thread, a DMA channel, an application thread) holding slices (a phase, a batch, a descriptor
 * run, a wait in a migration entry). Reporters turn
 * it into Perfetto tracks and the HTML timeline.
 *
 * Off by default, like the tracepoints: recorders test `enabled` before building anything.
 * Slices on one track either nest or do not overlap, as Perfetto requires of a thread track.
 */

export type TrackKind = "cpu" | "kworker" | "dma" | "app";

export interface Track {
  id: number;
  kind: TrackKind;
  /** e.g. "cpu0 move_pages", "kworker/u64:3 (cpu24)", "ptdma0 chan1", "app thread 0 (cpu0)" */
  name: string;
  /** The CPU a cpu, kworker or app track runs on. */
  cpu?: number;
}

export interface Slice {
  track: number;
  name: string;
  /** Absolute virtual time, ns. */
  startNs: number;
  endNs: number;
  args?: Record<string, number | string>;
}

export class Timeline {
  enabled = false;
  readonly tracks: Track[] = [];
  readonly slices: Slice[] = [];
  private readonly byKey = new Map<string, number>();

  /** The id of the track of this kind and name, created on first use. */
  track(kind: TrackKind, name: string, cpu?: number): number {
    const key = `${kind}\0${name}`;
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.tracks.length;
      this.tracks.push(cpu === undefined ? { id, kind, name } : { id, kind, name, cpu });
      this.byKey.set(key, id);
    }
    return id;
  }

  /** Forget every track and slice (ids start again from 0). */
  clear(): void {
    this.tracks.length = 0;
    this.slices.length = 0;
    this.byKey.clear();
  }

  /** Record a slice on `track` if recording is enabled. */
  slice(
    track: number,
    name: string,
    startNs: number,
    endNs: number,
    args?: Record<string, number | string>,
  ): void {
    if (!this.enabled) return;
    this.slices.push(
      args === undefined ? { track, name, startNs, endNs } : { track, name, startNs, endNs, args },
    );
  }
}

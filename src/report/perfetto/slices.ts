/**
 * One track's slices as the begin and end events Perfetto nests: a slice that starts inside
 * another and ends no later is its child; its end comes before its parent's.
 */

import { RunFailure } from "../../errors.js";
import type { Slice } from "../../sim/timeline.js";

/** A slice beginning (`slice` set) or the end of the innermost open slice (`slice` null). */
export interface SliceEdge {
  ns: number;
  slice: Slice | null;
}

/** The edges of `slices` (all on one track) in time order; equal times keep nesting order. */
export function sliceEdges(slices: readonly Slice[], trackName: string): SliceEdge[] {
  // Parents first: by start, and the longer of two slices that start together.
  const sorted = [...slices].sort((a, b) => a.startNs - b.startNs || b.endNs - a.endNs);
  const edges: SliceEdge[] = [];
  const open: Slice[] = [];
  for (const s of sorted) {
    if (!(s.endNs >= s.startNs)) {
      throw new RunFailure(`timeline: slice "${s.name}" on ${trackName} ends before it starts`);
    }
    while (open.length > 0 && open[open.length - 1].endNs <= s.startNs) {
      edges.push({ ns: open[open.length - 1].endNs, slice: null });
      open.pop();
    }
    const parent = open[open.length - 1];
    if (parent !== undefined && s.endNs > parent.endNs) {
      throw new RunFailure(
        `timeline: slices "${parent.name}" and "${s.name}" on ${trackName} overlap without nesting`,
      );
    }
    edges.push({ ns: s.startNs, slice: s });
    open.push(s);
  }
  for (let i = open.length - 1; i >= 0; i--) edges.push({ ns: open[i].endNs, slice: null });
  return edges;
}

/** Slices grouped by their track id, each group in recording order. */
export function slicesByTrack(slices: readonly Slice[]): Map<number, Slice[]> {
  const byTrack = new Map<number, Slice[]>();
  for (const s of slices) {
    const list = byTrack.get(s.track);
    if (list === undefined) byTrack.set(s.track, [s]);
    else list.push(s);
  }
  return byTrack;
}

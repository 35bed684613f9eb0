/**
 * The perfetto reporter: each result's recorded call as a Perfetto trace (protobuf TrackEvent
 * format, opened by ui.perfetto.dev and trace_processor). A result is a process (pid = its
 * index + 1) whose threads are the timeline's tracks (the syscall task's CPU, each copy
 * thread, each DMA channel) carrying the recorded slices, plus two counter tracks: the GB/s
 * at which folios became accessible at their destination and the folios in flight.
 *
 * Times are ns from the start of each call, so the results line up for comparison.
 */

import { RunFailure } from "../../errors.js";
import { formatSize } from "../../machine/units.js";
import type { Recording } from "../../workload/measurements.js";
import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";
import type { Reporter, ReportInput } from "../reporter.js";
import { foliosInFlight, remapThroughput } from "./counters.js";
import { slicesByTrack } from "./slices.js";
import { TraceWriter } from "./writer.js";

/** Buckets of the GB/s counter over one call. */
export const THROUGHPUT_BUCKETS = 100;

export function processName(r: MovePagesBenchResult): string {
  const load = r.cpuLoad === 0 ? "" : ` cpu_load=${r.cpuLoad}`;
  return `${r.migrator} workers=${r.workers} folio=${formatSize(r.folioSizeBytes)} batch=${r.batchPages}${load}`;
}

function renderPerfetto(input: ReportInput): Uint8Array {
  const trace = new TraceWriter(input.results.length + 1);
  input.results.forEach((r, index) => {
    const rec = r.recording;
    if (rec === undefined) {
      throw new RunFailure(`perfetto: result ${index + 1} (${processName(r)}) has no recording`);
    }
    const pid = index + 1;
    const rel = (ns: number): number => relativeNs(rec, ns);
    const processUuid = trace.process(pid, processName(r));
    const byTrack = slicesByTrack(rec.slices);
    for (const track of rec.tracks) {
      trace.thread(pid, track.name, track.kind, byTrack.get(track.id) ?? [], rel);
    }
    trace.counter(processUuid, "GB/s", remapThroughput(rec, THROUGHPUT_BUCKETS), false, rel);
    trace.counter(processUuid, "folios in flight", foliosInFlight(rec), true, rel);
  });
  return trace.finish();
}

/** ns from the start of the call, whole (the trace's timestamps are integers). */
function relativeNs(rec: Recording, ns: number): number {
  const t = Math.round(ns - rec.startNs);
  if (!(t >= 0)) {
    throw new RunFailure(`perfetto: recorded time ${ns} ns is before the call (${rec.startNs} ns)`);
  }
  return t;
}

export const reporter: Reporter = {
  name: "perfetto",
  description:
    "Perfetto trace (protobuf) of each result's last call: CPU, copy-thread and DMA-channel tracks, GB/s and folios in flight",
  needsRecording: true,
  binary: true,
  render: renderPerfetto,
};

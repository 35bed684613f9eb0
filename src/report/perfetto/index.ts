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
import type { Slice } from "../../sim/timeline.js";
import type { Recording } from "../../workload/measurements.js";
import type { MovePagesBenchResult } from "../../workload/move-pages-bench.js";
import type { Reporter, ReportInput } from "../reporter.js";
import { type CounterPoint, foliosInFlight, remapThroughput } from "./counters.js";
import { enumValue, traceType } from "./schema.js";
import { sliceEdges } from "./slices.js";

/** Buckets of the GB/s counter over one call. */
export const THROUGHPUT_BUCKETS = 100;

/** Every packet is written on one sequence, as one trace writer would. */
const SEQUENCE_ID = 1;

interface Packet {
  timestamp?: number;
  trusted_packet_sequence_id: number;
  sequence_flags?: number;
  track_descriptor?: object;
  track_event?: object;
}

/** An event before encoding, at ns from the start of its call. */
interface TimedEvent {
  ns: number;
  event: object;
}

export function processName(r: MovePagesBenchResult): string {
  const load = r.cpuLoad === 0 ? "" : ` cpu_load=${r.cpuLoad}`;
  return `${r.migrator} workers=${r.workers} folio=${formatSize(r.folioSizeBytes)} batch=${r.batchPages}${load}`;
}

function renderPerfetto(input: ReportInput): Uint8Array {
  const TYPE_SLICE_BEGIN = enumValue("TrackEvent.Type", "TYPE_SLICE_BEGIN");
  const TYPE_SLICE_END = enumValue("TrackEvent.Type", "TYPE_SLICE_END");
  const TYPE_COUNTER = enumValue("TrackEvent.Type", "TYPE_COUNTER");
  const UNIT_COUNT = enumValue("CounterDescriptor.Unit", "UNIT_COUNT");
  const SEQ_INCREMENTAL_STATE_CLEARED = enumValue(
    "TracePacket.SequenceFlags",
    "SEQ_INCREMENTAL_STATE_CLEARED",
  );
  // Track descriptors first, then the events in time order.
  const packets: Packet[] = [];
  const events: TimedEvent[] = [];
  let nextUuid = 1;
  // Thread ids follow the pids so that no thread is taken for a process's main thread.
  let nextTid = input.results.length + 1;
  input.results.forEach((r, index) => {
    const rec = r.recording;
    if (rec === undefined) {
      throw new RunFailure(`perfetto: result ${index + 1} (${processName(r)}) has no recording`);
    }
    const pid = index + 1;
    const rel = (ns: number): number => relativeNs(rec, ns);
    const processUuid = nextUuid++;
    packets.push(
      packet({
        track_descriptor: {
          uuid: processUuid,
          process: { pid, process_name: processName(r) },
        },
      }),
    );
    const byTrack = new Map<number, Slice[]>();
    for (const s of rec.slices) {
      const list = byTrack.get(s.track);
      if (list === undefined) byTrack.set(s.track, [s]);
      else list.push(s);
    }
    for (const track of rec.tracks) {
      const uuid = nextUuid++;
      packets.push(
        packet({
          // A thread track belongs to its process through the pid, not parent_uuid.
          track_descriptor: {
            uuid,
            name: track.name,
            thread: { pid, tid: nextTid++, thread_name: track.name },
          },
        }),
      );
      for (const edge of sliceEdges(byTrack.get(track.id) ?? [], track.name)) {
        const s = edge.slice;
        events.push({
          ns: rel(edge.ns),
          event:
            s === null
              ? { type: TYPE_SLICE_END, track_uuid: uuid }
              : {
                  type: TYPE_SLICE_BEGIN,
                  track_uuid: uuid,
                  name: s.name,
                  categories: [track.kind],
                  debug_annotations: annotations(s.args),
                },
        });
      }
    }
    const counter = (name: string, points: CounterPoint[], integer: boolean): void => {
      const uuid = nextUuid++;
      packets.push(
        packet({
          track_descriptor: {
            uuid,
            parent_uuid: processUuid,
            name,
            counter: integer ? { unit: UNIT_COUNT } : {},
          },
        }),
      );
      for (const p of points) {
        events.push({
          ns: rel(p.ns),
          event: integer
            ? { type: TYPE_COUNTER, track_uuid: uuid, counter_value: p.value }
            : { type: TYPE_COUNTER, track_uuid: uuid, double_counter_value: p.value },
        });
      }
    };
    counter("GB/s", remapThroughput(rec, THROUGHPUT_BUCKETS), false);
    counter("folios in flight", foliosInFlight(rec), true);
  });
  // A stable sort: events at equal times keep their track's nesting order.
  events.sort((a, b) => a.ns - b.ns);
  for (const e of events) packets.push(packet({ timestamp: e.ns, track_event: e.event }));
  if (packets.length > 0) packets[0].sequence_flags = SEQ_INCREMENTAL_STATE_CLEARED;
  return traceType().encode({ packet: packets }).finish();
}

function packet(fields: Omit<Packet, "trusted_packet_sequence_id">): Packet {
  return { ...fields, trusted_packet_sequence_id: SEQUENCE_ID };
}

/** ns from the start of the call, whole (the trace's timestamps are integers). */
function relativeNs(rec: Recording, ns: number): number {
  const t = Math.round(ns - rec.startNs);
  if (!(t >= 0)) {
    throw new RunFailure(`perfetto: recorded time ${ns} ns is before the call (${rec.startNs} ns)`);
  }
  return t;
}

function annotations(args: Slice["args"]): object[] {
  if (args === undefined) return [];
  return Object.entries(args).map(([name, v]) =>
    typeof v === "string"
      ? { name, string_value: v }
      : Number.isSafeInteger(v)
        ? { name, int_value: v }
        : { name, double_value: v },
  );
}

export const reporter: Reporter = {
  name: "perfetto",
  description:
    "Perfetto trace (protobuf) of each result's last call: CPU, copy-thread and DMA-channel tracks, GB/s and folios in flight",
  needsRecording: true,
  binary: true,
  render: renderPerfetto,
};

/**
 * A Perfetto trace being written: processes, thread tracks carrying slices and counter tracks,
 * as TrackEvent packets on one sequence (as one trace writer would). Track descriptors come
 * first, in the order they were added, then every event in time order. Both `bench`'s and
 * `run`'s perfetto reporters write through it.
 */
import type { Slice } from "../../sim/timeline.js";
import type { CounterPoint } from "./counters.js";
import { enumValue, traceType } from "./schema.js";
import { sliceEdges } from "./slices.js";

/** Every packet is written on one sequence, as one trace writer would. */
const SEQUENCE_ID = 1;

interface Packet {
  timestamp?: number;
  trusted_packet_sequence_id: number;
  sequence_flags?: number;
  track_descriptor?: object;
  track_event?: object;
}

/** An event before encoding, at its trace time. */
interface TimedEvent {
  ns: number;
  event: object;
}

/** Trace time (whole ns) of a model time. */
export type TraceClock = (ns: number) => number;

export class TraceWriter {
  private readonly packets: Packet[] = [];
  private readonly events: TimedEvent[] = [];
  private nextUuid = 1;
  private readonly types = {
    begin: enumValue("TrackEvent.Type", "TYPE_SLICE_BEGIN"),
    end: enumValue("TrackEvent.Type", "TYPE_SLICE_END"),
    counter: enumValue("TrackEvent.Type", "TYPE_COUNTER"),
    count: enumValue("CounterDescriptor.Unit", "UNIT_COUNT"),
  };

  constructor(
    /** The first thread id; ids follow the pids so that no thread is taken for a main thread. */
    private nextTid: number,
  ) {}

  /** A process track; returns its uuid, the parent of its counters. */
  process(pid: number, name: string): number {
    const uuid = this.nextUuid++;
    this.descriptor({ uuid, process: { pid, process_name: name } });
    return uuid;
  }

  /** A thread of process `pid` named `name`, with `slices` (nesting or disjoint) on it. */
  thread(
    pid: number,
    name: string,
    category: string,
    slices: readonly Slice[],
    at: TraceClock,
  ): void {
    const uuid = this.nextUuid++;
    // A thread track belongs to its process through the pid, not parent_uuid.
    this.descriptor({ uuid, name, thread: { pid, tid: this.nextTid++, thread_name: name } });
    for (const edge of sliceEdges(slices, name)) {
      const s = edge.slice;
      this.events.push({
        ns: at(edge.ns),
        event:
          s === null
            ? { type: this.types.end, track_uuid: uuid }
            : {
                type: this.types.begin,
                track_uuid: uuid,
                name: s.name,
                categories: [category],
                debug_annotations: annotations(s.args),
              },
      });
    }
  }

  /** A counter track under the process `parent`: integer counts, or doubles. */
  counter(
    parent: number,
    name: string,
    points: readonly CounterPoint[],
    integer: boolean,
    at: TraceClock,
  ): void {
    const uuid = this.nextUuid++;
    this.descriptor({
      uuid,
      parent_uuid: parent,
      name,
      counter: integer ? { unit: this.types.count } : {},
    });
    for (const p of points) {
      this.events.push({
        ns: at(p.ns),
        event: integer
          ? { type: this.types.counter, track_uuid: uuid, counter_value: p.value }
          : { type: this.types.counter, track_uuid: uuid, double_counter_value: p.value },
      });
    }
  }

  /** The trace's bytes: the descriptors, then the events in time order. */
  finish(): Uint8Array {
    const packets = [...this.packets];
    // A stable sort: events at equal times keep their track's nesting order.
    const events = [...this.events].sort((a, b) => a.ns - b.ns);
    for (const e of events) packets.push(packet({ timestamp: e.ns, track_event: e.event }));
    if (packets.length > 0) {
      packets[0].sequence_flags = enumValue(
        "TracePacket.SequenceFlags",
        "SEQ_INCREMENTAL_STATE_CLEARED",
      );
    }
    return traceType().encode({ packet: packets }).finish();
  }

  private descriptor(track: object): void {
    this.packets.push(packet({ track_descriptor: track }));
  }
}

function packet(fields: Omit<Packet, "trusted_packet_sequence_id">): Packet {
  return { ...fields, trusted_packet_sequence_id: SEQUENCE_ID };
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

/**
 * Perfetto traces decoded for the reporters' tests: the packets as protobufjs reads them back,
 * and each track's slices rebuilt from their BEGIN and END events (checking they pair up and
 * that events come in time order).
 */
import { expect } from "vitest";
import { traceType } from "./schema.js";

export interface Descriptor {
  uuid: number;
  parent_uuid?: number;
  name?: string;
  process?: { pid: number; process_name: string };
  thread?: { pid: number; tid: number; thread_name: string };
  counter?: { unit?: string };
}

export interface Event {
  type: string;
  track_uuid: number;
  name?: string;
  categories?: string[];
  counter_value?: number;
  double_counter_value?: number;
  debug_annotations?: {
    name: string;
    int_value?: number;
    double_value?: number;
    string_value?: string;
  }[];
}

export interface Packet {
  timestamp?: number;
  trusted_packet_sequence_id?: number;
  sequence_flags?: number;
  track_descriptor?: Descriptor;
  track_event?: Event;
}

export function decode(bytes: Uint8Array): Packet[] {
  const msg = traceType().decode(bytes);
  const obj = traceType().toObject(msg, { longs: Number, enums: String, arrays: true });
  return obj.packet as Packet[];
}

/** A decoded trace, split by track, with every track's slices rebuilt from BEGIN/END pairs. */
export function analyse(packets: Packet[]) {
  const descriptors = packets.flatMap((p) => (p.track_descriptor ? [p.track_descriptor] : []));
  const events = packets.filter((p) => p.track_event);
  const slices = new Map<number, { name: string; start: number; end: number; depth: number }[]>();
  const open = new Map<number, { name: string; start: number }[]>();
  const counters = new Map<number, { ts: number; value: number }[]>();
  let lastTs = 0;
  for (const p of events) {
    const e = p.track_event as Event;
    const ts = p.timestamp as number;
    expect(ts).toBeGreaterThanOrEqual(lastTs);
    lastTs = ts;
    if (e.type === "TYPE_COUNTER") {
      const list = counters.get(e.track_uuid) ?? [];
      list.push({ ts, value: e.counter_value ?? (e.double_counter_value as number) });
      counters.set(e.track_uuid, list);
      continue;
    }
    const stack = open.get(e.track_uuid) ?? [];
    open.set(e.track_uuid, stack);
    if (e.type === "TYPE_SLICE_BEGIN") {
      stack.push({ name: e.name as string, start: ts });
    } else {
      expect(e.type).toBe("TYPE_SLICE_END");
      const top = stack.pop();
      expect(top, `END without BEGIN on track ${e.track_uuid}`).toBeDefined();
      const list = slices.get(e.track_uuid) ?? [];
      list.push({
        name: top?.name as string,
        start: top?.start as number,
        end: ts,
        depth: stack.length,
      });
      slices.set(e.track_uuid, list);
    }
  }
  for (const [uuid, stack] of open) expect(stack, `open slices on track ${uuid}`).toEqual([]);
  return { descriptors, slices, counters };
}

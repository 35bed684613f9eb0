/**
 * perfetto_trace.proto as a string, parsed with protobufjs at run time: tsc does not copy
 * .proto files to dist/, so the schema travels inside the module. schema.test.ts keeps this
 * string identical to the .proto file, which stays the one to read and to hand to protoc.
 */

import protobuf from "protobufjs";

export const PERFETTO_TRACE_PROTO = `// The subset of Perfetto's trace protos that the perfetto reporter writes: a Trace of
// TracePackets holding TrackDescriptors (processes, threads, counters) and TrackEvents
// (slice begin/end, counter values). Field numbers and types are Perfetto's, checked against
// github.com/google/perfetto at these commits:
//   protos/perfetto/trace/trace.proto                               016d1f43ed5a02888c850752fb9693c88a8aa711
//   protos/perfetto/trace/trace_packet.proto                        02603952ce0ca9a1f4728ec3153663e8b4b05e06
//   protos/perfetto/trace/track_event/track_event.proto             005055c991ae2d5717df2d086495181ef7fe5a32
//   protos/perfetto/trace/track_event/track_descriptor.proto        077b18e7a0361d15ba8a15cb5febd4a71339ad8c
//   protos/perfetto/trace/track_event/process_descriptor.proto      35ecffbaee5d3429eddc0706caf6c7576b2975ee
//   protos/perfetto/trace/track_event/thread_descriptor.proto       1e2582a8627e96241c2e2ad1a8dd0b1fdd853898
//   protos/perfetto/trace/track_event/counter_descriptor.proto      9b959b7c4e0a1864022127fda0d8c9f42af8f358
//   protos/perfetto/trace/track_event/debug_annotation.proto        0c460ef3dace1f5a80e933819149742cafc17370
// Every other field of those messages is optional there and left out here.
// schema.ts embeds this file as a string (tsc does not copy .proto files to dist/); a test
// keeps the two identical.

syntax = "proto2";

package perfetto.protos;

message Trace {
  repeated TracePacket packet = 1;
}

message TracePacket {
  optional uint64 timestamp = 8;

  oneof data {
    TrackEvent track_event = 11;
    TrackDescriptor track_descriptor = 60;
  }

  oneof optional_trusted_packet_sequence_id {
    uint32 trusted_packet_sequence_id = 10;
  }

  enum SequenceFlags {
    SEQ_UNSPECIFIED = 0;
    SEQ_INCREMENTAL_STATE_CLEARED = 1;
    SEQ_NEEDS_INCREMENTAL_STATE = 2;
  }
  // A bit set of SequenceFlags.
  optional uint32 sequence_flags = 13;
}

message TrackEvent {
  repeated string categories = 22;

  oneof name_field {
    string name = 23;
  }

  enum Type {
    TYPE_UNSPECIFIED = 0;
    TYPE_SLICE_BEGIN = 1;
    TYPE_SLICE_END = 2;
    TYPE_INSTANT = 3;
    TYPE_COUNTER = 4;
  }
  optional Type type = 9;

  optional uint64 track_uuid = 11;

  oneof counter_value_field {
    int64 counter_value = 30;
    double double_counter_value = 44;
  }

  repeated DebugAnnotation debug_annotations = 4;
}

message DebugAnnotation {
  oneof name_field {
    string name = 10;
  }

  oneof value {
    int64 int_value = 4;
    double double_value = 5;
    string string_value = 6;
  }
}

message TrackDescriptor {
  optional uint64 uuid = 1;
  optional uint64 parent_uuid = 5;
  optional string name = 2;
  optional ProcessDescriptor process = 3;
  optional ThreadDescriptor thread = 4;
  optional CounterDescriptor counter = 8;
}

message ProcessDescriptor {
  optional int32 pid = 1;
  optional string process_name = 6;
}

message ThreadDescriptor {
  optional int32 pid = 1;
  optional int32 tid = 2;
  optional string thread_name = 5;
}

message CounterDescriptor {
  enum Unit {
    UNIT_UNSPECIFIED = 0;
    UNIT_TIME_NS = 1;
    UNIT_COUNT = 2;
    UNIT_SIZE_BYTES = 3;
  }
  optional Unit unit = 3;
}
`;

let trace: protobuf.Type | undefined;

/** The perfetto.protos.Trace message type; field names as in the .proto (keepCase). */
export function traceType(): protobuf.Type {
  trace ??= protobuf
    .parse(PERFETTO_TRACE_PROTO, { keepCase: true })
    .root.lookupType("perfetto.protos.Trace");
  return trace;
}

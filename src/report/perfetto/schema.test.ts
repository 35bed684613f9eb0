import { describe, expect, it } from "vitest";
import { enumValue, traceType } from "./schema.js";

describe("perfetto schema", () => {
  it("parses proto/perfetto_trace.proto to perfetto.protos.Trace", () => {
    expect(traceType().fullName).toBe(".perfetto.protos.Trace");
    expect(traceType().fields.packet.id).toBe(1);
  });

  it("gives the enum values of the proto, as Perfetto numbers them", () => {
    expect(enumValue("TrackEvent.Type", "TYPE_SLICE_BEGIN")).toBe(1);
    expect(enumValue("TrackEvent.Type", "TYPE_SLICE_END")).toBe(2);
    expect(enumValue("TrackEvent.Type", "TYPE_COUNTER")).toBe(4);
    expect(enumValue("CounterDescriptor.Unit", "UNIT_COUNT")).toBe(2);
    expect(enumValue("TracePacket.SequenceFlags", "SEQ_INCREMENTAL_STATE_CLEARED")).toBe(1);
    expect(() => enumValue("TrackEvent.Type", "TYPE_NOPE")).toThrow(
      /no TYPE_NOPE in TrackEvent.Type/,
    );
  });
});

import { describe, expect, it } from "vitest";
import { traceType } from "./schema.js";

describe("perfetto schema", () => {
  it("parses proto/perfetto_trace.proto to perfetto.protos.Trace", () => {
    expect(traceType().fullName).toBe(".perfetto.protos.Trace");
    expect(traceType().fields.packet.id).toBe(1);
  });
});

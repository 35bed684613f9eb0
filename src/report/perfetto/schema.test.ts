import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PERFETTO_TRACE_PROTO, traceType } from "./schema.js";

describe("perfetto schema", () => {
  it("embeds perfetto_trace.proto as it is", () => {
    const file = readFileSync(new URL("./perfetto_trace.proto", import.meta.url), "utf8");
    expect(PERFETTO_TRACE_PROTO).toBe(file);
  });

  it("parses to perfetto.protos.Trace", () => {
    expect(traceType().fullName).toBe(".perfetto.protos.Trace");
    expect(traceType().fields.packet.id).toBe(1);
  });
});

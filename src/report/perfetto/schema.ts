/**
 * The schema of the Perfetto trace: proto/perfetto_trace.proto at the package root (shipped
 * beside profiles/, since tsc copies no .proto files to dist/), parsed with protobufjs once.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { packageRoot } from "../../machine/package-root.js";

let trace: protobuf.Type | undefined;

/** The perfetto.protos.Trace message type; field names as in the .proto (keepCase). */
export function traceType(): protobuf.Type {
  trace ??= protobuf
    .parse(readFileSync(join(packageRoot(), "proto", "perfetto_trace.proto"), "utf8"), {
      keepCase: true,
    })
    .root.lookupType("perfetto.protos.Trace");
  return trace;
}

/**
 * The schema of the Perfetto trace: proto/perfetto_trace.proto at the package root (shipped
 * beside profiles/, since tsc copies no .proto files to dist/), parsed with protobufjs once.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { packageRoot } from "../../machine/package-root.js";

let root: protobuf.Root | undefined;

function schema(): protobuf.Root {
  root ??= protobuf.parse(
    readFileSync(join(packageRoot(), "proto", "perfetto_trace.proto"), "utf8"),
    { keepCase: true },
  ).root;
  return root;
}

/** The perfetto.protos.Trace message type; field names as in the .proto (keepCase). */
export function traceType(): protobuf.Type {
  return schema().lookupType("perfetto.protos.Trace");
}

/** The value of `name` in enum `enumPath` (under perfetto.protos) of the schema. */
export function enumValue(enumPath: string, name: string): number {
  const value = schema().lookupEnum(`perfetto.protos.${enumPath}`).values[name];
  if (value === undefined) throw new Error(`perfetto_trace.proto: no ${name} in ${enumPath}`);
  return value;
}

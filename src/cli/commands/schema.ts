/** `pagemig schema profile|workload|scenario|report`: the JSON Schema of a document, for editors and tools. */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { jsonSchemaOf, SCHEMA_KIND_NAMES, type SchemaKind } from "../../schemas.js";
import { print } from "../output.js";

export function register(program: Command): void {
  program
    .command("schema")
    .description(
      "print the JSON Schema of a profile, a tune workload, a scenario or bench's JSON report",
    )
    .argument("<kind>", SCHEMA_KIND_NAMES.join("|"))
    .action((kind: string, _options: unknown, cmd: Command) => {
      if (!(SCHEMA_KIND_NAMES as string[]).includes(kind)) {
        throw new UsageError(
          `schema: unknown kind '${kind}' (kinds: ${SCHEMA_KIND_NAMES.join(", ")})`,
        );
      }
      print(cmd, `${JSON.stringify(jsonSchemaOf(kind as SchemaKind), null, 2)}\n`);
    });
}

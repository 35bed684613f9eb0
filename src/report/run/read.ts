/**
 * A `pagemig run` JSON report as its readers check it (`pagemig explain REPORT`, `pagemig
 * merge`): one schema of the fields they use, so a bad report fails either the same way, in
 * one line naming the field. Unknown keys pass: adding a field keeps the schema's version.
 */
import { z } from "zod";
import { RUN_SCHEMA, RUN_SCHEMA_VERSION } from "./json.js";

export const runDocumentSchema = z.object({
  schema: z.literal(RUN_SCHEMA),
  schemaVersion: z.literal(RUN_SCHEMA_VERSION, {
    error: `a ${RUN_SCHEMA} document of another version (this pagemig reads ${RUN_SCHEMA_VERSION})`,
  }),
  version: z.string(),
  scenario: z.string(),
  set: z.array(z.string()),
  sweep: z.array(z.string()),
  runs: z.array(
    z.object({
      settings: z.array(z.string()),
      result: z.looseObject({
        callers: z.array(z.unknown(), {
          error:
            "written by an older pagemig (its results have no callers); run the scenario again",
        }),
      }),
    }),
  ),
});

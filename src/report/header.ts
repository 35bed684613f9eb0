/**
 * The versioned header every `--json` document starts with (docs/report-json.md): which
 * document it is and at which version, and the tool and its version that wrote it, so a reader
 * (or `pagemig compare`) can refuse what it does not understand before reading further.
 */
import { packageVersion } from "../machine/package-root.js";

export interface DocumentHeader<S extends string = string> {
  /** The document kind, e.g. `pagemig-report` (bench), `pagemig-tune`. */
  schema: S;
  /** Raised when a field is removed, renamed or changes meaning or unit; adding one keeps it. */
  schemaVersion: number;
  tool: "pagemig";
  version: string;
  /** The command that wrote it, e.g. `bench move-pages`, `tune`. */
  command: string;
}

/** Every JSON document's kind and current version, by kind. */
export const DOCUMENT_SCHEMAS = {
  "pagemig-report": 1,
  "pagemig-run": 1,
  "pagemig-tune": 1,
  "pagemig-explain": 1,
  "pagemig-explain-scenario": 1,
  "pagemig-baseline": 1,
  "pagemig-validate": 1,
  "pagemig-profiles": 1,
  "pagemig-selftest": 1,
  "pagemig-probe": 1,
  "pagemig-compare": 1,
  "pagemig-host-check": 1,
  "pagemig-tune-shard": 1,
} as const;

export type DocumentSchema = keyof typeof DOCUMENT_SCHEMAS;

/** The header of a `schema` document written by `command`. */
export function documentHeader<S extends DocumentSchema>(
  schema: S,
  command: string,
): DocumentHeader<S> & { schemaVersion: (typeof DOCUMENT_SCHEMAS)[S] } {
  return {
    schema,
    schemaVersion: DOCUMENT_SCHEMAS[schema],
    tool: "pagemig",
    version: packageVersion(),
    command,
  };
}

/** `body` under the header of `schema`, as the pretty-printed JSON the commands print. */
export function jsonDocument(schema: DocumentSchema, command: string, body: object): string {
  return `${JSON.stringify({ ...documentHeader(schema, command), ...body }, null, 2)}\n`;
}

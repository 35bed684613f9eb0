/**
 * `pagemig compare`: two JSON documents of the same command, their rows matched by
 * configuration and every number of a matched row side by side with its difference.
 */
import { UsageError } from "../../errors.js";
import { type ReadDocument, type Row, readDocument } from "./extract.js";

/** One metric of a matched row in both documents. */
export interface MetricDiff {
  name: string;
  unit: string;
  primary: boolean;
  a: number | null;
  b: number | null;
  /** b - a; null where either is. */
  diff: number | null;
  /** b / a - 1; null where either is null or a is 0. */
  relative: number | null;
}

export interface MatchedRow {
  key: string;
  metrics: MetricDiff[];
}

export interface Side {
  file: string;
  version: string;
  profile: string | null;
  host: string | null;
}

export interface Comparison {
  schema: string;
  schemaVersion: number;
  command: string;
  a: Side;
  b: Side;
  matched: MatchedRow[];
  /** Configurations only one document has. */
  onlyA: string[];
  onlyB: string[];
}

/** Rows keyed by configuration; a repeated configuration gets `#2`, `#3`, ... in order. */
function byKey(rows: readonly Row[]): Map<string, Row> {
  const out = new Map<string, Row>();
  const seen = new Map<string, number>();
  for (const row of rows) {
    const n = (seen.get(row.key) ?? 0) + 1;
    seen.set(row.key, n);
    out.set(n === 1 ? row.key : `${row.key} #${n}`, row);
  }
  return out;
}

function side(d: ReadDocument): Side {
  return { file: d.file, version: d.version, profile: d.profile, host: d.host };
}

/** Compares two parsed documents, `a` the reference; mismatched kinds are a UsageError. */
export function compareDocuments(
  fileA: string,
  dataA: unknown,
  fileB: string,
  dataB: unknown,
): Comparison {
  const a = readDocument(fileA, dataA);
  const b = readDocument(fileB, dataB);
  // One schema is one command's document; a pagemig-report is move_pages(2) results whichever
  // wrote it (bench, host bench, the published tables), so those compare with each other.
  if (a.schema !== b.schema) {
    throw new UsageError(
      `compare: ${a.file} is ${a.command} (${a.schema}), ${b.file} is ${b.command} (${b.schema}); compare two reports of the same command`,
    );
  }
  const rowsA = byKey(a.rows);
  const rowsB = byKey(b.rows);
  const matched: MatchedRow[] = [];
  for (const [key, rowA] of rowsA) {
    const rowB = rowsB.get(key);
    if (rowB === undefined) continue;
    const valuesB = new Map(rowB.metrics.map((m) => [m.name, m.value]));
    matched.push({
      key,
      metrics: rowA.metrics
        .filter((m) => valuesB.has(m.name))
        .map((m) => {
          const vb = valuesB.get(m.name) ?? null;
          const va = m.value;
          return {
            name: m.name,
            unit: m.unit,
            primary: m.primary,
            a: va,
            b: vb,
            diff: va === null || vb === null ? null : vb - va,
            relative: va === null || vb === null || va === 0 ? null : vb / va - 1,
          };
        }),
    });
  }
  return {
    schema: a.schema,
    schemaVersion: a.schemaVersion,
    command: a.command === b.command ? a.command : `${a.command} / ${b.command}`,
    a: side(a),
    b: side(b),
    matched,
    onlyA: [...rowsA.keys()].filter((k) => !rowsB.has(k)),
    onlyB: [...rowsB.keys()].filter((k) => !rowsA.has(k)),
  };
}

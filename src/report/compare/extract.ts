/**
 * What `pagemig compare` reads of each kind of JSON document: its results as rows, each named
 * by its configuration (the fields that say what ran, which match a row of one document to a
 * row of the other) and carrying its measured numbers. Documents are read as data, defensively:
 * a field of the wrong type is a UsageError naming the file and field, never a crash.
 */
import { UsageError } from "../../errors.js";
import { formatSize } from "../../machine/units.js";

/** One measured number of a row. */
export interface Metric {
  name: string;
  unit: string;
  /** Shown in the table; every metric is in the JSON and CSV. */
  primary: boolean;
  value: number | null;
}

export interface Row {
  /** The configuration in words; rows of the two documents with the same key are compared. */
  key: string;
  metrics: Metric[];
}

type Json = Record<string, unknown>;

/** A reader of one document: its rows, or a UsageError `<file>: <path>: <reason>`. */
class Reader {
  constructor(readonly file: string) {}

  fail(path: string, reason: string): never {
    throw new UsageError(`${this.file}: ${path}: ${reason}`);
  }

  object(v: unknown, path: string): Json {
    if (v === null || typeof v !== "object" || Array.isArray(v)) this.fail(path, "not an object");
    return v as Json;
  }

  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, "not an array");
    return v;
  }

  number(v: unknown, path: string): number {
    if (typeof v !== "number") this.fail(path, "not a number");
    return v;
  }

  /** A number, or null where the document writes null (a ratio with a zero denominator). */
  nullable(v: unknown, path: string): number | null {
    return v === null ? null : this.number(v, path);
  }

  string(v: unknown, path: string): string {
    if (typeof v !== "string") this.fail(path, "not a string");
    return v;
  }
}

const metric = (name: string, unit: string, value: number | null, primary = false): Metric => ({
  name,
  unit,
  primary,
  value,
});

/** The nodes a host's report moved between (its `host.nodes`), if it says. */
function hostNodes(r: Reader, doc: Json): { from: number; to: number } | null {
  if (typeof doc.host !== "object" || doc.host === null) return null;
  const nodes = (doc.host as Json).nodes;
  if (nodes === undefined) return null;
  const x = r.object(nodes, "host.nodes");
  return { from: r.number(x.from, "host.nodes.from"), to: r.number(x.to, "host.nodes.to") };
}

/**
 * A pagemig-report (the model's bench, a host's, the published tables'): a row per result,
 * keyed by everything that configured it. A host measures less than the model: the metrics a
 * result lacks are left out of its row, and so of the comparison.
 */
function benchRows(r: Reader, doc: Json): Row[] {
  const host = hostNodes(r, doc);
  return r.array(doc.results, "results").map((item, i) => {
    const at = `results[${i}]`;
    const x = r.object(item, at);
    const n = (field: string) => r.number(x[field], `${at}.${field}`);
    // Reports written before --from/--to moved node 0 to node 1; a host's names its nodes once.
    const from = x.fromNode === undefined ? (host?.from ?? 0) : n("fromNode");
    const to = x.toNode === undefined ? (host?.to ?? 1) : n("toNode");
    const optional = (m: () => Metric, field: string): Metric[] =>
      x[field] === undefined ? [] : [m()];
    const key = [
      r.string(x.migrator, `${at}.migrator`),
      `workers ${n("workers")}`,
      `${formatSize(n("folioSizeBytes"))} x ${n("folioCount")}`,
      `batch ${n("batchPages")}`,
      `cpu-load ${n("cpuLoad")}`,
      `node ${from}->${to}`,
    ].join(", ");
    const phases = x.phases === undefined ? {} : r.object(x.phases, `${at}.phases`);
    const latency = () => r.object(x.folioLatencyUs, `${at}.folioLatencyUs`);
    const throughput = r.object(x.throughputGBps, `${at}.throughputGBps`);
    return {
      key,
      metrics: [
        metric("throughput", "GB/s", r.number(throughput.mean, `${at}.throughputGBps.mean`), true),
        metric("call", "us", n("callTimeUs"), true),
        ...optional(
          () => metric("first folio", "us", n("firstFolioLatencyUs"), true),
          "firstFolioLatencyUs",
        ),
        metric("CPU", "us", n("cpuTimeUs"), true),
        ...optional(
          () => metric("copy fraction", "ratio", r.nullable(x.copyFraction, `${at}.copyFraction`)),
          "copyFraction",
        ),
        ...optional(
          () =>
            metric(
              "folio latency median",
              "us",
              r.number(latency().median, `${at}.folioLatencyUs.median`),
            ),
          "folioLatencyUs",
        ),
        ...optional(
          () =>
            metric("folio latency p99", "us", r.number(latency().p99, `${at}.folioLatencyUs.p99`)),
          "folioLatencyUs",
        ),
        ...Object.keys(phases).map((p) =>
          metric(
            `${p} wall`,
            "us",
            r.number(r.object(phases[p], `${at}.phases.${p}`).wallUs, `${at}.phases.${p}.wallUs`),
          ),
        ),
        ...optional(() => metric("TLB flush IPIs", "count", n("tlbFlushIpis")), "tlbFlushIpis"),
        ...optional(
          () => metric("DMA descriptors", "count", n("dmaDescriptors")),
          "dmaDescriptors",
        ),
        ...optional(
          () =>
            metric(
              "pages migrated",
              "count",
              r.number(
                (x.vmstat as Json)?.pgmigrate_success ?? 0,
                `${at}.vmstat.pgmigrate_success`,
              ),
            ),
          "vmstat",
        ),
      ],
    };
  });
}

/** run's pagemig-run: a row per thread and per mover of each run, keyed by the run's settings. */
function runRows(r: Reader, doc: Json): Row[] {
  return r.array(doc.runs, "runs").flatMap((item, i) => {
    const at = `runs[${i}]`;
    const run = r.object(item, at);
    const settings = r
      .array(run.settings, `${at}.settings`)
      .map((s, j) => r.string(s, `${at}.settings[${j}]`));
    const prefix = settings.length === 0 ? "" : `${settings.join(" ")}: `;
    const result = r.object(run.result, `${at}.result`);
    const threads = r.array(result.threads, `${at}.result.threads`).map((t, j) => {
      const tat = `${at}.result.threads[${j}]`;
      const x = r.object(t, tat);
      const n = (field: string) => r.number(x[field], `${tat}.${field}`);
      return {
        key: `${prefix}thread ${r.string(x.process, `${tat}.process`)} cpu ${n("cpu")}`,
        metrics: [
          metric("ops", "ops/s", n("opsPerSec"), true),
          metric("stalled", "ns", n("stallNs"), true),
          metric("stalls", "count", n("stalls")),
          metric("CPU lost", "ns", n("cpuLostNs"), true),
          metric("access", "ns", n("meanAccessNs")),
        ],
      };
    });
    const movers = r.array(result.movers, `${at}.result.movers`).map((m, j) => {
      const mat = `${at}.result.movers[${j}]`;
      const x = r.object(m, mat);
      const n = (field: string) => r.number(x[field], `${mat}.${field}`);
      return {
        key: `${prefix}mover ${j} ${r.string(x.process, `${mat}.process`)}/${r.string(x.region, `${mat}.region`)}`,
        metrics: [
          metric("migration", "GB/s", n("gbps"), true),
          metric("calls", "count", n("calls")),
          metric("folios moved", "count", n("foliosMoved"), true),
          metric("busy", "ns", n("busyNs")),
        ],
      };
    });
    return [...threads, ...movers];
  });
}

/** A tune candidate's numbers (the JSON's candidate fields). */
function tuneMetrics(r: Reader, x: Json, at: string): Metric[] {
  const n = (field: string) => r.number(x[field], `${at}.${field}`);
  return [
    metric("throughput", "GB/s", n("throughputGBps"), true),
    metric("CPU per GiB", "ms", n("cpuMsPerGiB"), true),
    metric("cores", "count", n("cores")),
    metric("first folio", "us", n("firstFolioUs"), true),
    metric("call", "ms", n("callMs")),
  ];
}

function tuneSetting(r: Reader, x: Json, at: string): string {
  const s = (field: string) => String(x[field]);
  r.string(x.migrator, `${at}.migrator`);
  return `${s("migrator")} workers ${s("workers")} ${s("placement")} min-batch ${s("minBatchFolios")} batch ${s("batchPages")} reasons ${s("reasonMask")}`;
}

/**
 * tune's pagemig-tune: vanilla, each setting of the Pareto front (keyed by the setting) and the
 * recommendation (keyed by the setting too, so a different recommendation is two rows).
 */
function tuneRows(r: Reader, doc: Json): Row[] {
  const vanilla = r.object(doc.vanilla, "vanilla");
  const rows: Row[] = [{ key: "vanilla", metrics: tuneMetrics(r, vanilla, "vanilla") }];
  r.array(doc.front, "front").forEach((item, i) => {
    const x = r.object(item, `front[${i}]`);
    rows.push({
      key: `front: ${tuneSetting(r, x, `front[${i}]`)}`,
      metrics: tuneMetrics(r, x, `front[${i}]`),
    });
  });
  if (doc.recommendation !== null) {
    const rec = r.object(doc.recommendation, "recommendation");
    rows.push({
      key: `recommended: ${tuneSetting(r, rec, "recommendation")}`,
      metrics: tuneMetrics(r, rec, "recommendation"),
    });
  }
  return rows;
}

/** explain's pagemig-explain: one row, its configuration as the key. */
function explainRows(r: Reader, doc: Json): Row[] {
  const c = r.object(doc.config, "config");
  const n = (x: Json, field: string, at: string) => r.number(x[field], `${at}.${field}`);
  const key = [
    r.string(c.migrator, "config.migrator"),
    `workers ${n(c, "workers", "config")}`,
    `${formatSize(n(c, "folioSizeBytes", "config"))} x ${n(c, "folioCount", "config")}`,
    `batch ${n(c, "batchPages", "config")}`,
    `node ${n(c, "fromNode", "config")}->${n(c, "toNode", "config")}`,
  ].join(", ");
  const phases = r.array(doc.phases, "phases").map((p, i) => {
    const x = r.object(p, `phases[${i}]`);
    return metric(
      `${r.string(x.phase, `phases[${i}].phase`)} wall`,
      "us",
      n(x, "wallUs", `phases[${i}]`),
    );
  });
  const amdahl = r.object(doc.amdahl, "amdahl");
  return [
    {
      key,
      metrics: [
        metric("throughput", "GB/s", n(doc, "throughputGBps", ""), true),
        metric("call", "us", n(doc, "callTimeUs", ""), true),
        metric("CPU", "us", n(doc, "cpuTotalUs", ""), true),
        metric("copy share of serial", "ratio", n(amdahl, "copyShare", "amdahl")),
        metric("Amdahl ceiling", "x", n(amdahl, "ceiling", "amdahl")),
        ...phases,
      ],
    },
  ];
}

/** The documents compare reads, by schema, with the version it reads. */
export const COMPARABLE: Record<
  string,
  { version: number; rows: (r: Reader, doc: Json) => Row[] }
> = {
  "pagemig-report": { version: 1, rows: benchRows },
  "pagemig-run": { version: 1, rows: runRows },
  "pagemig-tune": { version: 1, rows: tuneRows },
  "pagemig-explain": { version: 1, rows: explainRows },
};

export interface ReadDocument {
  file: string;
  schema: string;
  schemaVersion: number;
  version: string;
  command: string;
  /** The machine profile, where the document names one. */
  profile: string | null;
  /** A report of a real host (issue 12's `host` field), or null for the model's. */
  host: string | null;
  rows: Row[];
}

/** The header and rows of a parsed JSON document, or a UsageError naming what is wrong. */
export function readDocument(file: string, data: unknown): ReadDocument {
  const r = new Reader(file);
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new UsageError(`${file}: not a pagemig JSON document (no header)`);
  }
  const doc = data as Json;
  if (typeof doc.schema !== "string" || doc.tool !== "pagemig") {
    throw new UsageError(`${file}: not a pagemig JSON document (no schema and tool in its header)`);
  }
  const kind = COMPARABLE[doc.schema];
  if (kind === undefined) {
    throw new UsageError(
      `${file}: compare reads ${Object.keys(COMPARABLE).join(", ")} documents, not ${doc.schema}`,
    );
  }
  const schemaVersion = r.number(doc.schemaVersion, "schemaVersion");
  if (schemaVersion !== kind.version) {
    throw new UsageError(
      `${file}: ${doc.schema} schema version ${schemaVersion}; this pagemig reads version ${kind.version}`,
    );
  }
  return {
    file,
    schema: doc.schema,
    schemaVersion,
    version: r.string(doc.version, "version"),
    command: r.string(doc.command, "command"),
    profile: typeof doc.profile === "string" ? doc.profile : null,
    host: hostName(doc.host),
    rows: kind.rows(r, doc),
  };
}

/** The host a report was measured on: its kernel where `host bench` could read it. */
function hostName(host: unknown): string | null {
  if (host === undefined || host === null) return null;
  if (typeof host === "string") return host;
  if (typeof host === "object") {
    const h = host as Json;
    if (typeof h.kernel === "string") return `Linux ${h.kernel}`;
  }
  return "host";
}

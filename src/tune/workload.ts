/**
 * The workload the tuner tunes for: what a migration call moves (a folio size mix by bytes, the
 * bytes per call), why (a mix of migrate reasons), and the budgets a setting must meet. Read from
 * a YAML or JSON file (`--workload`), from flags, or both (flags win), and validated whole
 * before anything runs; every problem is one UsageError naming the field.
 *
 *   folioSizes: { 2M: 0.7, 4K: 0.3 }    # or "2M:0.7,4K:0.3"; weights are shares of the bytes
 *   total: 1G                           # bytes per call
 *   reasons: { syscall: 0.5, demotion: 0.5 }   # or "syscall:0.5,demotion:0.5"
 *   latencyBudget: 500us                # first folio, from migrate_pages() entry
 *   callBudget: 20ms                    # the whole call
 *   cpuBudget: 300ms/G                  # CPU time per GiB moved, or e.g. 2cores
 */
import { z } from "zod";
import { parsedField, parseYamlDocument, readUserFile, validated } from "../config/document.js";
import { UsageError } from "../errors.js";
import { formatSize } from "../machine/units.js";
import { MR_SYSCALL } from "../migrate/modes.js";
import {
  type CpuBudget,
  normalizeMix,
  type Parsed,
  parseBytes,
  parseCpuBudget,
  parseDuration,
  parseFolioSize,
  parseMix,
  parseReason,
  type Weighted,
} from "./quantities.js";

export interface Budgets {
  /** First-folio latency, ns from migrate_pages() entry until the first folio is mapped again. */
  firstFolioNs?: number;
  /** Time of one whole call, ns. */
  callNs?: number;
  cpu?: CpuBudget;
}

export interface Workload {
  /** Folio sizes in bytes with their share of the bytes moved (sum 1). */
  folioMix: Weighted<number>[];
  /** Bytes moved per call. */
  totalBytes: number;
  /** Migrate reasons (MR_*) with their share of the bytes moved (sum 1). */
  reasons: Weighted<number>[];
  budgets: Budgets;
}

/** Without flags or file: 1 GiB of THPs per move_pages(2) call, as the published runs. */
const DEFAULT_FOLIO_MIX: Weighted<number>[] = [{ key: 2 << 20, weight: 1 }];
const DEFAULT_TOTAL = 2 ** 30;
const DEFAULT_REASONS: Weighted<number>[] = [{ key: MR_SYSCALL, weight: 1 }];

/** Flags of `pagemig tune` that describe the workload; each overrides the file's field. */
export interface WorkloadFlags {
  workload?: string;
  folioSize?: string;
  total?: string;
  reasons?: string;
  latencyBudget?: string;
  callBudget?: string;
  cpuBudget?: string;
}

/** A mix as a map `{ KEY: weight }` or as the flag's text `KEY:w,KEY:w`. */
function mixField<T>(parseKey: (text: string) => Parsed<T>) {
  return z
    .union([z.string(), z.record(z.string(), z.number())], {
      error: "expected a map of KEY: weight, or KEY:weight,KEY:weight",
    })
    .transform((v, ctx): Weighted<T>[] => {
      if (typeof v === "string") {
        const r = parseMix(v, parseKey);
        if (r.ok) return r.value;
        ctx.issues.push({ code: "custom", message: r.reason, input: v });
        return z.NEVER;
      }
      const items: (Weighted<T> & { text: string })[] = [];
      for (const [k, weight] of Object.entries(v)) {
        const key = parseKey(k);
        if (!key.ok) {
          ctx.issues.push({ code: "custom", message: key.reason, input: v, path: [k] });
          return z.NEVER;
        }
        items.push({ key: key.value, weight, text: k });
      }
      const r = normalizeMix(items);
      if (r.ok) return r.value;
      ctx.issues.push({ code: "custom", message: r.reason, input: v });
      return z.NEVER;
    });
}

export const WorkloadSchema = z.strictObject({
  folioSizes: mixField(parseFolioSize).optional(),
  total: parsedField(parseBytes).optional(),
  reasons: mixField(parseReason).optional(),
  latencyBudget: parsedField(parseDuration).optional(),
  callBudget: parsedField(parseDuration).optional(),
  cpuBudget: parsedField(parseCpuBudget).optional(),
});

type WorkloadFields = z.output<typeof WorkloadSchema>;

function readWorkloadFile(path: string): WorkloadFields {
  const label = `--workload ${path}`;
  return parseYamlDocument(WorkloadSchema, readUserFile(path, label), label, "workload");
}

function flag<T>(
  name: string,
  text: string | undefined,
  parse: (t: string) => Parsed<T>,
): T | undefined {
  if (text === undefined) return undefined;
  const r = parse(text);
  if (!r.ok) throw new UsageError(`${name}: ${r.reason}`);
  return r.value;
}

/** The workload from `--workload` and the flags (flags win), with the defaults for the rest. */
export function workloadFromFlags(f: WorkloadFlags): Workload {
  const file: WorkloadFields = f.workload === undefined ? {} : readWorkloadFile(f.workload);
  const totalFlag = flag("--total", f.total, parseBytes);
  return completeWorkload(
    {
      folioSizes:
        flag("--folio-size", f.folioSize, (t) => parseMix(t, parseFolioSize)) ?? file.folioSizes,
      total: totalFlag ?? file.total,
      reasons: flag("--reasons", f.reasons, (t) => parseMix(t, parseReason)) ?? file.reasons,
      latencyBudget: flag("--latency-budget", f.latencyBudget, parseDuration) ?? file.latencyBudget,
      callBudget: flag("--call-budget", f.callBudget, parseDuration) ?? file.callBudget,
      cpuBudget: flag("--cpu-budget", f.cpuBudget, parseCpuBudget) ?? file.cpuBudget,
    },
    totalFlag === undefined && file.total !== undefined
      ? `--workload ${f.workload}: total`
      : "--total",
  );
}

/** A workload document (the --workload file's fields, as a value) with the defaults for the rest. */
export function workloadFromDocument(doc: unknown, label = "workload"): Workload {
  return completeWorkload(validated(WorkloadSchema, doc, label), `${label}: total`);
}

/** The fields with the defaults for those absent; `totalLabel` names the total in errors. */
function completeWorkload(w: WorkloadFields, totalLabel: string): Workload {
  const folioMix = w.folioSizes ?? DEFAULT_FOLIO_MIX;
  const totalBytes = w.total ?? DEFAULT_TOTAL;
  for (const { key } of folioMix) {
    if (totalBytes % key !== 0) {
      throw new UsageError(
        `${totalLabel} ${formatSize(totalBytes)}: not a multiple of the folio size ${formatSize(key)}`,
      );
    }
  }
  return {
    folioMix,
    totalBytes,
    reasons: w.reasons ?? DEFAULT_REASONS,
    budgets: { firstFolioNs: w.latencyBudget, callNs: w.callBudget, cpu: w.cpuBudget },
  };
}

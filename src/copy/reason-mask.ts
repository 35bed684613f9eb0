/**
 * Reason masks of the offload registry (v6 of the series): which migrate reasons may batch
 * and offload their copy. Written as names ("compaction,demotion"), "all", "none", or hex.
 */
import { MIGRATE_REASON_NAMES } from "../migrate/modes.js";

/** MIGRATE_OFFLOAD_REASONS_ALLOWED: every MR_* type. */
export const MIGRATE_OFFLOAD_REASONS_ALLOWED = (1 << MIGRATE_REASON_NAMES.length) - 1;

/** The v5 core filter: compaction, syscall, demotion and NUMA balancing. */
export const MIGRATE_OFFLOAD_REASONS_V5 = parseReasonMaskOrThrow(
  "compaction,syscall_or_cpuset,demotion,numa_misplaced",
);

/** A mask from its text, or an error message naming the bad part. */
export function parseReasonMask(text: string): number | string {
  const t = text.trim();
  if (t === "all") return MIGRATE_OFFLOAD_REASONS_ALLOWED;
  if (t === "none" || t === "") return 0;
  if (/^0x[0-9a-f]+$/i.test(t)) {
    const mask = Number.parseInt(t.slice(2), 16);
    if (mask & ~MIGRATE_OFFLOAD_REASONS_ALLOWED)
      return `reason mask ${t} has bits beyond the reasons`;
    return mask;
  }
  let mask = 0;
  for (const name of t.split(",").map((s) => s.trim())) {
    // "syscall" is accepted for "syscall_or_cpuset", the trace string's first word.
    const i = MIGRATE_REASON_NAMES.findIndex((n) => n === name || n.split("_or_")[0] === name);
    if (i < 0) {
      return `unknown migrate reason '${name}' (one of: ${MIGRATE_REASON_NAMES.join(", ")}, all, none)`;
    }
    mask |= 1 << i;
  }
  return mask;
}

function parseReasonMaskOrThrow(text: string): number {
  const m = parseReasonMask(text);
  if (typeof m === "string") throw new Error(m);
  return m;
}

export function formatReasonMask(mask: number): string {
  if (mask === 0) return "none";
  if (mask === MIGRATE_OFFLOAD_REASONS_ALLOWED) return "all";
  return MIGRATE_REASON_NAMES.filter((_, i) => mask & (1 << i)).join(",");
}

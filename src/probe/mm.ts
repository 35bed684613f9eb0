/** Memory-management settings and counters: THP, NUMA balancing, demotion, tiers, vmstat. */
import { readIdList } from "./cpulist.js";
import { type HostFs, malformed, numberedEntries, readInt, readTrimmed } from "./host-fs.js";
import type { HostFacts, MemoryTier } from "./types.js";

const THP_DIR = "/sys/kernel/mm/transparent_hugepage";
const TIER_DIR = "/sys/devices/virtual/memory_tiering";

/** The /proc/vmstat counters of migration, demotion, promotion and compaction. */
const VMSTAT_RE =
  /^(pgmigrate_(success|fail)|thp_migration_(success|fail|split)|numa_pages_migrated|pgdemote_\w+|pgpromote_\w+|compact_\w+)$/;

/** The bracketed (selected) choice of a sysfs enum such as "always [madvise] never". */
function readChoice(fs: HostFs, path: string): string | null {
  const text = readTrimmed(fs, path);
  if (text === undefined) return null;
  const m = /\[([^\]\s]+)\]/.exec(text);
  if (m === null) throw malformed(fs, path, `no [selected] choice in '${text}'`);
  return m[1];
}

export function readThp(fs: HostFs): HostFacts["thp"] {
  return {
    enabled: readChoice(fs, `${THP_DIR}/enabled`),
    defrag: readChoice(fs, `${THP_DIR}/defrag`),
  };
}

export function readNumaBalancing(fs: HostFs): number | null {
  return readInt(fs, "/proc/sys/kernel/numa_balancing") ?? null;
}

/** demotion_enabled prints "true" or "false". */
export function readDemotionEnabled(fs: HostFs): boolean | null {
  const path = "/sys/kernel/mm/numa/demotion_enabled";
  const text = readTrimmed(fs, path);
  if (text === undefined) return null;
  if (text !== "true" && text !== "false") {
    throw malformed(fs, path, `expected true or false, got '${text}'`);
  }
  return text === "true";
}

export function readMemoryTiers(fs: HostFs): MemoryTier[] {
  return numberedEntries(fs.list(TIER_DIR), "memory_tier").map((id) => ({
    id,
    nodes: readIdList(fs, `${TIER_DIR}/memory_tier${id}/nodelist`, "node") ?? [],
  }));
}

/** The migration counters present in /proc/vmstat, sorted by name. */
export function readVmstat(fs: HostFs): Record<string, number> {
  const text = fs.read("/proc/vmstat");
  const found: [string, number][] = [];
  for (const line of text?.split("\n") ?? []) {
    if (line.trim() === "") continue;
    const m = /^(\w+) (\d+)$/.exec(line.trim());
    if (m === null) throw malformed(fs, "/proc/vmstat", `bad line '${line.trim()}'`);
    if (VMSTAT_RE.test(m[1])) found.push([m[1], Number(m[2])]);
  }
  found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(found);
}

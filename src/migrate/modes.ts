/** enum migrate_mode, enum migrate_reason and the retry constants of mm/migrate.c. */

export const MIGRATE_ASYNC = 0;
export const MIGRATE_SYNC_LIGHT = 1;
export const MIGRATE_SYNC = 2;
export type MigrateMode = typeof MIGRATE_ASYNC | typeof MIGRATE_SYNC_LIGHT | typeof MIGRATE_SYNC;
export const MIGRATE_MODE_NAMES = ["MIGRATE_ASYNC", "MIGRATE_SYNC_LIGHT", "MIGRATE_SYNC"] as const;

export const MR_COMPACTION = 0;
export const MR_MEMORY_FAILURE = 1;
export const MR_MEMORY_HOTPLUG = 2;
export const MR_SYSCALL = 3;
export const MR_MEMPOLICY_MBIND = 4;
export const MR_NUMA_MISPLACED = 5;
export const MR_CONTIG_RANGE = 6;
export const MR_LONGTERM_PIN = 7;
export const MR_DEMOTION = 8;
export const MR_DAMON = 9;
export type MigrateReason = number;
/** The trace strings of enum migrate_reason, indexed by value (include/trace/events/migrate.h). */
export const MIGRATE_REASON_NAMES = [
  "compaction",
  "memory_failure",
  "memory_hotplug",
  "syscall_or_cpuset",
  "mempolicy_mbind",
  "numa_misplaced",
  "contig_range",
  "longterm_pin",
  "demotion",
  "damon",
] as const;

/** The names of enum migrate_reason, indexed by value (include/linux/migrate_mode.h). */
export const MIGRATE_REASON_ENUM = [
  "MR_COMPACTION",
  "MR_MEMORY_FAILURE",
  "MR_MEMORY_HOTPLUG",
  "MR_SYSCALL",
  "MR_MEMPOLICY_MBIND",
  "MR_NUMA_MISPLACED",
  "MR_CONTIG_RANGE",
  "MR_LONGTERM_PIN",
  "MR_DEMOTION",
  "MR_DAMON",
] as const;

export const NR_MAX_MIGRATE_PAGES_RETRY = 10;
export const NR_MAX_MIGRATE_ASYNC_RETRY = 3;
export const NR_MAX_MIGRATE_SYNC_RETRY = NR_MAX_MIGRATE_PAGES_RETRY - NR_MAX_MIGRATE_ASYNC_RETRY;

/** move_pages(2) / mbind(2) flags (include/uapi/linux/mempolicy.h). */
export const MPOL_MF_STRICT = 1 << 0;
export const MPOL_MF_MOVE = 1 << 1;
export const MPOL_MF_MOVE_ALL = 1 << 2;
/** CONFIG_NODES_SHIFT = 10 on x86_64 distribution kernels. */
export const MAX_NUMNODES = 1024;
/** Query mode of move_pages(2) works in chunks of this many entries. */
export const DO_PAGES_STAT_CHUNK_NR = 16;

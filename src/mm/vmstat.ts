/**
 * /proc/vmstat: global vm events and per-node stats, for the counters migration touches.
 * Names and their order follow the kernel's vmstat_text.
 */

/** vm_event_item counters (global). */
export const VM_EVENTS = [
  "numa_pte_updates",
  "numa_huge_pte_updates",
  "numa_hint_faults",
  "numa_hint_faults_local",
  "numa_pages_migrated",
  "pgmigrate_success",
  "pgmigrate_fail",
  "thp_migration_success",
  "thp_migration_fail",
  "thp_migration_split",
  "compact_migrate_scanned",
  "compact_free_scanned",
  "compact_isolated",
  "compact_stall",
  "compact_fail",
  "compact_success",
  "compact_daemon_wake",
  "compact_daemon_migrate_scanned",
  "compact_daemon_free_scanned",
  "thp_fault_alloc",
  "thp_fault_fallback",
  "thp_split_page",
  // CONFIG_DEBUG_TLBFLUSH counters.
  "nr_tlb_remote_flush",
  "nr_tlb_remote_flush_received",
  "nr_tlb_local_flush_all",
  "nr_tlb_local_flush_one",
] as const;
export type VmEventName = (typeof VM_EVENTS)[number];

/** node_stat_item counters (per node; /proc/vmstat shows their sum over nodes). */
export const NODE_STATS = [
  "nr_isolated_anon",
  "nr_isolated_file",
  "pgpromote_success",
  "pgpromote_candidate",
  "pgpromote_candidate_nrl",
  "pgdemote_kswapd",
  "pgdemote_direct",
  "pgdemote_khugepaged",
  "pgdemote_proactive",
] as const;
export type NodeStatName = (typeof NODE_STATS)[number];

/** Every counter in the order of snapshot() and read(): the node stats, then the events. */
export const VMSTAT_NAMES: readonly string[] = [...NODE_STATS, ...VM_EVENTS];

/**
 * Every name at 0. Made in one go: an object given this many properties one store at a time
 * becomes a hash table in V8, and the hot paths' counter updates (a TLB flush per PTE) each
 * became a lookup in it.
 */
function zeros<K extends string>(names: readonly K[]): Record<K, number> {
  return Object.fromEntries(names.map((n) => [n, 0])) as Record<K, number>;
}

export class Vmstat {
  /** Hot paths may increment these fields directly. */
  readonly events: Record<VmEventName, number> = zeros(VM_EVENTS);
  /** Indexed by nid; created on a node's first update. */
  private readonly nodes: (Record<NodeStatName, number> | undefined)[] = [];

  count(name: VmEventName, delta = 1): void {
    this.events[name] += delta;
  }

  nodeStat(nid: number, name: NodeStatName): number {
    return this.nodes[nid]?.[name] ?? 0;
  }

  addNode(nid: number, name: NodeStatName, delta: number): void {
    let node = this.nodes[nid];
    if (node === undefined) {
      if (!Number.isInteger(nid) || nid < 0) throw new Error(`Vmstat: bad node id ${nid}`);
      node = zeros(NODE_STATS);
      this.nodes[nid] = node;
    }
    node[name] += delta;
  }

  /**
   * snapshot()'s values in its order (VMSTAT_NAMES), into `out`, for a reader every interval
   * (the series) or every call (the benchmark): no object of them all, no call per counter.
   */
  read(out: Float64Array): void {
    let j = 0;
    for (const name of NODE_STATS) {
      let v = 0;
      for (const node of this.nodes) if (node !== undefined) v += node[name];
      out[j++] = v;
    }
    for (const name of VM_EVENTS) out[j++] = this.events[name];
  }

  /** The /proc/vmstat view: node stats summed over nodes, then the events. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = zeros(NODE_STATS);
    for (const node of this.nodes) {
      if (node === undefined) continue;
      for (const name of NODE_STATS) out[name] += node[name];
    }
    for (const name of VM_EVENTS) out[name] = this.events[name];
    return out;
  }
}

/** The counters that moved between two snapshots, with how much (after - before). */
export function vmstatDelta(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(after)) {
    const d = after[name] - (before[name] ?? 0);
    if (d !== 0) out[name] = d;
  }
  return out;
}

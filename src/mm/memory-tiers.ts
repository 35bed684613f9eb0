/**
 * Memory tiers (mm/memory-tiers.c): every node with memory gets an abstract distance (adist),
 * a tier covers one MEMTIER_CHUNK_SIZE-wide band of adist, and reclaim demotes from a node to
 * the nearest nodes of the next slower tier.
 *
 * DRAM nodes take MEMTIER_ADISTANCE_DRAM. A CXL node's adist is what mt_perf_to_adistance()
 * makes of its performance relative to DRAM's (the CXL driver reads it from CDAT/HMAT): adist
 * scales with its latency over DRAM's and with DRAM's bandwidth over its own. The profile gives
 * a node's idle latency (its latencyNs, else memory.cxlLatencyNs) and bandwidth (its
 * memoryGBps, else fabric.memoryGBps); the kernel sums read and write figures, which the
 * profile does not separate. A CXL node without a latency has no performance data, and the
 * kernel then puts it in the DRAM tier (no demotion).
 *
 * Distances: the model has no SLIT; a node on the same socket is nearer than one on another
 * (mempolicy.ts's fallbackOrder), which is what picking demotion targets needs.
 */
import type { LoadedProfile } from "../machine/profile.js";

/** Adist range of one tier (MEMTIER_CHUNK_BITS = 7). */
export const MEMTIER_CHUNK_SIZE = 128;
/** DRAM's adist: the middle of the fifth chunk (4 * 128 + 64). */
export const MEMTIER_ADISTANCE_DRAM = 4 * MEMTIER_CHUNK_SIZE + MEMTIER_CHUNK_SIZE / 2;

export class MemoryTiers {
  /** Adist of each node, by nid. */
  readonly adist = new Map<number, number>();
  /** Tiers, fastest first: each its adistance_start and nodes. */
  readonly tiers: { adistanceStart: number; nodes: number[] }[] = [];
  /** The end of the fastest tier with a CPU node (top_tier_adistance). */
  readonly topTierAdistance: number;
  /** next_demotion_node()'s preferred targets of each node (empty: the last tier). */
  private readonly preferred = new Map<number, number[]>();
  /** node_get_allowed_targets(): every node of a slower tier than the node's. */
  private readonly lowerTierMask = new Map<number, number[]>();

  constructor(readonly profile: LoadedProfile) {
    const dram = profile.memory?.dramLatencyNs;
    const bw = profile.fabric.memoryGBps;
    for (const n of profile.topology.nodes) {
      const lat = n.latencyNs ?? profile.memory?.cxlLatencyNs;
      const perf = n.kind === "cxl" && dram !== undefined && lat !== undefined;
      this.adist.set(
        n.id,
        perf
          ? Math.round((((MEMTIER_ADISTANCE_DRAM * lat) / dram) * bw) / (n.memoryGBps ?? bw))
          : MEMTIER_ADISTANCE_DRAM,
      );
    }
    const byStart = new Map<number, number[]>();
    for (const [nid, a] of this.adist) {
      const start = a - (a % MEMTIER_CHUNK_SIZE);
      byStart.set(start, [...(byStart.get(start) ?? []), nid]);
    }
    for (const [adistanceStart, nodes] of [...byStart].sort((a, b) => a[0] - b[0])) {
      this.tiers.push({ adistanceStart, nodes: nodes.sort((a, b) => a - b) });
    }
    const top = this.tiers.find((t) => t.nodes.some((n) => profile.cpusOfNode(n).length > 0));
    this.topTierAdistance = (top ?? this.tiers[0]).adistanceStart + MEMTIER_CHUNK_SIZE - 1;
    // establish_demotion_targets(): the next slower tier's nodes at the best distance.
    const distance = (a: number, b: number) =>
      a === b ? 10 : profile.socketOfNode(a) === profile.socketOfNode(b) ? 20 : 32;
    this.tiers.forEach((tier, i) => {
      const next = this.tiers[i + 1];
      const lower = this.tiers.slice(i + 1).flatMap((t) => t.nodes);
      for (const nid of tier.nodes) {
        this.lowerTierMask.set(nid, lower);
        if (next === undefined) {
          this.preferred.set(nid, []);
          continue;
        }
        const best = Math.min(...next.nodes.map((t) => distance(nid, t)));
        this.preferred.set(
          nid,
          next.nodes.filter((t) => distance(nid, t) === best),
        );
      }
    });
  }

  /** node_is_toptier(): the node's tier starts at or below top_tier_adistance. */
  nodeIsToptier(nid: number): boolean {
    const a = this.adist.get(nid);
    return a === undefined || a - (a % MEMTIER_CHUNK_SIZE) <= this.topTierAdistance;
  }

  /** next_demotion_node(): one of the preferred targets, picked with `rand` in [0, 1); -1 if none. */
  nextDemotionNode(nid: number, rand: number): number {
    const p = this.preferred.get(nid) ?? [];
    return p.length === 0 ? -1 : p[Math.floor(rand * p.length)];
  }

  /** The nodes a demotion from `nid` may fall back to (its lower_tier_mask). */
  lowerTiers(nid: number): readonly number[] {
    return this.lowerTierMask.get(nid) ?? [];
  }
}

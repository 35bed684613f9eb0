/**
 * NUMA memory policies (mm/mempolicy.c): which node a page fault allocates from, and in what
 * order the others are tried when that node cannot supply the folio.
 *
 * A policy gives an ordered list of nodes to try (the kernel's preferred nid plus a nodemask
 * and the zonelist of fallbacks). The zonelist is the nodes by distance from the preferred
 * one; the model has no SLIT, so distance is the topology's order (`fallbackOrder`): the node
 * itself, the other nodes of its socket (DRAM before far memory), then the other sockets'.
 *
 * A fault in a VMA takes the VMA's policy (mbind(2)), else its task's (set_mempolicy(2)), else
 * the system default, local allocation (get_vma_policy()). Either way an interleave policy
 * places the fault by the VMA offset of its address (the interleave index); the task's il_prev
 * counter serves only allocations without a VMA (slab, page cache), which the model has none
 * of, so it is not kept.
 *
 * Simplifications: no cpuset or mems_allowed rebinding (so MPOL_F_STATIC_NODES changes
 * nothing), no MPOL_F_RELATIVE_NODES or MPOL_F_NUMA_BALANCING (refused as unmodelled), no
 * home_node. Weighted interleave takes its weights from the policy
 * when it gives them (as an administrator's writes to the sysfs iw_table would), else from the
 * nodes' bandwidths as the kernel's auto mode does (`iwTableFromBandwidth`).
 */
import type { LoadedProfile } from "../machine/profile.js";
import { MAX_NUMNODES } from "../migrate/modes.js";
import { EINVAL } from "./errno.js";
import { PAGE_SIZE } from "./folio.js";
import type { Task } from "./task.js";
import type { Vma } from "./vm.js";

export const MPOL_DEFAULT = 0;
export const MPOL_PREFERRED = 1;
export const MPOL_BIND = 2;
export const MPOL_INTERLEAVE = 3;
export const MPOL_LOCAL = 4;
export const MPOL_PREFERRED_MANY = 5;
export const MPOL_WEIGHTED_INTERLEAVE = 6;
export const MPOL_MAX = 7;

/* Mode flags, ORed into the mode argument (include/uapi/linux/mempolicy.h). */
export const MPOL_F_NUMA_BALANCING = 1 << 13;
export const MPOL_F_RELATIVE_NODES = 1 << 14;
export const MPOL_F_STATIC_NODES = 1 << 15;
export const MPOL_MODE_FLAGS = MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING;

export const MPOL_MODE_NAMES: Record<number, string> = {
  [MPOL_DEFAULT]: "default",
  [MPOL_PREFERRED]: "preferred",
  [MPOL_BIND]: "bind",
  [MPOL_INTERLEAVE]: "interleave",
  [MPOL_LOCAL]: "local",
  [MPOL_PREFERRED_MANY]: "preferred_many",
  [MPOL_WEIGHTED_INTERLEAVE]: "weighted_interleave",
};

/** struct mempolicy: a mode and its nodes (ascending), with interleave weights per node. */
export interface Mempolicy {
  mode: number;
  /** The policy's nodemask, ascending; empty for default and local. */
  nodes: readonly number[];
  /** MPOL_WEIGHTED_INTERLEAVE: weight per node of `nodes` (1..255); 1 each when absent. */
  weights?: readonly number[];
}

export const DEFAULT_POLICY: Mempolicy = Object.freeze({ mode: MPOL_DEFAULT, nodes: [] });

/** get_task_policy(): the task's own policy (set_mempolicy(2)), else the default, local. */
export function getTaskPolicy(task: Task): Mempolicy {
  return task.mempolicy ?? DEFAULT_POLICY;
}

/** get_vma_policy(): the VMA's policy (mbind(2)), else the faulting task's. */
export function getVmaPolicy(vma: Vma, task: Task): Mempolicy {
  return vma.policy ?? getTaskPolicy(task);
}

/** mpol_equal() of two VMA policies (null: none). */
export function mpolEqual(a: Mempolicy | null, b: Mempolicy | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || a.mode !== b.mode) return false;
  const same = (x: readonly number[] | undefined, y: readonly number[] | undefined) =>
    x === y ||
    (x !== undefined && y !== undefined && x.length === y.length && x.every((v, i) => v === y[i]));
  return same(a.nodes, b.nodes) && same(a.weights, b.weights);
}

/**
 * sanitize_mpol_flags(): split the mode argument into mode and mode flags; -EINVAL for a mode
 * past MPOL_MAX, static with relative nodes, or numa balancing on a mode other than bind and
 * preferred-many.
 */
export function sanitizeMpolFlags(arg: number): { mode: number; flags: number } | number {
  const flags = arg & MPOL_MODE_FLAGS;
  const mode = arg & ~MPOL_MODE_FLAGS;
  if (mode < 0 || mode >= MPOL_MAX) return -EINVAL;
  if (flags & MPOL_F_STATIC_NODES && flags & MPOL_F_RELATIVE_NODES) return -EINVAL;
  if (flags & MPOL_F_NUMA_BALANCING && mode !== MPOL_BIND && mode !== MPOL_PREFERRED_MANY)
    return -EINVAL;
  return { mode, flags };
}

/**
 * The policy set_mempolicy(2) and mbind(2) build from their arguments, or a negative errno
 * (sanitize_mpol_flags(), get_nodes(), mpol_new(), mpol_set_nodemask()): null for
 * MPOL_DEFAULT (no policy of its own); preferred without nodes is local, with several its
 * first; the nodes are cut to those with memory the task may use (cpuset mems_allowed), and
 * -EINVAL when none is left. The model's per-policy weights must come one per node, 1..255.
 */
export function mpolNew(
  profile: LoadedProfile,
  task: Task,
  arg: Mempolicy,
): Mempolicy | null | number {
  const sane = sanitizeMpolFlags(arg.mode);
  if (typeof sane === "number") return sane;
  const { mode, flags } = sane;
  // get_nodes(): a nodemask holds node ids below MAX_NUMNODES, each once.
  for (const n of arg.nodes) if (!Number.isInteger(n) || n < 0 || n >= MAX_NUMNODES) return -EINVAL;
  const w = arg.weights;
  if (w !== undefined) {
    if (mode !== MPOL_WEIGHTED_INTERLEAVE || w.length !== arg.nodes.length) return -EINVAL;
    if (w.some((x) => !Number.isInteger(x) || x < 1 || x > 255)) return -EINVAL;
  }
  const weightOf = new Map(arg.nodes.map((n, i) => [n, w?.[i] ?? 1]));
  const given = [...weightOf.keys()].sort((a, b) => a - b);
  if (mode === MPOL_DEFAULT) return given.length > 0 ? -EINVAL : null;
  let effective = mode;
  const userNodes = MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES;
  if (mode === MPOL_PREFERRED && given.length === 0) {
    if (flags & userNodes) return -EINVAL;
    effective = MPOL_LOCAL;
  } else if (mode === MPOL_LOCAL) {
    if (given.length > 0 || flags & userNodes) return -EINVAL;
  } else if (given.length === 0) return -EINVAL;
  if (flags & (MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING)) {
    throw new Error("mempolicy: MPOL_F_RELATIVE_NODES and MPOL_F_NUMA_BALANCING are not modelled");
  }
  if (effective === MPOL_LOCAL) return { mode: MPOL_LOCAL, nodes: [] };
  // mpol_set_nodemask(): the nodes with memory (N_MEMORY) that the cpuset allows.
  const allowed = task.memsAllowed;
  const withMemory = (n: number) =>
    profile.topology.nodes.some((x) => x.id === n) && profile.nodeBytes(n) > 0;
  let nodes = given.filter((n) => withMemory(n) && (allowed === null || allowed.has(n)));
  if (nodes.length === 0) return -EINVAL;
  if (mode === MPOL_PREFERRED) nodes = nodes.slice(0, 1);
  return w === undefined
    ? { mode, nodes }
    : { mode, nodes, weights: nodes.map((n) => weightOf.get(n) as number) };
}

/**
 * do_set_mempolicy(): the calling task's policy for its later faults in VMAs without one of
 * their own (MPOL_DEFAULT clears it). 0, or -EINVAL with the task's policy unchanged.
 */
export function doSetMempolicy(profile: LoadedProfile, task: Task, arg: Mempolicy): number {
  const pol = mpolNew(profile, task, arg);
  if (typeof pol === "number") return pol;
  task.mempolicy = pol;
  return 0;
}

/** fallbackOrder() of each profile by node: a zonelist is built once, as the kernel's is at boot. */
const zonelists = new WeakMap<LoadedProfile, Map<number, readonly number[]>>();

/** Nodes by distance from `nid`: itself, its socket's DRAM, its socket's far memory, then the rest. */
export function fallbackOrder(profile: LoadedProfile, nid: number): readonly number[] {
  let byNid = zonelists.get(profile);
  if (byNid === undefined) {
    byNid = new Map();
    zonelists.set(profile, byNid);
  }
  let order = byNid.get(nid);
  if (order === undefined) {
    const home = profile.socketOfNode(nid);
    const rank = (n: { id: number; socket: number; kind: string }) =>
      n.id === nid ? 0 : 1 + (n.socket === home ? 0 : 2) + (n.kind === "dram" ? 0 : 1);
    order = Object.freeze(
      [...profile.topology.nodes].sort((a, b) => rank(a) - rank(b) || a.id - b.id).map((n) => n.id),
    );
    byNid.set(nid, order);
  }
  return order;
}

/**
 * The interleave index of a fault at `addr` for a folio of `order` (get_vma_policy()): the
 * folio's offset in the mapping's pages, in folios, so consecutive folios take consecutive nodes.
 */
export function interleaveIndex(vma: Vma, addr: number, order: number): number {
  const folioPages = 1 << order;
  return (
    Math.floor(vma.pgoff / folioPages) + Math.floor((addr - vma.start) / (PAGE_SIZE * folioPages))
  );
}

/** interleave_nid(): the ilx'th node of the policy's nodes, wrapping around. */
function interleaveNid(pol: Mempolicy, ilx: number): number {
  return pol.nodes[ilx % pol.nodes.length];
}

/** weighted_interleave_nid(): ilx modulo the total weight, spent node by node in order. */
export function weightedInterleaveNid(pol: Mempolicy, ilx: number): number {
  const weight = (i: number) => pol.weights?.[i] ?? 1;
  let total = 0;
  for (let i = 0; i < pol.nodes.length; i++) total += weight(i);
  let target = ilx % total;
  let i = 0;
  while (target >= weight(i)) {
    target -= weight(i);
    i++;
  }
  return pol.nodes[i];
}

/** The kernel's auto-tuned weights span 1..this before the GCD reduction (mm/mempolicy.c). */
const WEIGHTINESS = 32;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * The weighted-interleave weight table in auto mode (reduce_interleave_weights(), Linux 6.16,
 * "mm/mempolicy: Weighted Interleave Auto-tuning"): each memory node's share of the summed
 * bandwidth scaled to 1..32 (rounded down, at least 1), then divided by the weights' GCD. The
 * kernel takes each node's bandwidth from HMAT/CDAT (the lower of read and write); the model
 * takes the profile's sustained memoryGBps of the node. Indexed by node id.
 */
export function iwTableFromBandwidth(profile: LoadedProfile): number[] {
  const bw = (id: number) =>
    profile.topology.nodes.find((n) => n.id === id)?.memoryGBps ?? profile.fabric.memoryGBps;
  const ids = profile.topology.nodes.map((n) => n.id);
  const sum = ids.reduce((a, id) => a + bw(id), 0);
  const table: number[] = [];
  let g = 0;
  for (const id of ids) {
    const scaled = WEIGHTINESS * bw(id);
    table[id] = sum < scaled ? Math.floor(scaled / sum) : 1;
    g = g === 0 ? table[id] : gcd(g, table[id]);
  }
  for (const id of ids) table[id] /= g;
  return table;
}

/** A weighted-interleave policy without weights gets the auto table's; other policies as given. */
export function withIwTable(profile: LoadedProfile, pol: Mempolicy): Mempolicy {
  if (pol.mode !== MPOL_WEIGHTED_INTERLEAVE || pol.weights !== undefined) return pol;
  const table = iwTableFromBandwidth(profile);
  return { ...pol, weights: pol.nodes.map((n) => table[n]) };
}

/**
 * The nodes a fault tries, in order, under `pol` for a task whose CPU is on `localNid`
 * (alloc_pages_mpol()): the preferred node first, then the fallbacks the policy allows. Bind
 * never leaves its nodes (the fault fails when they are full, as an OOM would); preferred-many
 * tries its nodes before the rest; the others fall back to any node by distance.
 */
export function policyNodes(
  profile: LoadedProfile,
  pol: Mempolicy,
  localNid: number,
  ilx: number,
): readonly number[] {
  switch (pol.mode) {
    case MPOL_DEFAULT:
    case MPOL_LOCAL:
      return fallbackOrder(profile, localNid);
    case MPOL_PREFERRED:
      return fallbackOrder(profile, pol.nodes[0]);
    case MPOL_BIND:
      return fallbackOrder(profile, localNid).filter((n) => pol.nodes.includes(n));
    case MPOL_PREFERRED_MANY: {
      const order = fallbackOrder(profile, localNid);
      return [
        ...order.filter((n) => pol.nodes.includes(n)),
        ...order.filter((n) => !pol.nodes.includes(n)),
      ];
    }
    case MPOL_INTERLEAVE:
      return fallbackOrder(profile, interleaveNid(pol, ilx));
    case MPOL_WEIGHTED_INTERLEAVE:
      return fallbackOrder(profile, weightedInterleaveNid(pol, ilx));
    default:
      throw new RangeError(`mempolicy: unknown mode ${pol.mode}`);
  }
}

/**
 * policyNodes() for the faults of one task under one policy, by interleave index: the list for
 * index ilx is the result's [ilx % length]. Each distinct list is built once, so a fault-in
 * walking consecutive indices looks its nodes up without a call (only the interleave modes'
 * lists depend on the index: one cycle of their nodes, or of their weights' sum).
 */
export function policyNodesCycle(
  profile: LoadedProfile,
  pol: Mempolicy,
  localNid: number,
): readonly (readonly number[])[] {
  let length = 1;
  if (pol.mode === MPOL_INTERLEAVE) length = pol.nodes.length;
  if (pol.mode === MPOL_WEIGHTED_INTERLEAVE) {
    length = pol.nodes.reduce((sum, _, i) => sum + (pol.weights?.[i] ?? 1), 0);
  }
  return Array.from({ length }, (_, ilx) => policyNodes(profile, pol, localNid, ilx));
}

/**
 * Check a scenario's policy: what set_mempolicy(2)/mbind(2) refuse with -EINVAL (a mode that
 * needs nodes without them, default/local with some, a weight outside 1..255), and what they
 * would quietly change (mpolNew(): a node the machine does not have dropped, preferred's nodes
 * after the first ignored), so that a scenario runs the policy it says. Returns the reason, or
 * null when valid.
 */
export function checkPolicy(profile: LoadedProfile, pol: Mempolicy): string | null {
  const known = new Set(profile.topology.nodes.map((n) => n.id));
  const name = MPOL_MODE_NAMES[pol.mode];
  if (name === undefined) return `unknown mode ${pol.mode}`;
  const wantsNodes = pol.mode !== MPOL_DEFAULT && pol.mode !== MPOL_LOCAL;
  if (wantsNodes && pol.nodes.length === 0) return `${name} needs at least one node`;
  if (!wantsNodes && pol.nodes.length > 0) return `${name} takes no nodes`;
  if (pol.mode === MPOL_PREFERRED && pol.nodes.length > 1) return "preferred takes one node";
  for (const n of pol.nodes) if (!known.has(n)) return `node ${n} does not exist`;
  for (let i = 1; i < pol.nodes.length; i++) {
    if (pol.nodes[i] <= pol.nodes[i - 1]) return "nodes must be ascending and distinct";
  }
  if (pol.weights !== undefined) {
    if (pol.mode !== MPOL_WEIGHTED_INTERLEAVE) return "weights are for weighted_interleave";
    if (pol.weights.length !== pol.nodes.length) return "one weight per node";
    for (const w of pol.weights) {
      if (!Number.isInteger(w) || w < 1 || w > 255) return `weight ${w} is not in 1..255`;
    }
  }
  return null;
}

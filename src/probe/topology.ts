/**
 * The host's topology mapped onto the profile schema, which is more regular than a host:
 * every socket has the same CCDs of the same cores, CPUs belong to nodes with memory, node
 * ids run 0..N-1, and there are at least two nodes. Each choice keeps a note saying where
 * the value came from, for the draft's comments.
 */
import { UsageError } from "../errors.js";
import { MAX_PAGE_ORDER, PAGE_SIZE } from "../mm/folio.js";
import { formatIdList } from "./cpulist.js";
import type { HostFacts, NodeFacts } from "./types.js";

/** The model's buddy allocator takes whole MAX_PAGE_ORDER blocks (4 MiB) per node. */
const BLOCK_BYTES = PAGE_SIZE << MAX_PAGE_ORDER;

export interface DraftNode {
  id: number;
  hostNode: number;
  socket: number;
  memory: number;
  kind: "dram" | "cxl";
  note: string;
}

export interface Noted<T> {
  value: T;
  note: string;
}

export interface DraftTopology {
  sockets: Noted<number>;
  ccdsPerSocket: Noted<number>;
  coresPerCcd: Noted<number>;
  threadsPerCore: Noted<1 | 2>;
  nodes: DraftNode[];
  /** The draft socket of each host node in the draft, for placing DMA engines. */
  socketOfHostNode: ReadonlyMap<number, number>;
}

/** The most frequent value, the lowest on a tie. */
function mode(xs: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best = xs[0];
  for (const [x, c] of counts) {
    const bc = counts.get(best) ?? 0;
    if (c > bc || (c === bc && x < best)) best = x;
  }
  return best;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const blockAligned = (bytes: number) => Math.floor(bytes / BLOCK_BYTES) * BLOCK_BYTES;

export function draftTopology(f: HostFacts): DraftTopology {
  const memNodes = f.nodes.filter((n) => n.hasMemory && blockAligned(n.memTotalBytes ?? 0) > 0);
  const cpuNodes = memNodes.filter((n) => (n.cpus ?? []).length > 0);
  if (cpuNodes.length === 0) {
    throw new UsageError(
      "cannot draft a profile: no node reports both CPUs (nodeN/cpulist) and memory (nodeN/meminfo)",
    );
  }
  // An unknown package (no physical_package_id) counts as package 0.
  const packageOf = new Map(f.cpus.map((c) => [c.cpu, c.packageId ?? 0]));
  const pkg = (cpu: number) => packageOf.get(cpu) ?? 0;
  const nodePackage = (n: NodeFacts) => mode((n.cpus ?? []).map(pkg));
  const packages = [...new Set(cpuNodes.map(nodePackage))].sort((a, b) => a - b);
  const socketOfPackage = (p: number) => packages.indexOf(p);

  // The CPUs of the draft: those of the packages that have a CPU node.
  const cpus = f.cpus.filter((c) => packages.includes(c.packageId ?? 0));
  const threadsPerCore = threads(cpus);
  const t = threadsPerCore.value;
  const perSocket = packages.map((p) => cpus.filter((c) => (c.packageId ?? 0) === p).length);
  const coresPerSocket = Math.max(1, ...perSocket.map((n) => Math.ceil(n / t)));

  const groups = f.l3Groups.filter((g) => packages.includes(g.packageId ?? 0));
  let ccds: Noted<number>;
  let cores: Noted<number>;
  if (groups.length === 0) {
    ccds = { value: 1, note: "host: no L3 information (cache/index*/level 3), one CCD per socket" };
    cores = { value: coresPerSocket, note: "host: the most cores in a socket" };
  } else {
    const counts = packages.map((p) => groups.filter((g) => (g.packageId ?? 0) === p).length);
    ccds = {
      value: Math.max(...counts),
      note: `host: L3 groups per socket (${counts.join(", ")}), the most`,
    };
    const sizes = groups.map((g) => Math.ceil(g.cpus.length / t));
    cores = { value: Math.max(...sizes), note: `host: the most cores sharing an L3` };
  }

  const nodes = draftNodes(f, memNodes, cpuNodes, (n) => socketOfPackage(nodePackage(n)));
  // The schema deals a socket's CCDs evenly to its dram nodes (NPS-style), so the CCD count
  // must be a multiple of every socket's dram node count; the cores are spread to match.
  const dramPerSocket = packages.map(
    (_, s) => nodes.filter((n) => n.socket === s && n.kind === "dram").length,
  );
  const multiple = dramPerSocket.reduce((a, b) => (a * b) / gcd(a, b), 1);
  if (ccds.value % multiple !== 0) {
    const value = Math.ceil(ccds.value / multiple) * multiple;
    ccds = {
      value,
      note: `${ccds.note}, rounded up from ${ccds.value} to a multiple of the ${multiple} dram nodes per socket`,
    };
    cores = {
      value: Math.max(1, Math.ceil(coresPerSocket / value)),
      note: `host: the ${coresPerSocket} cores of a socket spread over ${value} CCDs`,
    };
  }

  return {
    sockets: {
      value: packages.length,
      note: `host: the packages of the CPU nodes (physical_package_id ${packages.join(", ")})`,
    },
    ccdsPerSocket: ccds,
    coresPerCcd: cores,
    threadsPerCore,
    nodes,
    socketOfHostNode: new Map(nodes.map((n) => [n.hostNode, n.socket])),
  };
}

function threads(cpus: HostFacts["cpus"]): Noted<1 | 2> {
  const sizes = cpus.flatMap((c) => (c.threadSiblings === null ? [] : [c.threadSiblings.length]));
  if (sizes.length === 0)
    return { value: 1, note: "host: unknown (no thread_siblings_list), assumed 1" };
  const most = Math.max(...sizes);
  if (most > 2) return { value: 2, note: `host has ${most} threads per core; the schema allows 2` };
  return { value: most === 2 ? 2 : 1, note: "host: thread_siblings_list" };
}

/**
 * Draft nodes in host order, renumbered from 0: CPU nodes are dram on their package's
 * socket; CPU-less ones are cxl on the socket of the nearest CPU node. One memory node is
 * split in two halves, as numa=fake=2 would, since migration needs a second node.
 */
function draftNodes(
  f: HostFacts,
  memNodes: readonly NodeFacts[],
  cpuNodes: readonly NodeFacts[],
  socketOf: (n: NodeFacts) => number,
): DraftNode[] {
  const tierOf = (id: number) => f.memoryTiers.find((t) => t.nodes.includes(id))?.id;
  const out: DraftNode[] = [];
  for (const n of memNodes) {
    const memory = blockAligned(n.memTotalBytes ?? 0);
    const tier = tierOf(n.id) === undefined ? "" : `, memory_tier${tierOf(n.id)}`;
    if (memNodes.length === 1) {
      const half = blockAligned(memory / 2);
      for (const which of ["first", "second"]) {
        out.push({
          id: out.length,
          hostNode: n.id,
          socket: socketOf(n),
          memory: half,
          kind: "dram",
          note: `host node ${n.id}, ${which} half (split as numa=fake=2: the host has one memory node)`,
        });
      }
    } else if ((n.cpus ?? []).length > 0) {
      out.push({
        id: out.length,
        hostNode: n.id,
        socket: socketOf(n),
        memory,
        kind: "dram",
        note: `host node ${n.id}: cpus ${formatIdList(n.cpus ?? [])}${tier}`,
      });
    } else {
      const near = nearest(f, n, cpuNodes);
      out.push({
        id: out.length,
        hostNode: n.id,
        socket: socketOf(near.node),
        memory,
        kind: "cxl",
        note: `host node ${n.id}: CPU-less memory${tier}; socket of ${near.why}`,
      });
    }
  }
  return out;
}

/** The CPU node nearest `n` by the host's distances (the lowest id on a tie). */
function nearest(
  f: HostFacts,
  n: NodeFacts,
  cpuNodes: readonly NodeFacts[],
): { node: NodeFacts; why: string } {
  const row = n.distances;
  if (row === null) {
    return { node: cpuNodes[0], why: `node ${cpuNodes[0].id} (no distances, assumed)` };
  }
  const distance = (m: NodeFacts) => row[f.nodes.findIndex((x) => x.id === m.id)];
  let best = cpuNodes[0];
  for (const m of cpuNodes) if (distance(m) < distance(best)) best = m;
  return { node: best, why: `nearest CPU node ${best.id} (distance ${distance(best)})` };
}

/**
 * The host's topology mapped onto the profile schema, which is more regular than a host:
 * every socket has the same CCDs of the same cores, CPUs belong to nodes with memory, node
 * ids run 0..N-1, and there are at least two nodes. Each choice keeps a note saying where
 * the value came from, for the draft's comments.
 */
import { UsageError } from "../errors.js";
import { formatSize } from "../machine/units.js";
import { formatIdList } from "./cpulist.js";
import { blockAligned, fitAddressSpace, halves } from "./memory.js";
import { mapPackages, nearest } from "./packages.js";
import type { HostFacts, NodeFacts } from "./types.js";

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
  /** The draft socket of each host node with CPUs or in the draft, for placing DMA engines. */
  socketOfHostNode: ReadonlyMap<number, number>;
  /** Where the draft departs from the host, for its header and the probe's notes. */
  remarks: string[];
}

/** A node has CPUs when its cpulist lists some; has_cpu says where the cpulist is missing. */
export function nodeHasCpus(n: NodeFacts): boolean {
  return n.cpus === null ? n.hasCpu : n.cpus.length > 0;
}

/** The nodes a draft keeps: memory of at least one 4M block. */
export function draftMemoryNodes(f: HostFacts): NodeFacts[] {
  return f.nodes.filter((n) => n.hasMemory && blockAligned(n.memTotalBytes ?? 0) > 0);
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export function draftTopology(f: HostFacts): DraftTopology {
  const memNodes = draftMemoryNodes(f);
  const cpuNodes = memNodes.filter(nodeHasCpus);
  if (cpuNodes.length === 0) {
    const where = f.numa ? "nodeN/cpulist, nodeN/meminfo" : "cpu/online, /proc/meminfo";
    throw new UsageError(`cannot draft a profile: no node reports both CPUs and memory (${where})`);
  }
  const { packages, folded, pkg, socketOf, nodePackage, remarks } = mapPackages(f, cpuNodes);
  const sockets = packages.map((_, s) => s);

  const threadsPerCore = threads(f.cpus);
  const t = threadsPerCore.value;
  const perSocket = sockets.map((s) => f.cpus.filter((c) => socketOf(pkg(c.cpu)) === s).length);
  const coresPerSocket = Math.max(1, ...perSocket.map((n) => Math.ceil(n / t)));

  let ccds: Noted<number>;
  let cores: Noted<number>;
  if (f.l3Groups.length === 0) {
    ccds = { value: 1, note: "host: no L3 information (cache/index*/level 3), one CCD per socket" };
    cores = { value: coresPerSocket, note: "host: the most cores in a socket" };
  } else {
    const counts = sockets.map(
      (s) => f.l3Groups.filter((g) => socketOf(g.packageId ?? 0) === s).length,
    );
    ccds = {
      value: Math.max(1, ...counts),
      note: `host: L3 groups per socket (${counts.join(", ")}), the most`,
    };
    const sizes = f.l3Groups.map((g) => Math.ceil(g.cpus.length / t));
    cores = { value: Math.max(...sizes), note: "host: the most cores sharing an L3" };
  }

  const socketOfNode = (n: NodeFacts) => socketOf(nodePackage(n));
  const nodes = draftNodes(f, memNodes, cpuNodes, socketOfNode);
  const fit = fitAddressSpace(nodes.map((n) => n.memory));
  if (fit.remark !== undefined) {
    remarks.push(fit.remark);
    nodes.forEach((n, i) => {
      n.note += `; scaled down from ${formatSize(n.memory)}`;
      n.memory = fit.memory[i];
    });
  }
  if (memNodes.length === 1) {
    remarks.push(
      `host node ${memNodes[0].id} is the only memory node: drafted as two halves on one socket, as numa=fake=2 would make it`,
    );
  }

  // The schema deals a socket's CCDs evenly to its dram nodes (NPS-style), so the CCD count
  // must be a multiple of every socket's dram node count; the cores are spread to match.
  const dramPerSocket = sockets.map(
    (s) => nodes.filter((n) => n.socket === s && n.kind === "dram").length,
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
  const draftCpus = sockets.length * ccds.value * cores.value * t;
  if (draftCpus !== f.cpus.length) {
    remarks.push(
      `CPUs: the host has ${f.cpus.length} online, the draft ${draftCpus} (every socket of the schema has the same CCDs of the same cores)`,
    );
  }

  const socketOfHostNode = new Map(nodes.map((n) => [n.hostNode, n.socket]));
  for (const n of f.nodes) {
    if (!socketOfHostNode.has(n.id) && nodeHasCpus(n)) socketOfHostNode.set(n.id, socketOfNode(n));
  }
  return {
    sockets: {
      value: packages.length,
      note:
        `host: the packages of the CPU nodes (physical_package_id ${packages.join(", ")})` +
        (folded.length === 0 ? "" : `; the cores of package ${folded.join(", ")} folded in`),
    },
    ccdsPerSocket: ccds,
    coresPerCcd: cores,
    threadsPerCore,
    nodes,
    socketOfHostNode,
    remarks,
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
  const out: DraftNode[] = [];
  for (const n of memNodes) {
    const memory = blockAligned(n.memTotalBytes ?? 0);
    const tierId = f.memoryTiers.find((t) => t.nodes.includes(n.id))?.id;
    const tier = tierId === undefined ? "" : `, memory_tier${tierId}`;
    if (memNodes.length === 1) {
      const half = halves(n.id, memory);
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
    } else if (nodeHasCpus(n)) {
      out.push({
        id: out.length,
        hostNode: n.id,
        socket: socketOf(n),
        memory,
        kind: "dram",
        note: `host node ${n.id}: cpus ${n.cpus === null ? "unknown" : formatIdList(n.cpus)}${tier}`,
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

/**
 * Host packages onto draft sockets. Each package with a node of CPUs and memory is a socket,
 * in package order; a package with no memory node of its own (a memoryless CPU node, a VM's
 * extra virtual socket) lends its cores to the socket nearest it, so the draft keeps the
 * host's CPUs.
 */
import { formatIdList } from "./cpulist.js";
import type { HostFacts, NodeFacts } from "./types.js";

export interface PackageMap {
  /** Packages that are draft sockets, ascending: socket s is packages[s]. */
  packages: number[];
  /** Packages whose cores were folded into a socket. */
  folded: number[];
  /** The package of a CPU (an unknown one counts as package 0). */
  pkg(cpu: number): number;
  /** The draft socket of a package. */
  socketOf(pkg: number): number;
  /** The package most of a node's CPUs are on. */
  nodePackage(n: NodeFacts): number;
  /** One line per folded package, for the draft's header. */
  remarks: string[];
}

export function mapPackages(f: HostFacts, cpuNodes: readonly NodeFacts[]): PackageMap {
  const packageOf = new Map(f.cpus.map((c) => [c.cpu, c.packageId ?? 0]));
  const pkg = (cpu: number) => packageOf.get(cpu) ?? 0;
  const nodePackage = (n: NodeFacts) => (n.cpus?.length ? mode(n.cpus.map(pkg)) : 0);
  const packages = [...new Set(cpuNodes.map(nodePackage))].sort((a, b) => a - b);
  const remarks: string[] = [];
  const socketOfPackage = new Map(packages.map((p, s) => [p, s]));
  const hostPackages = [...new Set(f.cpus.map((c) => pkg(c.cpu)))].sort((a, b) => a - b);
  for (const p of hostPackages.filter((p) => !socketOfPackage.has(p))) {
    const mine = f.cpus.filter((c) => pkg(c.cpu) === p).map((c) => c.cpu);
    const home = homeNode(f, mine);
    const near =
      home === undefined
        ? { node: cpuNodes[0], why: `node ${cpuNodes[0].id} (no node lists its CPUs)` }
        : cpuNodes.includes(home)
          ? { node: home, why: `node ${home.id}, its CPUs' node` }
          : nearest(f, home, cpuNodes);
    const socket = socketOfPackage.get(nodePackage(near.node)) ?? 0;
    socketOfPackage.set(p, socket);
    remarks.push(
      `CPUs ${formatIdList(mine)} (package ${p}, no memory node of its own) folded into socket ${socket}, the socket of ${near.why}`,
    );
  }
  return {
    packages,
    folded: hostPackages.filter((p) => !packages.includes(p)),
    pkg,
    socketOf: (p: number) => socketOfPackage.get(p) ?? 0,
    nodePackage,
    remarks,
  };
}

/** The node listing most of `cpus`; undefined when none lists any. */
function homeNode(f: HostFacts, cpus: readonly number[]): NodeFacts | undefined {
  let best: NodeFacts | undefined;
  let most = 0;
  for (const n of f.nodes) {
    const count = cpus.filter((c) => n.cpus?.includes(c)).length;
    if (count > most) [best, most] = [n, count];
  }
  return best;
}

/** The CPU node nearest `n` by the host's distances (the lowest id on a tie). */
export function nearest(
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

/**
 * A validated machine profile plus the topology questions the model asks of it: which socket,
 * CCD and node a CPU belongs to, and which CPUs are local to a node.
 *
 * CPU numbering follows Linux on AMD EPYC: all first hardware threads come first, then all SMT
 * siblings, so cpu = thread * totalCores + globalCore, where the global core index runs socket
 * first, then CCD within the socket, then core within the CCD.
 */
import type { MachineProfile } from "./schema.js";

type NodeSpec = MachineProfile["topology"]["nodes"][number];

export interface CpuInfo {
  socket: number;
  /** CCD index within the socket (ccdOfCpu gives the global index). */
  ccd: number;
  /** Core index within the CCD. */
  core: number;
  /** SMT sibling index (0 or 1). */
  thread: number;
}

export class LoadedProfile implements MachineProfile {
  readonly name: string;
  readonly description: string;
  readonly topology: MachineProfile["topology"];
  readonly cpu: MachineProfile["cpu"];
  readonly fabric: MachineProfile["fabric"];
  readonly kernel: MachineProfile["kernel"];
  readonly costs: MachineProfile["costs"];
  /** DMA engines (PTDMA, SDXI, DSA); absent on a machine without them. */
  readonly dma: MachineProfile["dma"];
  /** Memory latency for applications; absent on a profile that only migrates. */
  readonly memory: MachineProfile["memory"];

  /** Number of logical CPUs: sockets * ccdsPerSocket * coresPerCcd * threadsPerCore. */
  readonly cpus: number;
  /** Number of physical cores over all sockets. */
  readonly totalCores: number;
  /** Number of CCDs over all sockets. */
  readonly ccds: number;
  /** Number of NUMA nodes. */
  readonly nodeCount: number;

  private readonly nodesById: NodeSpec[];
  private readonly cpuSocket: Int32Array;
  private readonly cpuCcd: Int32Array;
  private readonly cpuNode: Int32Array;
  private readonly socketNode: Int32Array;
  private readonly nodeCpus: number[][];

  /** `source` says where the profile came from (a file path), for messages. */
  constructor(
    profile: MachineProfile,
    readonly source: string,
  ) {
    this.name = profile.name;
    this.description = profile.description;
    this.topology = profile.topology;
    this.cpu = profile.cpu;
    this.fabric = profile.fabric;
    this.kernel = profile.kernel;
    this.costs = profile.costs;
    this.dma = profile.dma;
    this.memory = profile.memory;

    const t = profile.topology;
    this.ccds = t.sockets * t.ccdsPerSocket;
    this.totalCores = this.ccds * t.coresPerCcd;
    this.cpus = this.totalCores * t.threadsPerCore;
    this.nodeCount = t.nodes.length;
    this.nodesById = [...t.nodes].sort((a, b) => a.id - b.id);

    // The schema guarantees each socket at least one DRAM node and that their count divides
    // ccdsPerSocket; the socket's CCDs are dealt to them in contiguous runs (NPS-style).
    const dramOfSocket: number[][] = Array.from({ length: t.sockets }, () => []);
    for (const n of this.nodesById) if (n.kind === "dram") dramOfSocket[n.socket].push(n.id);
    this.socketNode = Int32Array.from(dramOfSocket, (ids) => ids[0]);

    this.cpuSocket = new Int32Array(this.cpus);
    this.cpuCcd = new Int32Array(this.cpus);
    this.cpuNode = new Int32Array(this.cpus);
    this.nodeCpus = this.nodesById.map(() => []);
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const ccd = Math.floor((cpu % this.totalCores) / t.coresPerCcd);
      const socket = Math.floor(ccd / t.ccdsPerSocket);
      const local = dramOfSocket[socket];
      const node = local[Math.floor(((ccd % t.ccdsPerSocket) * local.length) / t.ccdsPerSocket)];
      this.cpuSocket[cpu] = socket;
      this.cpuCcd[cpu] = ccd;
      this.cpuNode[cpu] = node;
      this.nodeCpus[node].push(cpu);
    }
  }

  /** The node with id `nid`. */
  node(nid: number): Readonly<NodeSpec> {
    return this.nodesById[this.checkNode(nid)];
  }

  /** Bytes of memory on node `nid`. */
  nodeBytes(nid: number): number {
    return this.nodesById[this.checkNode(nid)].memory;
  }

  /** Total bytes of memory over all nodes. */
  totalBytes(): number {
    return this.nodesById.reduce((sum, n) => sum + n.memory, 0);
  }

  cpuInfo(cpu: number): CpuInfo {
    this.checkCpu(cpu);
    const t = this.topology;
    const core = cpu % this.totalCores;
    return {
      socket: this.cpuSocket[cpu],
      ccd: this.cpuCcd[cpu] % t.ccdsPerSocket,
      core: core % t.coresPerCcd,
      thread: Math.floor(cpu / this.totalCores),
    };
  }

  socketOfCpu(cpu: number): number {
    return this.cpuSocket[this.checkCpu(cpu)];
  }

  /** Global CCD index of `cpu`: socket * ccdsPerSocket + CCD within the socket. */
  ccdOfCpu(cpu: number): number {
    return this.cpuCcd[this.checkCpu(cpu)];
  }

  /** The DRAM node local to `cpu` (cpu_to_node()). */
  nodeOfCpu(cpu: number): number {
    return this.cpuNode[this.checkCpu(cpu)];
  }

  /** The lowest-numbered DRAM node of `socket`. */
  nodeOfSocket(socket: number): number {
    if (!Number.isInteger(socket) || socket < 0 || socket >= this.topology.sockets) {
      throw new RangeError(`profile ${this.name}: no socket ${socket}`);
    }
    return this.socketNode[socket];
  }

  socketOfNode(nid: number): number {
    return this.nodesById[this.checkNode(nid)].socket;
  }

  /** CPUs whose local node is `nid`, ascending; empty for a CPU-less (CXL) node. */
  cpusOfNode(nid: number): readonly number[] {
    return this.nodeCpus[this.checkNode(nid)];
  }

  private checkCpu(cpu: number): number {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) {
      throw new RangeError(`profile ${this.name}: no cpu ${cpu} (cpus: 0..${this.cpus - 1})`);
    }
    return cpu;
  }

  private checkNode(nid: number): number {
    if (!Number.isInteger(nid) || nid < 0 || nid >= this.nodeCount) {
      throw new RangeError(
        `profile ${this.name}: no node ${nid} (nodes: 0..${this.nodeCount - 1})`,
      );
    }
    return nid;
  }
}

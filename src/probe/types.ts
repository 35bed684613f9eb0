/** What a probe finds on a host; null (or an empty list) where the host did not say. */

export interface NodeFacts {
  id: number;
  /** CPUs of the node (nodeN/cpulist), ascending; null when the file is missing. */
  cpus: number[] | null;
  /** nodeN/meminfo MemTotal in bytes. */
  memTotalBytes: number | null;
  /** nodeN/distance: to each online node, in the order of the online list. */
  distances: number[] | null;
  hasCpu: boolean;
  hasMemory: boolean;
}

export interface CpuFacts {
  cpu: number;
  /** topology/physical_package_id. */
  packageId: number | null;
  /** The CPUs sharing this CPU's L3 (cache/indexN with level 3), ascending. */
  l3: number[] | null;
  /** topology/thread_siblings_list: the CPUs of this CPU's core, itself included. */
  threadSiblings: number[] | null;
}

/** CPUs sharing one L3: a CCD on AMD EPYC. */
export interface L3Group {
  cpus: number[];
  /** The package of its first CPU. */
  packageId: number | null;
}

export interface MemoryTier {
  /** N of memory_tierN (lower is faster). */
  id: number;
  nodes: number[];
}

/** One DMA engine: the channels dma<N>chan<M> of one dma<N>. */
export interface DmaEngine {
  name: string;
  channels: string[];
  /** The driver bound to the channels' device (device/uevent DRIVER=). */
  driver: string | null;
  /** device/numa_node; null when unknown (missing or -1). */
  node: number | null;
}

export interface HostFacts {
  kernelRelease: string | null;
  cpuModel: string | null;
  /** From /proc/cpuinfo's fields: x86 lists vendor_id, arm64 "CPU implementer". */
  arch: "x86_64" | "arm64" | null;
  /** Base page size; assumed (no sysfs file says it). */
  pageSize: number;
  /**
   * False when the kernel has no NUMA (no /sys/devices/system/node); `nodes` then holds one
   * node 0 standing for the whole machine.
   */
  numa: boolean;
  /** Online nodes, ascending. */
  nodes: NodeFacts[];
  /** Online CPUs, ascending. */
  cpus: CpuFacts[];
  /** Distinct L3 groups, ordered by first CPU. */
  l3Groups: L3Group[];
  /** The bracketed choice of transparent_hugepage/{enabled,defrag}. */
  thp: { enabled: string | null; defrag: string | null };
  numaBalancing: number | null;
  demotionEnabled: boolean | null;
  memoryTiers: MemoryTier[];
  dma: DmaEngine[];
  /** Parameters of the offload series' modules, by name; null when the module is not loaded. */
  modules: { dcbm: Record<string, string> | null; mtcopy: Record<string, string> | null };
  /** The migration counters of /proc/vmstat that are present, by name. */
  vmstat: Record<string, number>;
}

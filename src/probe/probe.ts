/** Reads every fact family of a host into HostFacts. */

import { PAGE_SIZE } from "../mm/folio.js";
import { l3Groups, readCpuInfo, readCpus } from "./cpus.js";
import { readDmaEngines, readModuleParams } from "./dma.js";
import { type HostFs, readTrimmed } from "./host-fs.js";
import {
  readDemotionEnabled,
  readMemoryTiers,
  readNumaBalancing,
  readThp,
  readVmstat,
} from "./mm.js";
import { readNodes, wholeMachineNode } from "./nodes.js";
import type { HostFacts } from "./types.js";

export function probeHost(fs: HostFs): HostFacts {
  const numaNodes = readNodes(fs);
  const cpus = readCpus(fs, numaNodes ?? []);
  const nodes = numaNodes ?? [
    wholeMachineNode(
      fs,
      cpus.map((c) => c.cpu),
    ),
  ];
  return {
    kernelRelease: readTrimmed(fs, "/proc/sys/kernel/osrelease") || null,
    ...readCpuInfo(fs),
    // No sysfs file says it; 4K is what pagemig's schema and folios assume.
    pageSize: PAGE_SIZE,
    numa: numaNodes !== undefined,
    nodes,
    cpus,
    l3Groups: l3Groups(cpus),
    thp: readThp(fs),
    numaBalancing: readNumaBalancing(fs),
    demotionEnabled: readDemotionEnabled(fs),
    memoryTiers: readMemoryTiers(fs),
    dma: readDmaEngines(fs),
    modules: { dcbm: readModuleParams(fs, "dcbm"), mtcopy: readModuleParams(fs, "mtcopy") },
    vmstat: readVmstat(fs),
  };
}

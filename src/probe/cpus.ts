/** CPUs: model and architecture (/proc/cpuinfo), packages, SMT siblings and L3 groups. */
import { readIdList } from "./cpulist.js";
import { type HostFs, numberedEntries, readInt, readTrimmed } from "./host-fs.js";
import type { CpuFacts, HostFacts, L3Group, NodeFacts } from "./types.js";

const CPU_DIR = "/sys/devices/system/cpu";

/** The first "model name" of /proc/cpuinfo, and the architecture its fields reveal. */
export function readCpuInfo(fs: HostFs): Pick<HostFacts, "cpuModel" | "arch"> {
  const text = fs.read("/proc/cpuinfo");
  if (text === undefined) return { cpuModel: null, arch: null };
  const model = /^model name\s*:\s*(.*)$/m.exec(text)?.[1].trim();
  let arch: HostFacts["arch"] = null;
  if (/^vendor_id\s*:/m.test(text)) arch = "x86_64";
  else if (/^CPU implementer\s*:/m.test(text)) arch = "arm64";
  return { cpuModel: model === undefined || model === "" ? null : model, arch };
}

/** The online CPUs: cpu/online, else the nodes' cpulists, else every cpuN directory. */
function onlineCpus(fs: HostFs, nodes: readonly NodeFacts[]): number[] {
  const online = readIdList(fs, `${CPU_DIR}/online`, "cpu");
  if (online !== undefined) return online;
  const fromNodes = nodes.flatMap((n) => n.cpus ?? []);
  if (fromNodes.length > 0) return [...new Set(fromNodes)].sort((a, b) => a - b);
  return numberedEntries(fs.list(CPU_DIR), "cpu");
}

export function readCpus(fs: HostFs, nodes: readonly NodeFacts[]): CpuFacts[] {
  return onlineCpus(fs, nodes).map((cpu) => {
    const dir = `${CPU_DIR}/cpu${cpu}`;
    return {
      cpu,
      packageId: readInt(fs, `${dir}/topology/physical_package_id`) ?? null,
      l3: readL3(fs, `${dir}/cache`),
      threadSiblings: readIdList(fs, `${dir}/topology/thread_siblings_list`, "cpu") ?? null,
    };
  });
}

/** shared_cpu_list of the cache index whose level is 3 (index3 on x86, not on every arm64). */
function readL3(fs: HostFs, cacheDir: string): number[] | null {
  for (const index of numberedEntries(fs.list(cacheDir), "index")) {
    const dir = `${cacheDir}/index${index}`;
    if (readTrimmed(fs, `${dir}/level`) === "3") {
      return readIdList(fs, `${dir}/shared_cpu_list`, "cpu") ?? null;
    }
  }
  return null;
}

/** The distinct L3 groups of `cpus`, ordered by their first CPU. */
export function l3Groups(cpus: readonly CpuFacts[]): L3Group[] {
  const byKey = new Map<string, L3Group>();
  for (const c of cpus) {
    if (c.l3 === null || c.l3.length === 0) continue;
    const key = c.l3.join(",");
    if (!byKey.has(key)) byKey.set(key, { cpus: c.l3, packageId: c.packageId });
  }
  return [...byKey.values()].sort((a, b) => a.cpus[0] - b.cpus[0]);
}

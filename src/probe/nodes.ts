/** NUMA nodes: /sys/devices/system/node (online, has_cpu, has_memory, nodeN/*). */
import { readIdList } from "./cpulist.js";
import { type HostFs, malformed, numberedEntries } from "./host-fs.js";
import type { NodeFacts } from "./types.js";

export const NODE_DIR = "/sys/devices/system/node";

/** The online nodes; undefined when the kernel has no NUMA (CONFIG_NUMA off: no node dir). */
export function readNodes(fs: HostFs): NodeFacts[] | undefined {
  const names = fs.list(NODE_DIR);
  if (names === undefined) return undefined;
  // Without the online list, every nodeN directory is taken to be online.
  const online = readIdList(fs, `${NODE_DIR}/online`, "node") ?? numberedEntries(names, "node");
  const hasCpu = readIdList(fs, `${NODE_DIR}/has_cpu`, "node");
  const hasMemory = readIdList(fs, `${NODE_DIR}/has_memory`, "node");
  return online.map((id) => {
    const dir = `${NODE_DIR}/node${id}`;
    const cpus = readIdList(fs, `${dir}/cpulist`, "cpu") ?? null;
    const memTotalBytes = readMemTotal(fs, `${dir}/meminfo`, /^Node \d+ MemTotal:\s+(\d+) kB$/m);
    const distances = readDistances(fs, `${dir}/distance`, online.length);
    return {
      id,
      cpus,
      memTotalBytes,
      distances,
      hasCpu: hasCpu?.includes(id) ?? (cpus ?? []).length > 0,
      hasMemory: hasMemory?.includes(id) ?? (memTotalBytes ?? 0) > 0,
    };
  });
}

/**
 * A kernel without NUMA has one node 0 in all but sysfs: every online CPU, and the memory
 * of /proc/meminfo.
 */
export function wholeMachineNode(fs: HostFs, cpus: readonly number[]): NodeFacts {
  const memTotalBytes = readMemTotal(fs, "/proc/meminfo", /^MemTotal:\s+(\d+) kB$/m);
  return {
    id: 0,
    cpus: [...cpus],
    memTotalBytes,
    distances: null,
    hasCpu: cpus.length > 0,
    hasMemory: (memTotalBytes ?? 0) > 0,
  };
}

/** The MemTotal line `re` matches ("... MemTotal:  24683656 kB"), in bytes. */
function readMemTotal(fs: HostFs, path: string, re: RegExp): number | null {
  const text = fs.read(path);
  if (text === undefined) return null;
  const m = re.exec(text);
  if (m === null) throw malformed(fs, path, "no 'MemTotal: <n> kB' line");
  const bytes = Number(m[1]) * 1024;
  if (!Number.isSafeInteger(bytes)) throw malformed(fs, path, `MemTotal out of range: ${m[1]} kB`);
  return bytes;
}

/** One distance per online node, as the kernel prints them. */
function readDistances(fs: HostFs, path: string, onlineCount: number): number[] | null {
  const text = fs.read(path);
  if (text === undefined) return null;
  const words = text.trim().split(/\s+/);
  if (!words.every((w) => /^\d+$/.test(w))) {
    throw malformed(fs, path, `expected distances, got '${text.trim()}'`);
  }
  if (words.length !== onlineCount) {
    throw malformed(fs, path, `${words.length} distances for ${onlineCount} online nodes`);
  }
  return words.map(Number);
}

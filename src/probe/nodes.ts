/** NUMA nodes: /sys/devices/system/node (online, has_cpu, has_memory, nodeN/*). */
import { readIdList } from "./cpulist.js";
import { type HostFs, malformed, numberedEntries } from "./host-fs.js";
import type { NodeFacts } from "./types.js";

export const NODE_DIR = "/sys/devices/system/node";

export function readNodes(fs: HostFs): NodeFacts[] {
  // Without the online list, every nodeN directory is taken to be online.
  const online = readIdList(fs, `${NODE_DIR}/online`) ?? numberedEntries(fs.list(NODE_DIR), "node");
  const hasCpu = readIdList(fs, `${NODE_DIR}/has_cpu`);
  const hasMemory = readIdList(fs, `${NODE_DIR}/has_memory`);
  return online.map((id) => {
    const dir = `${NODE_DIR}/node${id}`;
    const cpus = readIdList(fs, `${dir}/cpulist`) ?? null;
    const memTotalBytes = readMemTotal(fs, `${dir}/meminfo`);
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

/** "Node 0 MemTotal:  24683656 kB" in bytes. */
function readMemTotal(fs: HostFs, path: string): number | null {
  const text = fs.read(path);
  if (text === undefined) return null;
  const m = /^Node \d+ MemTotal:\s+(\d+) kB$/m.exec(text);
  if (m === null) throw malformed(fs, path, "no 'Node N MemTotal: <n> kB' line");
  return Number(m[1]) * 1024;
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

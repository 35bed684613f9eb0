/** The probe's output: a numactl --hardware-like text report, or a versioned JSON document. */
import { type DocumentHeader, documentHeader } from "../report/header.js";
import { formatIdList } from "./cpulist.js";
import type { HostFacts } from "./types.js";

const MiB = 1 << 20;

export interface ProbeDocument extends DocumentHeader<"pagemig-probe"> {
  facts: HostFacts;
  notes: string[];
}

export function probeDocument(facts: HostFacts, notes: readonly string[]): ProbeDocument {
  return { ...documentHeader("pagemig-probe", "probe"), facts, notes: [...notes] };
}

/** numactl --hardware's distance table, with `indent` before each row; null when any row is unknown. */
export function distanceTable(nodes: HostFacts["nodes"], indent = ""): string[] | null {
  if (nodes.length === 0 || nodes.some((n) => n.distances === null)) return null;
  const cell = (x: number) => String(x).padStart(3);
  return [
    `${indent}node ${nodes.map((n) => cell(n.id)).join(" ")}`,
    ...nodes.map((n) => `${indent}${cell(n.id)}: ${(n.distances ?? []).map(cell).join(" ")}`),
  ];
}

const unknown = (x: string | number | boolean | null) => (x === null ? "unknown" : String(x));
const params = (p: Record<string, string>) =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ") || "(none)";

export function formatProbe(f: HostFacts, notes: readonly string[]): string {
  const ids = f.nodes.map((n) => n.id);
  const lines = [
    `kernel: ${unknown(f.kernelRelease)}`,
    `cpu: ${unknown(f.cpuModel)} (${unknown(f.arch)}), ${f.cpus.length} online`,
    `page size: ${f.pageSize} (assumed)`,
    // numactl --hardware's block, CPU-less nodes showing an empty cpu list as it does.
    `available: ${f.nodes.length} nodes (${formatIdList(ids)})`,
  ];
  if (!f.numa) lines.push("numa: none (no /sys/devices/system/node); node 0 is the whole machine");
  for (const n of f.nodes) {
    lines.push(`node ${n.id} cpus: ${n.cpus === null ? "unknown" : n.cpus.join(" ")}`);
    const size = n.memTotalBytes === null ? "unknown" : `${Math.floor(n.memTotalBytes / MiB)} MB`;
    lines.push(`node ${n.id} size: ${size}`);
  }
  const distances = distanceTable(f.nodes);
  if (distances !== null) lines.push("node distances:", ...distances);
  const packages = [...new Set(f.cpus.map((c) => c.packageId))];
  lines.push(
    `sockets: ${packages.length === 0 || packages.includes(null) ? "unknown" : packages.length}`,
  );
  lines.push(`L3 groups: ${f.l3Groups.length}`);
  for (const g of f.l3Groups) {
    lines.push(`  cpus ${formatIdList(g.cpus)} (package ${unknown(g.packageId)})`);
  }
  lines.push(`thp: enabled ${unknown(f.thp.enabled)}, defrag ${unknown(f.thp.defrag)}`);
  lines.push(`numa_balancing: ${unknown(f.numaBalancing)}`);
  lines.push(`demotion_enabled: ${unknown(f.demotionEnabled)}`);
  lines.push(
    `memory tiers: ${f.memoryTiers.map((t) => `memory_tier${t.id} nodes ${formatIdList(t.nodes)}`).join("; ") || "none"}`,
  );
  lines.push(`dma engines: ${f.dma.length === 0 ? "none" : f.dma.length}`);
  for (const e of f.dma) {
    lines.push(
      `  ${e.name}: ${e.channels.length} channels, driver ${unknown(e.driver)}, node ${unknown(e.node)}`,
    );
  }
  for (const [name, p] of Object.entries(f.modules)) {
    lines.push(`${name}: ${p === null ? "not loaded" : params(p)}`);
  }
  const counters = Object.entries(f.vmstat);
  lines.push(`vmstat: ${counters.length === 0 ? "none" : ""}`.trimEnd());
  for (const [name, value] of counters) lines.push(`  ${name} ${value}`);
  lines.push(`notes: ${notes.length === 0 ? "none" : ""}`.trimEnd());
  for (const note of notes) lines.push(`  - ${note}`);
  return `${lines.join("\n")}\n`;
}

/** Advice: what the facts mean for migration, batching and offload on this host. */
import { UsageError } from "../errors.js";
import { formatIdList } from "./cpulist.js";
import { DMA_KINDS, dmaKind } from "./dma.js";
import { draftMemoryNodes, draftTopology, nodeHasCpus } from "./topology.js";
import type { HostFacts } from "./types.js";

const THP_NOTES: Readonly<Record<string, string>> = {
  always: "THP always: anonymous regions get 2M folios where they can, and migrate them whole",
  madvise: "THP madvise: 2M folios only for madvised regions; others migrate as 4K pages",
  never: "THP never: only base pages (and any enabled mTHP sizes) migrate",
};

const BALANCING_NOTES: readonly string[] = [
  "numa_balancing=0: no automatic NUMA migration; only move_pages/migrate_pages and reclaim move pages",
  "numa_balancing=1: NUMA hinting faults migrate pages towards the CPUs that use them",
  "numa_balancing=2 (memory tiering mode): hot pages are promoted from slower tiers",
  "numa_balancing=3: hinting-fault migration and tier promotion both on",
];

export function probeNotes(f: HostFacts): string[] {
  const notes: string[] = [];
  if (!f.numa) {
    notes.push(
      "no NUMA in this kernel (no /sys/devices/system/node): node 0 stands for the whole machine",
    );
  }
  // The nodes the draft keeps (at least one 4M block), so notes and draft agree.
  const memoryNodes = draftMemoryNodes(f);
  if (memoryNodes.length < 2) {
    notes.push(
      `${memoryNodes.length} node${memoryNodes.length === 1 ? "" : "s"} with memory (4M or more): move_pages has no other node to migrate to on this host`,
    );
  }
  const cpuless = memoryNodes.filter((n) => !nodeHasCpus(n)).map((n) => n.id);
  if (cpuless.length > 0) {
    notes.push(
      `node ${formatIdList(cpuless)}: memory without CPUs (CXL or similar), modelled as kind cxl`,
    );
  }
  notes.push(...draftRemarks(f));
  if (f.dma.length === 0) {
    notes.push("no DMA engine found: dcbm cannot run here; mtcopy and batch-cpu can");
  } else {
    const unmodelled = f.dma.filter((e) => dmaKind(e.driver) === undefined);
    if (unmodelled.length > 0) {
      notes.push(
        `DMA engine(s) ${unmodelled.map((e) => `${e.name} (driver ${e.driver ?? "unknown"})`).join(", ")}: not a driver pagemig models (${Object.keys(DMA_KINDS).join(", ")}); left out of the draft`,
      );
    }
    const channels = f.dma.reduce((n, e) => n + e.channels.length, 0);
    const dcbm = f.modules.dcbm;
    if (dcbm === null) {
      notes.push(
        "DMA engines found but the dcbm module is not loaded: offloading migration copies needs the offload series' kernel",
      );
    } else if (dcbm.offloading === "0") {
      notes.push("dcbm loaded with offloading=0: migration copies stay on the CPU until it is set");
    } else {
      notes.push(
        `${f.dma.length} DMA engines (${channels} channels) and dcbm loaded: migration copies can be offloaded`,
      );
    }
  }
  if (f.modules.mtcopy === null) {
    notes.push("mtcopy module not loaded: multi-threaded copy needs the offload series' kernel");
  }
  if (f.thp.enabled !== null && Object.hasOwn(THP_NOTES, f.thp.enabled)) {
    notes.push(THP_NOTES[f.thp.enabled]);
  }
  const b = f.numaBalancing;
  if (b !== null && b >= 0 && b < BALANCING_NOTES.length) notes.push(BALANCING_NOTES[b]);
  const tiers = f.memoryTiers.length;
  if (tiers > 1) {
    notes.push(
      f.demotionEnabled === null
        ? `${tiers} memory tiers, demotion unknown (no demotion_enabled): reclaim may or may not demote to the slower tier`
        : f.demotionEnabled
          ? `${tiers} memory tiers and demotion_enabled: reclaim demotes pages to the slower tier (a migration, counted in pgdemote_*)`
          : `${tiers} memory tiers but demotion is off: reclaim will not demote to the slower tier`,
    );
  }
  return notes;
}

/** What the draft profile (--out) makes of this host where it departs from it. */
function draftRemarks(f: HostFacts): string[] {
  try {
    return draftTopology(f).remarks.map((r) => `draft: ${r}`);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return [err.message];
  }
}

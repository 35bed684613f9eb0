/** Advice: what the facts mean for migration, batching and offload on this host. */
import { formatIdList } from "./cpulist.js";
import type { HostFacts } from "./types.js";

/** Drivers whose engines pagemig models, and the profile kind of each. */
export const DMA_KINDS: Readonly<Record<string, "ptdma" | "dsa" | "sdxi">> = {
  ptdma: "ptdma",
  idxd: "dsa",
  sdxi: "sdxi",
};

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

/** The DMA_KINDS kind of a driver; undefined for one pagemig does not model. */
export function dmaKind(driver: string | null): "ptdma" | "dsa" | "sdxi" | undefined {
  return driver !== null && Object.hasOwn(DMA_KINDS, driver) ? DMA_KINDS[driver] : undefined;
}

export function probeNotes(f: HostFacts): string[] {
  const notes: string[] = [];
  const memoryNodes = f.nodes.filter((n) => n.hasMemory);
  if (memoryNodes.length < 2) {
    notes.push(
      `only ${memoryNodes.length} node with memory: no other node to migrate to; the draft profile splits it in two, as numa=fake=2 would`,
    );
  }
  const cpuless = memoryNodes.filter((n) => !n.hasCpu).map((n) => n.id);
  if (cpuless.length > 0) {
    notes.push(
      `node ${formatIdList(cpuless)}: memory without CPUs (CXL or similar), modelled as kind cxl`,
    );
  }
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
  if (f.memoryTiers.length > 1) {
    notes.push(
      f.demotionEnabled
        ? `${f.memoryTiers.length} memory tiers and demotion_enabled: reclaim demotes pages to the slower tier (a migration, counted in pgdemote_*)`
        : `${f.memoryTiers.length} memory tiers but demotion is off: reclaim will not demote to the slower tier`,
    );
  }
  return notes;
}

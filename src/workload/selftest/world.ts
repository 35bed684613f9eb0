/**
 * Boots the machine of a selftest case and lays out its memory: processes, regions faulted in
 * with real contents, shared ranges, holes, pins, fragmentation and filler allocations. The
 * World keeps what the layout promises, so the checker can judge the page tables against it
 * instead of against themselves.
 */
import { createMigrator, type MigratorName } from "../../copy/engines.js";
import type { Migrator } from "../../copy/migrator.js";
import { MIGRATE_OFFLOAD_REASONS_ALLOWED } from "../../copy/reason-mask.js";
import { LoadedProfile } from "../../machine/loaded-profile.js";
import { loadProfile } from "../../machine/profile.js";
import { toProfileDocument, validateProfile } from "../../machine/schema.js";
import { Kernel } from "../../migrate/kernel.js";
import { type Folio, MAX_PAGE_ORDER, PAGE_SIZE } from "../../mm/folio.js";
import type { Task } from "../../mm/task.js";
import { type MmStruct, shareRange, VM_READ, VM_WRITE } from "../../mm/vm.js";
import { Rng } from "../../sim/rng.js";
import { pageKey } from "../region.js";
import {
  type Layout,
  NO_SUCH_PID,
  type PageRange,
  type PidSpec,
  REGION_BASE,
  REGION_STRIDE,
  type SelftestCase,
} from "./case.js";

export interface WorldRegion {
  owner: number;
  start: number;
  order: number;
  count: number;
  /** Base pages: count << order. */
  pages: number;
  /** Per folio: 1 if it was faulted in. */
  populated: Uint8Array;
  /** [first, end) page indices shared into the other process; empty when first === end. */
  shareFirst: number;
  shareEnd: number;
  holeFirst: number;
  holeEnd: number;
  /** Global id of the region's first page: ids number every page of every region. */
  firstId: number;
  /** The mm id the page keys were made with (the owner's). */
  keyMmId: number;
}

/** A copy engine by name (engines.ts) and its copy threads or DMA channels. */
export interface MigratorSpec {
  name: MigratorName;
  workers: number;
}

/** How the machine of a case runs, beyond what the case itself says. */
export interface WorldOptions {
  /** Registered for every migrate reason; none (or "serial"): the vanilla flow. */
  migrator?: MigratorSpec;
  /** Fault-injection spec (fault/inject.ts), e.g. "all"; seeded by the case's seed. */
  faults?: string;
}

export interface World {
  k: Kernel;
  c: SelftestCase;
  /** The registered migrator, or null for the vanilla flow. */
  migrator: Migrator | null;
  tasks: Task[];
  regions: WorldRegion[];
  /** Filler allocations the world holds: refcount 1, never mapped. */
  fillers: Folio[];
  /** Per node: pages PhysMem.fragment() reserved. */
  reserved: number[];
  /** Total page ids. */
  nrIds: number;
}

const profiles = new Map<string, LoadedProfile>();
let base: LoadedProfile | undefined;
let dmaSource: LoadedProfile | undefined;

/**
 * small-2node with the case's node sizes, plus a CPU-less CXL node 2 when there are three, and
 * the DMA engines of zen3-2s-ptdma moved onto its one socket, for the dcbm migrators.
 */
function profileFor(layout: Layout): LoadedProfile {
  const key = `${layout.nodes.map((n) => n.mib).join(",")}/${layout.thpMigration}`;
  let p = profiles.get(key);
  if (p === undefined) {
    base ??= loadProfile("small-2node");
    dmaSource ??= loadProfile("zen3-2s-ptdma");
    const doc = toProfileDocument(base);
    doc.name = "selftest";
    const dma = toProfileDocument(dmaSource).dma;
    if (dma !== undefined) {
      for (const dev of dma.devices) dev.sockets = dev.sockets.map(() => 0);
      doc.dma = dma;
    }
    doc.topology.nodes = layout.nodes.map((n, id) => ({
      id,
      socket: 0,
      memory: `${n.mib}M`,
      kind: id < 2 ? ("dram" as const) : ("cxl" as const),
    }));
    doc.kernel.thpMigration = layout.thpMigration;
    const r = validateProfile(doc);
    if (!r.ok) throw new Error(`selftest: bad machine profile: ${r.problems.join("; ")}`);
    p = new LoadedProfile(r.profile, "selftest");
    profiles.set(key, p);
  }
  return p;
}

function rangeOf(r: PageRange | null): [number, number] {
  return r === null ? [0, 0] : [r.first, r.first + r.pages];
}

/** Boot the case's machine and build its layout. The case must be normalised. */
export function buildWorld(c: SelftestCase, o: WorldOptions = {}): World {
  const layout = c.layout;
  const k = new Kernel({
    profile: profileFor(layout),
    seed: c.seed,
    contents: true,
    nrMaxBatchedMigration: layout.batchPages,
    inject: o.faults,
  });
  const m = o.migrator;
  const migrator =
    m === undefined
      ? null
      : createMigrator(k, m.name, { workers: m.workers, placement: "spread", minBatchFolios: 0 });
  if (migrator !== null && k.offload.register(migrator, MIGRATE_OFFLOAD_REASONS_ALLOWED) !== 0) {
    throw new Error(`selftest: could not register migrator ${migrator.name}`);
  }
  // Process i runs on the first CPU of node i, so the two sit on different CCDs.
  const tasks = layout.procs.map((spec, i) => {
    const t = k.spawnProcess(k.profile.cpusOfNode(i)[0]);
    t.uid = spec.uid;
    t.capSysNice = spec.capSysNice;
    t.memsAllowed = spec.mems === null ? null : new Set(spec.mems);
    return t;
  });
  const contents = k.phys.contents;
  if (contents === null) throw new Error("selftest: the kernel was not booted in bytes mode");

  const regions: WorldRegion[] = [];
  let nrIds = 0;
  layout.regions.forEach((spec, r) => {
    const mm = tasks[spec.owner].mm;
    if (mm === null) throw new Error("selftest: process without an mm");
    const start = REGION_BASE + r * REGION_STRIDE;
    const folioBytes = PAGE_SIZE << spec.order;
    const vma = mm.mmap(folioBytes * spec.count, VM_READ | VM_WRITE, start);
    const populated = new Uint8Array(spec.count);
    for (let i = 0; i < spec.count; i++) {
      if (spec.absent.includes(i)) continue;
      const folio = k.phys.allocFolio(spec.node, spec.order);
      // A full node leaves the rest of the region unpopulated, like a fault that failed.
      if (folio === null) continue;
      const addr = start + i * folioBytes;
      mm.mapFolio(vma, addr, folio, { dirty: true });
      for (let j = 0; j < folio.nrPages; j++) {
        contents.fillPage(folio.pfn + j, pageKey(c.seed, mm.id, addr / PAGE_SIZE + j));
      }
      populated[i] = 1;
    }
    const [shareFirst, shareEnd] = rangeOf(spec.share);
    const [holeFirst, holeEnd] = rangeOf(spec.hole);
    const pages = spec.count << spec.order;
    regions.push({
      owner: spec.owner,
      start,
      order: spec.order,
      count: spec.count,
      pages,
      populated,
      shareFirst,
      shareEnd,
      holeFirst,
      holeEnd,
      firstId: nrIds,
      keyMmId: mm.id,
    });
    nrIds += pages;
  });

  // fork() of a range first, then munmap in the owner, then the pins (fork refuses to share
  // a pinned exclusive page, and a pin must be on a folio that stays mapped).
  for (const reg of regions) {
    if (reg.shareEnd > reg.shareFirst) {
      shareRange(
        tasks[reg.owner].mm as MmStruct,
        tasks[1 - reg.owner].mm as MmStruct,
        reg.start + reg.shareFirst * PAGE_SIZE,
        (reg.shareEnd - reg.shareFirst) * PAGE_SIZE,
      );
    }
  }
  for (const reg of regions) {
    if (reg.holeEnd > reg.holeFirst) {
      tasks[reg.owner].mm?.munmap(
        reg.start + reg.holeFirst * PAGE_SIZE,
        (reg.holeEnd - reg.holeFirst) * PAGE_SIZE,
      );
    }
  }
  layout.regions.forEach((spec, r) => {
    for (const i of spec.pinned) pinFolio(k, tasks, regions[r], i);
  });

  // Fillers take the node down to leavePages free; fragmenting what is left then makes large
  // allocations fail while some memory is still free.
  const fillers: Folio[] = [];
  const reserved = layout.nodes.map(() => 0);
  layout.nodes.forEach((n, nid) => {
    if (n.leavePages !== null) {
      for (let order = MAX_PAGE_ORDER; order >= 0; order--) {
        while (k.phys.freePages(nid) - (1 << order) >= n.leavePages) {
          const f = k.phys.allocFolio(nid, order);
          if (f === null) break;
          fillers.push(f);
        }
      }
    }
    if (n.fragment > 0) reserved[nid] = k.phys.fragment(nid, n.fragment, new Rng(c.seed * 8 + nid));
  });
  return { k, c, migrator, tasks, regions, fillers, reserved, nrIds };
}

/** GUP-pin folio i of a region through any page of it that is still mapped. */
function pinFolio(k: Kernel, tasks: readonly Task[], reg: WorldRegion, i: number): void {
  if (reg.populated[i] === 0) return;
  const n = 1 << reg.order;
  for (let p = i * n; p < (i + 1) * n; p++) {
    for (let t = 0; t < tasks.length; t++) {
      if (!expectMapped(reg, t, p)) continue;
      const e = tasks[t].mm?.entryAt(reg.start + p * PAGE_SIZE);
      if (e === undefined || e.kind !== "present") continue;
      const folio = k.phys.folioOf(e.pfn);
      if (folio === undefined) continue;
      folio.pins++;
      folio.refcount++;
      return;
    }
  }
}

/** The layout promises a VMA of process t over page p of the region. */
export function expectVma(reg: WorldRegion, t: number, p: number): boolean {
  if (t === reg.owner) return p < reg.holeFirst || p >= reg.holeEnd;
  return p >= reg.shareFirst && p < reg.shareEnd;
}

/** The layout promises a present page in process t at page p of the region. */
export function expectMapped(reg: WorldRegion, t: number, p: number): boolean {
  return reg.populated[p >> reg.order] === 1 && expectVma(reg, t, p);
}

/** The key the contents of page p of the region were filled with. */
export function keyOf(world: World, reg: WorldRegion, p: number): number {
  return pageKey(world.c.seed, reg.keyMmId, reg.start / PAGE_SIZE + p);
}

/** Region index and page of an address by the layout's geometry, or null outside every region. */
export function regionPageOf(world: World, addr: number): { r: number; p: number } | null {
  const r = Math.floor((addr - REGION_BASE) / REGION_STRIDE);
  if (!(r >= 0 && r < world.regions.length)) return null;
  const p = Math.floor((addr - world.regions[r].start) / PAGE_SIZE);
  return p < world.regions[r].pages ? { r, p } : null;
}

/** The task a syscall's pid names, or undefined for no task. */
export function targetOf(world: World, caller: number, pid: PidSpec): Task | undefined {
  if (pid === "none") return undefined;
  return world.tasks[pid === "other" ? 1 - caller : caller];
}

/** The pid argument passed for a PidSpec. */
export function pidArg(world: World, caller: number, pid: PidSpec): number {
  if (pid === "zero") return 0;
  if (pid === "none") return NO_SUCH_PID;
  return world.tasks[pid === "other" ? 1 - caller : caller].pid;
}

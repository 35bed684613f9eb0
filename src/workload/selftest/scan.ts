/**
 * A full scan of a selftest world: every page-table entry of every process, every page of
 * every region, every live folio and every node's free lists, judged against the layout the
 * world promises. The scan is also the snapshot the call checks compare against.
 */
import { type Folio, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from "../../mm/folio.js";
import { HugePmd, PTE_MIGRATION, PTE_PRESENT, PTE_WRITE, PTRS_PER_PTE } from "../../mm/vm.js";
import { expectMapped, keyOf, regionPageOf, type World } from "./world.js";

/** What the page tables say about one folio. */
/**
 * A folio as a scan found it. What the checks read of it after a call is kept here: a call may
 * free the folio and reuse its object for another (between the batches of move_pages(2)).
 */
export interface FolioView {
  folio: Folio;
  /** Its first frame and size at the time of the scan. */
  pfn: number;
  nrPages: number;
  /** PTEs and PMDs that point into it. */
  entries: number;
  /** Its pages that some process maps. */
  mappedPages: number;
  /** Bit t: process t maps a page of it. */
  mms: number;
  /** Pins at the time of the scan. */
  pins: number;
  /** Node at the time of the scan. */
  nid: number;
}

export interface Scan {
  /** Per page id: the frame mapping it, or -1. */
  pfn: Int32Array;
  /** Per page id: the node of that frame, or -1. */
  nid: Int16Array;
  /** Per page id: bit t set when process t maps it. */
  mms: Uint8Array;
  /** Per page id: the folio holding it. */
  folio: (FolioView | undefined)[];
  folios: Map<Folio, FolioView>;
  pgmigrateSuccess: number;
  violations: Violations;
}

/** At most MAX_SHOWN messages are kept; the rest are only counted. */
const MAX_SHOWN = 12;

export class Violations {
  readonly shown: string[] = [];
  count = 0;

  add(message: string): void {
    if (this.count < MAX_SHOWN) this.shown.push(message);
    this.count++;
  }

  get ok(): boolean {
    return this.count === 0;
  }

  /** The kept messages, one per line, and how many more there were. */
  format(): string {
    const more = this.count - this.shown.length;
    return this.shown.join("\n") + (more > 0 ? `\n(and ${more} more)` : "");
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

export function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}

/** Scan the world: a snapshot, and every state invariant it breaks in `v`. */
export function scanWorld(world: World, v: Violations = new Violations()): Scan {
  const { k, regions, tasks } = world;
  const phys = k.phys;
  const contents = phys.contents;
  if (contents === null) throw new Error("selftest: scan needs bytes mode");
  const pfnOf = new Int32Array(world.nrIds).fill(-1);
  const mms = new Uint8Array(world.nrIds);
  const exclusive = new Uint8Array(world.nrIds);
  const folioOfId: (FolioView | undefined)[] = new Array(world.nrIds);
  // Which page id maps each frame: a frame has one virtual page (shared copies are the same).
  const idOfPfn = new Int32Array(contents.nrPfns).fill(-1);
  const folios = new Map<Folio, FolioView>();

  const viewOf = (folio: Folio): FolioView => {
    let view = folios.get(folio);
    if (view === undefined) {
      view = {
        folio,
        pfn: folio.pfn,
        nrPages: folio.nrPages,
        entries: 0,
        mappedPages: 0,
        mms: 0,
        pins: folio.pins,
        nid: folio.nid,
      };
      folios.set(folio, view);
    }
    return view;
  };

  const mapPage = (
    t: number,
    addr: number,
    pfn: number,
    view: FolioView,
    writable: boolean,
    excl: boolean,
  ): void => {
    const rp = regionPageOf(world, addr);
    if (rp === null || !expectMapped(regions[rp.r], t, rp.p)) {
      v.add(`process ${t}: unexpected mapping at ${hex(addr)} (pfn ${pfn})`);
      return;
    }
    const id = regions[rp.r].firstId + rp.p;
    if (pfnOf[id] === -1) {
      pfnOf[id] = pfn;
      view.mappedPages++;
      const other = idOfPfn[pfn];
      if (other !== -1 && other !== id) {
        v.add(`pfn ${pfn} is mapped at two virtual pages (ids ${other} and ${id})`);
      } else {
        idOfPfn[pfn] = id;
      }
      folioOfId[id] = view;
    } else if (pfnOf[id] !== pfn) {
      v.add(`shared page at ${hex(addr)}: pfn ${pfnOf[id]} in one process, ${pfn} in another`);
    }
    mms[id] |= 1 << t;
    view.mms |= 1 << t;
    if (writable && !excl) {
      v.add(`process ${t}: writable entry at ${hex(addr)} on a page that is not anon-exclusive`);
    }
    if (excl) exclusive[id] = 1;
  };

  tasks.forEach((task, t) => {
    const mm = task.mm;
    if (mm === null) return;
    for (const [idx, slot] of mm.pmds) {
      const base = idx * HPAGE_PMD_SIZE;
      if (slot instanceof HugePmd) {
        if (slot.flags & PTE_MIGRATION) {
          v.add(`process ${t}: PMD migration entry left behind at ${hex(base)}`);
          continue;
        }
        if (!(slot.flags & PTE_PRESENT)) continue;
        const folio = phys.folioOf(slot.pfn);
        if (folio === undefined || folio.pfn !== slot.pfn || folio.order !== HPAGE_PMD_ORDER) {
          v.add(`process ${t}: PMD at ${hex(base)} maps pfn ${slot.pfn}, not a live PMD folio`);
          continue;
        }
        const view = viewOf(folio);
        view.entries++;
        const writable = (slot.flags & PTE_WRITE) !== 0;
        // A PMD mapping keeps anon-exclusive on the head page for the whole THP.
        const excl = phys.isAnonExclusive(slot.pfn);
        for (let i = 0; i < PTRS_PER_PTE; i++) {
          mapPage(t, base + i * PAGE_SIZE, slot.pfn + i, view, writable, excl);
        }
        continue;
      }
      let used = 0;
      for (let i = 0; i < PTRS_PER_PTE; i++) {
        const f = slot.flags[i];
        if (f === 0) continue;
        used++;
        const addr = base + i * PAGE_SIZE;
        const pfn = slot.pfn[i];
        if (f & PTE_MIGRATION) {
          v.add(`process ${t}: migration entry left behind at ${hex(addr)} (pfn ${pfn})`);
          continue;
        }
        if (!(f & PTE_PRESENT)) continue;
        const folio = phys.folioOf(pfn);
        if (folio === undefined) {
          v.add(`process ${t}: PTE at ${hex(addr)} maps pfn ${pfn}, which is in no live folio`);
          continue;
        }
        const view = viewOf(folio);
        view.entries++;
        mapPage(t, addr, pfn, view, (f & PTE_WRITE) !== 0, phys.isAnonExclusive(pfn));
      }
      if (used !== slot.used) {
        v.add(`process ${t}: PTE table at ${hex(base)} counts ${slot.used} entries, holds ${used}`);
      }
    }
  });

  const nid = new Int16Array(world.nrIds).fill(-1);
  for (const reg of regions) {
    for (let p = 0; p < reg.pages; p++) {
      const id = reg.firstId + p;
      const addr = reg.start + p * PAGE_SIZE;
      let want = 0;
      for (let t = 0; t < tasks.length; t++) if (expectMapped(reg, t, p)) want |= 1 << t;
      if (mms[id] !== want) {
        for (let t = 0; t < tasks.length; t++) {
          if (want & (1 << t) && !(mms[id] & (1 << t))) {
            const e = tasks[t].mm?.entryAt(addr);
            v.add(`process ${t}: page at ${hex(addr)} is not mapped (entry: ${e?.kind})`);
          }
        }
      }
      const pfn = pfnOf[id];
      if (pfn === -1) continue;
      const view = folioOfId[id] as FolioView;
      nid[id] = view.folio.nid;
      if (!contents.checkPage(pfn, keyOf(world, reg, p))) {
        v.add(`page at ${hex(addr)} (pfn ${pfn}) does not hold its contents`);
      }
      if (phys.nidOf(pfn) !== view.folio.nid) {
        v.add(`pfn ${pfn} is on node ${phys.nidOf(pfn)}, its folio says ${view.folio.nid}`);
      }
      if (exclusive[id] && popcount(mms[id]) > 1) {
        v.add(`page at ${hex(addr)} is anon-exclusive but mapped by two processes`);
      }
    }
  }

  for (const view of folios.values()) checkMappedFolio(view, v);
  checkLiveFolios(world, folios, v);
  for (let n = 0; n < world.c.layout.nodes.length; n++) {
    try {
      phys.checkNode(n);
    } catch (err) {
      v.add(`free lists: ${(err as Error).message}`);
    }
    const isolated = k.ctx.vmstat.nodeStat(n, "nr_isolated_anon");
    if (isolated !== 0) v.add(`node ${n}: nr_isolated_anon is ${isolated} after the call`);
  }

  return {
    pfn: pfnOf,
    nid,
    mms,
    folio: folioOfId,
    folios,
    pgmigrateSuccess: k.ctx.vmstat.events.pgmigrate_success,
    violations: v,
  };
}

/** A folio the page tables map: counts that match its entries, and back on the LRU, unlocked. */
function checkMappedFolio(view: FolioView, v: Violations): void {
  const f = view.folio;
  const at = `folio at pfn ${f.pfn} (order ${f.order})`;
  if (!f.live) v.add(`${at} is mapped but was freed`);
  if (f.mapcount !== view.entries) {
    v.add(`${at}: mapcount ${f.mapcount}, but ${view.entries} entries map it`);
  }
  if (f.refcount !== f.mapcount + f.pins) {
    v.add(`${at}: refcount ${f.refcount}, expected mapcount ${f.mapcount} + pins ${f.pins}`);
  }
  if (f.test(PG.locked)) v.add(`${at} is still locked`);
  if (f.test(PG.isolated)) v.add(`${at} is still isolated`);
  if (!f.test(PG.lru)) v.add(`${at} is not on the LRU`);
}

/**
 * Every live folio is mapped or a filler the world holds: none leaked, none lost. checkNode has
 * shown that each node's frames split into free blocks, reserved pages and live folios, so
 * the live folios are exactly the mapped ones and the fillers when the used pages add up.
 * Only then is the (slower) walk over live folios needed, to name the leaked ones.
 */
function checkLiveFolios(world: World, mapped: Map<Folio, FolioView>, v: Violations): void {
  const phys = world.k.phys;
  const nrNodes = world.c.layout.nodes.length;
  const held = new Float64Array(nrNodes);
  for (const f of mapped.keys()) held[f.nid] += f.nrPages;
  for (const f of world.fillers) {
    if (!f.live) v.add(`filler at pfn ${f.pfn} was freed`);
    else if (f.refcount !== 1 || f.mapcount !== 0 || f.flags !== 0) {
      v.add(`filler at pfn ${f.pfn} was touched (refcount ${f.refcount}, flags ${f.flags})`);
    }
    held[f.nid] += f.nrPages;
  }
  let balanced = true;
  for (let n = 0; n < nrNodes; n++) {
    const used = phys.nodePages(n) - phys.freePages(n) - world.reserved[n];
    if (used !== held[n]) {
      v.add(`node ${n}: ${used} pages in use, ${held[n]} in mapped folios and fillers`);
      balanced = false;
    }
  }
  if (balanced) return;
  const fillers = new Set(world.fillers);
  for (const f of phys.liveFolios()) {
    if (mapped.has(f) || fillers.has(f)) continue;
    v.add(
      `leaked folio at pfn ${f.pfn} (order ${f.order}, refcount ${f.refcount}, ` +
        `mapcount ${f.mapcount}, pins ${f.pins}): live but mapped nowhere`,
    );
  }
}

/**
 * What the host really did, read from procfs: /proc/vmstat counters, the THP a region got
 * (/proc/self/smaps AnonHugePages) and, where root may read them, the large folios behind a
 * region's pages (/proc/self/pagemap frames, /proc/kpageflags flags).
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { PAGE_SIZE } from "../mm/folio.js";

export function readVmstat(): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync("/proc/vmstat", "utf8").split("\n")) {
    const [name, value] = line.split(" ");
    if (name && value !== undefined) out.set(name, Number(value));
  }
  return out;
}

/** Counters that moved between two readings, by name. */
export function vmstatDelta(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, v] of after) {
    const d = v - (before.get(name) ?? 0);
    if (d !== 0) out[name] = d;
  }
  return out;
}

/** AnonHugePages of the mappings overlapping [start, end), in bytes (/proc/self/smaps). */
export function anonHugeBytes(start: number, end: number): number {
  let inside = false;
  let kb = 0;
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range !== null) {
      inside = Number.parseInt(range[1], 16) < end && Number.parseInt(range[2], 16) > start;
      continue;
    }
    const m = /^AnonHugePages:\s+(\d+) kB/.exec(line);
    if (inside && m !== null) kb += Number(m[1]);
  }
  return kb * 1024;
}

const KPF_COMPOUND_HEAD = 15n;
const KPF_COMPOUND_TAIL = 16n;
const PM_PRESENT = 1n << 63n;
const PFN_MASK = (1n << 55n) - 1n;

/**
 * How many of the `count` folios of `folioBytes` from `addr` are large folios of that size:
 * the head page's frame flagged a compound head, every other page a tail at the next frame.
 * null where the frames or their flags cannot be read (not root).
 */
export function largeFoliosAt(addr: number, folioBytes: number, count: number): number | null {
  const pages = (folioBytes / PAGE_SIZE) * count;
  const map = Buffer.alloc(pages * 8);
  const flags = Buffer.alloc(8);
  let pagemap: number;
  let kpageflags: number;
  try {
    pagemap = openSync("/proc/self/pagemap", "r");
    kpageflags = openSync("/proc/kpageflags", "r");
  } catch {
    return null;
  }
  try {
    readSync(pagemap, map, 0, map.length, (addr / PAGE_SIZE) * 8);
    const perFolio = folioBytes / PAGE_SIZE;
    let large = 0;
    for (let f = 0; f < count; f++) {
      let ok = true;
      let head = 0n;
      for (let i = 0; i < perFolio && ok; i++) {
        const e = map.readBigUInt64LE((f * perFolio + i) * 8);
        const pfn = e & PFN_MASK;
        if (!(e & PM_PRESENT) || pfn === 0n) return null;
        if (i === 0) head = pfn;
        readSync(kpageflags, flags, 0, 8, Number(pfn) * 8);
        const bit = i === 0 ? KPF_COMPOUND_HEAD : KPF_COMPOUND_TAIL;
        ok = pfn === head + BigInt(i) && ((flags.readBigUInt64LE() >> bit) & 1n) === 1n;
      }
      if (ok) large++;
    }
    return large;
  } finally {
    closeSync(pagemap);
    closeSync(kpageflags);
  }
}

import { type HostFs, malformed } from "./host-fs.js";

/**
 * The largest sets the kernel can have (NR_CPUS, MAX_NUMNODES at their Kconfig maxima): a
 * larger id is garbage, and the cap keeps a bad range from running away.
 */
export const ID_LIMIT = { cpu: 8192, node: 1024 } as const;
export type IdKind = keyof typeof ID_LIMIT;

/**
 * The kernel's list format for CPU and node sets (cpulist, nodelist, online): comma-separated
 * ids and inclusive ranges, "0-3,8,10-11"; an empty list is an empty set.
 */

/** The ids (below `limit`) of `text`, ascending and without duplicates; null when it is not a list. */
export function parseIdList(text: string, limit: number): number[] | null {
  const t = text.trim();
  if (t === "") return [];
  const ids = new Set<number>();
  for (const part of t.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) return null;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first || last >= limit) return null;
    for (let id = first; id <= last; id++) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** The list form of ascending, distinct `ids`, runs of two or more as ranges. */
export function formatIdList(ids: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < ids.length) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    parts.push(j === i ? String(ids[i]) : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** The list of `kind` ids in file `path`, or undefined when it does not exist; a bad list is a UsageError. */
export function readIdList(fs: HostFs, path: string, kind: IdKind): number[] | undefined {
  const text = fs.read(path);
  if (text === undefined) return undefined;
  const ids = parseIdList(text, ID_LIMIT[kind]);
  if (ids === null) {
    throw malformed(fs, path, `not a ${kind} list (ids 0-${ID_LIMIT[kind] - 1}): '${text.trim()}'`);
  }
  return ids;
}

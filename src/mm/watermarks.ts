/**
 * Per-node watermarks (mm/page_alloc.c: __setup_per_zone_wmarks(), calculate_min_free_kbytes()),
 * with one zone per node as the model has.
 *
 * min_free_kbytes (default sqrt(16 * lowmem KiB), clamped to 128..262144 KiB) is shared among
 * the nodes in proportion to their pages and gives each node's min watermark. The gap to the
 * next mark is the larger of min / 4 and watermark_scale_factor / 10000 of the node: low =
 * min + gap, high = low + gap, promo = high + gap (the mark kswapd balances a node to when
 * memory tiering is on). An allocation takes from a node only while its free pages stay above
 * the mark it is allowed to go down to: low in the fast path, min after kswapd was woken.
 *
 * Simplifications: lowmem is all memory (CXL memory onlined as ZONE_MOVABLE would get only a
 * token min in the kernel), no lowmem_reserve, no watermark boost, no highatomic reserve.
 */
import { PAGE_SIZE } from "./folio.js";

export interface Watermarks {
  min: number;
  low: number;
  high: number;
  promo: number;
}

/** vm.watermark_scale_factor's default: 0.1% of a node between marks. */
export const DEFAULT_WATERMARK_SCALE_FACTOR = 10;

/** calculate_min_free_kbytes() for `lowmemKbytes` of memory. */
export function defaultMinFreeKbytes(lowmemKbytes: number): number {
  return Math.min(262144, Math.max(128, Math.floor(Math.sqrt(lowmemKbytes * 16))));
}

/** The watermarks of every node, in pages, from each node's pages and the two knobs. */
export function setupPerZoneWmarks(
  nodePages: ReadonlyMap<number, number>,
  minFreeKbytes: number | undefined,
  watermarkScaleFactor: number,
): Map<number, Watermarks> {
  let total = 0;
  for (const p of nodePages.values()) total += p;
  const kb = minFreeKbytes ?? defaultMinFreeKbytes((total * PAGE_SIZE) / 1024);
  const pagesMin = Math.floor((kb * 1024) / PAGE_SIZE);
  const out = new Map<number, Watermarks>();
  for (const [nid, pages] of nodePages) {
    const min = total === 0 ? 0 : Math.floor((pagesMin * pages) / total);
    const gap = Math.max(Math.floor(min / 4), Math.floor((pages * watermarkScaleFactor) / 10000));
    out.set(nid, { min, low: min + gap, high: min + 2 * gap, promo: min + 3 * gap });
  }
  return out;
}

/**
 * How the model lays out physical memory (mm/phys.ts), which every profile must fit: a node
 * is whole blocks of the buddy allocator's largest order (MAX_PAGE_ORDER 10, 4 MiB) and starts
 * on a memory section (128 MiB), and the sections of all nodes must fit its address space of
 * 2^31 - 1 pages (MAX_PFN). The profile schema checks profiles against it; the probe fits
 * drafts to it. mm/phys.test.ts boots a machine at the limit.
 */

export const NODE_MEMORY_UNIT = 4 << 20;
export const SECTION_BYTES = 128 << 20;
/** Whole sections below MAX_PFN. */
export const MAX_SECTIONS = 2 ** 43 / SECTION_BYTES - 1;

/** Sections the nodes of these sizes span, each starting on a section of its own. */
export function sectionsSpanned(memory: readonly number[]): number {
  return memory.reduce((n, m) => n + Math.ceil(m / SECTION_BYTES), 0);
}

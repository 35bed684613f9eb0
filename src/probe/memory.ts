/**
 * Node memory as the model can hold it: whole 4 MiB blocks, each node starting on a 128 MiB
 * section, all sections within the model's address space (machine/memory-layout.ts).
 */
import { UsageError } from "../errors.js";
import {
  NODE_MEMORY_UNIT as BLOCK_BYTES,
  MAX_SECTIONS,
  SECTION_BYTES,
  sectionsSpanned,
} from "../machine/memory-layout.js";
import { formatSize } from "../machine/units.js";

const SECTION_BLOCKS = SECTION_BYTES / BLOCK_BYTES;

/** Blocks as a size; past 2^53 bytes (each node's MemTotal is below, their sum need not be) in whole T. */
const blocksSize = (blocks: number) =>
  Number.isSafeInteger(blocks * BLOCK_BYTES)
    ? formatSize(blocks * BLOCK_BYTES)
    : `about ${Math.round(blocks / (2 ** 40 / BLOCK_BYTES))}T`;

export const blockAligned = (bytes: number) => Math.floor(bytes / BLOCK_BYTES) * BLOCK_BYTES;

/** Two halves of one node's `bytes`, as numa=fake=2 would split it; each must be a block. */
export function halves(hostNode: number, bytes: number): number {
  const half = blockAligned(bytes / 2);
  if (half === 0) {
    throw new UsageError(
      `cannot draft a profile: host node ${hostNode}, the only memory node, has ${formatSize(blockAligned(bytes))} in whole 4M blocks; split in two halves (numa=fake=2), each needs at least 4M`,
    );
  }
  return half;
}

/**
 * `memory` (whole blocks) scaled down in proportion so the nodes' sections fit the model's
 * address space, with a remark saying so; unchanged (remark undefined) when they fit.
 */
export function fitAddressSpace(memory: readonly number[]): {
  memory: number[];
  remark?: string;
} {
  if (sectionsSpanned(memory) <= MAX_SECTIONS) return { memory: [...memory] };
  const blocks = memory.map((m) => m / BLOCK_BYTES);
  const total = blocks.reduce((a, b) => a + b, 0);
  // Each node's last section may be partly used: leave one section of room per node.
  const room = (MAX_SECTIONS - memory.length) * SECTION_BLOCKS;
  const scaled = blocks.map((b) => Math.max(1, Math.floor((b * room) / total)) * BLOCK_BYTES);
  const kept = scaled.reduce((a, b) => a + b, 0);
  return {
    memory: scaled,
    remark: `memory: the host's ${blocksSize(total)} spans more than the model's ${formatSize(MAX_SECTIONS * SECTION_BYTES)} of 128M sections; every node is scaled down in proportion, to ${formatSize(kept)} in all`,
  };
}

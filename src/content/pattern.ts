/**
 * The deterministic content of a page, derived from a 32-bit key (the caller mixes seed, mm and
 * virtual page number into it). The first 16 bytes are four words hashed from the key, so pages
 * with different keys differ; the rest is one of 256 offsets into a fixed pseudo-random block, so
 * a page is never periodic and a copy from a wrong offset is caught too.
 */

import { PAGE_SIZE } from "../mm/folio.js";

export const HEADER_WORDS = 4;
export const HEADER_BYTES = HEADER_WORDS * 4;
const BODY_VARIANTS = 256;

/** murmur3's fmix32 finaliser: a bijective 32-bit mix. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Header word i of the page for key. */
export function headerWord(key: number, i: number): number {
  return fmix32((key + Math.imul(i + 1, 0x9e3779b9)) | 0);
}

/** Which body variant the page for key uses. */
export function bodyVariant(key: number): number {
  return headerWord(key, 0) >>> 24;
}

function makeBodyBlock(): Buffer {
  const block = Buffer.alloc(PAGE_SIZE + (BODY_VARIANTS - 1) * HEADER_BYTES);
  let x = 0x2545f491;
  for (let i = 0; i < block.length; i += 4) {
    // xorshift32 from a fixed seed
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeUInt32LE(x >>> 0, i);
  }
  return block;
}

/** All variants overlap in one block: variant v starts at byte v * HEADER_BYTES. */
export const BODY_BLOCK: Buffer = makeBodyBlock();

/** One cached page-sized view per variant, so filling a page allocates nothing. */
export const BODY_VIEWS: readonly Uint8Array[] = Array.from(
  { length: BODY_VARIANTS },
  (_, v) => new Uint8Array(BODY_BLOCK.buffer, BODY_BLOCK.byteOffset + v * HEADER_BYTES, PAGE_SIZE),
);

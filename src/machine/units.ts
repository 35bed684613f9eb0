/**
 * Text <-> number conversions: sizes, folio sizes and counts given on the command line or in
 * profiles, and the signed percentages (errors, gains) the reports print.
 * Sizes use binary multiples as the kernel's memparse() does: K = 1024, M = 1024K, ...; the IEC
 * forms KiB, MiB, GiB, TiB mean the same. KB, MB, ... are refused: in SI they are powers of 1000.
 * Quantities are written without spaces (` 4K` and `4 K` are refused, naming the space), so a
 * stray space in a flag or a file is reported rather than silently dropped.
 */
import { UsageError } from "../errors.js";
import { HPAGE_PMD_SIZE, PAGE_SIZE } from "../mm/folio.js";

const UNITS = ["K", "M", "G", "T"] as const;
const UNIT_SHIFT: Record<string, bigint> = { K: 10n, M: 20n, G: 30n, T: 40n };
const SIZE_RE = /^(\d+)(?:\.(\d+))?(?:([KMGT])(iB)?|B)?$/i;
const SI_RE = /^\d+(?:\.\d+)?([KMGT])B$/i;
const EXAMPLE =
  "expected a byte count or a number with K, M, G or T (or KiB, MiB, GiB, TiB, the same), e.g. 4K, 2M, 1G";

/** The reason `text` is refused for its spaces, or null when it has none. */
export function spaceReason(text: string, what: string): string | null {
  return /\s/.test(text) ? `invalid ${what} '${text}': write it without spaces` : null;
}

export interface SizeOptions {
  /** Accept "0" (default: a size must be positive). */
  allowZero?: boolean;
}

export type SizeResult = { ok: true; bytes: number } | { ok: false; reason: string };

/** Parses a size without throwing, so schemas can report the reason at their own path. */
export function tryParseSize(text: string, options: SizeOptions = {}): SizeResult {
  const t = text;
  if (t === "") return { ok: false, reason: "empty size" };
  const spaced = spaceReason(t, "size");
  if (spaced !== null) return { ok: false, reason: spaced };
  const si = SI_RE.exec(t);
  if (si !== null) {
    const u = si[1].toUpperCase();
    return {
      ok: false,
      reason: `size '${t}': ${u}B is ambiguous (1000-based in SI); write ${u} or ${u}iB, both 1024-based`,
    };
  }
  if (t.startsWith("-")) return { ok: false, reason: `size must not be negative (got '${t}')` };
  const m = SIZE_RE.exec(t);
  if (m === null) return { ok: false, reason: `invalid size '${t}' (${EXAMPLE})` };
  const [, whole, frac = "", unit] = m;
  // Exact decimal arithmetic: 1.5G is a whole number of bytes, 0.3K is not.
  const scaled = BigInt(whole + frac) << (unit === undefined ? 0n : UNIT_SHIFT[unit.toUpperCase()]);
  const divisor = 10n ** BigInt(frac.length);
  if (scaled % divisor !== 0n) {
    return { ok: false, reason: `size '${t}' is not a whole number of bytes` };
  }
  const bytes = scaled / divisor;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    return { ok: false, reason: `size '${t}' is too large` };
  }
  if (bytes === 0n && !options.allowZero) {
    return { ok: false, reason: `size must be greater than zero (got '${t}')` };
  }
  return { ok: true, bytes: Number(bytes) };
}

/** Parses a size such as `4K`, `2M`, `1.5G` or `4096`; throws UsageError naming `what`. */
export function parseSize(text: string, what: string, options: SizeOptions = {}): number {
  const r = tryParseSize(text, options);
  if (!r.ok) throw new UsageError(`${what}: ${r.reason}`);
  return r.bytes;
}

/** A folio size the model takes: a power of two from a base page (4K) to a PMD (2M). */
export function isFolioSize(bytes: number): boolean {
  return (
    Number.isSafeInteger(bytes) &&
    bytes >= PAGE_SIZE &&
    bytes <= HPAGE_PMD_SIZE &&
    (bytes & (bytes - 1)) === 0
  );
}

/** Parses a folio size such as `4K` or `2M` without throwing (see tryParseSize). */
export function tryParseFolioSize(text: string): SizeResult {
  const r = tryParseSize(text);
  if (!r.ok || isFolioSize(r.bytes)) return r;
  return { ok: false, reason: `'${text}' is not a folio size (a power of two from 4K to 2M)` };
}

/** Parses a folio size such as `4K` or `2M`; throws UsageError naming `what`. */
export function parseFolioSize(text: string, what: string): number {
  const r = tryParseFolioSize(text);
  if (!r.ok) throw new UsageError(`${what}: ${r.reason}`);
  return r.bytes;
}

/** Formats bytes with the largest unit that divides them exactly: 4K, 2M, 512G, 1T, 1536K, 100. */
export function formatSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new RangeError(`formatSize: not a byte count: ${bytes}`);
  }
  if (bytes === 0) return "0";
  let value = bytes;
  let unit = "";
  for (const u of UNITS) {
    if (value % 1024 !== 0) break;
    value /= 1024;
    unit = u;
  }
  return `${value}${unit}`;
}

/** A signed percentage of a ratio: +6.7%, -1.1%; a value that rounds to zero prints as +0.0%. */
export function signedPercent(x: number, digits = 1): string {
  const text = (x * 100).toFixed(digits);
  return Number(text) === 0 ? `+${(0).toFixed(digits)}%` : `${x > 0 ? "+" : ""}${text}%`;
}

/** Parses a comma-separated list, e.g. `4K,64K,2M`; every item goes through `parseItem`. */
export function parseList<T>(
  text: string,
  what: string,
  parseItem: (item: string, what: string) => T,
): T[] {
  const items = text.split(",");
  if (items.some((s) => s.trim() === "")) {
    throw new UsageError(`${what}: empty item in list '${text}'`);
  }
  const spaced = items.find((s) => /\s/.test(s));
  if (spaced !== undefined) {
    throw new UsageError(
      `${what}: '${spaced}' in '${text}': write the list without spaces (a,b,c)`,
    );
  }
  return items.map((item) => parseItem(item, what));
}

function parseInteger(text: string, what: string, min: number, expected: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${what}: expected ${expected}, got '${text}'`);
  }
  return n;
}

/** Parses an integer >= 0 (decimal digits only); throws UsageError naming `what`. */
export function parseCount(text: string, what: string): number {
  return parseInteger(text, what, 0, "a non-negative integer");
}

/** Parses an integer >= 1 (decimal digits only); throws UsageError naming `what`. */
export function parsePositiveInt(text: string, what: string): number {
  return parseInteger(text, what, 1, "a positive integer");
}

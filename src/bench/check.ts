/** One line of `npm run bench`: a figure, its target (if it has one) and whether it meets it. */
export interface Check {
  name: string;
  value: string;
  /** Absent for a figure reported beside the others without a target of its own. */
  target?: string;
  ok: boolean;
}

/** A figure without a target. */
export function figure(name: string, value: string): Check {
  return { name, value, ok: true };
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A count with thousands separators. */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function formatCheck(c: Check): string {
  const status = c.target === undefined ? "    " : c.ok ? "ok  " : "FAIL";
  const target = c.target === undefined ? "" : ` (target ${c.target})`;
  return `${status}  ${c.name}: ${c.value}${target}\n`;
}

/** How the tuner writes its figures, in tables and in its reasoning alike. */
import type { CpuBudget } from "./quantities.js";

export const gbps = (x: number): string => x.toFixed(2);
export const us = (ns: number): string => (ns / 1e3).toFixed(ns < 1e5 ? 1 : 0);
export const ms = (ns: number): string => (ns / 1e6).toFixed(2);

export function durationText(ns: number): string {
  if (ns >= 1e9) return `${ns / 1e9} s`;
  if (ns >= 1e6) return `${ns / 1e6} ms`;
  if (ns >= 1e3) return `${ns / 1e3} us`;
  return `${ns} ns`;
}

export function cpuBudgetText(b: CpuBudget): string {
  if (b.kind === "per-gib") return `${durationText(b.ns)} of CPU per GiB`;
  return `${b.cores} ${b.cores === 1 ? "core" : "cores"}`;
}

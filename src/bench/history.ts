/**
 * Figures of earlier commits, kept in src/bench/history.json (one entry per commit the bench
 * ran on), so that a run shows the move_pages benchmark's speed beside the previous commit's.
 * Figures from another run are only as comparable as this shared host's load allows.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../machine/package-root.js";

export interface HistoryEntry {
  commit: string;
  subject: string;
  /** When the bench ran (ISO 8601). */
  date: string;
  /** Steady-state simulated folios per wall second, by "engine folio" (e.g. "serial 4K"). */
  steady: Record<string, number>;
}

/** Entries kept: enough to look back over a working session. */
const KEEP = 50;
const FILE = join(packageRoot(), "src", "bench", "history.json");

function git(args: readonly string[]): string {
  try {
    return execFileSync("git", args, { cwd: packageRoot(), encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

export function readHistory(): HistoryEntry[] {
  return existsSync(FILE) ? (JSON.parse(readFileSync(FILE, "utf8")) as HistoryEntry[]) : [];
}

/** The commit the bench runs on (the working tree's HEAD), or "" outside a git checkout. */
export function headCommit(): string {
  return git(["rev-parse", "--short=12", "HEAD"]);
}

/** The latest entry of a commit other than `head`: the previous commit's figures. */
export function previousEntry(history: readonly HistoryEntry[], head: string): HistoryEntry | null {
  for (let i = history.length - 1; i >= 0; i--) if (history[i].commit !== head) return history[i];
  return null;
}

/** Record this run's figures as `head`'s, replacing an earlier run on the same commit. */
export function recordRun(
  history: readonly HistoryEntry[],
  head: string,
  steady: Record<string, number>,
): void {
  const entry: HistoryEntry = {
    commit: head,
    subject: git(["log", "-1", "--format=%s", "HEAD"]).slice(0, 100),
    date: new Date().toISOString(),
    steady: Object.fromEntries(Object.entries(steady).map(([k, v]) => [k, Math.round(v)])),
  };
  const kept = history.filter((e) => e.commit !== head);
  kept.push(entry);
  writeFileSync(FILE, `${JSON.stringify(kept.slice(-KEEP), null, 2)}\n`);
}

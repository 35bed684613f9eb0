/**
 * Figures that need a fresh process, so that nothing the other benchmarks loaded or allocated
 * inflates them: start-up times of the CLI, folios per wall second with start-up included, the
 * peak memory of a 16 GiB move, and the application scenario of issue 10.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../machine/package-root.js";
import { type Check, count, figure, median } from "./check.js";
import { ENGINES, FOLIO_SIZES } from "./speed.js";

const CLI = join(packageRoot(), "dist", "cli", "main.js");
const BENCH = fileURLToPath(new URL("./run.js", import.meta.url));

/** Wall time of `node args...` in a fresh process, ms (its output is discarded). */
function wallMs(args: readonly string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  execFileSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"], env });
  return performance.now() - t0;
}

function medianWallMs(args: readonly string[], times: number, env = process.env): number {
  return median(Array.from({ length: times }, () => wallMs(args, env)));
}

/**
 * What Node itself takes to start on this host, which every command pays before pagemig runs a
 * line: `node -e 0`, and, where the environment names extra CA certificates (which every Node
 * process parses at start, whether it opens a TLS connection or not), the same without them.
 * Printed beside the targets, which are measured in the environment as given.
 */
function nodeStartUp(): Check {
  const bare = medianWallMs(["-e", "0"], 5);
  const certs = process.env.NODE_EXTRA_CA_CERTS;
  if (certs === undefined) {
    return figure("start-up of Node itself: node -e 0 (median of 5)", `${bare.toFixed(0)} ms`);
  }
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  const without = medianWallMs(["-e", "0"], 5, env);
  return figure(
    `start-up of Node itself: node -e 0 (median of 5), with this environment's NODE_EXTRA_CA_CERTS=${certs} and without it`,
    `${bare.toFixed(0)} ms, ${without.toFixed(0)} ms`,
  );
}

/** Start-up: `pagemig --version` and `pagemig bench move-pages --total 4M`, medians of 5. */
export function startUp(): Check[] {
  const version = medianWallMs([CLI, "--version"], 5);
  const small = medianWallMs([CLI, "bench", "move-pages", "--total", "4M"], 5);
  return [
    nodeStartUp(),
    {
      name: "start-up: pagemig --version, wall time of a fresh process (median of 5)",
      value: `${version.toFixed(0)} ms`,
      target: "< 150 ms",
      ok: version < 150,
    },
    {
      name: "start-up: pagemig bench move-pages --total 4M (eight folio sizes, 5 runs each; median of 5)",
      value: `${small.toFixed(0)} ms`,
      target: "< 300 ms",
      ok: small < 300,
    },
  ];
}

/**
 * Folios per wall second with start-up included: `pagemig bench move-pages --total 1G --runs 1`
 * as a user runs it (boot, fault-in, one timed call, the report), median of 3.
 */
export function withStartUp(): Check[] {
  const checks: Check[] = [];
  for (const size of FOLIO_SIZES) {
    for (const engine of ENGINES) {
      const args = [CLI, "bench", "move-pages", ...engine.flags, "--folio-size", size.label];
      const ms = medianWallMs([...args, "--total", "1G", "--runs", "1"], 3);
      const folios = (1 << 30) / size.bytes;
      checks.push(
        figure(
          `start-up included: simulated ${size.label} folios/s, ${engine.label}, pagemig bench move-pages --total 1G --runs 1 (median of 3: ${ms.toFixed(0)} ms)`,
          count(folios / (ms / 1000)),
        ),
      );
    }
  }
  return checks;
}

/** What a child run reports on its stdout. */
interface ChildReport {
  /** Resident memory before the measured work, and its peak over the whole process, bytes. */
  rssBefore: number;
  peakRss: number;
  wallMs: number;
  /** Child-specific figures. */
  [key: string]: number;
}

function child(mode: string, extra: readonly string[] = []): ChildReport {
  const out = execFileSync(process.execPath, [BENCH, "--child", mode, ...extra], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as ChildReport;
}

/** Peak memory target of a 16 GiB move of 4K folios. */
const PEAK_TARGET_BYTES = 800e6;

/** Peak memory of one move_pages(2) of 16 GiB of 4K folios (serial), in a fresh process. */
export function peakMemory(): Check[] {
  const r = child("peak");
  const perFolio = (r.peakRss - r.rssBefore) / r.folios;
  return [
    {
      name: `peak memory (max RSS) of a process moving 16 GiB of 4K folios (${count(r.folios)}) with one move_pages(2), serial`,
      value: `${(r.peakRss / 1e6).toFixed(0)} MB`,
      target: "< 800 MB",
      ok: r.peakRss < PEAK_TARGET_BYTES,
    },
    figure(
      "peak memory per folio moved (max RSS less the RSS before the region was faulted in, over the folios)",
      `${perFolio.toFixed(0)} bytes`,
    ),
  ];
}

/** Boot a 1 TiB profile (tiered-1t): under 2 s and 300 MB resident. */
export function bootTiB(): Check[] {
  const r = child("boot");
  return [
    {
      name: "boot a 1 TiB profile (tiered-1t): wall time",
      value: `${r.wallMs.toFixed(1)} ms`,
      target: "< 2000 ms",
      ok: r.wallMs < 2000,
    },
    {
      name: "boot a 1 TiB profile: resident memory of the whole process",
      value: `${(r.rss / 2 ** 20).toFixed(0)} MB`,
      target: "< 300 MB",
      ok: r.rss / 2 ** 20 < 300,
    },
  ];
}

/** Issue 10: at least 10x faster than real time. */
const APP_RTF_TARGET = 10;

/**
 * Issue 10's scenario: 64 application threads touching 64 GiB (8 GiB of 4K folios, 56 GiB of
 * 2M folios) for `seconds` of virtual time, in a fresh process: real-time factor (virtual time
 * over wall time, fault-in included) and peak memory.
 */
export function appScenario(seconds: number): Check[] {
  const r = child("app", [String(seconds)]);
  const rtf = (seconds * 1000) / r.wallMs;
  return [
    {
      name: `64 application threads touching 64 GiB (4K and 2M folios), ${seconds} s of virtual time: real-time factor (${(r.wallMs / 1000).toFixed(1)} s wall, fault-in included)`,
      value: rtf.toFixed(2),
      target: `>= ${APP_RTF_TARGET}`,
      ok: rtf >= APP_RTF_TARGET,
    },
    figure(
      "the same scenario: peak memory (max RSS) of the process",
      `${(r.peakRss / 1e6).toFixed(0)} MB (${(r.rssBefore / 1e6).toFixed(0)} MB before boot)`,
    ),
  ];
}

/** Issue 11: the tiering scenario at least 10x faster than real time. */
const TIERING_RTF_TARGET = 10;

/**
 * Issue 11's scenario: memory tiering with 64 threads over a 64 GiB heap of THPs that outgrows
 * DRAM (children.ts), for `seconds` of virtual time in a fresh process: real-time factor.
 */
export function tieringScenario(seconds: number): Check[] {
  const r = child("tiering", [String(seconds)]);
  const rtf = (seconds * 1000) / r.wallMs;
  return [
    {
      name: `memory tiering, 64 threads over a 64 GiB heap of THPs outgrowing DRAM, promotion and demotion on, ${seconds} s of virtual time: real-time factor (${(r.wallMs / 1000).toFixed(1)} s wall, fault-in included; ${count(r.migratedPages)} pages migrated)`,
      value: rtf.toFixed(2),
      target: `>= ${TIERING_RTF_TARGET}`,
      ok: rtf >= TIERING_RTF_TARGET,
    },
  ];
}

/**
 * Runs selftest cases: one case on a fresh machine with the checker after every call, and
 * many random cases through fast-check, which shrinks the first failure to a smallest case.
 */
import fc from "fast-check";
import { DmaEngines } from "../../copy/dma-device.js";
import { errnoName } from "../../mm/errno.js";
import { runCall } from "./calls.js";
import type { CallSpec, SelftestCase } from "./case.js";
import { selftestCase } from "./generate.js";
import { checkInvariants } from "./invariants.js";
import { scanWorld, type Violations } from "./scan.js";
import { buildWorld, type World, type WorldOptions } from "./world.js";

/** Fault injection, to prove the checker: runs after call `index` returns, before the check. */
export type Inject = (world: World, index: number) => void;

export interface CaseFailure {
  /** Index of the call after which the checker failed; -1: the layout itself. */
  callIndex: number;
  call: CallSpec | null;
  rc: number | null;
  /** One violation per line. */
  violations: string;
}

/**
 * Run one normalised case (on a machine set up as `o` says); null when every invariant held
 * after every call.
 */
export function runCase(c: SelftestCase, inject?: Inject, o?: WorldOptions): CaseFailure | null {
  let i = -1;
  let rc: number | null = null;
  try {
    const world = buildWorld(c, o);
    let scan = scanWorld(world);
    if (!scan.violations.ok) {
      return { callIndex: -1, call: null, rc: null, violations: scan.violations.format() };
    }
    for (i = 0; i < c.calls.length; i++) {
      const call = c.calls[i];
      const result = runCall(world, call);
      rc = result.rc;
      inject?.(world, i);
      scan = checkInvariants(world, scan, call, result);
      checkEngineIdle(world, scan.violations);
      if (!scan.violations.ok) {
        return { callIndex: i, call, rc, violations: scan.violations.format() };
      }
    }
    return null;
  } catch (err) {
    // The model or the layout threw outside a syscall: corrupt state the scan tripped over.
    const message = err instanceof Error ? err.message : String(err);
    return { callIndex: i, call: c.calls[i] ?? null, rc, violations: `threw: ${message}` };
  }
}

/**
 * Between syscalls the copy engine is idle: a DMA channel still held would make every later
 * batch fall back to the CPU, which no other invariant notices.
 */
function checkEngineIdle(world: World, v: Violations): void {
  if (world.migrator === null) return;
  const held = DmaEngines.of(world.k).channels.filter((chan) => chan.held).length;
  if (held > 0) v.add(`${world.migrator.name} left ${held} DMA channels held after the call`);
}

export interface SelftestOptions {
  cases: number;
  seed: number;
  /** A fast-check replay path, printed with a failure. */
  path?: string;
  /** Called after each case of the first pass (not while shrinking). */
  onCase?: (index: number, failure: CaseFailure | null) => void;
  inject?: Inject;
  /** The machine every case runs on: migrator and injected faults. */
  world?: WorldOptions;
}

export interface SelftestSummary {
  /** Cases run: all of them, or up to and including the first failure. */
  ran: number;
  passed: number;
  failed: number;
  seed: number;
  failure: {
    /** The smallest failing case fast-check found. */
    case: SelftestCase;
    detail: CaseFailure;
    path: string;
    shrinks: number;
  } | null;
}

/** Run `cases` random cases; on a failure, shrink it and report the smallest. */
export function runSelftest(o: SelftestOptions): SelftestSummary {
  let index = 0;
  let shrinking = false;
  const property = fc.property(selftestCase(), (c) => {
    const failure = runCase(c, o.inject, o.world);
    if (!shrinking) o.onCase?.(index++, failure);
    if (failure === null) return;
    shrinking = true;
    throw new Error(failure.violations);
  });
  const details = fc.check(property, { numRuns: o.cases, seed: o.seed, path: o.path });
  const ce = details.counterexample;
  if (!details.failed || ce === null) {
    return {
      ran: details.numRuns,
      passed: details.numRuns,
      failed: 0,
      seed: o.seed,
      failure: null,
    };
  }
  const detail = runCase(ce[0], o.inject, o.world);
  if (detail === null) {
    throw new Error(`selftest: the shrunk case passed when run again: ${JSON.stringify(ce[0])}`);
  }
  return {
    ran: details.numRuns,
    passed: details.numRuns - 1,
    failed: 1,
    seed: o.seed,
    failure: {
      case: ce[0],
      detail,
      path: details.counterexamplePath ?? "",
      shrinks: details.numShrinks,
    },
  };
}

/** A case as JSON: the layout on one line, one line per call. */
export function formatCase(c: SelftestCase): string {
  const calls = c.calls.map((call) => `    ${JSON.stringify(call)}`).join(",\n");
  return `{\n  "seed": ${c.seed},\n  "layout": ${JSON.stringify(c.layout)},\n  "calls": [\n${calls}\n  ]\n}`;
}

/** Where a case failed and what the checker found, one violation per indented line. */
export function describeFailure(f: CaseFailure, nrCalls: number): string {
  const where =
    f.callIndex < 0
      ? "in the initial layout"
      : `after call ${f.callIndex + 1} of ${nrCalls} (${f.call?.op ?? "?"}` +
        (f.rc === null
          ? ", which threw)"
          : `, returned ${f.rc < 0 ? `-${errnoName(f.rc)}` : f.rc})`);
  const lines = f.violations.split("\n").map((l) => `  ${l}`);
  return `violation ${where}:\n${lines.join("\n")}`;
}

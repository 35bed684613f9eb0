/**
 * `pagemig selftest [--cases N] [--seed S] [--path P] [--migrator NAME [--threads N |
 * --channels N]] [--inject SPEC] [--verbose | --json]`: random move_pages(2) and migrate_pages(2) cases in bytes mode
 * with every invariant checked after every call, like the kernel's selftests, optionally with
 * a copy engine registered for every migrate reason and faults injected. Ends with
 * `N passed, F failed`; on a violation it first prints the smallest failing case and how to
 * replay it, and exits 1.
 */
import type { Command } from "commander";
import { MIGRATORS, parseMigratorName, workerKind } from "../../copy/engines.js";
import { MAX_NUM_COPY_THREADS, MTCOPY_DEFAULT_THREADS } from "../../copy/mtcopy.js";
import { RunFailure, UsageError } from "../../errors.js";
import { FaultInjector } from "../../fault/inject.js";
import { parseCount, parsePositiveInt } from "../../machine/units.js";
import { jsonDocument } from "../../report/header.js";
import { describeFailure, formatCase, runSelftest } from "../../workload/selftest/runner.js";
import type { MigratorSpec } from "../../workload/selftest/world.js";
import { print } from "../output.js";

interface SelftestFlags {
  cases: string;
  seed: string;
  path?: string;
  migrator: string;
  threads?: string;
  channels?: string;
  inject?: string;
  verbose?: boolean;
  json?: boolean;
}

const MAX_SEED = 2 ** 31 - 1;

/**
 * The engine of --migrator with --threads (mtcopy) or --channels (dcbm), the flags bench
 * takes; they default as in bench (4 threads, 1 channel).
 */
function migratorSpec(f: SelftestFlags): MigratorSpec {
  const name = parseMigratorName(f.migrator, "--migrator");
  const kind = workerKind(name);
  for (const [flag, value, flagKind] of [
    ["--threads", f.threads, "threads"],
    ["--channels", f.channels, "channels"],
  ] as const) {
    if (value !== undefined && kind !== flagKind) {
      throw new UsageError(`${flag}: migrator '${name}' has no ${flagKind}`);
    }
  }
  if (kind === null) return { name, workers: 1 };
  const given = kind === "threads" ? f.threads : f.channels;
  if (given === undefined) {
    return { name, workers: kind === "threads" ? MTCOPY_DEFAULT_THREADS : 1 };
  }
  const workers = parsePositiveInt(given, `--${kind}`);
  if (kind === "threads" && workers > MAX_NUM_COPY_THREADS) {
    throw new UsageError(`--threads: mtcopy takes at most ${MAX_NUM_COPY_THREADS} threads`);
  }
  return { name, workers };
}

/** The flags that reproduce a run: its seed, and the engine and faults it ran with. */
function replayFlags(f: SelftestFlags, seed: number, m: MigratorSpec): string {
  let out = `--seed ${seed}`;
  if (m.name !== "serial") out += ` --migrator ${m.name}`;
  const kind = workerKind(m.name);
  if (kind !== null) out += ` --${kind} ${m.workers}`;
  if (f.inject !== undefined) out += ` --inject ${f.inject}`;
  return out;
}

/**
 * A replay path as a failure prints it: fast-check's case index (below --cases: a larger one
 * would have it generate that many cases first), then shrink steps.
 */
function checkPath(path: string, cases: number): void {
  if (!/^\d+(:\d+)*$/.test(path)) {
    throw new UsageError(`--path: expected numbers separated by ':', got '${path}'`);
  }
  const steps = path.split(":").map(Number);
  if (!steps.every(Number.isSafeInteger) || steps[0] >= cases) {
    throw new UsageError(
      `--path ${path}: not a path of this run (its first number is a case index below --cases ${cases})`,
    );
  }
}

/** fast-check throws when a path's shrink steps lead nowhere: that is bad input too. */
function replayable<T>(path: string | undefined, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (path !== undefined && e instanceof Error && e.message.startsWith("Unable to replay")) {
      throw new UsageError(`--path ${path}: not a path of this run (no case at its shrink steps)`);
    }
    throw e;
  }
}

export function register(program: Command): void {
  program
    .command("selftest")
    .description("run random migration cases in bytes mode, checking invariants after every call")
    .option("--cases <n>", "number of random cases", "200")
    .option("--seed <s>", "seed of the case generator", "1")
    .option("--path <p>", "replay the failing case at this path (printed with a failure)")
    .option("--migrator <name>", `copy engine for every reason: ${MIGRATORS.join("|")}`, "serial")
    .option("--threads <n>", `mtcopy copy threads (default ${MTCOPY_DEFAULT_THREADS})`)
    .option("--channels <n>", "dcbm DMA channels, nr_dma_chan (default 1)")
    .option("--inject <spec>", "fault injection, e.g. dma-timeout=0.1,worker-crash@2 or all")
    .option("--verbose", "print a line per case")
    .option("--json", "print a versioned JSON document of the run")
    .action((flags: SelftestFlags, cmd: Command) => {
      const cases = parsePositiveInt(flags.cases, "--cases");
      const seed = parseCount(flags.seed, "--seed");
      if (seed > MAX_SEED) throw new UsageError(`--seed: at most ${MAX_SEED}, got '${flags.seed}'`);
      if (flags.path !== undefined) checkPath(flags.path, cases);
      if (flags.json && flags.verbose) throw new UsageError("--verbose: not with --json");
      const migrator = migratorSpec(flags);
      // Parsed now so a bad spec is a usage error, not a failure of every case.
      if (flags.inject !== undefined) new FaultInjector(1, flags.inject);
      const summary = replayable(flags.path, () =>
        runSelftest({
          cases,
          seed,
          path: flags.path,
          world: { migrator, faults: flags.inject },
          onCase: flags.verbose
            ? (i, failure) => print(cmd, `case ${i + 1}: ${failure === null ? "ok" : "FAILED"}\n`)
            : undefined,
        }),
      );
      const f = summary.failure;
      const replay =
        f === null
          ? null
          : `pagemig selftest ${replayFlags(flags, seed, migrator)} --path ${f.path}`;
      if (flags.json) {
        print(
          cmd,
          jsonDocument("pagemig-selftest", "selftest", {
            seed,
            cases,
            migrator: migrator.name,
            workers: migrator.workers,
            inject: flags.inject ?? null,
            ran: summary.ran,
            passed: summary.passed,
            failed: summary.failed,
            failure:
              f === null
                ? null
                : {
                    violation: describeFailure(f.detail, f.case.calls.length),
                    shrinks: f.shrinks,
                    case: formatCase(f.case),
                    path: f.path,
                    replay,
                  },
          }),
        );
      } else {
        if (f !== null) {
          print(cmd, `${describeFailure(f.detail, f.case.calls.length)}\n`);
          print(cmd, `smallest failing case (${f.shrinks} shrinks):\n${formatCase(f.case)}\n`);
          print(cmd, `replay: ${replay}\n`);
        }
        print(cmd, `${summary.passed} passed, ${summary.failed} failed\n`);
      }
      if (f !== null) {
        throw new RunFailure(`selftest: an invariant was violated (case above; seed ${seed})`);
      }
    });
}

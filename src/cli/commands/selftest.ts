/**
 * `pagemig selftest [--cases N] [--seed S] [--path P] [--verbose]`: random move_pages(2) and
 * migrate_pages(2) cases in bytes mode with every invariant checked after every call, like
 * the kernel's selftests. Ends with `N passed, F failed`; on a violation it first prints the
 * smallest failing case and how to replay it, and exits 1.
 */
import type { Command } from "commander";
import { RunFailure, UsageError } from "../../errors.js";
import { parseCount, parsePositiveInt } from "../../machine/units.js";
import { describeFailure, formatCase, runSelftest } from "../../workload/selftest/runner.js";
import { print } from "../output.js";

interface SelftestFlags {
  cases: string;
  seed: string;
  path?: string;
  verbose?: boolean;
}

const MAX_SEED = 2 ** 31 - 1;

export function register(program: Command): void {
  program
    .command("selftest")
    .description("run random migration cases in bytes mode, checking invariants after every call")
    .option("--cases <n>", "number of random cases", "200")
    .option("--seed <s>", "seed of the case generator", "1")
    .option("--path <p>", "replay the failing case at this path (printed with a failure)")
    .option("--verbose", "print a line per case")
    .action((flags: SelftestFlags, cmd: Command) => {
      const cases = parsePositiveInt(flags.cases, "--cases");
      const seed = parseCount(flags.seed, "--seed");
      if (seed > MAX_SEED) throw new UsageError(`--seed: at most ${MAX_SEED}, got '${flags.seed}'`);
      if (flags.path !== undefined && !/^\d+(:\d+)*$/.test(flags.path)) {
        throw new UsageError(`--path: expected numbers separated by ':', got '${flags.path}'`);
      }
      const summary = runSelftest({
        cases,
        seed,
        path: flags.path,
        onCase: flags.verbose
          ? (i, failure) => print(cmd, `case ${i + 1}: ${failure === null ? "ok" : "FAILED"}\n`)
          : undefined,
      });
      const f = summary.failure;
      if (f !== null) {
        print(cmd, `${describeFailure(f.detail, f.case.calls.length)}\n`);
        print(cmd, `smallest failing case (${f.shrinks} shrinks):\n${formatCase(f.case)}\n`);
        print(cmd, `replay: pagemig selftest --seed ${seed} --path ${f.path}\n`);
      }
      print(cmd, `${summary.passed} passed, ${summary.failed} failed\n`);
      if (f !== null) {
        throw new RunFailure(`selftest: an invariant was violated (case above; seed ${seed})`);
      }
    });
}

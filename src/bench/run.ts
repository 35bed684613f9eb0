/**
 * `npm run bench`: the performance targets of the model, measured on this machine and printed
 * side by side, each with its target (issue 13, issue 10's speed and memory) and pass/fail.
 *
 * 1. Simulation speed in metadata mode (speed.ts): simulated folios per wall second of serial,
 *    mtcopy and dcbm at 4K and 2M in steady state, beside the previous commit's figures
 *    (history.ts), and with start-up included (fresh.ts); GC share; the real-time factor of
 *    the worst case.
 * 2. Start-up of `pagemig --version` and `pagemig bench move-pages --total 4M`.
 * 3. Memory: peak of a 16 GiB move of 4K folios; booting a 1 TiB profile (under 2 s and 300 MB).
 * 4. Issue 10's scenario: 64 threads touching 64 GiB, its real-time factor and peak memory;
 *    issue 11's: memory tiering with 64 threads over 64 GiB for 10 s, its real-time factor.
 * 5. Bytes mode (bytes.ts): host copy rates against plain TypedArray.set copies.
 *
 * Every memory figure and start-up time comes from a fresh process (children.ts), so it is
 * not inflated by what the other benchmarks allocated. This host is shared: rerun a failing
 * speed figure before believing it.
 *
 * Options: --app-seconds N (virtual seconds of issue 10's scenario: 10 by default, as the issue
 * asks; the tiering scenario runs 10 s too),
 * --no-bytes (skip the bytes-mode comparisons, which take minutes), --record (write this run's
 * steady-state figures into history.json as HEAD's; without it the history is only read, so a
 * bench run leaves the checkout clean).
 */
import { bytesMode } from "./bytes.js";
import { type Check, count, figure, formatCheck } from "./check.js";
import { runChild } from "./children.js";
import {
  appScenario,
  bootTiB,
  peakMemory,
  startUp,
  tieringScenario,
  withStartUp,
} from "./fresh.js";
import { headCommit, previousEntry, readHistory, recordRun } from "./history.js";
import { realTimeFactor, simulationSpeed } from "./speed.js";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** This run's steady-state figures beside the previous commit's (issue 10: no lower). */
function againstPrevious(steady: Record<string, number>, record: boolean): Check[] {
  const history = readHistory();
  const head = headCommit();
  const prev = previousEntry(history, head);
  const checks: Check[] = [];
  for (const [key, now] of Object.entries(steady)) {
    const before = prev?.steady[key];
    if (prev === null || before === undefined) {
      checks.push(figure(`${key}: steady-state folios/s against the previous commit`, "no record"));
      continue;
    }
    checks.push({
      name: `${key}: steady-state folios/s, this run beside the previous commit's (${prev.commit} "${prev.subject}", ${prev.date})`,
      value: `${count(now)} vs ${count(before)} (${((now / before - 1) * 100).toFixed(0)}%)`,
      target: ">= previous",
      ok: now >= before,
    });
  }
  if (record && head !== "") recordRun(history, head, steady);
  return checks;
}

async function main(): Promise<void> {
  const appSeconds = Number(option("--app-seconds") ?? 10);
  const checks: Check[] = [];
  const print = (cs: readonly Check[]) => {
    for (const c of cs) process.stdout.write(formatCheck(c));
    checks.push(...cs);
  };
  const speed = await simulationSpeed();
  print(speed.checks);
  print(againstPrevious(speed.steady, process.argv.includes("--record")));
  print(withStartUp());
  print([await realTimeFactor()]);
  print(startUp());
  print(peakMemory());
  print(bootTiB());
  print(appScenario(appSeconds));
  // Ten seconds, as issue 11 asks: tiering has moved nothing before the first scans.
  print(tieringScenario(10));
  if (!process.argv.includes("--no-bytes")) print(await bytesMode());
  const failed = checks.filter((c) => !c.ok).length;
  const targets = checks.filter((c) => c.target !== undefined).length;
  process.stdout.write(`${targets - failed} of ${targets} targets met, ${failed} failed\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

const childMode = option("--child");
if (childMode !== undefined)
  await runChild(childMode, process.argv.slice(process.argv.indexOf("--child") + 2));
else await main();

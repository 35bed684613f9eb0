/**
 * `pagemig host ...`: the running kernel beside the model. `host check` makes the same
 * move_pages(2) calls on both and compares them; `host bench move-pages` times move_pages on
 * this host and reports it as `bench move-pages` reports the model.
 */
import type { Command } from "commander";
import { RunFailure } from "../../errors.js";
import { type CaseResult, formatOutcome, runHostCheck } from "../../host/check.js";
import { draftProfile, readHost } from "../../host/host-context.js";
import { loadLibc } from "../../host/libc.js";
import { formatTable } from "../../report/table.js";
import { print } from "../output.js";

export function register(program: Command): void {
  const host = program
    .command("host")
    .description("run move_pages(2) on this host's kernel, beside the model");
  host
    .command("check")
    .description(
      "make the same move_pages(2) calls on this kernel and on the model booted from its draft profile, and compare them",
    )
    .option("--json", "print the cases as JSON")
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const libc = await loadLibc();
      const ctx = readHost();
      const results = runHostCheck(libc, ctx, draftProfile(ctx.facts));
      print(
        cmd,
        flags.json
          ? `${JSON.stringify({ kernel: ctx.facts.kernelRelease, cases: results }, null, 2)}\n`
          : formatCheck(ctx.facts.kernelRelease, results),
      );
      const differ = results.filter((r) => r.verdict === "differ");
      if (differ.length > 0) {
        throw new RunFailure(
          `host check: the model differs from the kernel in ${differ.length} case(s): ${differ.map((r) => r.name).join("; ")}`,
        );
      }
    });
}

export function formatCheck(kernel: string | null, results: readonly CaseResult[]): string {
  const rows = results.map((r) => {
    const h = formatOutcome(r.host);
    const m = formatOutcome(r.model);
    const verdict = r.verdict === "skipped" ? `skipped: ${r.reason}` : r.verdict;
    return [r.name, h.rc, h.status, m.rc, m.status, verdict];
  });
  const count = (v: CaseResult["verdict"]) => results.filter((r) => r.verdict === v).length;
  return (
    `move_pages(2) on Linux ${kernel ?? "(unknown)"} beside the model booted from this host's draft profile\n` +
    formatTable(["CASE", "HOST", "HOST STATUS", "MODEL", "MODEL STATUS", "RESULT"], rows) +
    `${count("agree")} agree, ${count("differ")} differ, ${count("skipped")} skipped\n`
  );
}

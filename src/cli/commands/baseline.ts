/** `pagemig baseline`: the vanilla kernel's serial copy over 4K..2M beside the published table T1. */
import type { Command } from "commander";
import { T1 } from "../../calibration/published.js";
import { loadProfile } from "../../machine/profile.js";
import { parsePositiveInt, parseSize, signedPercent } from "../../machine/units.js";
import { jsonDocument } from "../../report/header.js";
import { runMovePagesBench } from "../../workload/move-pages-bench.js";
import { formatTable, print } from "../output.js";
import { DEFAULT_PROFILE } from "./bench.js";

interface BaselineFlags {
  profile: string;
  runs: string;
  seed: string;
  json?: boolean;
}

export interface BaselineRow {
  folio: string;
  modelGBps: number;
  publishedGBps: number;
  publishedSd: number;
  /** (model - published) / published */
  error: number;
}

export async function runBaseline(
  profileName: string,
  runs: number,
  seed: number,
): Promise<BaselineRow[]> {
  const profile = loadProfile(profileName);
  const cells = T1.rows[0].cells;
  const rows: BaselineRow[] = [];
  for (const [i, folio] of T1.columns.entries()) {
    const size = parseSize(folio, "folio");
    const r = await runMovePagesBench({
      migrator: "serial",
      profile,
      folioSizeBytes: size,
      folioCount: (1 << 30) / size,
      runs,
      seed,
      verify: false,
    });
    const published = cells[i];
    const model = r.throughputGBps.mean;
    rows.push({
      folio,
      modelGBps: model,
      publishedGBps: published.mean,
      publishedSd: published.sd,
      error: (model - published.mean) / published.mean,
    });
  }
  return rows;
}

export function register(program: Command): void {
  program
    .command("baseline")
    .description("the vanilla serial copy, 1 GiB per folio size, beside the published table T1")
    .option("--profile <name>", "machine profile name or YAML file", DEFAULT_PROFILE)
    .option("--runs <n>", "move_pages calls per folio size", "2")
    .option("--seed <n>", "seed", "1")
    .option("--json", "print JSON")
    .action(async (flags: BaselineFlags, cmd: Command) => {
      const rows = await runBaseline(
        flags.profile,
        parsePositiveInt(flags.runs, "--runs"),
        parsePositiveInt(flags.seed, "--seed"),
      );
      if (flags.json) {
        print(
          cmd,
          jsonDocument("pagemig-baseline", "baseline", {
            profile: flags.profile,
            table: T1.id,
            source: T1.source,
            rows,
          }),
        );
        return;
      }
      const table = formatTable(
        ["FOLIO", "PAGEMIG GB/s", "PUBLISHED GB/s", "ERROR"],
        rows.map((r) => [
          r.folio,
          r.modelGBps.toFixed(2),
          `${r.publishedGBps.toFixed(2)} ± ${r.publishedSd.toFixed(2)}`,
          signedPercent(r.error),
        ]),
      );
      const worst = Math.max(...rows.map((r) => Math.abs(r.error)));
      print(
        cmd,
        `${T1.title} (${T1.id}), move_pages(2) of 1 GiB, node 0 -> node 1\n` +
          `profile ${flags.profile}; published: ${T1.source}\n\n${table}\n` +
          `largest error ${(worst * 100).toFixed(1)}%\n`,
      );
    });
}

/**
 * `pagemig probe`: reads a Linux host's sysfs and procfs (under --root), reports the facts that
 * matter for page migration, and with --out writes a draft machine profile for that host.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { parse } from "yaml";
import { UsageError } from "../../errors.js";
import { loadProfile } from "../../machine/profile.js";
import { validateProfile } from "../../machine/schema.js";
import { buildDraft } from "../../probe/draft.js";
import { NODE_DIR } from "../../probe/nodes.js";
import { probeNotes } from "../../probe/notes.js";
import { probeHost } from "../../probe/probe.js";
import { hostFs } from "../../probe/reader.js";
import { formatProbe, probeDocument } from "../../probe/report.js";
import { print } from "../output.js";
import { checkOutputFile, writeOutputFile } from "../output-file.js";

const DEFAULT_BASE = "zen3-2s-ptdma";

interface ProbeFlags {
  root: string;
  out?: string;
  json?: boolean;
  base: string;
}

export function register(program: Command): void {
  program
    .command("probe")
    .description(
      "report this host's migration-relevant facts (nodes, CCDs, THP, tiers, DMA) and draft a profile",
    )
    .option("--root <dir>", "the filesystem root to read sys/ and proc/ under", "/")
    .option("--out <file>", "write a draft machine profile (YAML) for the host")
    .option("--json", "print the facts as JSON")
    .option(
      "--base <profile>",
      "profile lending the draft every value the probe cannot measure",
      DEFAULT_BASE,
    )
    .action((flags: ProbeFlags, cmd: Command) => {
      const base = loadProfile(flags.base);
      const out = flags.out === undefined ? undefined : resolve(flags.out);
      if (out !== undefined) checkOutputFile(`--out ${flags.out}`, out);
      const fs = hostFs(flags.root);
      if (fs.list(NODE_DIR) === undefined && fs.list("/proc") === undefined) {
        throw new UsageError(`--root ${flags.root}: no sys/devices/system/node or proc under it`);
      }
      const facts = probeHost(fs);
      const notes = probeNotes(facts);
      // The report first, so a host whose draft fails still shows its facts.
      print(
        cmd,
        flags.json
          ? `${JSON.stringify(probeDocument(facts, notes), null, 2)}\n`
          : formatProbe(facts, notes),
      );
      if (out === undefined) return;
      const label = `--out ${flags.out}`;
      const text = buildDraft(
        facts,
        { profile: base, text: readFileSync(base.source, "utf8") },
        draftName(out),
      );
      checkDraft(label, text);
      writeOutputFile(label, out, text);
    });
}

/** Refuses a draft that --profile would not load, so no such file is ever written. */
export function checkDraft(label: string, text: string): void {
  const v = validateProfile(parse(text));
  if (!v.ok) throw new UsageError(`${label}: the draft does not load: ${v.problems[0]}`);
}

/**
 * The draft's name: the --out file's base name where the schema takes it, so the file can be
 * copied into profiles/ as is.
 */
function draftName(file: string): string {
  const stem = (file.split(/[/\\]/).pop() ?? "").replace(/\.ya?ml$/, "").toLowerCase();
  return /^[a-z0-9][a-z0-9._-]*$/.test(stem) ? stem : "probed-host";
}

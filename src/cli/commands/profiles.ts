/** `pagemig profiles [--json]` and `pagemig profiles show NAME [--json]`. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { loadProfile, profileNames } from "../../machine/profile.js";
import { toProfileDocument } from "../../machine/schema.js";
import { formatSize } from "../../machine/units.js";
import { jsonDocument } from "../../report/header.js";
import { formatTable, print } from "../output.js";

export function register(program: Command): void {
  const profiles = program
    .command("profiles")
    .description("list the shipped machine profiles")
    .option("--json", "print a versioned JSON document")
    .action((options: { json?: boolean }, cmd: Command) => {
      const list = profileNames().map((name) => {
        const p = loadProfile(name);
        return {
          name: p.name,
          nodes: p.nodeCount,
          memoryBytes: p.totalBytes(),
          cpus: p.cpus,
          description: p.description,
        };
      });
      if (options.json) {
        print(cmd, jsonDocument("pagemig-profiles", "profiles", { profiles: list }));
        return;
      }
      const rows = list.map((p) => [
        p.name,
        String(p.nodes),
        formatSize(p.memoryBytes),
        String(p.cpus),
        p.description,
      ]);
      print(cmd, formatTable(["NAME", "NODES", "MEMORY", "CPUS", "DESCRIPTION"], rows));
    });

  profiles
    .command("show")
    .description("print a validated profile: its file as written, comments and all, or as JSON")
    .argument("<name>", "a shipped profile name, or a path to a .yaml file")
    .option("--json", "print the profile document as JSON (sizes as written, e.g. 256G)")
    .action((name: string, _options: unknown, cmd: Command) => {
      // `profiles --json` is the list's flag too, and commander gives it to the parent.
      const options = cmd.optsWithGlobals<{ json?: boolean }>();
      const profile = loadProfile(name);
      // The JSON is the profile document itself, so it loads as a profile again: no header.
      print(
        cmd,
        options.json
          ? `${JSON.stringify(toProfileDocument(profile), null, 2)}\n`
          : readFileSync(profile.source, "utf8"),
      );
    });
}

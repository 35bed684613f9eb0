/** `pagemig profiles` and `pagemig profiles show NAME [--json]`. */
import type { Command } from "commander";
import { stringify } from "yaml";
import { loadProfile, profileNames } from "../../machine/profile.js";
import { toProfileDocument } from "../../machine/schema.js";
import { formatSize } from "../../machine/units.js";
import { formatTable, print } from "../output.js";

export function register(program: Command): void {
  const profiles = program
    .command("profiles")
    .description("list the shipped machine profiles")
    .action((_options: unknown, cmd: Command) => {
      const rows = profileNames().map((name) => {
        const p = loadProfile(name);
        return [
          p.name,
          String(p.nodeCount),
          formatSize(p.totalBytes()),
          String(p.cpus),
          p.description,
        ];
      });
      print(cmd, formatTable(["NAME", "NODES", "MEMORY", "CPUS", "DESCRIPTION"], rows));
    });

  profiles
    .command("show")
    .description("print a validated profile (sizes as written, e.g. 256G)")
    .argument("<name>", "a shipped profile name, or a path to a .yaml file")
    .option("--json", "print JSON instead of YAML")
    .action((name: string, options: { json?: boolean }, cmd: Command) => {
      const doc = toProfileDocument(loadProfile(name));
      print(cmd, options.json ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc));
    });
}

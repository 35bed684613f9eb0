/**
 * Every command that prints JSON starts its document with the versioned header of
 * docs/report-json.md. The list of commands below is checked against the program itself: a
 * command that gains `--json` without a case here fails the test.
 */
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { packageVersion } from "../machine/package-root.js";
import { DOCUMENT_SCHEMAS } from "../report/header.js";
import { runCaptured } from "../test-support/cli.js";
import { commands } from "./commands/index.js";

/** A small run of each command that prints JSON, and the document kind it prints. */
const CASES: Record<string, { argv: string[]; schema: string }> = {
  "bench move-pages": {
    argv: ["bench", "move-pages", "--total", "4M", "--folio-size", "2M", "--runs", "1"],
    schema: "pagemig-report",
  },
  run: {
    argv: ["run", "scenarios/ping-pong.yaml", "--set", "duration=1ms"],
    schema: "pagemig-run",
  },
  tune: { argv: ["tune", "--total", "4M", "--no-progress", "--jobs", "1"], schema: "pagemig-tune" },
  explain: { argv: ["explain", "--total", "4M"], schema: "pagemig-explain" },
  baseline: { argv: ["baseline", "--runs", "1"], schema: "pagemig-baseline" },
  validate: { argv: ["validate", "--quick", "--table", "T1"], schema: "pagemig-validate" },
  profiles: { argv: ["profiles"], schema: "pagemig-profiles" },
  selftest: { argv: ["selftest", "--cases", "2"], schema: "pagemig-selftest" },
  probe: { argv: ["probe", "--root", "test/fixtures/probe/zen3-2s"], schema: "pagemig-probe" },
  compare: {
    argv: ["compare", "test/fixtures/compare/zen3.json", "test/fixtures/compare/zen5.json"],
    schema: "pagemig-compare",
  },
};

/**
 * The full names of the commands that take `--json`. Two print another command's document:
 * `profiles show` a profile (below), `merge` the merged run's or search's, byte for byte (its
 * own tests compare it with the unsharded command's). The `host` commands need a Linux host with
 * two memory nodes, which a test cannot count on: `host bench` writes bench's pagemig-report
 * header (report/json.ts's reportHeader), `host check` a pagemig-host-check one.
 */
async function commandsWithJson(): Promise<string[]> {
  const program = new Command("pagemig");
  for (const c of commands) (await c.load()).register(program);
  const out: string[] = [];
  const walk = (cmd: Command, prefix: string[]) => {
    for (const sub of cmd.commands) {
      const name = [...prefix, sub.name()];
      if (sub.options.some((o) => o.long === "--json")) out.push(name.join(" "));
      walk(sub, name);
    }
  };
  walk(program, []);
  return out.sort();
}

describe("the versioned header of every --json document", () => {
  it("covers every command that takes --json", async () => {
    expect(await commandsWithJson()).toEqual(
      [
        ...Object.keys(CASES),
        "profiles show",
        "merge",
        "host bench move-pages",
        "host check",
      ].sort(),
    );
  });

  it.each(Object.entries(CASES))("%s --json", async (command, { argv, schema }) => {
    const r = await runCaptured([...argv, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).slice(0, 5)).toEqual([
      "schema",
      "schemaVersion",
      "tool",
      "version",
      "command",
    ]);
    expect(doc).toMatchObject({
      schema,
      schemaVersion: DOCUMENT_SCHEMAS[schema as keyof typeof DOCUMENT_SCHEMAS],
      tool: "pagemig",
      version: packageVersion(),
      command,
    });
  });

  it("profiles show --json prints the profile document itself, which loads as a profile", async () => {
    const r = await runCaptured(["profiles", "show", "small-2node", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).not.toHaveProperty("schema");
  });
});

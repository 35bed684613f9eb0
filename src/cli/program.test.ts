import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { RunFailure, UsageError } from "../errors.js";
import { packageRoot } from "../machine/package-root.js";
import * as profiles from "./commands/profiles.js";
import { type CommandModule, type LazyCommand, runCli } from "./program.js";

async function run(argv: string[], env: Record<string, string> = {}, extra: CommandModule[] = []) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, [profiles, ...extra], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  });
  return { code, stdout, stderr };
}

function expectOneLineError(r: { code: number; stdout: string; stderr: string }, code: number) {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^pagemig: [^\n]+\n$/);
  expect(r.stderr).not.toMatch(/\bat .*\.[jt]s:\d+/);
}

describe("pagemig profiles", () => {
  it("lists all shipped profiles in a table", async () => {
    const r = await run(["profiles"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0].split(/\s+/).slice(0, 5)).toEqual([
      "NAME",
      "NODES",
      "MEMORY",
      "CPUS",
      "DESCRIPTION",
    ]);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
      ["gh200", "2", "576G", "72"],
      ["small-2node", "2", "2G", "8"],
      ["small-cxl", "2", "768M", "8"],
      ["tiered-1t", "2", "1T", "128"],
      ["turin-cxl", "2", "1280G", "192"],
      ["xeon-icx-2s", "2", "512G", "160"],
      ["zen3-2s-ptdma", "2", "512G", "128"],
      ["zen5-2s-cxl", "3", "1T", "384"],
    ]);
  });

  it("shows a profile as JSON that parses, with sizes as written", async () => {
    const r = await run(["profiles", "show", "zen3-2s-ptdma", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.name).toBe("zen3-2s-ptdma");
    expect(doc.topology.nodes[0]).toEqual({ id: 0, socket: 0, memory: "256G", kind: "dram" });
  });

  it("shows a profile as YAML by default", async () => {
    const r = await run(["profiles", "show", "small-2node"]);
    expect(r.code).toBe(0);
    expect(parseYaml(r.stdout).costs.pteNs).toBe(200);
  });

  it("shows a shipped profile as its file, with the comments that give each value's source", async () => {
    const r = await run(["profiles", "show", "zen5-2s-cxl"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      readFileSync(join(packageRoot(), "profiles", "zen5-2s-cxl.yaml"), "utf8"),
    );
    expect(r.stdout).toContain("# published (dual-socket EPYC 9655)");
  });

  it("lists the profiles as a versioned JSON document", async () => {
    const r = await run(["profiles", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema: "pagemig-profiles", schemaVersion: 1, tool: "pagemig" });
    expect(doc.profiles.map((p: { name: string }) => p.name)).toEqual([
      "gh200",
      "small-2node",
      "small-cxl",
      "tiered-1t",
      "turin-cxl",
      "xeon-icx-2s",
      "zen3-2s-ptdma",
      "zen5-2s-cxl",
    ]);
    expect(doc.profiles[7]).toMatchObject({ nodes: 3, memoryBytes: 2 ** 40, cpus: 384 });
  });

  it("rejects an unknown profile with exit 2 and one line", async () => {
    const r = await run(["profiles", "show", "nope"]);
    expectOneLineError(r, 2);
    expect(r.stderr).toBe(
      "pagemig: profile 'nope': no such profile (available: gh200, small-2node, small-cxl, tiered-1t, turin-cxl, xeon-icx-2s, zen3-2s-ptdma, zen5-2s-cxl)\n",
    );
  });
});

describe("usage errors from commander", () => {
  it.each([
    [["--bogus"], "pagemig: unknown option '--bogus'\n"],
    [["profiles", "--yaml"], "pagemig: unknown option '--yaml'\n"],
    [["profiles", "show"], "pagemig: missing required argument 'name'\n"],
    [["profile"], "pagemig: unknown command 'profile' (Did you mean profiles?)\n"],
    [["profiles", "extra"], expect.stringMatching(/^pagemig: too many arguments for 'profiles'/)],
    [[], "pagemig: missing command (usage: pagemig [options] [command])\n"],
  ])("%j exits 2 with one line", async (argv, message) => {
    const r = await run(argv as string[]);
    expectOneLineError(r, 2);
    expect(r.stderr).toEqual(message);
  });
});

describe("help and version", () => {
  it("prints help to stdout and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain("Usage: pagemig");
    expect(r.stdout).toContain("profiles");
  });

  it("prints the package version", async () => {
    const r = await run(["--version"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("errors thrown by commands", () => {
  // A command that throws what its argument names, to check the mapping to exit codes.
  const thrower: CommandModule = {
    register(program: Command) {
      program
        .command("throw")
        .argument("<kind>")
        .action((kind: string) => {
          if (kind === "usage") throw new UsageError("--total: size must not be negative");
          if (kind === "run") throw new RunFailure("invariant violated: folio 3 copied twice");
          throw new TypeError("x is undefined");
        });
    },
  };

  it("maps UsageError to exit 2", async () => {
    const r = await run(["throw", "usage"], {}, [thrower]);
    expectOneLineError(r, 2);
    expect(r.stderr).toBe("pagemig: --total: size must not be negative\n");
  });

  it("maps RunFailure to exit 1", async () => {
    const r = await run(["throw", "run"], {}, [thrower]);
    expectOneLineError(r, 1);
    expect(r.stderr).toBe("pagemig: invariant violated: folio 3 copied twice\n");
  });

  it("reports any other error as internal, exit 1, stack only with PAGEMIG_DEBUG=1", async () => {
    const r = await run(["throw", "bug"], {}, [thrower]);
    expectOneLineError(r, 1);
    expect(r.stderr).toBe("pagemig: internal error: x is undefined\n");
    const debug = await run(["throw", "bug"], { PAGEMIG_DEBUG: "1" }, [thrower]);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^TypeError: x is undefined\n\s+at /);
    expect(debug.stderr).toMatch(/\npagemig: internal error: x is undefined\n$/);
  });
});

describe("commands loaded on demand", () => {
  /** Lazy commands `a` and `b`, each logging its import into `loaded`. */
  function lazyCommands(loaded: string[]): LazyCommand[] {
    return ["a", "b"].map((name) => ({
      name,
      load: async () => {
        loaded.push(name);
        return {
          register: (program: Command) => {
            program
              .command(name)
              .description(`command ${name}`)
              .action(() => {});
          },
        };
      },
    }));
  }

  async function imports(argv: string[]): Promise<{ code: number; loaded: string[] }> {
    const loaded: string[] = [];
    const code = await runCli(argv, lazyCommands(loaded), {
      stdout: { write: () => true },
      stderr: { write: () => true },
    });
    return { code, loaded };
  }

  it("imports no command for --version, only the named one to run it, all for help", async () => {
    expect(await imports(["--version"])).toEqual({ code: 0, loaded: [] });
    expect(await imports(["b"])).toEqual({ code: 0, loaded: ["b"] });
    expect(await imports(["--help"])).toEqual({ code: 0, loaded: ["a", "b"] });
    expect(await imports(["help", "a"])).toEqual({ code: 0, loaded: ["a", "b"] });
    expect(await imports(["c"])).toEqual({ code: 2, loaded: ["a", "b"] });
  });
});

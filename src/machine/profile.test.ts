import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { listProfiles, loadProfile, profileNames, profilesDir } from "./profile.js";

const tmp = mkdtempSync(join(tmpdir(), "pagemig-profile-"));
function writeTmp(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe("shipped profiles", () => {
  it("lists the shipped profiles with descriptions", () => {
    expect(listProfiles().map((p) => p.name)).toEqual([
      "gh200",
      "small-2node",
      "small-cxl",
      "tiered-1t",
      "turin-cxl",
      "xeon-icx-2s",
      "zen3-2s-ptdma",
      "zen5-2s-cxl",
    ]);
    for (const p of listProfiles()) expect(p.description.length).toBeGreaterThan(10);
  });

  it("loads zen3-2s-ptdma as the machine of the published tables", () => {
    const p = loadProfile("zen3-2s-ptdma");
    expect(p.cpus).toBe(128);
    expect(p.ccds).toBe(8);
    expect(p.nodeCount).toBe(2);
    expect(p.nodeBytes(1)).toBe(256 * 2 ** 30);
    expect(p.kernel.nrMaxBatchedMigration).toBe(512);
    expect(p.source).toBe(join(profilesDir(), "zen3-2s-ptdma.yaml"));
  });

  it("loads small-2node and tiered-1t", () => {
    const small = loadProfile("small-2node");
    expect([small.cpus, small.totalBytes()]).toEqual([8, 2 * 2 ** 30]);
    const big = loadProfile("tiered-1t");
    expect(big.totalBytes()).toBe(2 ** 40);
  });

  it("names the available profiles for an unknown name", () => {
    expect(() => loadProfile("nope")).toThrow(
      new UsageError(
        "profile 'nope': no such profile (available: gh200, small-2node, small-cxl, tiered-1t, turin-cxl, xeon-icx-2s, zen3-2s-ptdma, zen5-2s-cxl)",
      ),
    );
    expect(profileNames()).toHaveLength(8);
  });
});

describe("profile files", () => {
  const small = loadProfile("small-2node").source;

  it("loads a path, and a .yaml name counts as a path", () => {
    expect(loadProfile(small).name).toBe("small-2node");
    expect(() => loadProfile("missing.yaml")).toThrow("profile 'missing.yaml': no such file");
  });

  it("reports YAML syntax errors on one line with the line number", () => {
    const path = writeTmp("bad.yaml", "name: x\ntopology: [1, 2\ncpu: 3\n");
    try {
      loadProfile(path);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      const message = (err as Error).message;
      expect(message).toMatch(
        new RegExp(`^profile ${path}: YAML syntax error at line 3, column 1: `),
      );
      expect(message).not.toContain("\n");
    }
  });

  it("reports schema errors as profile <name>: <path>: <message>", () => {
    const text = readSmall().replace("- { id: 1,", "- { id: 0,");
    const path = writeTmp("dup.yaml", text);
    expect(() => loadProfile(path)).toThrow(
      `profile ${path}: topology.nodes[1].id: duplicate node id 0`,
    );
  });

  it("reports an empty file and an unresolved alias", () => {
    expect(() => loadProfile(writeTmp("empty.yaml", ""))).toThrow(/: empty profile$/);
    expect(() => loadProfile(writeTmp("alias.yaml", "a: *x\n"))).toThrow(
      /: YAML: Unresolved alias/,
    );
  });
});

function readSmall(): string {
  return readFileSync(loadProfile("small-2node").source, "utf8");
}

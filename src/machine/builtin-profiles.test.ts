import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { type BuiltinProfiles, builtinProfile, openProfile } from "./builtin-profiles.js";
import { loadProfile, profileNames, writeBuiltinProfiles } from "./profile.js";

const tmp = mkdtempSync(join(tmpdir(), "pagemig-builtin-"));
const file = join(tmp, "builtin-profiles.json");
writeBuiltinProfiles(file);
const built: BuiltinProfiles = JSON.parse(readFileSync(file, "utf8"));

/** A copy of the build's file with `edit` applied, written beside it. */
function edited(edit: (b: BuiltinProfiles) => void): string {
  const copy: BuiltinProfiles = structuredClone(built);
  edit(copy);
  const path = join(tmp, `edited-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(copy));
  return path;
}

describe("the build's validated profiles", () => {
  it("load every shipped profile exactly as the parser does", () => {
    expect(Object.keys(built.profiles)).toEqual(profileNames());
    for (const name of profileNames()) {
      expect(builtinProfile(name, file), name).toStrictEqual(loadProfile(name));
    }
  });

  it("are not used once the profile's YAML or the validating code changed", () => {
    const yaml = edited((b) => {
      b.profiles["small-2node"].yaml = "0".repeat(64);
    });
    expect(builtinProfile("small-2node", yaml)).toBeNull();
    expect(builtinProfile("zen3-2s-ptdma", yaml)).not.toBeNull();
    const code = edited((b) => {
      b.code = "0".repeat(64);
    });
    expect(builtinProfile("zen3-2s-ptdma", code)).toBeNull();
  });

  it("hold shipped profiles only, and are absent until a build writes them", () => {
    expect(builtinProfile("no-such-profile", file)).toBeNull();
    expect(builtinProfile("profiles/zen3-2s-ptdma.yaml", file)).toBeNull();
    expect(builtinProfile("zen3-2s-ptdma", join(tmp, "missing.json"))).toBeNull();
  });
});

describe("openProfile", () => {
  it("parses a profile file given by path, and reports a bad name as loadProfile does", async () => {
    const path = join(tmp, "mine.yaml");
    writeFileSync(path, readFileSync(loadProfile("small-2node").source, "utf8"));
    expect(await openProfile(path)).toStrictEqual(loadProfile(path));
    await expect(openProfile("no-such-profile")).rejects.toThrow(UsageError);
    await expect(openProfile("no-such-profile")).rejects.toThrow(/no such profile/);
  });
});

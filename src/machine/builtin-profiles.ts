/**
 * The shipped profiles, validated once at build time: `npm run build` writes them as JSON beside
 * this module (scripts/build-profiles.mjs), so that loading one needs neither the YAML parser
 * nor the schema library, whose import and parse are about 130 ms of a command's start-up
 * (issue 13). An entry is used only while the profile's YAML and the code that validated it
 * (this directory's modules) are byte for byte what they were at build time; otherwise, and for
 * a profile file given by path, the profile goes through parse.ts as before.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LoadedProfile } from "./loaded-profile.js";
import { profilesDir } from "./package-root.js";
import type { MachineProfile } from "./schema.js";

/** Where the build writes the validated profiles: beside this module. */
export const BUILTIN_PROFILES_FILE = fileURLToPath(
  new URL("./builtin-profiles.json", import.meta.url),
);

export interface BuiltinProfiles {
  /** sha256 of the modules that validated them (machineCodeHash()). */
  code: string;
  /** By profile name: sha256 of its YAML text, and the validated profile. */
  profiles: Record<string, { yaml: string; profile: MachineProfile }>;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * sha256 over this directory's modules (the schema, units, memory layout, parser...), in name
 * order: a build that changes any of them invalidates the validated profiles.
 */
export function machineCodeHash(): string {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  const ext = extname(here);
  const hash = createHash("sha256");
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith(ext)) continue;
    hash
      .update(f)
      .update("\0")
      .update(readFileSync(join(dir, f), "utf8"))
      .update("\0");
  }
  return hash.digest("hex");
}

/**
 * The shipped profile `name` from the build's validated copy, or null when there is none that
 * is current (no build step ran, the YAML or the code changed since, or `name` is no shipped
 * profile): then loadProfile() parses it.
 */
export function builtinProfile(name: string, file = BUILTIN_PROFILES_FILE): LoadedProfile | null {
  let built: BuiltinProfiles;
  let yaml: string;
  const path = join(profilesDir(), `${name}.yaml`);
  try {
    built = JSON.parse(readFileSync(file, "utf8"));
    if (!Object.hasOwn(built.profiles, name)) return null;
    yaml = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  const entry = built.profiles[name];
  if (entry.yaml !== sha256(yaml) || built.code !== machineCodeHash()) return null;
  return new LoadedProfile(entry.profile, path);
}

/**
 * loadProfile() for a command's start-up: a shipped profile from its validated copy when that
 * is current, anything else (a path, a stale copy, an unknown name) through the parser, which
 * is imported only then.
 */
export async function openProfile(nameOrPath: string): Promise<LoadedProfile> {
  return builtinProfile(nameOrPath) ?? (await import("./profile.js")).loadProfile(nameOrPath);
}

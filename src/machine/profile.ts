/**
 * Finding and loading machine profiles from disk. A bare name means a shipped profile,
 * `<package root>/profiles/<name>.yaml`; anything with a `/` or a .yaml/.yml suffix is a path.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import {
  BUILTIN_PROFILES_FILE,
  type BuiltinProfiles,
  machineCodeHash,
  sha256,
} from "./builtin-profiles.js";
import type { LoadedProfile } from "./loaded-profile.js";
import { profilesDir } from "./package-root.js";
import { parseProfile, validateProfileText } from "./parse.js";

export type { CpuInfo } from "./loaded-profile.js";
export { LoadedProfile } from "./loaded-profile.js";
export { profilesDir };

export interface ProfileSummary {
  name: string;
  description: string;
}

/** Names of the shipped profiles, sorted. */
export function profileNames(): string[] {
  return readdirSync(profilesDir())
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

/** Loads a shipped profile by name or a profile file by path; bad input throws UsageError. */
export function loadProfile(nameOrPath: string): LoadedProfile {
  const isPath = /[/\\]/.test(nameOrPath) || /\.ya?ml$/.test(nameOrPath);
  if (isPath) {
    return parseProfile(readProfileFile(nameOrPath), nameOrPath, { source: nameOrPath });
  }
  if (!profileNames().includes(nameOrPath)) {
    const available = profileNames().join(", ");
    throw new UsageError(`profile '${nameOrPath}': no such profile (available: ${available})`);
  }
  const path = join(profilesDir(), `${nameOrPath}.yaml`);
  return parseProfile(readProfileFile(path), nameOrPath, {
    source: path,
    expectedName: nameOrPath,
  });
}

/** Name and description of every shipped profile, sorted by name. */
export function listProfiles(): ProfileSummary[] {
  return profileNames().map((name) => {
    const p = loadProfile(name);
    return { name: p.name, description: p.description };
  });
}

function readProfileFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`profile '${path}': no such file`);
    throw new UsageError(`profile '${path}': cannot read: ${(err as Error).message}`);
  }
}

/** The build's last step: every shipped profile validated, for builtin-profiles.ts to load. */
export function writeBuiltinProfiles(file = BUILTIN_PROFILES_FILE): void {
  const built: BuiltinProfiles = { code: machineCodeHash(), profiles: {} };
  for (const name of profileNames()) {
    const text = readProfileFile(join(profilesDir(), `${name}.yaml`));
    built.profiles[name] = { yaml: sha256(text), profile: validateProfileText(text, name, name) };
  }
  writeFileSync(file, `${JSON.stringify(built)}\n`);
}

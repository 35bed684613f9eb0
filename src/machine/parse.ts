/**
 * Profile text -> LoadedProfile, without touching the file system, so the browser lab can
 * validate profiles with the same messages as the CLI.
 */
import { type Document, parseDocument } from "yaml";
import { UsageError } from "../errors.js";
import { LoadedProfile } from "./loaded-profile.js";
import { type MachineProfile, validateProfile } from "./schema.js";

const MAX_PROBLEMS = 5;

export interface ParseProfileOptions {
  /** Where the text came from (a file path), kept on the LoadedProfile. */
  source: string;
  /** Require the profile's `name` to equal this (a profile found by name). */
  expectedName?: string;
}

/**
 * Parses YAML (JSON is YAML too) and validates it. Every failure is a one-line UsageError
 * beginning `profile <label>: `.
 */
export function parseProfile(
  text: string,
  label: string,
  options: ParseProfileOptions,
): LoadedProfile {
  return new LoadedProfile(validateProfileText(text, label, options.expectedName), options.source);
}

/** parseProfile()'s validated profile, before the topology is derived from it. */
export function validateProfileText(
  text: string,
  label: string,
  expectedName?: string,
): MachineProfile {
  const data = toValue(parseDocument(text), label);
  const r = validateProfile(data);
  if (!r.ok) fail(label, summarise(r.problems));
  if (expectedName !== undefined && r.profile.name !== expectedName) {
    fail(label, `name: '${r.profile.name}' does not match the file name '${expectedName}'`);
  }
  return r.profile;
}

function toValue(doc: Document, label: string): unknown {
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    // The library's message carries a code excerpt after the first line; keep the reason only.
    const reason = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    const pos = e.linePos?.[0];
    fail(
      label,
      `YAML syntax error${pos ? ` at line ${pos.line}, column ${pos.col}` : ""}: ${reason}`,
    );
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // Unresolved or excessive aliases are only found while building the value.
    fail(label, `YAML: ${(err as Error).message}`);
  }
  if (data === null || data === undefined) fail(label, "empty profile");
  return data;
}

/** At most MAX_PROBLEMS problems, so the message stays one readable line. */
function summarise(problems: string[]): string {
  const shown = problems.slice(0, MAX_PROBLEMS);
  const more = problems.length - shown.length;
  return more > 0 ? `${shown.join("; ")}; (and ${more} more)` : shown.join("; ");
}

function fail(label: string, message: string): never {
  throw new UsageError(`profile ${label}: ${message}`);
}

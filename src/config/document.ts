/**
 * Reading a user's YAML (or JSON) document against a zod schema, with every failure a
 * one-line UsageError `<label>: <path>: <reason>`: the tuner's workloads and the scenarios.
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { type z, z as zod } from "zod";
import { UsageError } from "../errors.js";
import { formatPath } from "../machine/schema.js";
import type { Parsed } from "../tune/quantities.js";

/** A text field (or a number, read as text) parsed by `parse`, its reason reported at the field. */
export function parsedField<T>(parse: (text: string) => Parsed<T>) {
  return zod
    .union([zod.string(), zod.number()], { error: "expected a string" })
    .transform((v, ctx) => {
      const r = parse(String(v));
      if (r.ok) return r.value;
      ctx.issues.push({ code: "custom", message: r.reason, input: v });
      return zod.NEVER;
    });
}

/** The YAML text as a value; `what` names an empty document ("empty workload"). */
export function yamlValue(text: string, label: string, what: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    // The library's message carries a code excerpt after the first line; keep the reason only.
    const reason = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new UsageError(
      `${label}: YAML syntax error${pos ? ` at line ${pos.line}, column ${pos.col}` : ""}: ${reason}`,
    );
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // Unresolved or excessive aliases are only found while building the value.
    throw new UsageError(`${label}: YAML: ${(err as Error).message}`);
  }
  if (data === null || data === undefined) throw new UsageError(`${label}: empty ${what}`);
  return data;
}

/** `data` validated by `schema`, or a UsageError naming the first bad field's path. */
export function validated<S extends z.ZodType>(
  schema: S,
  data: unknown,
  label: string,
): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path =
    issue.code === "unrecognized_keys"
      ? formatPath([...issue.path, issue.keys[0]])
      : formatPath(issue.path);
  const message = issue.code === "unrecognized_keys" ? "unknown key" : issue.message;
  throw new UsageError(`${label}: ${path === "" ? message : `${path}: ${message}`}`);
}

/** A YAML document validated by `schema`. */
export function parseYamlDocument<S extends z.ZodType>(
  schema: S,
  text: string,
  label: string,
  what: string,
): z.output<S> {
  return validated(schema, yamlValue(text, label, what), label);
}

/** The text of the file at `path`, or a UsageError `<label>: no such file`. */
export function readUserFile(path: string, label: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${label}: ${code === "ENOENT" ? "no such file" : `cannot read: ${(err as Error).message}`}`,
    );
  }
}

/** One `--set`/`--sweep` path: `a.b[2].c` as keys and indices. */
function pathKeys(path: string, label: string): (string | number)[] {
  const keys: (string | number)[] = [];
  for (const part of path.split(".")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$/.exec(part);
    if (m === null)
      throw new UsageError(
        `${label}: '${path}' is not a field path (e.g. engine.migrator, processes[0].threads[0].cpu)`,
      );
    keys.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) keys.push(Number(idx[1]));
  }
  return keys;
}

/**
 * Set the field at `path` of the document `doc` (in place) to `value`, creating objects on the
 * way; an index must name an existing element. `label` names the flag in errors.
 */
export function setPath(doc: unknown, path: string, value: unknown, label: string): void {
  const keys = pathKeys(path, label);
  let node = doc as Record<string | number, unknown>;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i];
    let next = node[key];
    if (next === undefined && typeof keys[i + 1] === "string" && typeof key === "string") {
      next = {};
      node[key] = next;
    }
    if (next === null || typeof next !== "object") {
      throw new UsageError(`${label}: ${path}: no such field in the document`);
    }
    node = next as Record<string | number, unknown>;
  }
  const last = keys[keys.length - 1];
  if (typeof last === "number" && !(Array.isArray(node) && last < node.length)) {
    throw new UsageError(`${label}: ${path}: no such element`);
  }
  node[last] = value;
}

/** `path=value` with the value read as YAML (`2`, `dcbm`, `[0, 1]`). */
export function parseAssignment(text: string, label: string): { path: string; value: unknown } {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new UsageError(`${label}: expected path=value, got '${text}'`);
  const path = text.slice(0, eq).trim();
  const doc = parseDocument(text.slice(eq + 1));
  if (doc.errors.length > 0) throw new UsageError(`${label}: ${path}: the value is not valid YAML`);
  return { path, value: doc.toJS() };
}

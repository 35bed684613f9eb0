/**
 * The published JSON Schemas, checked with a standard validator (Ajv, draft 2020-12) rather than
 * zod, so what is tested is what editors and tools get: every shipped profile and scenario
 * validates against `pagemig schema`'s output and names the schemas/ file it is checked by, the
 * files are that output, and bench's report validates against `pagemig schema report`.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { packageRoot } from "./machine/package-root.js";
import { SCHEMA_KIND_NAMES, type SchemaKind, schemaFileName } from "./schemas.js";
import { runCaptured } from "./test-support/cli.js";

const root = packageRoot();

async function printedSchema(kind: SchemaKind): Promise<Record<string, unknown>> {
  const r = await runCaptured(["schema", kind]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  // The shipped file is the command's output; UPDATE_GOLDEN=1 rewrites it.
  const file = join(root, "schemas", schemaFileName(kind));
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, r.stdout);
  expect(r.stdout, file).toBe(readFileSync(file, "utf8"));
  return JSON.parse(r.stdout);
}

async function validator(kind: SchemaKind) {
  // strict: false, because zod writes draft 2020-12 keywords Ajv's strict mode flags as unknown formats.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  return ajv.compile(await printedSchema(kind));
}

/** The YAML files of `dir`, each with its text. */
function yamlFiles(dir: string): { name: string; text: string }[] {
  return readdirSync(join(root, dir))
    .filter((f) => f.endsWith(".yaml"))
    .map((name) => ({ name, text: readFileSync(join(root, dir, name), "utf8") }));
}

describe.each([
  ["profile", "profiles"],
  ["scenario", "scenarios"],
] as const)("pagemig schema %s", (kind, dir) => {
  it(`validates every shipped file of ${dir}/, which names the schema for editors`, async () => {
    const validate = await validator(kind);
    const files = yamlFiles(dir);
    expect(files.length).toBeGreaterThan(2);
    for (const { name, text } of files) {
      expect(text.split("\n")[0], name).toBe(
        `# yaml-language-server: $schema=../schemas/${schemaFileName(kind)}`,
      );
      const ok = validate(parse(text));
      expect(validate.errors ?? [], name).toEqual([]);
      expect(ok, name).toBe(true);
    }
  });
});

describe("the published schemas", () => {
  it("reject what the loaders reject: an unknown key, a missing field, a bad size", async () => {
    const profile = await validator("profile");
    const doc = parse(readFileSync(join(root, "profiles", "small-2node.yaml"), "utf8"));
    expect(profile({ ...doc, extra: 1 })).toBe(false);
    const { costs: _, ...noCosts } = doc;
    expect(profile(noCosts)).toBe(false);
    const scenario = await validator("scenario");
    const s = parse(readFileSync(join(root, "scenarios", "ping-pong.yaml"), "utf8"));
    expect(scenario({ ...s, engine: { migrator: "dma" } })).toBe(false);
    expect(scenario({ ...s, duration: true })).toBe(false);
  });

  it("takes a tune workload file", async () => {
    const workload = await validator("workload");
    expect(workload({ folioSizes: { "2M": 0.7, "4K": 0.3 }, total: "1G" })).toBe(true);
    expect(workload({ folioSizes: "2M:0.7,4K:0.3", latencyBudget: "500us" })).toBe(true);
    expect(workload({ total: "1G", budget: "1ms" })).toBe(false);
  });

  it("describes bench's JSON report: the golden report validates, a changed header does not", async () => {
    const report = await validator("report");
    const doc = JSON.parse(
      readFileSync(join(root, "test", "golden", "bench-move-pages-small.json"), "utf8"),
    );
    expect(report(doc), JSON.stringify(report.errors)).toBe(true);
    expect(report({ ...doc, schemaVersion: 2 })).toBe(false);
    expect(report({ ...doc, results: [{ ...doc.results[0], folioCount: "many" }] })).toBe(false);
  });

  it("refuses an unknown kind with one line", async () => {
    const r = await runCaptured(["schema", "profiles"]);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: `pagemig: schema: unknown kind 'profiles' (kinds: ${SCHEMA_KIND_NAMES.join(", ")})\n`,
    });
  });
});

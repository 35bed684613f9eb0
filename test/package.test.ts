/**
 * The package as users get it: `npm pack`, the tarball unpacked into a scratch TypeScript
 * project in a temporary directory, a program that calls the API type-checked with tsc and run
 * with node. Offline: the scratch project's dependencies are links to this project's
 * node_modules, only those the packed package.json declares (so an import of an undeclared
 * package fails here), and typescript and @types/node for the scratch project's own build.
 */
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "pagemig-package-"));
const app = join(scratch, "app");

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const tsc = (project: string) =>
  run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", project], app);

function link(name: string): void {
  const at = join(app, "node_modules", name);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(join(root, "node_modules", name), at, "dir");
}

const PROGRAM = `
import {
  benchMovePages,
  explainMovePages,
  jsonSchemaOf,
  loadProfile,
  type MovePagesBenchResult,
  profileNames,
  UsageError,
} from "pagemig";

const profile = loadProfile("zen5-2s-cxl");
const toCxl: MovePagesBenchResult = await benchMovePages({
  profile,
  migrator: "serial",
  folioSizeBytes: 2 << 20,
  folioCount: 8,
  fromNode: 0,
  toNode: 2,
});
const why = await explainMovePages({ profile: "zen3-2s-ptdma", migrator: "mtcopy", workers: 4, folioSizeBytes: 2 << 20, folioCount: 16 });
let refused = "";
try {
  loadProfile("no-such-machine");
} catch (e) {
  if (e instanceof UsageError) refused = e.message;
}
console.log(JSON.stringify({
  gbps: toCxl.throughputGBps.mean,
  toNode: toCxl.toNode,
  bound: why.bound.kind,
  profiles: profileNames(),
  schema: jsonSchemaOf("profile").title,
  refused,
}));
`;

/** A call the declarations must refuse: a migrator that does not exist. */
const WRONG = `
import { benchMovePages } from "pagemig";
await benchMovePages({ profile: "zen3-2s-ptdma", migrator: "dma", folioSizeBytes: 4096, folioCount: 1 });
`;

const tsconfig = (file: string) =>
  JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      skipLibCheck: true,
      types: ["node"],
      outDir: "dist",
    },
    files: [file],
  });

describe("the packed package", () => {
  beforeAll(() => {
    const pack = run("npm", ["pack", "--pack-destination", scratch, "--json"], root);
    expect(pack.status, pack.out).toBe(0);
    const tarball = join(scratch, JSON.parse(pack.out.slice(pack.out.indexOf("[")))[0].filename);
    const pkgDir = join(app, "node_modules", "pagemig");
    mkdirSync(pkgDir, { recursive: true });
    const untar = run("tar", ["-xzf", tarball, "-C", pkgDir, "--strip-components=1"], app);
    expect(untar.status, untar.out).toBe(0);
    const packed = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
    for (const dep of Object.keys(packed.dependencies)) link(dep);
    for (const tool of ["typescript", "@types/node"]) link(tool);
    writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module", private: true }));
    writeFileSync(join(app, "main.ts"), PROGRAM);
    writeFileSync(join(app, "wrong.ts"), WRONG);
    writeFileSync(join(app, "tsconfig.json"), tsconfig("main.ts"));
    writeFileSync(join(app, "tsconfig.wrong.json"), tsconfig("wrong.ts"));
  }, 60_000);

  it("type-checks and runs a program that calls the API", () => {
    const build = tsc("tsconfig.json");
    expect(build.status, build.out).toBe(0);
    const main = run(process.execPath, ["dist/main.js"], app);
    expect(main.status, main.out).toBe(0);
    const out = JSON.parse(main.out);
    expect(out).toMatchObject({
      toNode: 2,
      bound: expect.any(String),
      // The packed package ships every profile of profiles/.
      profiles: readdirSync(join(root, "profiles"))
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => f.slice(0, -".yaml".length))
        .sort(),
      schema: "pagemig machine profile",
      refused: expect.stringMatching(/^profile 'no-such-machine': no such profile/),
    });
    expect(out.gbps).toBeGreaterThan(1);
  }, 60_000);

  it("has declarations precise enough to refuse a wrong call", () => {
    const build = tsc("tsconfig.wrong.json");
    expect(build.status).not.toBe(0);
    expect(build.out).toMatch(/wrong\.ts.*'"dma"' is not assignable/);
  }, 60_000);
});

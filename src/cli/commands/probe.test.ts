import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../errors.js";
import { packageRoot } from "../../machine/package-root.js";
import type { ProbeDocument } from "../../probe/report.js";
import { expectGolden } from "../../test-support/golden.js";
import { runCli } from "../program.js";
import * as probe from "./probe.js";

const FIXTURES = [
  "vm-1node",
  "zen3-2s",
  "cxl-tier",
  "vm2s",
  "memless-dma",
  "bigmem",
  "no-numa",
] as const;
const fixture = (name: string) => join(packageRoot(), "test", "fixtures", "probe", name);
const tmp = () => mkdtempSync(join(tmpdir(), "pagemig-probe-cli-"));

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["probe", ...argv], [probe], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

/** A bad-input run: exit 2, nothing on stdout, one line on stderr. */
async function expectUsageError(argv: string[]): Promise<string> {
  const r = await run(argv);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^pagemig: [^\n]+\n$/);
  return r.stderr;
}

describe("pagemig probe on the fixtures", () => {
  it.each(FIXTURES)("%s: the text report and the draft profile", async (name) => {
    const report = await run(["--root", fixture(name)]);
    expect(report.stderr).toBe("");
    expect(report.code).toBe(0);
    expectGolden(`probe/${name}.txt`, report.stdout);

    const out = join(tmp(), `${name}.yaml`);
    const drafted = await run(["--root", fixture(name), "--out", out]);
    expect(drafted.code).toBe(0);
    expect(drafted.stdout).toBe(report.stdout);
    expectGolden(`probe/${name}.yaml`, readFileSync(out, "utf8"));
  });

  it("--json: a versioned document of the facts and notes", async () => {
    const r = await run(["--root", fixture("cxl-tier"), "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as ProbeDocument;
    expect([doc.schema, doc.schemaVersion]).toEqual(["pagemig-probe", 1]);
    expect(doc.facts.nodes.map((n) => n.id)).toEqual([0, 1, 2]);
    expect(doc.facts.thp).toEqual({ enabled: "always", defrag: "madvise" });
    expect(doc.notes.length).toBeGreaterThan(0);
  });

  it("--base: the draft lends another profile's costs", async () => {
    const out = join(tmp(), "cxl.yaml");
    const r = await run(["--root", fixture("cxl-tier"), "--out", out, "--base", "zen5-2s-cxl"]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toMatch(
      /^ {2}copyGBps: 18\.65 # not measured, from zen5-2s-cxl: /m,
    );
  });

  it("runs on this machine (--root /) and finds at least one node", async () => {
    const r = await run(["--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as ProbeDocument;
    expect(doc.facts.nodes.length).toBeGreaterThanOrEqual(1);
  });
});

describe("pagemig probe: bad input exits 2 with one line", () => {
  it("a root with neither sys/devices/system/node nor proc", async () => {
    const root = tmp();
    expect(await expectUsageError(["--root", root])).toBe(
      `pagemig: --root ${root}: no sys/devices/system/node or proc under it\n`,
    );
  });

  it("a malformed meminfo, naming the file", async () => {
    const root = join(tmp(), "host");
    cpSync(fixture("vm-1node"), root, { recursive: true });
    const meminfo = join(root, "sys/devices/system/node/node0/meminfo");
    writeFileSync(meminfo, "Node 0 MemTotal: lots\n");
    expect(await expectUsageError(["--root", root])).toBe(
      `pagemig: ${meminfo}: malformed: no 'MemTotal: <n> kB' line\n`,
    );
  });

  it("an unreadable meminfo, naming the file", async () => {
    const root = join(tmp(), "host");
    cpSync(fixture("vm-1node"), root, { recursive: true });
    const meminfo = join(root, "sys/devices/system/node/node0/meminfo");
    rmSync(meminfo);
    mkdirSync(meminfo);
    expect(await expectUsageError(["--root", root])).toMatch(
      new RegExp(`^pagemig: ${meminfo}: cannot read: EISDIR`),
    );
  });

  it("--out into a missing directory, before probing and writing nothing", async () => {
    const dir = join(tmp(), "missing");
    const out = join(dir, "draft.yaml");
    expect(await expectUsageError(["--root", fixture("zen3-2s"), "--out", out])).toBe(
      `pagemig: --out ${out}: directory ${dir} does not exist\n`,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it("a host no draft can be made of: the report, then one line, and no file", async () => {
    const out = join(tmp(), "tiny.yaml");
    const r = await run(["--root", fixture("tiny"), "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe((await run(["--root", fixture("tiny")])).stdout);
    expect(r.stdout).toMatch(/^kernel: /);
    expect(r.stderr).toBe(
      "pagemig: cannot draft a profile: host node 0, the only memory node, has 4M in whole 4M blocks; split in two halves (numa=fake=2), each needs at least 4M\n",
    );
    expect(existsSync(out)).toBe(false);
  });

  it("a draft that would not load is refused with its first problem", () => {
    const out = join(tmp(), "d.yaml");
    writeFileSync(out, readFileSync(join(packageRoot(), "profiles", "zen3-2s-ptdma.yaml")));
    const good = readFileSync(out, "utf8");
    expect(() => probe.checkDraft("--out d.yaml", good)).not.toThrow();
    const bad = good.replace(/^ {2}sockets: 2\b/m, "  sockets: 0");
    expect(() => probe.checkDraft("--out d.yaml", bad)).toThrow(
      new UsageError(
        "--out d.yaml: the draft does not load: topology.sockets: Too small: expected number to be >=1",
      ),
    );
  });

  it("an unknown --base", async () => {
    expect(await expectUsageError(["--root", fixture("zen3-2s"), "--base", "nope"])).toMatch(
      /^pagemig: profile 'nope': no such profile \(available: /,
    );
  });
});

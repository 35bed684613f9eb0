import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as hostCommand from "../cli/commands/host.js";
import { runCli } from "../cli/program.js";
import { RunFailure } from "../errors.js";
import { HPAGE_PMD_NR, PAGE_SIZE } from "../mm/folio.js";
import { checkFolioSize, runHostBench } from "./bench.js";
import { readHost } from "./host-context.js";
import { loadLibc } from "./libc.js";
import { HOST_PROFILE, hostReportDocument } from "./report.js";

// Every test here calls this machine's kernel; nothing stands in for it. Where the kernel
// lacks what a test needs (Linux, two memory nodes, THP), that test is skipped.
const linux = process.platform === "linux";
const ctx = linux ? readHost() : null;
const facts = ctx?.facts ?? null;
const nodes = ctx?.memoryNodes ?? [];
const THP_BYTES = PAGE_SIZE * HPAGE_PMD_NR;
const thp = (() => {
  try {
    checkFolioSize(THP_BYTES);
    return linux;
  } catch {
    return false;
  }
})();

async function cli(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, [hostCommand], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe.skipIf(!linux || nodes.length >= 2)("host bench move-pages on a one-node host", () => {
  it("exits 2 with one line saying what the host lacks, before mapping anything", async () => {
    const r = await cli(["host", "bench", "move-pages", "--total", "16M", "--runs", "1"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `pagemig: host bench move-pages: this host has one memory node (node ${nodes[0]}); moving pages needs two\n`,
    );
  });
});

describe.skipIf(!linux)("host bench move-pages: bad flags", () => {
  it.each([
    [["--nodes", "0"], "--nodes 0: give two nodes, FROM,TO"],
    [["--total", "1M", "--count", "2"], "--total and --count: give one, not both"],
    [["--folio-size", "3K"], "--folio-size"],
    [["--reporter", "perfetto"], "--reporter perfetto"],
  ])("%j", async (argv, message) => {
    const r = await cli(["host", "bench", "move-pages", ...argv]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`pagemig: ${message}`);
    expect(r.stderr.split("\n")).toHaveLength(2);
  });
});

describe.skipIf(!thp)("the host bench's mapping on this kernel", () => {
  it("maps, binds and writes 2M folios, reads the THP the host gave from smaps, and a move to the node they are on migrates nothing", async () => {
    const libc = await loadLibc();
    const node = nodes[0];
    const r = await runHostBench(
      libc,
      {
        migrator: "serial",
        folioSizeBytes: THP_BYTES,
        folioCount: 4,
        runs: 2,
        from: node,
        to: node,
      },
      () => false,
    );
    expect(r.callsUs).toHaveLength(2);
    expect(r.callsUs.every((us) => us > 0)).toBe(true);
    // THP under madvise is best effort: the kernel may fall back to base pages.
    expect(r.foliosObtained).toBe(r.anonHugeBytes / THP_BYTES);
    expect(r.foliosObtained).toBeLessThanOrEqual(4);
    expect(r.vmstat.pgmigrate_success ?? 0).toBe(0);
    if (facts === null) throw new Error("no host facts on Linux");
    const doc = hostReportDocument({
      host: {
        source: "host",
        kernel: facts.kernelRelease,
        nodes: { from: node, to: node },
        facts,
      },
      results: [r],
    });
    expect(doc).toMatchObject({
      schema: "pagemig-report",
      schemaVersion: 1,
      command: "host bench move-pages",
      profile: HOST_PROFILE,
    });
    expect(doc.host.source).toBe("host");
  });
});

describe.skipIf(!linux)("an interrupted host bench", () => {
  it("unmaps its region: the process's anonymous memory is back where it was", async () => {
    const libc = await loadLibc();
    const rssAnon = () =>
      Number(/^RssAnon:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) * 1024;
    const before = rssAnon();
    const bytes = 64 << 20;
    const run = runHostBench(
      libc,
      {
        migrator: "serial",
        folioSizeBytes: PAGE_SIZE,
        folioCount: bytes / PAGE_SIZE,
        runs: 3,
        from: nodes[0],
        to: nodes[0],
      },
      () => rssAnon() - before > bytes / 2, // interrupted once the region is written
    );
    await expect(run).rejects.toThrow(RunFailure);
    await expect(run).rejects.toThrow("interrupted");
    expect(rssAnon() - before).toBeLessThan(bytes / 4);
  });
});

describe.skipIf(nodes.length < 2)("host bench move-pages between two nodes of this kernel", () => {
  it("moves every page of the region each timed call and reports it in the pagemig-report document", async () => {
    const r = await cli([
      "host",
      "bench",
      "move-pages",
      "--folio-size",
      "4K",
      "--total",
      "8M",
      "--runs",
      "2",
      "--json",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.host.source).toBe("host");
    const [result] = doc.results;
    expect(result.vmstat.pgmigrate_success).toBe((8 << 20) / PAGE_SIZE);
    expect(result.throughputGBps.mean).toBeGreaterThan(0);
  });
});

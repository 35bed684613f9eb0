import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { runMovePagesBench } from "../workload/move-pages-bench.js";
import { formatTable, reporter } from "./table.js";

const profile = loadProfile("small-2node");

function run(migrator: "serial" | "mtcopy") {
  return runMovePagesBench({
    migrator,
    workers: 2,
    profile,
    folioSizeBytes: 65536,
    folioCount: 32,
    runs: 1,
    seed: 1,
    verify: false,
  });
}

function render(results: Awaited<ReturnType<typeof run>>[]): string[][] {
  const text = String(reporter.render({ command: "c", profile: "p", seed: 1, results }));
  return text.split("\n\n").map((block) => block.trimEnd().split("\n"));
}

describe("formatTable", () => {
  it("pads every column but the last to its widest cell", () => {
    expect(formatTable(["A", "BB"], [["xyz", "1"]])).toBe("A    BB\nxyz  1\n");
  });
});

describe("table reporter", () => {
  it("prints the results, then wall time per phase, folio latency and CPU by kind", async () => {
    const serial = await run("serial");
    const [results, breakdown] = render([serial]);
    expect(results[0]).toMatch(/^MIGRATOR\s+WORKERS\s+FOLIO\s+FOLIOS\s+BATCH\s+GB\/s/);
    expect(results).toHaveLength(2);
    expect(breakdown[0].split(/\s+/)).toEqual([
      "MIGRATOR",
      "WORKERS",
      "FOLIO",
      "BATCH",
      "ISOLATE-us",
      "UNMAP-us",
      "FLUSH-us",
      "COPY-us",
      "MOVE-us",
      "PUTBACK-us",
      "FOLIO-P50-us",
      "FOLIO-P99-us",
      // The serial copy has neither copy threads nor interrupts.
      "CPU-SYSCALL-ms",
    ]);
    const cells = breakdown[1].split(/\s+/);
    expect(cells.slice(0, 4)).toEqual(["serial", "1", "64K", String(serial.batchPages)]);
    expect(cells[7]).toBe(serial.phases.copy.wallUs.toFixed(1));
    expect(cells[10]).toBe(serial.folioLatencyUs.median.toFixed(1));
    expect(cells[11]).toBe(serial.folioLatencyUs.p99.toFixed(1));
    expect(cells[12]).toBe((serial.cpuByKind.syscall / 1000).toFixed(2));
  });

  it("adds the copy threads' CPU time when a result has some", async () => {
    const mtcopy = await run("mtcopy");
    expect(mtcopy.cpuByKind.copyThreads).toBeGreaterThan(0);
    const [, breakdown] = render([await run("serial"), mtcopy]);
    const header = breakdown[0].split(/\s+/);
    expect(header.slice(-2)).toEqual(["CPU-SYSCALL-ms", "CPU-COPY-THREADS-ms"]);
    expect(breakdown[1].split(/\s+/).at(-1)).toBe("0.00");
    expect(breakdown[2].split(/\s+/).at(-1)).toBe((mtcopy.cpuByKind.copyThreads / 1000).toFixed(2));
  });
});

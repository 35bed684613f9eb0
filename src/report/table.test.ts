import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { runMovePagesBench } from "../workload/move-pages-bench.js";
import { formatGBps, formatTable, reporter } from "./table.js";

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
  const text = String(reporter.render({ command: "c", profile: "p", cpus: 8, seed: 1, results }));
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

describe("table reporter throughput and faults", () => {
  it("prints 3 significant digits below 1 GB/s, two decimals from 1 GB/s up", () => {
    expect(formatGBps({ mean: 0.05912, sd: 0 })).toBe("0.0591 ± 0.0000");
    expect(formatGBps({ mean: 0.5, sd: 0.0123 })).toBe("0.500 ± 0.012");
    expect(formatGBps({ mean: 0.000123456, sd: 0 })).toBe("0.000123 ± 0.000000");
    // Rounded to 3 digits it is 1.00: two decimals, as any larger value.
    expect(formatGBps({ mean: 0.9996, sd: 0 })).toBe("1.00 ± 0.00");
    expect(formatGBps({ mean: 10.684, sd: 0.004 })).toBe("10.68 ± 0.00");
    expect(formatGBps({ mean: 0, sd: 0 })).toBe("0.00 ± 0.00");
  });

  it("shows a tiny throughput in its GB/s column, not 0.00", async () => {
    const slow = { ...(await run("serial")), throughputGBps: { mean: 0.05912, sd: 0 } };
    const [results] = render([slow]);
    expect(results[1].split(/\s{2,}/)[5]).toBe("0.0591 ± 0.0000");
  });

  it("adds folios not migrated and faults fired when some result was injected", async () => {
    const [plain] = render([await run("serial")]);
    expect(plain[0]).not.toMatch(/FOLIOS-NOT-MIGRATED|FAULTS-FIRED/);
    const inject = (spec: string) =>
      runMovePagesBench({
        migrator: "serial",
        profile,
        folioSizeBytes: 65536,
        folioCount: 32,
        runs: 1,
        seed: 1,
        verify: false,
        inject: spec,
      });
    const injected = await inject("alloc-fail=0.5,dma-timeout");
    const fired = injected.faultsFired?.["alloc-fail"] ?? 0;
    expect(fired).toBeGreaterThan(0);
    const [results] = render([await run("serial"), injected, await inject("dma-timeout")]);
    expect(results[0].split(/\s+/).slice(-2)).toEqual(["FOLIOS-NOT-MIGRATED", "FAULTS-FIRED"]);
    // The run without faults has neither; dma-timeout never fires without a DMA engine.
    expect(results[1].split(/\s+/).slice(-2)).toEqual(["-", "-"]);
    expect(results[2].split(/\s+/).slice(-2)).toEqual([
      String(injected.foliosNotMigrated),
      `alloc-fail=${fired}`,
    ]);
    expect(results[3].split(/\s+/).slice(-2)).toEqual(["0", "none"]);
  });
});

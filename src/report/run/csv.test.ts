import { describe, expect, it } from "vitest";
import { expectGolden } from "../../test-support/golden.js";
import type { ScenarioResult } from "../../workload/app/run-scenario.js";
import { reporter } from "./csv.js";
import type { RunReportInput } from "./input.js";
import { pingPongInput, pingPongSweepInput } from "./run.case.js";

const records = (text: string) => text.split("\r\n").slice(0, -1);

/** A result with only the series the csv reporter reads. */
function seriesOnly(processes: ScenarioResult["series"]["processes"]): ScenarioResult {
  return {
    series: {
      intervalNs: 10,
      timeNs: [10, 20],
      processes,
      migrationGBps: [0, 1.5],
      vmstat: {},
      migrations: {},
      cpuNs: { application: [10, 10], migratingTasks: [0, 0], copyThreads: [0, 0], irq: [0, 0] },
      utilisation: {},
    },
  } as unknown as ScenarioResult;
}

describe("run csv reporter", () => {
  it("writes a row per interval: time, ops/s, bytes per node, migration GB/s, vmstat, reasons, CPU, utilisation (golden)", () => {
    expect(reporter).toMatchObject({ name: "csv", needsRecording: false, binary: false });
    const input = pingPongInput();
    const text = String(reporter.render(input));
    expectGolden("run/ping-pong-thp-5ms.csv", text);
    // RFC 4180: every record, the last too, ends with CRLF.
    expect(text.endsWith("\r\n")).toBe(true);
    const [header, ...rows] = records(text);
    const { series } = input.runs[0].result;
    expect(header).toBe(
      [
        "timeNs,selftest.opsPerSec,selftest.bytesByNode.0,selftest.bytesByNode.1,migrationGBps",
        ...Object.keys(series.vmstat).map((n) => `vmstat.${n}`),
        "migrations.MR_SYSCALL.foliosPerSec,migrations.MR_SYSCALL.gbps",
        "cpuNs.application,cpuNs.migratingTasks,cpuNs.copyThreads,cpuNs.irq",
        ...Object.keys(series.utilisation).map((n) => `utilisation.${n}`),
      ].join(","),
    );
    expect(Object.keys(series.vmstat)).toContain("pgmigrate_success");
    expect(Object.keys(series.utilisation)).toContain("mem0");
    expect(rows).toHaveLength(series.timeNs.length);
    expect(rows[3]).toBe(
      [
        series.timeNs[3],
        series.processes[0].opsPerSec[3],
        series.processes[0].bytesByNode["0"][3],
        series.processes[0].bytesByNode["1"][3],
        series.migrationGBps[3],
        ...Object.values(series.vmstat).map((v) => v[3]),
        series.migrations.MR_SYSCALL.foliosPerSec[3],
        series.migrations.MR_SYSCALL.gbps[3],
        ...Object.values(series.cpuNs).map((v) => v[3]),
        ...Object.values(series.utilisation).map((v) => v[3]),
      ].join(","),
    );
  });

  it("with --sweep, says each row's run in a first column", () => {
    const [header, ...rows] = records(String(reporter.render(pingPongSweepInput())));
    expect(header.startsWith("settings,timeNs,")).toBe(true);
    expect(rows).toHaveLength(200);
    expect(rows[0]).toMatch(/^engine\.migrator=serial,50000,/);
    expect(rows[100]).toMatch(/^engine\.migrator=dcbm,50000,/);
  });

  it("leaves empty the cells of a process or node a run lacks, zero those of a counter that did not move, and quotes settings with commas", () => {
    const input: RunReportInput = {
      scenario: "x.yaml",
      set: [],
      sweep: ["processes[0].name=a,b"],
      runs: [
        {
          settings: ["movers[0].nodes=[0,1]"],
          result: seriesOnly([
            {
              name: "a",
              pid: 1,
              opsPerSec: [1, 2],
              bytesByNode: { "0": [4096, 0], "1": [0, 4096] },
            },
          ]),
        },
        {
          settings: ["processes[0].name=b"],
          result: seriesOnly([
            { name: "b", pid: 1, opsPerSec: [3, 4], bytesByNode: { "0": [8192, 8192] } },
          ]),
        },
      ],
    };
    // The second run's vmstat counter and resource moved only there: 0 in the first.
    const second = input.runs[1].result.series;
    second.vmstat = { pgmigrate_success: [512, 0] };
    second.utilisation = { mem0: [0.25, 0] };
    const cpu = "cpuNs.application,cpuNs.migratingTasks,cpuNs.copyThreads,cpuNs.irq";
    expect(records(String(reporter.render(input)))).toEqual([
      `settings,timeNs,a.opsPerSec,b.opsPerSec,a.bytesByNode.0,a.bytesByNode.1,b.bytesByNode.0,migrationGBps,vmstat.pgmigrate_success,${cpu},utilisation.mem0`,
      '"movers[0].nodes=[0,1]",10,1,,4096,0,,0,0,10,0,0,0,0',
      '"movers[0].nodes=[0,1]",20,2,,0,4096,,1.5,0,10,0,0,0,0',
      "processes[0].name=b,10,,3,,,8192,0,512,10,0,0,0,0.25",
      "processes[0].name=b,20,,4,,,8192,1.5,0,10,0,0,0,0",
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { loadProfile } from "../machine/profile.js";
import { reportCells } from "./fit-cells.js";

/** The shape `host bench move-pages --json` writes, for a host whose memory nodes are 2 and 5. */
function hostDocument(memoryNodes: number[], from: number, to: number) {
  return {
    schema: "pagemig-report",
    schemaVersion: 1,
    tool: "pagemig",
    version: "0.1.0",
    command: "host bench move-pages",
    profile: "host",
    seed: 0,
    host: {
      source: "host",
      kernel: "6.18.0",
      nodes: { from, to },
      facts: { nodes: [0, ...memoryNodes].map((id) => ({ id, hasMemory: id !== 0 })) },
    },
    results: [
      {
        migrator: "serial",
        workers: 1,
        folioSizeBytes: 4096,
        folioCount: 2048,
        batchPages: 512,
        cpuLoad: 0,
        runs: 5,
        throughputGBps: { mean: 3.1, sd: 0.1 },
      },
    ],
  };
}

describe("reportCells of a host's report", () => {
  const profile = loadProfile("small-2node");

  it("renumbers the host's nodes as its draft does: memory nodes 0..N-1 in host order", () => {
    const [cell] = reportCells("host.json", hostDocument([2, 5], 5, 2), profile);
    expect(cell).toMatchObject({ fromNode: 1, toNode: 0, measured: 3.1, folioCount: 2048 });
  });

  it("refuses a host with another number of memory nodes than the profile", () => {
    expect(() => reportCells("host.json", hostDocument([1, 2, 3], 1, 2), profile)).toThrow(
      new UsageError(
        "host.json: measured on a host with 3 memory nodes; profile small-2node has 2",
      ),
    );
  });
});

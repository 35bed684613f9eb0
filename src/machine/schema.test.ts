import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { profilesDir } from "./profile.js";
import {
  formatPath,
  machineProfileJsonSchema,
  toProfileDocument,
  validateProfile,
} from "./schema.js";

// A valid document to break one field at a time.
// biome-ignore lint/suspicious/noExplicitAny: tests write values and keys the type forbids.
function doc(): Record<string, any> {
  return parse(readFileSync(join(profilesDir(), "small-2node.yaml"), "utf8"));
}

function problems(data: unknown): string[] {
  const r = validateProfile(data);
  return r.ok ? [] : r.problems;
}

describe("validateProfile", () => {
  it("accepts a shipped profile and holds memory in bytes", () => {
    const r = validateProfile(doc());
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.profile.topology.nodes[1].memory).toBe(2 ** 30);
  });

  it("names the path of a bad memory size", () => {
    const d = doc();
    d.topology.nodes[1].memory = "3X";
    expect(problems(d)).toEqual([
      expect.stringMatching(/^topology\.nodes\[1\]\.memory: invalid size '3X'/),
    ]);
  });

  it("rejects memory that is not whole pages", () => {
    const d = doc();
    d.topology.nodes[0].memory = 6000;
    expect(problems(d)).toEqual([
      "topology.nodes[0].memory: must be a multiple of 4M (the buddy allocator's largest block)",
    ]);
  });

  it("names a duplicate node id", () => {
    const d = doc();
    d.topology.nodes[1].id = 0;
    expect(problems(d)).toEqual(["topology.nodes[1].id: duplicate node id 0"]);
  });

  it("requires a gpu node's own bandwidth and latency", () => {
    const d = doc();
    d.topology.nodes[1].kind = "gpu";
    expect(problems(d)).toEqual([
      "topology.nodes[1].memoryGBps: required for a gpu node (its link and memory are not the socket's)",
      "topology.nodes[1].latencyNs: required for a gpu node (its link and memory are not the socket's)",
    ]);
    Object.assign(d.topology.nodes[1], { memoryGBps: 300, latencyNs: 700 });
    expect(problems(d)).toEqual([]);
  });

  it("requires node ids 0..N-1", () => {
    const d = doc();
    d.topology.nodes[1].id = 5;
    expect(problems(d)).toEqual(["topology.nodes[1].id: node ids must be 0..1 (got 5)"]);
  });

  it("checks sockets are in range", () => {
    const d = doc();
    d.topology.nodes[1].socket = 1;
    expect(problems(d)).toEqual(["topology.nodes[1].socket: socket 1 out of range (sockets: 1)"]);
  });

  it("needs at least two nodes", () => {
    const d = doc();
    d.topology.nodes.pop();
    expect(problems(d)).toEqual([expect.stringMatching(/^topology\.nodes: Too small/)]);
  });

  it("needs a dram node per socket and an even CCD split", () => {
    const d = doc();
    d.topology.nodes[0].kind = "cxl";
    d.topology.nodes[1].kind = "cxl";
    expect(problems(d)).toEqual(["topology.nodes: socket 0 has no dram node"]);
    const e = doc();
    e.topology.ccdsPerSocket = 3;
    expect(problems(e)).toEqual([
      "topology.ccdsPerSocket: must be a multiple of the 2 dram nodes of socket 0",
    ]);
  });

  it("names an unknown key by its own path", () => {
    const d = doc();
    d.fabric.fclkMHz = 1600;
    d.extra = 1;
    expect(problems(d)).toEqual(["fabric.fclkMHz: unknown key", "extra: unknown key"]);
  });

  it("reports a missing field as required", () => {
    const d = doc();
    delete d.costs.pteNs;
    expect(problems(d)).toEqual(["costs.pteNs: required"]);
  });

  it("rejects wrong types and ranges with their paths", () => {
    const d = doc();
    d.topology.threadsPerCore = 4;
    d.costs.ipiNs = -1;
    d.kernel.arch = "riscv";
    d.cpu.copyGBps = "fast";
    const p = problems(d);
    expect(p).toHaveLength(4);
    expect(p.map((s) => s.split(":")[0]).sort()).toEqual(
      ["costs.ipiNs", "cpu.copyGBps", "kernel.arch", "topology.threadsPerCore"].sort(),
    );
  });

  it("rejects a document that is not a mapping", () => {
    expect(problems([1, 2])).toEqual([expect.stringMatching(/^Invalid input: expected object/)]);
  });
});

describe("formatPath", () => {
  it("writes indices in brackets", () => {
    expect(formatPath(["topology", "nodes", 1, "memory"])).toBe("topology.nodes[1].memory");
    expect(formatPath([])).toBe("");
  });
});

describe("toProfileDocument", () => {
  it("writes sizes back as strings and validates to the same profile", () => {
    const r = validateProfile(doc());
    if (!r.ok) throw new Error(r.problems.join("; "));
    const d = toProfileDocument(r.profile);
    expect(d.topology.nodes[0].memory).toBe("1G");
    const again = validateProfile(JSON.parse(JSON.stringify(d)));
    expect(again).toEqual(r);
  });
});

describe("machineProfileJsonSchema", () => {
  it("describes the document side: sizes as strings, unknown keys refused", () => {
    interface JsonSchema {
      additionalProperties?: boolean;
      required?: string[];
      properties: Record<string, JsonSchema>;
      items: JsonSchema;
      anyOf: { type: string }[];
    }
    const s = machineProfileJsonSchema() as unknown as JsonSchema;
    expect(s.additionalProperties).toBe(false);
    expect(s.required).toEqual(
      expect.arrayContaining(["name", "topology", "cpu", "fabric", "kernel", "costs"]),
    );
    const memory = s.properties.topology.properties.nodes.items.properties.memory;
    expect(memory.anyOf.map((x) => x.type)).toEqual(["string", "integer"]);
    expect(s.properties.costs.required).toContain("pteNs");
  });
});

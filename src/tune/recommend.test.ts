import { describe, expect, it } from "vitest";
import { MR_DEMOTION, MR_SYSCALL } from "../migrate/modes.js";
import { type Candidate, exceededBudgets } from "./budgets.js";
import type { Metrics } from "./evaluate.js";
import { choose, reasoning } from "./recommend.js";
import { type EngineConfig, VANILLA } from "./space.js";
import type { Workload } from "./workload.js";

const metrics = (o: Partial<Metrics>): Metrics => ({
  throughputGBps: 10,
  cpuNsPerGiB: 100e6,
  cores: 1,
  firstFolioNs: 100e3,
  callNs: 100e6,
  ...o,
});

const workload: Workload = {
  folioMix: [{ key: 2 << 20, weight: 1 }],
  totalBytes: 2 ** 30,
  reasons: [
    { key: MR_SYSCALL, weight: 0.5 },
    { key: MR_DEMOTION, weight: 0.5 },
  ],
  budgets: { firstFolioNs: 500e3 },
};

let nextId = 0;
function candidate(config: Partial<EngineConfig>, m: Partial<Metrics>, mask = 0): Candidate {
  const full = metrics(m);
  return {
    id: nextId++,
    config: { ...VANILLA, ...config },
    reasonMask: mask,
    metrics: full,
    exceeds: exceededBudgets(full, workload.budgets),
  };
}

describe("budgets", () => {
  it("name every budget a setting exceeds, and only those", () => {
    const m = metrics({ firstFolioNs: 600e3, callNs: 30e6, cpuNsPerGiB: 400e6, cores: 3 });
    expect(exceededBudgets(m, {})).toEqual([]);
    expect(exceededBudgets(m, { firstFolioNs: 500e3 })).toEqual(["latency"]);
    expect(exceededBudgets(m, { firstFolioNs: 600e3 })).toEqual([]);
    expect(exceededBudgets(m, { callNs: 20e6 })).toEqual(["call"]);
    expect(exceededBudgets(m, { cpu: { kind: "per-gib", ns: 300e6 } })).toEqual(["cpu"]);
    expect(exceededBudgets(m, { cpu: { kind: "cores", cores: 4 } })).toEqual([]);
    expect(
      exceededBudgets(m, { firstFolioNs: 1, callNs: 1, cpu: { kind: "cores", cores: 2 } }),
    ).toEqual(["latency", "call", "cpu"]);
  });
});

describe("choose", () => {
  it("takes the fastest feasible setting, and the least CPU within 1% of it", () => {
    const over = candidate({ migrator: "dcbm" }, { throughputGBps: 30, firstFolioNs: 900e3 });
    const fast = candidate({ migrator: "mtcopy" }, { throughputGBps: 20, cpuNsPerGiB: 300e6 });
    const near = candidate({ migrator: "dcbm" }, { throughputGBps: 19.9, cpuNsPerGiB: 50e6 });
    const slow = candidate({}, { throughputGBps: 10, cpuNsPerGiB: 10e6 });
    expect(over.exceeds).toEqual(["latency"]);
    expect(choose([over, fast, near, slow])).toBe(near);
    expect(choose([over, fast, slow])).toBe(fast);
    expect(choose([over])).toBeNull();
  });

  it("breaks full ties by latency, then by the search order", () => {
    const a = candidate({ migrator: "dcbm" }, { firstFolioNs: 200e3 });
    const b = candidate({ migrator: "dcbm" }, { firstFolioNs: 100e3 });
    const c = candidate({ migrator: "dcbm" }, { firstFolioNs: 100e3 });
    expect(choose([c, a, b])).toBe(b);
  });
});

describe("reasoning", () => {
  it("says which budget binds, what the other batch sizes give, and the gain over vanilla", () => {
    const vanilla = candidate({}, { throughputGBps: 10 });
    const both = (1 << MR_SYSCALL) | (1 << MR_DEMOTION);
    const engine = { migrator: "dcbm", workers: 4 } as const;
    const rec = candidate({ ...engine, batchPages: 512 }, { throughputGBps: 15 }, both);
    const bigger = candidate(
      { ...engine, batchPages: 4096 },
      { throughputGBps: 18, firstFolioNs: 2e6 },
      both,
    );
    const syscallOnly = candidate(
      { ...engine, batchPages: 512 },
      { throughputGBps: 12 },
      1 << MR_SYSCALL,
    );
    const text = reasoning(rec, vanilla, [vanilla, rec, bigger, syscallOnly], workload);
    expect(text[0]).toBe(
      "The latency budget (500 us to the first folio) binds: it rules out 1 faster setting, the fastest dcbm 4 ch, batch 4096, reasons syscall_or_cpuset,demotion at 18.00 GB/s with a first folio after 2000 us.",
    );
    expect(text[1]).toMatch(
      /^Batch 512 pages \(2M per batch\); with the same engine, batch 4096: 18\.00 GB\/s/,
    );
    expect(text[1]).toMatch(
      /over the latency budget\. Larger batches raise the first-folio latency/,
    );
    expect(text.at(-1)).toMatch(/^Against vanilla \(serial, batch 512\): \+50\.0% throughput/);
  });

  it("says why reasons are left to the vanilla flow", () => {
    const vanilla = candidate({}, { throughputGBps: 10 });
    const both = (1 << MR_SYSCALL) | (1 << MR_DEMOTION);
    const config = { ...VANILLA, migrator: "mtcopy" as const, workers: 16 };
    const all = candidate(config, { throughputGBps: 20, firstFolioNs: 900e3 }, both);
    const rec = {
      ...candidate(config, { throughputGBps: 14 }, 1 << MR_SYSCALL),
      config: all.config,
    };
    const text = reasoning(rec, vanilla, [vanilla, all, rec], workload).join("\n");
    expect(text).toMatch(
      /Reasons left to the vanilla flow: demotion; offloading them too would give 20\.00 GB\/s .* over the latency budget/,
    );
  });

  it("says when no budget binds, and when a near tie lost on CPU", () => {
    const vanilla = candidate({}, { throughputGBps: 10 });
    const rec = candidate({ migrator: "dcbm" }, { throughputGBps: 20, cpuNsPerGiB: 5e6 });
    const near = candidate(
      { migrator: "mtcopy", workers: 16 },
      { throughputGBps: 20.1, cpuNsPerGiB: 300e6 },
    );
    expect(choose([vanilla, rec, near])).toBe(rec);
    const text = reasoning(rec, vanilla, [vanilla, rec, near], workload);
    expect(text[0]).toBe("No budget binds: no faster setting in the search exceeds one.");
    expect(text.join("\n")).toMatch(
      /mtcopy 16 threads spread, batch 512, reasons none is \+0\.5% faster for 300\.00 instead of 5\.00 ms of CPU per GiB: within 1% of the fastest, the least CPU wins\./,
    );
  });
});

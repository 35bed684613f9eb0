import { describe, expect, it } from "vitest";
import { NODE_STATS, VM_EVENTS, VMSTAT_NAMES, Vmstat, vmstatDelta } from "./vmstat.js";

describe("Vmstat", () => {
  it("counts events and per-node stats, and sums nodes in the /proc/vmstat view", () => {
    const v = new Vmstat();
    v.count("pgmigrate_success", 512);
    v.count("thp_migration_success");
    v.addNode(0, "nr_isolated_anon", 16);
    v.addNode(3, "nr_isolated_anon", 4);
    v.addNode(3, "pgpromote_success", 7);
    v.addNode(0, "nr_isolated_anon", -6);
    expect(v.nodeStat(0, "nr_isolated_anon")).toBe(10);
    expect(v.nodeStat(1, "nr_isolated_anon")).toBe(0);
    const s = v.snapshot();
    expect(Object.keys(s)).toEqual([...NODE_STATS, ...VM_EVENTS]);
    expect(VMSTAT_NAMES).toEqual(Object.keys(s));
    expect(s.nr_isolated_anon).toBe(14);
    expect(s.pgpromote_success).toBe(7);
    expect(s.pgmigrate_success).toBe(512);
    expect(s.thp_migration_success).toBe(1);
    expect(s.pgmigrate_fail).toBe(0);
    const out = new Float64Array(VMSTAT_NAMES.length).fill(-1);
    v.read(out);
    expect([...out]).toEqual(Object.values(s));
  });

  it("rejects a node id that cannot index the table", () => {
    const v = new Vmstat();
    expect(() => v.addNode(-1, "nr_isolated_anon", 1)).toThrow(/node id/);
    expect(() => v.addNode(1.5, "nr_isolated_anon", 1)).toThrow(/node id/);
  });
});

describe("vmstatDelta", () => {
  it("keeps only the counters that moved, with their change", () => {
    const v = new Vmstat();
    v.count("pgmigrate_success", 3);
    const before = v.snapshot();
    v.count("pgmigrate_success", 512);
    v.count("thp_migration_success");
    v.addNode(1, "nr_isolated_anon", 8);
    v.addNode(1, "nr_isolated_anon", -8);
    v.addNode(0, "pgpromote_success", -2);
    expect(vmstatDelta(before, v.snapshot())).toEqual({
      pgpromote_success: -2,
      pgmigrate_success: 512,
      thp_migration_success: 1,
    });
  });
});

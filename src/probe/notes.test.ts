import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../machine/package-root.js";
import { probeNotes } from "./notes.js";
import { probeHost } from "./probe.js";
import { hostFs } from "./reader.js";

const facts = (name: string) =>
  probeHost(hostFs(join(packageRoot(), "test", "fixtures", "probe", name)));

describe("notes agree with the draft", () => {
  it("count only the memory nodes the draft keeps (4M or more)", () => {
    const f = facts("cxl-tier");
    // Node 2 keeps has_memory but holds less than one 4M block: the draft leaves it out.
    const nodes = f.nodes.map((n) => (n.id === 2 ? { ...n, memTotalBytes: 2 << 20 } : n));
    const notes = probeNotes({ ...f, nodes });
    expect(notes.some((n) => /memory without CPUs/.test(n))).toBe(false);
    expect(probeNotes(f)).toContain(
      "node 2: memory without CPUs (CXL or similar), modelled as kind cxl",
    );
  });

  it("a node has CPUs by its cpulist, has_cpu only where the cpulist is missing", () => {
    const f = facts("cxl-tier");
    // has_cpu claims node 2, but its cpulist is empty: CPU-less, as the draft takes it.
    const nodes = f.nodes.map((n) => (n.id === 2 ? { ...n, hasCpu: true } : n));
    expect(probeNotes({ ...f, nodes })).toContain(
      "node 2: memory without CPUs (CXL or similar), modelled as kind cxl",
    );
  });

  it("tiers with demotion_enabled missing: unknown, not off", () => {
    const f = { ...facts("cxl-tier"), demotionEnabled: null };
    const notes = probeNotes(f);
    expect(notes).toContain(
      "2 memory tiers, demotion unknown (no demotion_enabled): reclaim may or may not demote to the slower tier",
    );
    expect(notes.some((n) => /demotion is off/.test(n))).toBe(false);
  });

  it("a host no draft can be made of says why instead of promising a split", () => {
    const notes = probeNotes(facts("tiny"));
    expect(notes).toContain(
      "1 node with memory (4M or more): move_pages has no other node to migrate to on this host",
    );
    expect(notes.filter((n) => /numa=fake=2/.test(n))).toEqual([
      "cannot draft a profile: host node 0, the only memory node, has 4M in whole 4M blocks; split in two halves (numa=fake=2), each needs at least 4M",
    ]);
  });
});

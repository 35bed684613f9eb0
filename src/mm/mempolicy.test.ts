import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import {
  checkPolicy,
  fallbackOrder,
  interleaveIndex,
  type Mempolicy,
  MPOL_BIND,
  MPOL_DEFAULT,
  MPOL_INTERLEAVE,
  MPOL_LOCAL,
  MPOL_PREFERRED,
  MPOL_PREFERRED_MANY,
  MPOL_WEIGHTED_INTERLEAVE,
  policyNodes,
  weightedInterleaveNid,
} from "./mempolicy.js";
import { PhysMem } from "./phys.js";
import { MmStruct, VM_READ, VM_WRITE } from "./vm.js";

// DRAM0 and CXL on socket 0, DRAM1 on socket 1.
const cxl = loadProfile("zen5-2s-cxl");

describe("memory policies", () => {
  it("fall back by distance: the node, its socket's DRAM, its far memory, the other socket", () => {
    expect(fallbackOrder(cxl, 0)).toEqual([0, 2, 1]);
    expect(fallbackOrder(cxl, 1)).toEqual([1, 0, 2]);
    expect(fallbackOrder(cxl, 2)).toEqual([2, 0, 1]);
  });

  it("place a fault by mode: local, preferred, bind within its nodes, preferred-many first", () => {
    const nodes = (pol: Mempolicy, local = 0) => policyNodes(cxl, pol, local, 0);
    expect(nodes({ mode: MPOL_DEFAULT, nodes: [] }, 1)).toEqual([1, 0, 2]);
    expect(nodes({ mode: MPOL_LOCAL, nodes: [] })).toEqual([0, 2, 1]);
    expect(nodes({ mode: MPOL_PREFERRED, nodes: [2] })).toEqual([2, 0, 1]);
    expect(nodes({ mode: MPOL_BIND, nodes: [1, 2] })).toEqual([2, 1]);
    expect(nodes({ mode: MPOL_PREFERRED_MANY, nodes: [1] })).toEqual([1, 0, 2]);
  });

  it("interleave consecutive folios of a mapping round-robin over the nodes", () => {
    const mm = new MmStruct(1, new PhysMem([{ nid: 0, bytes: 1 << 30 }]));
    const vma = mm.mmap(64 << 20, VM_READ | VM_WRITE);
    const pol: Mempolicy = { mode: MPOL_INTERLEAVE, nodes: [0, 1, 2] };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 20 }), (order, i) => {
        const size = 4096 << order;
        fc.pre((i + 1) * size <= 64 << 20);
        const a = interleaveIndex(vma, vma.start + i * size, order);
        const b = interleaveIndex(vma, vma.start + (i + 1) * size, order);
        expect(b).toBe(a + 1);
        const first = policyNodes(cxl, pol, 0, a)[0];
        const next = policyNodes(cxl, pol, 0, b)[0];
        expect(next).toBe(pol.nodes[(pol.nodes.indexOf(first) + 1) % 3]);
      }),
    );
  });

  it("weighted interleave gives each node its weight's share of every period", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 3 }),
        (w) => {
          const pol: Mempolicy = {
            mode: MPOL_WEIGHTED_INTERLEAVE,
            nodes: w.map((_, i) => i),
            weights: w,
          };
          const total = w.reduce((a, b) => a + b, 0);
          const got = w.map(() => 0);
          for (let ilx = 0; ilx < total; ilx++) got[weightedInterleaveNid(pol, ilx)]++;
          expect(got).toEqual(w);
          // A node's pages are consecutive within a period, in node order.
          expect(weightedInterleaveNid(pol, 0)).toBe(0);
          expect(weightedInterleaveNid(pol, total - 1)).toBe(w.length - 1);
        },
      ),
    );
  });

  it("refuses what set_mempolicy(2) refuses, with the reason", () => {
    expect(checkPolicy(cxl, { mode: MPOL_BIND, nodes: [] })).toBe("bind needs at least one node");
    expect(checkPolicy(cxl, { mode: MPOL_LOCAL, nodes: [0] })).toBe("local takes no nodes");
    expect(checkPolicy(cxl, { mode: MPOL_PREFERRED, nodes: [0, 1] })).toBe(
      "preferred takes one node",
    );
    expect(checkPolicy(cxl, { mode: MPOL_INTERLEAVE, nodes: [0, 3] })).toBe(
      "node 3 does not exist",
    );
    expect(checkPolicy(cxl, { mode: MPOL_INTERLEAVE, nodes: [1, 0] })).toBe(
      "nodes must be ascending and distinct",
    );
    expect(
      checkPolicy(cxl, { mode: MPOL_WEIGHTED_INTERLEAVE, nodes: [0, 2], weights: [3, 0] }),
    ).toBe("weight 0 is not in 1..255");
    expect(
      checkPolicy(cxl, { mode: MPOL_WEIGHTED_INTERLEAVE, nodes: [0, 2], weights: [3, 1] }),
    ).toBeNull();
  });
});

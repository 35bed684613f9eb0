import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { EINVAL } from "./errno.js";
import {
  checkPolicy,
  DEFAULT_POLICY,
  doSetMempolicy,
  fallbackOrder,
  getVmaPolicy,
  interleaveIndex,
  type Mempolicy,
  MPOL_BIND,
  MPOL_DEFAULT,
  MPOL_F_NUMA_BALANCING,
  MPOL_F_RELATIVE_NODES,
  MPOL_F_STATIC_NODES,
  MPOL_INTERLEAVE,
  MPOL_LOCAL,
  MPOL_MAX,
  MPOL_PREFERRED,
  MPOL_PREFERRED_MANY,
  MPOL_WEIGHTED_INTERLEAVE,
  mpolNew,
  policyNodes,
  weightedInterleaveNid,
} from "./mempolicy.js";
import { PhysMem } from "./phys.js";
import { Task } from "./task.js";
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

describe("set_mempolicy(2) (do_set_mempolicy)", () => {
  const task = () => new Task(1, 0, new MmStruct(1, new PhysMem([{ nid: 0, bytes: 1 << 30 }])));
  const pol = (mode: number, nodes: number[], weights?: number[]): Mempolicy =>
    weights === undefined ? { mode, nodes } : { mode, nodes, weights };

  it("refuses a bad mode, bad mode flags and an empty or missing nodemask with -EINVAL, keeping the old policy", () => {
    const t = task();
    expect(doSetMempolicy(cxl, t, pol(MPOL_INTERLEAVE, [0, 1]))).toBe(0);
    const before = t.mempolicy;
    const refused = [
      pol(MPOL_MAX, [0]),
      pol(-1, []),
      pol(MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES, [0]),
      pol(MPOL_INTERLEAVE | MPOL_F_NUMA_BALANCING, [0]),
      pol(MPOL_BIND | (1 << 12), [0]),
      pol(MPOL_BIND, []),
      pol(MPOL_INTERLEAVE, []),
      pol(MPOL_WEIGHTED_INTERLEAVE, []),
      pol(MPOL_PREFERRED_MANY, []),
      pol(MPOL_DEFAULT, [0]),
      pol(MPOL_LOCAL, [1]),
      pol(MPOL_LOCAL | MPOL_F_STATIC_NODES, []),
      pol(MPOL_PREFERRED | MPOL_F_STATIC_NODES, []),
      pol(MPOL_PREFERRED | MPOL_F_RELATIVE_NODES, []),
      pol(MPOL_LOCAL | MPOL_F_RELATIVE_NODES, []),
      // Only nodes the machine lacks: nothing left after mpol_set_nodemask().
      pol(MPOL_BIND, [3, 7]),
      // get_nodes(): past MAX_NUMNODES.
      pol(MPOL_BIND, [0, 1024]),
      pol(MPOL_WEIGHTED_INTERLEAVE, [0, 1], [1, 256]),
      pol(MPOL_INTERLEAVE, [0, 1], [1, 1]),
    ];
    for (const p of refused) {
      expect(doSetMempolicy(cxl, t, p), JSON.stringify(p)).toBe(-EINVAL);
      expect(t.mempolicy).toBe(before);
    }
  });

  it("throws on the mode flags it does not model rather than ignore them", () => {
    expect(() => mpolNew(cxl, task(), pol(MPOL_BIND | MPOL_F_NUMA_BALANCING, [0]))).toThrow(
      "not modelled",
    );
    expect(() => mpolNew(cxl, task(), pol(MPOL_INTERLEAVE | MPOL_F_RELATIVE_NODES, [0]))).toThrow(
      "not modelled",
    );
  });

  it("builds the policy the kernel does: default clears it, preferred keeps its first node or is local, absent nodes dropped", () => {
    const t = task();
    expect(mpolNew(cxl, t, pol(MPOL_DEFAULT, []))).toBeNull();
    expect(mpolNew(cxl, t, pol(MPOL_PREFERRED, []))).toEqual(pol(MPOL_LOCAL, []));
    expect(mpolNew(cxl, t, pol(MPOL_PREFERRED, [2, 1]))).toEqual(pol(MPOL_PREFERRED, [1]));
    expect(mpolNew(cxl, t, pol(MPOL_BIND | MPOL_F_STATIC_NODES, [5, 2, 0, 2]))).toEqual(
      pol(MPOL_BIND, [0, 2]),
    );
    expect(mpolNew(cxl, t, pol(MPOL_WEIGHTED_INTERLEAVE, [2, 9, 0], [3, 4, 5]))).toEqual(
      pol(MPOL_WEIGHTED_INTERLEAVE, [0, 2], [5, 3]),
    );
    // A cpuset's mems_allowed cuts the mask too.
    t.memsAllowed = new Set([1]);
    expect(mpolNew(cxl, t, pol(MPOL_INTERLEAVE, [0, 1, 2]))).toEqual(pol(MPOL_INTERLEAVE, [1]));
    expect(mpolNew(cxl, t, pol(MPOL_BIND, [0, 2]))).toBe(-EINVAL);
    expect(doSetMempolicy(cxl, t, pol(MPOL_INTERLEAVE, [1]))).toBe(0);
    expect(doSetMempolicy(cxl, t, pol(MPOL_DEFAULT, []))).toBe(0);
    expect(t.mempolicy).toBeNull();
  });

  it("a VMA without a policy takes the task's, a VMA's own policy comes first (get_vma_policy)", () => {
    const t = task();
    const vma = (t.mm as MmStruct).mmap(8 << 20, VM_READ | VM_WRITE);
    expect(getVmaPolicy(vma, t)).toBe(DEFAULT_POLICY);
    expect(doSetMempolicy(cxl, t, pol(MPOL_INTERLEAVE, [0, 1]))).toBe(0);
    expect(getVmaPolicy(vma, t)).toEqual(pol(MPOL_INTERLEAVE, [0, 1]));
    vma.policy = pol(MPOL_BIND, [2]);
    expect(getVmaPolicy(vma, t)).toBe(vma.policy);
  });

  it("any valid argument gives a policy checkPolicy accepts, on nodes the task may use", () => {
    const modes = [MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_PREFERRED_MANY, MPOL_LOCAL];
    fc.assert(
      fc.property(
        fc.constantFrom(...modes, MPOL_WEIGHTED_INTERLEAVE, MPOL_DEFAULT),
        fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 5 }),
        fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1 })),
        (mode, nodes, mems) => {
          const t = task();
          t.memsAllowed = mems === null ? null : new Set(mems);
          const p = mpolNew(cxl, t, pol(mode, nodes));
          if (typeof p === "number") {
            expect(p).toBe(-EINVAL);
            return;
          }
          if (p === null) {
            expect(mode).toBe(MPOL_DEFAULT);
            return;
          }
          expect(checkPolicy(cxl, p)).toBeNull();
          for (const n of p.nodes) {
            expect(nodes).toContain(n);
            if (mems !== null) expect(mems).toContain(n);
          }
        },
      ),
    );
  });
});

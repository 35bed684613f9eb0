import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { NODE_MEMORY_UNIT as BLOCK_BYTES } from "../machine/memory-layout.js";
import { loadProfile } from "../machine/profile.js";
import { toProfileDocument, validateProfile } from "../machine/schema.js";
import { fitAddressSpace, halves } from "./memory.js";

const TiB = 2 ** 40;
const { dma: _, ...base } = toProfileDocument(loadProfile("zen3-2s-ptdma"));

/** Whether the schema takes nodes of these sizes (one socket: a dram node, the rest cxl). */
function loads(memory: readonly number[]): true | string[] {
  const v = validateProfile({
    ...base,
    topology: {
      ...base.topology,
      sockets: 1,
      ccdsPerSocket: 1,
      nodes: memory.map((m, id) => ({ id, socket: 0, memory: m, kind: id === 0 ? "dram" : "cxl" })),
    },
  });
  return v.ok || v.problems;
}

describe("node memory the model can hold", () => {
  it("leaves memory that fits alone", () => {
    expect(fitAddressSpace([4 * TiB, 4 * TiB - 2 ** 30])).toEqual({
      memory: [4 * TiB, 4 * TiB - 2 ** 30],
    });
  });

  it("scales 2 x 6T down in proportion to fit, and says so", () => {
    const fit = fitAddressSpace([6 * TiB, 6 * TiB]);
    expect(fit.memory[0]).toBe(fit.memory[1]);
    expect(loads(fit.memory)).toBe(true);
    expect(loads([6 * TiB, 6 * TiB])).not.toBe(true);
    expect(fit.remark).toMatch(/^memory: the host's 12T spans more than the model's 8388480M/);
  });

  it("any sizes, however large, fit after scaling: whole blocks, at least one each", () => {
    // Up to 2^53 bytes a node: the most MemTotal the probe takes.
    const block = fc.integer({ min: 1, max: 2 ** 31 - 1 });
    fc.assert(
      fc.property(fc.array(block, { minLength: 2, maxLength: 64 }), (blocks) => {
        const fit = fitAddressSpace(blocks.map((b) => b * BLOCK_BYTES));
        for (const m of fit.memory) {
          expect(m % BLOCK_BYTES).toBe(0);
          expect(m).toBeGreaterThanOrEqual(BLOCK_BYTES);
        }
        expect(loads(fit.memory)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it("refuses a node too small to split into two 4M halves", () => {
    expect(halves(0, 8 << 20)).toBe(4 << 20);
    expect(() => halves(3, 4 << 20)).toThrow(UsageError);
    expect(() => halves(3, 4 << 20)).toThrow(/host node 3, the only memory node, has 4M/);
  });
});

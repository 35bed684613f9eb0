import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PAGE_SIZE } from "../../mm/folio.js";
import { PhysMem } from "../../mm/phys.js";
import { MmStruct, VM_READ, VM_WRITE } from "../../mm/vm.js";
import { AppRegion } from "./app.js";

function region(folioSize: number): AppRegion {
  const mm = new MmStruct(1, new PhysMem([{ nid: 0, bytes: 64 << 20 }]));
  return new AppRegion(mm.mmap(64 * PAGE_SIZE, VM_READ | VM_WRITE), folioSize);
}

describe("AppRegion.placeEach", () => {
  it("leaves the nodes and bytes by node (in their order) that place() a page at a time leaves", () => {
    const step = fc.record({
      first: fc.nat({ max: 63 }),
      nids: fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 64 }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), (steps) => {
        const one = region(PAGE_SIZE);
        const each = region(PAGE_SIZE);
        for (const { first, nids } of steps) {
          const n = Math.min(nids.length, 64 - first);
          const oneBefore = one.version;
          const eachBefore = each.version;
          for (let i = 0; i < n; i++) one.place(first + i, 1, nids[i]);
          each.placeEach(first, Uint8Array.from(nids), n);
          expect([...each.bytesByNode]).toEqual([...one.bytesByNode]);
          for (let p = 0; p < 64; p++) expect(each.nidOfPage(p)).toBe(one.nidOfPage(p));
          // The version moves exactly when some page's node did.
          expect(each.version !== eachBefore).toBe(one.version !== oneBefore);
        }
      }),
    );
  });

  it("is for regions of 4K folios", () => {
    expect(() => region(2 * PAGE_SIZE).placeEach(0, Uint8Array.of(0), 1)).toThrow(/large/);
  });
});

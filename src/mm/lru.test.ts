import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Folio, PG } from "./folio.js";
import { LruLists, type Lruvec } from "./lru.js";

/** A list's folios oldest first, walked through its links. */
function walk(v: Lruvec, active: boolean): Folio[] {
  const out: Folio[] = [];
  for (let f = v.oldest(active); f !== null; f = v.newer(f)) out.push(f);
  return out;
}

/** Folios with ids, some large, on nodes 0 and 1 (ids spread so the links grow). */
function folios(n: number): Folio[] {
  return Array.from({ length: n }, (_, i) => {
    const f = new Folio(i * 512, i % 3 === 0 ? 9 : 0, i % 2);
    f.id = i * 700;
    return f;
  });
}

describe("LruLists", () => {
  it("keeps each node's lists in the order an ordered set would, with their page counts", () => {
    const op = fc.record({
      add: fc.boolean(),
      folio: fc.nat(11),
      active: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const fs = folios(12);
        const lru = new LruLists();
        // The reference: an insertion-ordered set per (node, list); an add moves a folio to
        // the newest end of the list its PG_active names.
        const ref = [new Set<Folio>(), new Set<Folio>(), new Set<Folio>(), new Set<Folio>()];
        for (const { add, folio, active } of ops) {
          const f = fs[folio];
          for (const s of ref) s.delete(f);
          if (add) {
            if (active) f.set(PG.active);
            else f.clear(PG.active);
            lru.add(f);
            ref[2 * f.nid + (active ? 1 : 0)].add(f);
          } else {
            lru.del(f);
          }
        }
        for (const nid of [0, 1]) {
          const v = lru.lruvec(nid);
          for (const active of [false, true]) {
            const want = [...ref[2 * nid + (active ? 1 : 0)]];
            expect(walk(v, active)).toEqual(want);
            expect(v.pages(active)).toBe(want.reduce((a, f) => a + f.nrPages, 0));
          }
        }
      }),
    );
  });

  it("refuses a folio without an id, which it could not link", () => {
    expect(() => new LruLists().add(new Folio(0, 0, 0))).toThrow(/no id/);
  });
});

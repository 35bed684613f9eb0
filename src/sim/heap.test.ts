import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type HeapEntry, IndexedHeap } from "./heap.js";

interface Item extends HeapEntry {
  id: number;
}

function item(id: number): Item {
  return { id, time: 0, seq: 0, heapIndex: -1 };
}

describe("IndexedHeap", () => {
  it("pops in time order, FIFO among equal times", () => {
    const h = new IndexedHeap<Item>();
    const times = [5, 1, 5, 3, 1, 5, 0];
    times.forEach((t, i) => {
      h.push(item(i), t);
    });
    const out: number[] = [];
    for (let e = h.pop(); e !== undefined; e = h.pop()) out.push(e.id);
    expect(out).toEqual([6, 1, 4, 3, 0, 2, 5]);
    expect(h.size).toBe(0);
  });

  it("moves the last entry up when it lands below a larger parent on removal", () => {
    const h = new IndexedHeap<Item>();
    const items = [0, 10, 1, 11, 12, 2, 3].map(item);
    for (const e of items) h.push(e, e.id);
    // Slot 3 (key 11) sits under key 10; the last entry, key 3, must move above it.
    expect(h.remove(items[3])).toBe(true);
    expect(items[6].heapIndex).toBe(1);
    const out: number[] = [];
    for (let e = h.pop(); e !== undefined; e = h.pop()) out.push(e.id);
    expect(out).toEqual([0, 1, 2, 3, 10, 12]);
  });

  it("remove takes out an arbitrary entry and reports whether it was queued", () => {
    const h = new IndexedHeap<Item>();
    const items = [0, 1, 2, 3, 4].map(item);
    items.forEach((e, i) => {
      h.push(e, 10 - i);
    });
    expect(h.remove(items[2])).toBe(true);
    expect(items[2].heapIndex).toBe(-1);
    expect(h.remove(items[2])).toBe(false);
    expect(h.peek()?.id).toBe(4);
    const out: number[] = [];
    for (let e = h.pop(); e !== undefined; e = h.pop()) out.push(e.id);
    expect(out).toEqual([4, 3, 1, 0]);
  });

  it("refuses to queue an entry twice or to update another heap's entry", () => {
    const h = new IndexedHeap<Item>();
    const e = item(0);
    h.push(e, 1);
    expect(() => h.push(e, 2)).toThrow(/already queued/);
    const other = new IndexedHeap<Item>();
    other.push(item(1), 0);
    expect(() => other.update(e, 3)).toThrow(/another heap/);
  });

  it("update queues an entry that is not queued", () => {
    const h = new IndexedHeap<Item>();
    const e = item(0);
    h.update(e, 4);
    expect(h.pop()).toBe(e);
    expect(e.time).toBe(4);
  });

  it("matches a sorted reference under random push/pop/remove", () => {
    type Op =
      | { kind: "push"; time: number }
      | { kind: "pop" }
      | { kind: "remove"; pick: number }
      | { kind: "update"; pick: number; time: number };
    // Pushes outnumber the rest so heaps grow deep enough for a removal to pull an entry up.
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        arbitrary: fc.record({
          kind: fc.constant("push" as const),
          time: fc.integer({ min: 0, max: 50 }),
        }),
        weight: 4,
      },
      { arbitrary: fc.record({ kind: fc.constant("pop" as const) }), weight: 1 },
      { arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }), weight: 2 },
      {
        arbitrary: fc.record({
          kind: fc.constant("update" as const),
          pick: fc.nat(),
          time: fc.integer({ min: 0, max: 50 }),
        }),
        weight: 2,
      },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 300, size: "max" }), (ops) => {
        const h = new IndexedHeap<Item>();
        // Reference: entries with the key they were pushed with, kept sorted by (time, order).
        const ref: { e: Item; time: number; order: number }[] = [];
        let order = 0;
        let nextId = 0;
        for (const o of ops) {
          if (o.kind === "push") {
            const e = item(nextId++);
            h.push(e, o.time);
            ref.push({ e, time: o.time, order: order++ });
            ref.sort((a, b) => a.time - b.time || a.order - b.order);
          } else if (o.kind === "pop") {
            expect(h.pop()).toBe(ref.shift()?.e);
          } else if (o.kind === "remove") {
            if (ref.length > 0) {
              const [victim] = ref.splice(o.pick % ref.length, 1);
              expect(h.remove(victim.e)).toBe(true);
            }
          } else if (ref.length > 0) {
            // An update behaves as remove then push: last among entries at its new time.
            const moved = ref[o.pick % ref.length];
            h.update(moved.e, o.time);
            moved.time = o.time;
            moved.order = order++;
            ref.sort((a, b) => a.time - b.time || a.order - b.order);
          }
          expect(h.size).toBe(ref.length);
          expect(h.peek()).toBe(ref[0]?.e);
        }
        const rest: Item[] = [];
        for (let e = h.pop(); e !== undefined; e = h.pop()) rest.push(e);
        expect(rest).toEqual(ref.map((r) => r.e));
      }),
      { numRuns: 300 },
    );
  });
});

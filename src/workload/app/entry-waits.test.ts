import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EntryWaits, type Unmapping } from "./entry-waits.js";

type Wait = [key: number, from: number, to: number];
/** Folio `id`'s unmap, told to one thread (slot 0). */
type Unmap = Unmapping & { id: number };

/**
 * A thread's log whose waits are collected (by folio id), and `u`, the unmap of a folio by its
 * id (one unmap per folio, as each test tells).
 */
function log(): { w: EntryWaits<Unmap>; waits: Wait[]; u: (id: number) => Unmap } {
  const waits: Wait[] = [];
  const unmaps = new Map<number, Unmap>();
  const u = (id: number) => {
    let x = unmaps.get(id);
    if (x === undefined) {
      x = { id, next: [], draws: [], unmapNs: Number.NaN };
      unmaps.set(id, x);
    }
    return x;
  };
  return { w: new EntryWaits<Unmap>(0, (k, a, b) => waits.push([k.id, a, b])), waits, u };
}

describe("EntryWaits: a thread waits in one migration entry at a time", () => {
  it("counts overlapping entries once: the next access comes after the wait, later by its length", () => {
    const { w, waits, u } = log();
    w.stopAt(1000);
    // Two folios unmapped at 0; the thread would touch A after 10 ns of running, B after 20.
    w.unmapped(u(1), 0, 10);
    w.unmapped(u(2), 0, 20);
    w.remapped(u(1), 100);
    w.remapped(u(2), 150);
    // Blocked on A over [10, 100]; it had run 10 ns, so B's access comes 10 ns after: [110, 150].
    expect(w.within(0, 1000)).toBe(130);
    expect(waits).toEqual([
      [1, 10, 100],
      [2, 110, 150],
    ]);
  });

  it("never waits on a folio mapped again before the thread touched it", () => {
    const { w, waits, u } = log();
    w.stopAt(1000);
    w.unmapped(u(1), 0, 50);
    w.remapped(u(1), 40);
    expect(w.within(0, 1000)).toBe(0);
    expect(waits).toEqual([]);
  });

  it("counts a wait not over yet until the quantum's end, and the rest in the next", () => {
    const { w, waits, u } = log();
    w.stopAt(300);
    w.unmapped(u(1), 50, 10);
    expect(w.within(0, 100)).toBe(40);
    w.remapped(u(1), 130);
    expect(w.within(100, 200)).toBe(30);
    expect(waits).toEqual([[1, 60, 130]]);
  });

  // Folios unmapped and mapped again by tasks whose times run ahead of the simulator's by a
  // lead: each event is told in the quantum its task got to it, in any order within it.
  const events = fc.array(
    fc.record({
      unmap: fc.integer({ min: 0, max: 2000 }),
      hold: fc.integer({ min: 1, max: 400 }),
      run: fc.integer({ min: 0, max: 300 }),
      lead: fc.integer({ min: 0, max: 300 }),
      order: fc.integer(),
    }),
    { maxLength: 60 },
  );

  it("waits never overlap, never exceed a quantum, add up to what the quanta counted, and do not depend on the order they are told in", () => {
    fc.assert(
      fc.property(events, fc.integer({ min: 10, max: 500 }), (evs, q) => {
        const end = 2000;
        const told = evs.flatMap((e, key) => [
          { key, ns: e.unmap, run: e.run, at: Math.max(0, e.unmap - e.lead), order: e.order },
          {
            key,
            ns: e.unmap + e.hold,
            run: -1,
            at: Math.max(0, e.unmap + e.hold - e.lead),
            order: e.order,
          },
        ]);
        const play = (shuffled: boolean) => {
          const { w, waits, u } = log();
          w.stopAt(end);
          const tell = (t: (typeof told)[number]) =>
            t.run < 0 ? w.remapped(u(t.key), t.ns) : w.unmapped(u(t.key), t.ns, t.run);
          const quanta: number[] = [];
          for (let from = 0; from < end; from += q) {
            const to = Math.min(end, from + q);
            const now = told.filter((t) => t.at >= from && t.at < to);
            // Keys interleave at random; a key's unmap is told before its remap (one task's
            // events are in order).
            if (shuffled) now.sort((a, b) => a.order - b.order || a.key - b.key || a.ns - b.ns);
            else now.sort((a, b) => a.ns - b.ns || a.key - b.key);
            for (const t of now) tell(t);
            quanta.push(w.within(from, to));
          }
          for (const t of told.filter((t) => t.at >= end)) tell(t);
          return { quanta, waits };
        };
        const a = play(true);
        const b = play(false);
        // Ties between keys are the one place the order told may matter.
        const ties = new Set(told.map((t) => t.ns)).size < told.length;
        if (!ties) expect(a.waits).toEqual(b.waits);
        for (const { quanta, waits } of [a, b]) {
          quanta.forEach((ns, i) => {
            expect(ns).toBeLessThanOrEqual(Math.min(end, (i + 1) * q) - i * q + 1e-9);
          });
          for (let i = 0; i < waits.length; i++) {
            const [key, from, to] = waits[i];
            expect(to).toBe(evs[key].unmap + evs[key].hold);
            expect(from).toBeGreaterThanOrEqual(evs[key].unmap);
            expect(from).toBeLessThan(to);
            if (i > 0) expect(from).toBeGreaterThanOrEqual(waits[i - 1][2]);
          }
          const inRun = waits.reduce((s, [, f, t]) => s + Math.max(0, Math.min(t, end) - f), 0);
          expect(quanta.reduce((s, x) => s + x, 0)).toBeCloseTo(inRun, 6);
        }
      }),
    );
  });
});

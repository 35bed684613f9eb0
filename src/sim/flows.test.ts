import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Flow, FlowNetwork, type Resource } from "./flows.js";
import { Simulator, type Yieldable } from "./simulator.js";

function setup(): { sim: Simulator; net: FlowNetwork } {
  const sim = new Simulator();
  return { sim, net: new FlowNetwork(sim) };
}

/** Record when each flow finishes. */
function finishTimes(sim: Simulator, flows: Flow[]): number[] {
  const at = flows.map(() => Number.NaN);
  flows.forEach((f, i) => {
    f.done.onTrigger(() => {
      at[i] = sim.now;
    });
  });
  return at;
}

describe("FlowNetwork", () => {
  it("gives a lone flow min(capacity, maxRate)", () => {
    const { sim, net } = setup();
    const link = net.addResource("link", 10);
    const free = net.start(1000, [link]);
    expect(free.rate).toBe(10);
    sim.run();
    expect(free.finishedAt).toBe(100);
    const capped = net.start(1000, [link], { maxRate: 4, name: "core" });
    expect(capped.name).toBe("core");
    expect(capped.rate).toBe(4);
    sim.run();
    expect(capped.finishedAt).toBe(350);
    expect(link.bytesCarried).toBe(2000);
    expect(link.busyNs).toBe(350);
  });

  it("stops a flow midway: it delivered what it carried, and the others take its share", () => {
    const { sim, net } = setup();
    const link = net.addResource("link", 10);
    const a = net.start(1000, [link]);
    const b = net.start(1000, [link]);
    sim.run(40);
    expect(net.stop(a)).toBeCloseTo(200, 9);
    expect(a.done.triggered).toBe(true);
    expect(b.rate).toBe(10);
    sim.run();
    // b: 200 bytes by t = 40 at 5 GB/s, then 800 at 10.
    expect(b.finishedAt).toBeCloseTo(120, 9);
    expect(link.bytesCarried).toBeCloseTo(1200, 6);
    expect(net.stop(b)).toBe(1000);
  });

  it("shares one link equally between two flows", () => {
    const { sim, net } = setup();
    const link = net.addResource("link", 10);
    const flows = [net.start(1000, [link]), net.start(1000, [link])];
    expect(flows.map((f) => f.rate)).toEqual([5, 5]);
    const at = finishTimes(sim, flows);
    sim.run();
    expect(at).toEqual([200, 200]);
  });

  it("gives the textbook max-min rates on the two-link line network", () => {
    const { net } = setup();
    const l1 = net.addResource("l1", 1);
    const l2 = net.addResource("l2", 1);
    const long = net.start(100, [l1, l2]);
    const a = net.start(100, [l1]);
    const b = net.start(100, [l2]);
    expect([long.rate, a.rate, b.rate]).toEqual([0.5, 0.5, 0.5]);
  });

  it("gives the bottleneck's share to the long flow and the rest to the short one", () => {
    const { sim, net } = setup();
    const l1 = net.addResource("l1", 10);
    const l2 = net.addResource("l2", 4);
    const long = net.start(1000, [l1, l2], { name: "long" });
    const b = net.start(1000, [l1], { name: "b" });
    const c = net.start(200, [l2], { name: "c" });
    // l2 saturates first at 2 each; l1's remaining 8 goes to b.
    expect([long.rate, b.rate, c.rate]).toEqual([2, 8, 2]);
    const at = finishTimes(sim, [long, b, c]);
    sim.run(100);
    // c is done at 100: long alone on l2 may now take 4, leaving 6 of l1 for b.
    expect(at[2]).toBe(100);
    expect([long.rate, b.rate]).toEqual([4, 6]);
    expect(long.remaining).toBe(800);
    expect(b.remaining).toBe(200);
    sim.run();
    expect(at[1]).toBeCloseTo(100 + 200 / 6, 9);
    expect(at[0]).toBeCloseTo(300, 9);
    expect(l1.bytesCarried).toBeCloseTo(2000, 9);
    expect(l2.bytesCarried).toBeCloseTo(1200, 9);
    expect(l2.busyNs).toBeCloseTo(300, 9);
  });

  it("hands a finished flow's bandwidth to the rest", () => {
    const { sim, net } = setup();
    const link = net.addResource("link", 10);
    const small = net.start(500, [link]);
    const big = net.start(1500, [link]);
    const at = finishTimes(sim, [small, big]);
    sim.run(150);
    expect(at[0]).toBe(100);
    expect(big.rate).toBe(10);
    expect(big.remaining).toBe(500);
    expect(link.bytesCarried).toBe(1500);
    sim.run();
    expect(at[1]).toBe(200);
    expect(big.rate).toBe(0);
  });

  it("slows a running flow when another joins, and requeues its completion", () => {
    const { sim, net } = setup();
    const link = net.addResource("link", 10);
    const first = net.start(1000, [link]);
    let second: Flow | undefined;
    sim.at(50, () => {
      second = net.start(250, [link]);
    });
    const at = finishTimes(sim, [first]);
    sim.run();
    // 500 bytes alone by 50, then 250 at 5/ns for 50 ns, then the last 250 alone.
    expect(second?.finishedAt).toBe(100);
    expect(at[0]).toBe(125);
  });

  it("retires flows that finish at the same instant together, leaving no sliver", () => {
    const { sim, net } = setup();
    const link = net.addResource("link", 3);
    const a = net.start(0.7, [link]);
    let b: Flow | undefined;
    // b is exactly what a has left at 0.1, so both end at 0.1 + 0.6 / 6; in floats b's
    // last bytes come out a hair away from a's.
    sim.at(0.1, () => {
      b = net.start(0.7 - 3 * 0.1, [link]);
    });
    let bLeftWhenADone = Number.NaN;
    a.done.onTrigger(() => {
      bLeftWhenADone = net.active.length === 0 && b !== undefined ? b.remaining : Number.NaN;
    });
    sim.run();
    expect(bLeftWhenADone).toBe(0);
    expect(b?.finishedAt).toBe(a.finishedAt);
    expect(link.bytesCarried).toBe(0.7 + (0.7 - 3 * 0.1));
  });

  it("respects per-flow caps and gives the leftover to uncapped flows", () => {
    const { net } = setup();
    const link = net.addResource("link", 10);
    const capped = net.start(100, [link], { maxRate: 2 });
    const x = net.start(100, [link]);
    const y = net.start(100, [link], { maxRate: 3.5 });
    expect([capped.rate, x.rate, y.rate]).toEqual([2, 4.5, 3.5]);
    expect(link.used).toBe(10);
  });

  it("counts a resource listed twice as used twice", () => {
    const { sim, net } = setup();
    const mc = net.addResource("mc", 10);
    const f = net.start(100, [mc, mc]);
    expect(f.rate).toBe(5);
    sim.run();
    expect(mc.bytesCarried).toBe(200);
  });

  it("runs a pathless flow at its cap", () => {
    const { sim, net } = setup();
    const f = net.start(100, [], { maxRate: 4 });
    expect(f.rate).toBe(4);
    sim.run();
    expect(f.finishedAt).toBe(25);
  });

  it("completes a 0-byte flow on start, and a process waiting on it at the same time", () => {
    const { sim, net } = setup();
    const link = net.addResource("link", 1);
    const f = net.start(0, [link]);
    expect(f.done.triggered).toBe(true);
    expect(f.finishedAt).toBe(0);
    function* p(): Generator<Yieldable, number, unknown> {
      yield 7;
      yield net.transfer(0, [link]);
      return sim.now;
    }
    expect(sim.runUntilDone(sim.spawn(p()))).toBe(7);
    expect(link.busyNs).toBe(0);
  });

  it("drives processes that yield transfers", () => {
    const { sim, net } = setup();
    const link = net.addResource("link", 2);
    function* copier(bytes: number): Generator<Yieldable, number, unknown> {
      yield net.transfer(bytes, [link]);
      return sim.now;
    }
    function* main(): Generator<Yieldable, unknown, unknown> {
      return yield sim.allOf([sim.spawn(copier(100)), sim.spawn(copier(300))]);
    }
    // Both at 1/ns until 100, then the second alone at 2/ns for its last 200.
    expect(sim.runUntilDone(sim.spawn(main()))).toEqual([100, 200]);
  });

  it("shares a flow of weight w as w flows: w times the level, or its cap", () => {
    const { net } = setup();
    const link = net.addResource("link", 8);
    const three = net.start(100, [link], { weight: 3 });
    const one = net.start(100, [link]);
    expect([three.rate, one.rate]).toEqual([6, 2]);
    // Capped below its three shares, it leaves the rest to the other.
    net.setMaxRate(three, 3);
    expect([three.rate, one.rate]).toEqual([3, 5]);
  });

  it("runs a stream until stopped: it never completes, and delivers what its rate carried", () => {
    const { sim, net } = setup();
    const link = net.addResource("link", 10);
    const stream = net.start(Number.POSITIVE_INFINITY, [link], { maxRate: 4 });
    const other = net.start(300, [link]);
    expect([stream.rate, other.rate]).toEqual([4, 6]);
    sim.run(100);
    // The other finished at 50; the stream kept its cap, and is still running.
    expect(other.finishedAt).toBe(50);
    expect(stream.remaining).toBe(Number.POSITIVE_INFINITY);
    expect(net.active).toEqual([stream]);
    net.setMaxRate(stream, 20);
    sim.run(110);
    // 4/ns for 100 ns, then the link's 10/ns for 10.
    expect(net.stop(stream)).toBe(500);
    expect(net.stop(stream)).toBe(500);
    expect(link.bytesCarried).toBe(800);
  });

  it("shares the bandwidth once at the end of a batch, as the changes one by one end", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            path: fc.array(fc.nat({ max: 2 }), { minLength: 1, maxLength: 3 }),
            maxRate: fc.option(fc.double({ min: 0.05, max: 20, noNaN: true })),
            weight: fc.integer({ min: 1, max: 4 }),
            stop: fc.boolean(),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        (specs) => {
          const rates = (batched: boolean) => {
            const { sim, net } = setup();
            const res = [3, 7, 11].map((c, i) => net.addResource(`r${i}`, c));
            const old = specs.map((s) =>
              net.start(
                1000,
                s.path.map((i) => res[i]),
              ),
            );
            sim.run(10);
            const changes = () => {
              specs.forEach((s, i) => {
                if (s.stop) net.stop(old[i]);
                const opts = {
                  weight: s.weight,
                  ...(s.maxRate === null ? {} : { maxRate: s.maxRate }),
                };
                net.start(
                  Number.POSITIVE_INFINITY,
                  s.path.map((j) => res[j]),
                  opts,
                );
              });
            };
            if (batched) net.batch(changes);
            else changes();
            return { flows: net.active.map((f) => f.rate), used: res.map((r) => r.used) };
          };
          expect(rates(true)).toEqual(rates(false));
        },
      ),
    );
  });

  it("shares once for coalesced starts at one instant, and ends every flow as starts one by one do, to the last bit", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 2 }),
            bytes: fc.integer({ min: 1, max: 5000 }),
            path: fc.array(fc.nat({ max: 2 }), { minLength: 1, maxLength: 3 }),
            maxRate: fc.option(fc.double({ min: 0.05, max: 20, noNaN: true })),
            coalesce: fc.boolean(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (specs) => {
          // Each flow started by a process of its own, at instant 0, 50 or 100 ns.
          const run = (coalesce: boolean) => {
            const { sim, net } = setup();
            const res = [3, 7, 11].map((c, i) => net.addResource(`r${i}`, c));
            const ends = specs.map(() => Number.NaN);
            specs.forEach((s, i) => {
              sim.spawn(
                (function* (): Generator<Yieldable, void, unknown> {
                  yield s.at * 50;
                  const opts = {
                    coalesce: coalesce && s.coalesce,
                    ...(s.maxRate === null ? {} : { maxRate: s.maxRate }),
                  };
                  yield net.transfer(
                    s.bytes,
                    s.path.map((j) => res[j]),
                    opts,
                  );
                  ends[i] = sim.now;
                })(),
              );
            });
            sim.run();
            return {
              ends,
              carried: res.map((r) => r.bytesCarried),
              busy: res.map((r) => r.busyNs),
            };
          };
          // The same rates; the flows' progress may be advanced in fewer steps, so a time or a
          // byte count may differ in its last bit (50 against 50.00000000000001), never more.
          const a = run(true);
          const b = run(false);
          for (const key of ["ends", "carried", "busy"] as const) {
            expect(a[key].length).toBe(b[key].length);
            a[key].forEach((v, i) => {
              expect(Math.abs(v - b[key][i])).toBeLessThanOrEqual(
                1e-12 * Math.max(1, Math.abs(b[key][i])),
              );
            });
          }
        },
      ),
    );
  });

  it("gives a coalesced flow its rate once the instant's due entries ran, or at the next change", () => {
    const { sim, net } = setup();
    const link = net.addResource("link", 10);
    const a = net.start(1000, [link], { coalesce: true });
    expect(a.rate).toBe(0);
    const b = net.start(1000, [link], { coalesce: true });
    sim.run(0);
    expect([a.rate, b.rate]).toEqual([5, 5]);
    const c = net.start(1000, [link], { coalesce: true });
    const d = net.start(1000, [link]);
    expect([a.rate, b.rate, c.rate, d.rate]).toEqual([2.5, 2.5, 2.5, 2.5]);
    sim.run();
    expect(d.finishedAt).toBe(400);
  });

  it("rejects bad input", () => {
    const { net } = setup();
    const link = net.addResource("link", 1);
    const other = new FlowNetwork(new Simulator()).addResource("elsewhere", 1);
    expect(() => net.addResource("zero", 0)).toThrow(RangeError);
    expect(() => net.addResource("inf", Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => net.start(10, [])).toThrow(/no resources and no maxRate/);
    expect(() => net.start(-1, [link])).toThrow(/invalid size/);
    expect(() => net.start(Number.NaN, [link])).toThrow(/invalid size/);
    expect(() => net.start(10, [link], { maxRate: 0 })).toThrow(/invalid maxRate/);
    expect(() => net.start(10, [other])).toThrow(/foreign resource/);
    expect(() => net.start(10, [link], { weight: 0.5 })).toThrow(/invalid weight/);
  });
});

interface NetSpec {
  capacities: number[];
  flows: { start: number; bytes: number; path: number[]; maxRate: number | null }[];
}

const netSpec: fc.Arbitrary<NetSpec> = fc
  .array(fc.double({ min: 0.1, max: 50, noNaN: true }), { minLength: 1, maxLength: 6 })
  .chain((capacities) =>
    fc.record({
      capacities: fc.constant(capacities),
      flows: fc.array(
        fc.record({
          start: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2000 })),
          bytes: fc.oneof(fc.constant(0), fc.double({ min: 1, max: 1e5, noNaN: true })),
          path: fc.array(fc.nat({ max: capacities.length - 1 }), { minLength: 1, maxLength: 4 }),
          maxRate: fc.option(fc.double({ min: 0.05, max: 60, noNaN: true })),
        }),
        { minLength: 1, maxLength: 12, size: "max" },
      ),
    }),
  );

const REL = 1e-9;

/** Max-min optimality of the current allocation: feasible, and every flow bottlenecked. */
function checkAllocation(net: FlowNetwork, resources: Resource[]): void {
  const load = resources.map(() => 0);
  for (const f of net.active) for (const r of f.path) load[r.id] += f.rate;
  for (const r of resources) {
    expect(load[r.id]).toBeLessThanOrEqual(r.capacity * (1 + REL));
    expect(r.used).toBeCloseTo(load[r.id], 9);
  }
  for (const f of net.active) {
    expect(f.rate).toBeGreaterThan(0);
    expect(f.rate).toBeLessThanOrEqual(f.maxRate * (1 + REL));
    if (f.rate >= f.maxRate * (1 - REL)) continue;
    const bottleneck = f.path.some(
      (r) =>
        load[r.id] >= r.capacity * (1 - REL) &&
        net.active.every((g) => !g.path.includes(r) || g.rate <= f.rate * (1 + REL)),
    );
    expect(bottleneck, `flow ${f.name} at ${f.rate} has no bottleneck`).toBe(true);
  }
}

describe("FlowNetwork max-min property", () => {
  it("allocates feasibly, bottlenecks every flow, and delivers every byte", () => {
    fc.assert(
      fc.property(netSpec, (spec) => {
        const sim = new Simulator();
        const net = new FlowNetwork(sim);
        const resources = spec.capacities.map((c, i) => net.addResource(`r${i}`, c));
        const flows: Flow[] = [];
        for (const s of spec.flows) {
          sim.at(s.start, () => {
            const path = s.path.map((i) => resources[i]);
            flows.push(net.start(s.bytes, path, s.maxRate === null ? {} : { maxRate: s.maxRate }));
          });
        }
        // Integrate each flow's rate between events, independently of the network's books.
        const delivered = new Map<Flow, number>();
        while (sim.pending > 0) {
          const t0 = sim.now;
          const running = net.active.map((f) => [f, f.rate] as const);
          sim.step();
          for (const [f, rate] of running) {
            delivered.set(f, (delivered.get(f) ?? 0) + rate * (sim.now - t0));
          }
          checkAllocation(net, resources);
        }
        expect(flows.length).toBe(spec.flows.length);
        const expectedCarried = resources.map(() => 0);
        for (const f of flows) {
          expect(f.done.triggered).toBe(true);
          expect(f.remaining).toBe(0);
          expect(delivered.get(f) ?? 0).toBeCloseTo(f.bytes, 4);
          for (const r of f.path) expectedCarried[r.id] += f.bytes;
        }
        for (const r of resources) {
          expect(r.bytesCarried).toBeCloseTo(expectedCarried[r.id], 4);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("FlowNetwork weighted sharing property", () => {
  it("a flow of weight w and cap w*c gets what w flows of cap c on its path get together", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.1, max: 50, noNaN: true }), { minLength: 1, maxLength: 5 }),
        fc.array(
          fc.record({
            path: fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 4 }),
            cap: fc.option(fc.double({ min: 0.05, max: 30, noNaN: true })),
            w: fc.integer({ min: 1, max: 5 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (capacities, groups) => {
          /** Each group's flows, started in group order; their rates once all have started. */
          const groupRates = (aggregate: boolean) => {
            const { net } = setup();
            const res = capacities.map((c, i) => net.addResource(`r${i}`, c));
            const flows = groups.map((g) => {
              const path = g.path.map((i) => res[i % res.length]);
              if (aggregate) {
                const cap = g.cap === null ? {} : { maxRate: g.cap * g.w };
                return [net.start(1e6, path, { weight: g.w, ...cap })];
              }
              const cap = g.cap === null ? {} : { maxRate: g.cap };
              return Array.from({ length: g.w }, () => net.start(1e6, path, cap));
            });
            return flows.map((fs) => fs.reduce((a, f) => a + f.rate, 0));
          };
          const split = groupRates(false);
          groupRates(true).forEach((r, i) => {
            expect(r).toBeCloseTo(split[i], 9);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

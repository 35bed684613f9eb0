import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Process, type SimEvent, Simulator, type Yieldable } from "./simulator.js";

type Gen<T = void> = Generator<Yieldable, T, unknown>;

describe("Simulator timers", () => {
  it("fires in time order, FIFO at equal times, and advances the clock", () => {
    const sim = new Simulator();
    const log: string[] = [];
    sim.at(10, () => log.push(`a@${sim.now}`));
    sim.after(5, () => log.push(`b@${sim.now}`));
    sim.at(10, () => log.push(`c@${sim.now}`));
    sim.at(0, () => log.push(`d@${sim.now}`));
    expect(sim.pending).toBe(4);
    sim.run();
    expect(log).toEqual(["d@0", "b@5", "a@10", "c@10"]);
    expect(sim.now).toBe(10);
    expect(sim.pending).toBe(0);
  });

  it("cancels a pending timer only once", () => {
    const sim = new Simulator();
    const log: number[] = [];
    const t = sim.at(3, () => log.push(3));
    sim.at(4, () => log.push(4));
    expect(t.queued).toBe(true);
    expect(sim.cancel(t)).toBe(true);
    expect(sim.cancel(t)).toBe(false);
    sim.run();
    expect(log).toEqual([4]);
  });

  it("runs entries due exactly at `until`, then leaves the clock there", () => {
    const sim = new Simulator();
    const log: number[] = [];
    for (const t of [5, 10, 15]) sim.at(t, () => log.push(t));
    sim.run(10);
    expect(log).toEqual([5, 10]);
    expect(sim.now).toBe(10);
    sim.run(12);
    expect(sim.now).toBe(12);
    expect(sim.pending).toBe(1);
    expect(() => sim.run(11)).toThrow(RangeError);
  });

  it("steps one entry at a time", () => {
    const sim = new Simulator();
    sim.at(2, () => {});
    sim.at(7, () => {});
    expect(sim.step()).toBe(true);
    expect(sim.now).toBe(2);
    expect(sim.step()).toBe(true);
    expect(sim.now).toBe(7);
    expect(sim.step()).toBe(false);
  });

  it("rejects times in the past and bad delays", () => {
    const sim = new Simulator();
    sim.run(100);
    expect(() => sim.at(50, () => {})).toThrow(RangeError);
    expect(() => sim.after(-1, () => {})).toThrow(RangeError);
    expect(() => sim.after(Number.NaN, () => {})).toThrow(RangeError);
    expect(() => sim.after(Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError);
  });

  it("refuses to run from inside a running entry", () => {
    const sim = new Simulator();
    sim.at(1, () => sim.run());
    expect(() => sim.run()).toThrow(/inside a running entry/);
    // The simulator is still usable afterwards.
    sim.at(2, () => {});
    sim.run();
    expect(sim.now).toBe(2);
  });

  it("propagates an exception thrown by a timer", () => {
    const sim = new Simulator();
    const boom = new Error("boom");
    sim.at(1, () => {
      throw boom;
    });
    sim.at(2, () => {});
    expect(() => sim.run()).toThrow(boom);
    expect(sim.now).toBe(1);
    expect(sim.pending).toBe(1);
  });
});

describe("Simulator processes", () => {
  it("sleeps for the yielded number of ns; sleep(0) lets others due now go first", () => {
    const sim = new Simulator();
    const log: string[] = [];
    function* worker(name: string, naps: number[]): Gen {
      for (const n of naps) {
        yield n;
        log.push(`${name}@${sim.now}`);
      }
    }
    sim.spawn(worker("a", [10, 0, 5]), "a");
    sim.spawn(worker("b", [10, 5]), "b");
    sim.run();
    // b queued its wake-up for 15 before a did, so b goes first there.
    expect(log).toEqual(["a@10", "b@10", "a@10", "b@15", "a@15"]);
  });

  it("run() goes through processes' sleeps in the order and at the times step() does", () => {
    // run() lets a process that sleeps until before anything else is due go on at once;
    // step() always queues it: the traces must agree, ties and `until` included.
    const naps = fc.array(fc.array(fc.constantFrom(0, 1, 2, 5, 10, 0.5), { maxLength: 12 }), {
      minLength: 1,
      maxLength: 5,
    });
    const timers = fc.array(fc.constantFrom(0, 1, 3, 5, 7.5, 10, 20), { maxLength: 6 });
    fc.assert(
      fc.property(naps, timers, fc.constantFrom(0, 4, 10, 1000), (ps, ts, until) => {
        const trace = (drive: (sim: Simulator) => void) => {
          const sim = new Simulator();
          const log: string[] = [];
          for (const t of ts) sim.at(t, () => log.push(`timer@${sim.now}`));
          ps.forEach((ns, i) => {
            sim.spawn(
              (function* (): Gen {
                for (const n of ns) {
                  yield n;
                  log.push(`${i}@${sim.now}`);
                }
              })(),
            );
          });
          drive(sim);
          return log;
        };
        const stepped = trace((sim) => {
          while (sim.step()) {}
        });
        const ran = trace((sim) => {
          sim.run(until);
          sim.run();
        });
        expect(ran).toEqual(stepped);
      }),
    );
  });

  it("starts spawned processes in spawn order, after what is already due now", () => {
    const sim = new Simulator();
    const log: string[] = [];
    sim.at(0, () => log.push("timer"));
    function* p(name: string): Gen {
      log.push(name);
      yield 0;
    }
    const a = sim.spawn(p("x"));
    sim.spawn(p("y"));
    expect(a.name).toBe("process-0");
    sim.run();
    expect(log).toEqual(["timer", "x", "y"]);
  });

  it("joins a process and receives its return value", () => {
    const sim = new Simulator();
    function* child(): Gen<number> {
      yield 7;
      return 42;
    }
    function* parent(): Gen<string> {
      const c = sim.spawn(child(), "child");
      const v = (yield c) as number;
      return `${v}@${sim.now}`;
    }
    expect(sim.runUntilDone(sim.spawn(parent()))).toBe("42@7");
  });

  it("joining an already finished process resumes at the same time", () => {
    const sim = new Simulator();
    function* quick(): Gen<number> {
      yield 0;
      return 1;
    }
    const q = sim.spawn(quick());
    function* late(): Gen<number> {
      yield 20;
      const v = (yield q) as number;
      expect(sim.now).toBe(20);
      return v + 1;
    }
    expect(sim.runUntilDone(sim.spawn(late()))).toBe(2);
  });

  it("waits for events, including ones already triggered", () => {
    const sim = new Simulator();
    const ev = sim.event<string>();
    const log: string[] = [];
    function* waiter(name: string): Gen {
      const v = (yield ev) as string;
      log.push(`${name}:${v}@${sim.now}`);
    }
    sim.spawn(waiter("w1"));
    sim.spawn(waiter("w2"));
    sim.at(30, () => ev.trigger("go"));
    sim.at(40, () => sim.spawn(waiter("late")));
    sim.run();
    expect(log).toEqual(["w1:go@30", "w2:go@30", "late:go@40"]);
    expect(ev.triggered).toBe(true);
    expect(ev.value).toBe("go");
  });

  it("runs onTrigger callbacks synchronously, also when registered after the trigger", () => {
    const sim = new Simulator();
    const ev = sim.event<number>();
    const seen: number[] = [];
    ev.onTrigger((v) => seen.push(v));
    expect(() => ev.value).toThrow(/not been triggered/);
    ev.trigger(5);
    expect(seen).toEqual([5]);
    ev.onTrigger((v) => seen.push(v * 2));
    expect(seen).toEqual([5, 10]);
    expect(() => ev.trigger(6)).toThrow(/already triggered/);
  });

  it("allOf resumes when every item is done, with values in item order", () => {
    const sim = new Simulator();
    function* sleeper(ns: number): Gen<number> {
      yield ns;
      return ns;
    }
    const ev = sim.event<string>();
    sim.at(25, () => ev.trigger("ev"));
    function* main(): Gen<unknown[]> {
      const all = sim.allOf([sim.spawn(sleeper(30)), ev, sim.spawn(sleeper(10))]);
      const vs = (yield all) as unknown[];
      expect(sim.now).toBe(30);
      const none = (yield sim.allOf([])) as unknown[];
      expect(none).toEqual([]);
      expect(sim.now).toBe(30);
      return vs;
    }
    expect(sim.runUntilDone(sim.spawn(main()))).toEqual([30, "ev", 10]);
  });

  it("types allOf values per item", () => {
    const sim = new Simulator();
    const a = sim.event<number>();
    const b = sim.event<string>();
    const all: SimEvent<[number, string]> = sim.allOf([a, b]);
    a.trigger(1);
    b.trigger("x");
    expect(all.value).toEqual([1, "x"]);
  });

  it("propagates an exception thrown inside a process out of run()", () => {
    const sim = new Simulator();
    const boom = new Error("boom");
    function* bad(): Gen {
      yield 5;
      throw boom;
    }
    const p = sim.spawn(bad());
    expect(() => sim.run()).toThrow(boom);
    expect(sim.now).toBe(5);
    expect(p.done.triggered).toBe(false);
  });

  it("throws a bad yield back into the process", () => {
    const sim = new Simulator();
    function* negative(): Gen {
      yield -1;
    }
    sim.spawn(negative(), "neg");
    expect(() => sim.run()).toThrow(/process "neg" yielded invalid delay -1/);

    function* junk(): Gen<string> {
      try {
        yield "nope" as unknown as number;
      } catch (e) {
        return (e as Error).message;
      }
      return "not thrown";
    }
    expect(sim.runUntilDone(sim.spawn(junk(), "junk"))).toMatch(/"junk" yielded a non-yieldable/);

    const other = new Simulator();
    function* foreign(): Gen {
      yield other.event();
    }
    sim.spawn(foreign(), "foreign");
    expect(() => sim.run()).toThrow(/another simulator's event/);
  });

  it("runUntilDone reports a deadlock when the queue empties first", () => {
    const sim = new Simulator();
    function* stuck(): Gen {
      yield sim.event();
    }
    expect(() => sim.runUntilDone(sim.spawn(stuck(), "stuck"))).toThrow(/deadlock.*"stuck"/);
  });

  it("runUntilDone stops as soon as the process finishes", () => {
    const sim = new Simulator();
    function* p(): Gen<number> {
      yield 5;
      return 9;
    }
    sim.at(100, () => {});
    expect(sim.runUntilDone(sim.spawn(p()))).toBe(9);
    expect(sim.now).toBe(5);
    expect(sim.pending).toBe(1);
  });

  it("replays the same trace for the same seed", () => {
    function trace(seed: number): string[] {
      const sim = new Simulator(seed);
      const log: string[] = [];
      const gate = sim.event();
      function* worker(id: number): Gen<number> {
        const rng = sim.rng.fork(id);
        let sum = 0;
        for (let i = 0; i < 20; i++) {
          const d = rng.int(100);
          sum += d;
          yield d;
          if (rng.bool(0.2)) yield gate;
          log.push(`${id}@${sim.now}`);
        }
        return sum;
      }
      const ps: Process<number>[] = [];
      for (let i = 0; i < 5; i++) ps.push(sim.spawn(worker(i)));
      sim.after(sim.rng.int(500), () => gate.trigger());
      const sums = sim.runUntilDone(sim.spawn(joinAll(sim, ps)));
      log.push(sums.join(","));
      return log;
    }
    function* joinAll(sim: Simulator, ps: Process<number>[]): Gen<number[]> {
      return (yield sim.allOf(ps)) as number[];
    }
    expect(trace(7)).toEqual(trace(7));
    expect(trace(7)).not.toEqual(trace(8));
  });
});

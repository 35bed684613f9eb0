import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/simulator.js";
import { type SchedTask, Scheduler } from "./scheduler.js";
import { niceToWeight } from "./weights.js";

describe("niceToWeight", () => {
  it("follows sched_prio_to_weight: 1024 at nice 0, about 1.25x a step, and refuses other levels", () => {
    expect([niceToWeight(-20), niceToWeight(-5), niceToWeight(0), niceToWeight(19)]).toEqual([
      88761, 3121, 1024, 15,
    ]);
    expect(niceToWeight(-1) / niceToWeight(0)).toBeCloseTo(1.25, 2);
    expect(() => niceToWeight(20)).toThrow(RangeError);
    expect(() => niceToWeight(0.5)).toThrow(RangeError);
  });
});

describe("Scheduler", () => {
  it("gives a nice -5 thread 3121/(3121+1024) of a CPU it shares with a nice-0 kworker", () => {
    const sim = new Simulator();
    const sched = new Scheduler(sim, 1);
    const app = sched.addTask({ name: "app", kind: "app", cpu: 0, nice: -5, cgroup: "/db" });
    const kworker = sched.kthread("kworker", 0);
    sched.wake(app);
    sched.wake(kworker);
    sim.run(4145);
    expect([sched.cpuTimeNs(app), sched.cpuTimeNs(kworker)]).toEqual([3121, 1024]);
    expect(sched.kernelCpuNs(0)).toBe(1024);
    expect(sched.cpuTimeByCgroup()).toEqual({ "/": 1024, "/db": 3121 });
  });

  it("moves a task's wakeup when its share changes mid-work, and back", () => {
    const sim = new Simulator();
    const sched = new Scheduler(sim, 1);
    const a = sched.addTask({ name: "a", kind: "migrate", cpu: 0 });
    const b = sched.addTask({ name: "b", kind: "app", cpu: 0 });
    let doneAt = -1;
    sim.spawn(
      (function* () {
        sched.wake(a);
        yield sched.runFor(a, 100);
        doneAt = sim.now;
        sched.block(a);
      })(),
    );
    // b runs from 50 to 150: a has 50 ns left at 50, gets half of the CPU until 150 (50 ns
    // more), then is done at once.
    sim.at(50, () => sched.wake(b));
    sim.at(150, () => sched.block(b));
    sim.run();
    expect(doneAt).toBe(150);
    expect([sched.cpuTimeNs(a), sched.cpuTimeNs(b)]).toEqual([100, 50]);
  });

  it("runs an interrupt ahead of every task on its CPU", () => {
    const sim = new Simulator();
    const sched = new Scheduler(sim, 2);
    const t = sched.addTask({ name: "t", kind: "migrate", cpu: 1 });
    let doneAt = -1;
    sim.spawn(
      (function* () {
        sched.irq(1, 30);
        sched.wake(t);
        yield sched.runFor(t, 100);
        doneAt = sim.now;
        sched.block(t);
      })(),
    );
    sim.run();
    expect(doneAt).toBe(130);
    expect(sched.cpuAccount(1)).toEqual({ tasksNs: 100, irqNs: 30, idleNs: 0 });
    expect(sched.cpuTimeByKind().irq).toBe(30);
  });

  it("places a task as select_idle_sibling does: the idle target, an idle CPU of its LLC, any idle, the least loaded", () => {
    const sim = new Simulator();
    // CPUs 0-3 in LLC 0, 4-7 in LLC 1.
    const sched = new Scheduler(sim, 8, (cpu) => (cpu < 4 ? 0 : 1));
    const busy = (cpu: number, nice = 0) =>
      sched.wake(sched.addTask({ name: `on${cpu}`, kind: "app", cpu, nice }));
    expect(sched.selectIdleSibling([0, 1, 2, 5], 1)).toBe(1);
    busy(1);
    expect(sched.selectIdleSibling([0, 1, 2, 5], 1)).toBe(0);
    busy(0);
    busy(2);
    expect(sched.selectIdleSibling([0, 1, 2, 5], 1)).toBe(5);
    busy(5, 5);
    // Nothing idle: the least load (nice 5 on CPU 5 weighs less than nice 0).
    expect(sched.selectIdleSibling([0, 1, 2, 5], 1)).toBe(5);
  });

  it("keeps a runqueue's tasks in the order they woke as tasks block and wake in between", () => {
    const sched = new Scheduler(new Simulator(), 1);
    const heard: string[] = [];
    const task = (name: string) => sched.addTask({ name, kind: "app", cpu: 0 });
    const listen = (t: SchedTask) => sched.listenShare(t, () => heard.push(t.name));
    const [a, b, c, d] = ["a", "b", "c", "d"].map(task);
    for (const t of [a, b, c]) {
      sched.wake(t);
      listen(t);
    }
    const told = (change: () => void) => {
      heard.length = 0;
      change();
      return heard.join("");
    };
    // The runqueue tells its listening tasks their new shares in its order.
    expect(told(() => sched.block(b))).toBe("ac");
    expect(
      told(() => {
        sched.wake(d);
        listen(d);
      }),
    ).toBe("ac");
    expect(told(() => sched.block(a))).toBe("cd");
    expect(told(() => sched.wake(b))).toBe("cd");
    expect(told(() => sched.block(d))).toBe("c");
    expect(told(() => sched.wake(a))).toBe("c");
    listen(a);
    expect(told(() => sched.block(b))).toBe("ca");
  });

  it("refuses to wake a runnable task, block a sleeping one or run work outside a process", () => {
    const sched = new Scheduler(new Simulator(), 1);
    const t = sched.addTask({ name: "t", kind: "app", cpu: 0 });
    expect(() => sched.block(t)).toThrow(/not runnable/);
    sched.wake(t);
    expect(() => sched.wake(t)).toThrow(/already runnable/);
    expect(() => sched.runFor(t, 10)).toThrow(/not called from a process/);
    expect(() => sched.addTask({ name: "x", kind: "app", cpu: 1 })).toThrow(/no CPU 1/);
  });
});

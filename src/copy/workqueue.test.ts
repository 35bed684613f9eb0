import { describe, expect, it } from "vitest";
import { Scheduler } from "../sched/scheduler.js";
import { Simulator } from "../sim/simulator.js";
import { Timeline } from "../sim/timeline.js";
import { CpuTime, Workqueue } from "./workqueue.js";

/** A scheduler of 8 CPUs on a new simulator. */
function machine() {
  const sim = new Simulator();
  return { sim, sched: new Scheduler(sim, 8) };
}

function* busy(ns: number, log: string[], name: string) {
  log.push(`${name} start`);
  yield ns;
  log.push(`${name} end`);
  return name;
}

describe("Workqueue", () => {
  it("runs items on one CPU one after another and items on different CPUs together", () => {
    const { sim, sched } = machine();
    const wq = new Workqueue(sched, new CpuTime());
    const log: string[] = [];
    const a = wq.queueWorkOn(3, busy(100, log, "a"));
    const b = wq.queueWorkOn(3, busy(50, log, "b"));
    const c = wq.queueWorkOn(5, busy(70, log, "c"));
    sim.run();
    expect([a.done.value, b.done.value, c.done.value]).toEqual(["a", "b", "c"]);
    expect(log).toEqual(["a start", "c start", "c end", "a end", "b start", "b end"]);
    expect(sim.now).toBe(150);
  });

  it("charges each item's running time, not its wait, to its CPU", () => {
    const { sim, sched } = machine();
    const time = new CpuTime();
    const wq = new Workqueue(sched, time);
    wq.queueWorkOn(3, busy(100, [], "a"));
    wq.queueWorkOn(3, busy(50, [], "b"));
    wq.queueWorkOn(5, busy(70, [], "c"));
    sim.run();
    expect(time.cpuTimeNs(3)).toBe(150);
    expect(time.cpuTimeNs(5)).toBe(70);
    expect(time.cpuTimeNs(4)).toBe(0);
    expect(time.totalNs).toBe(220);
    expect(time.busyCpus()).toEqual([3, 5]);
  });

  it("on a busy CPU charges the kworker its share of an item's running time", () => {
    const { sim, sched } = machine();
    const time = new CpuTime();
    // Three nice-0 tasks always runnable on CPU 2, none elsewhere.
    sched.wake(sched.addTask({ name: "load", kind: "load", cpu: 2, weight: 3 * 1024 }));
    const wq = new Workqueue(sched, time);
    wq.queueWorkOn(2, busy(400, [], "a"));
    wq.queueWorkOn(1, busy(400, [], "b"));
    sim.run();
    expect(sim.now).toBe(400);
    expect(time.cpuTimeNs(2)).toBe(100);
    expect(time.cpuTimeNs(1)).toBe(400);
  });

  it("keeps the CPU's kworker runnable while an item runs, and only then", () => {
    const { sim, sched } = machine();
    const wq = new Workqueue(sched, new CpuTime());
    wq.queueWorkOn(2, busy(400, [], "a"));
    wq.queueWorkOn(2, busy(100, [], "b"));
    sim.run(200);
    const kworker = sched.kthread("kworker", 2);
    expect([kworker.name, kworker.runnable, sched.kernelCpuNs(2)]).toEqual([
      "kworker/2",
      true,
      200,
    ]);
    sim.run();
    expect([kworker.runnable, sched.cpuTimeNs(kworker), sched.kernelCpuNs(1)]).toEqual([
      false,
      500,
      0,
    ]);
  });

  it("starts an item at once when the CPU's previous item is done", () => {
    const { sim, sched } = machine();
    const wq = new Workqueue(sched, new CpuTime());
    wq.queueWorkOn(0, busy(10, [], "a"));
    sim.run();
    sim.run(100);
    const b = wq.queueWorkOn(0, busy(10, [], "b"));
    sim.run();
    expect(b.done.value).toBe("b");
    expect(sim.now).toBe(110);
  });
});

describe("CpuTime", () => {
  it("rejects a bad CPU or a negative time", () => {
    const t = new CpuTime();
    expect(() => t.charge(-1, 5)).toThrow(RangeError);
    expect(() => t.charge(1.5, 5)).toThrow(RangeError);
    expect(() => t.charge(0, -5)).toThrow(RangeError);
    expect(() => t.charge(0, Number.NaN)).toThrow(RangeError);
  });
});

describe("Workqueue on a timeline", () => {
  it("records each work item on its CPU's kworker track, from its start to its end", () => {
    const { sim, sched } = machine();
    const tl = new Timeline();
    tl.enabled = true;
    const wq = new Workqueue(sched, new CpuTime(), tl);
    wq.queueWorkOn(3, busy(100, [], "a"), { name: "copy", args: { folios: 2 } });
    wq.queueWorkOn(3, busy(50, [], "b"));
    wq.queueWorkOn(5, busy(70, [], "c"), { name: "copy" });
    sim.run();
    expect(tl.tracks).toEqual([
      { id: 0, kind: "kworker", name: "kworker/5", cpu: 5 },
      { id: 1, kind: "kworker", name: "kworker/3", cpu: 3 },
    ]);
    expect(tl.slices).toEqual([
      { track: 0, name: "copy", startNs: 0, endNs: 70 },
      { track: 1, name: "copy", startNs: 0, endNs: 100, args: { folios: 2 } },
      { track: 1, name: "work", startNs: 100, endNs: 150 },
    ]);
  });

  it("records nothing while the timeline is off", () => {
    const { sim, sched } = machine();
    const tl = new Timeline();
    const wq = new Workqueue(sched, new CpuTime(), tl);
    wq.queueWorkOn(0, busy(10, [], "a"));
    sim.run();
    expect([tl.tracks.length, tl.slices.length]).toEqual([0, 0]);
  });
});

describe("CpuTime.snapshot", () => {
  it("copies the time by CPU, so a later one minus it is what was charged in between", () => {
    const t = new CpuTime();
    t.charge(2, 10);
    const before = t.snapshot();
    t.charge(2, 5);
    t.charge(4, 7);
    expect(before).toEqual([0, 0, 10]);
    expect(t.snapshot()).toEqual([0, 0, 15, 0, 7]);
  });
});

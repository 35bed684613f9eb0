import { describe, expect, it } from "vitest";
import type { Folio } from "../mm/folio.js";
import { Task } from "../mm/task.js";
import { Scheduler } from "../sched/scheduler.js";
import { Simulator, type Yieldable } from "../sim/simulator.js";
import { Exec, PH_COPY, PH_UNMAP } from "./exec.js";

/** A task's Exec on CPU 0 of a new machine, with `load` nice-0 tasks always runnable there. */
function setup(load = 0) {
  const sim = new Simulator();
  const sched = new Scheduler(sim, 2);
  if (load > 0)
    sched.wake(sched.addTask({ name: "load", kind: "load", cpu: 0, weight: load * 1024 }));
  const task = new Task(1, 0, null);
  const exec = new Exec(task, sched, sched.addTask({ name: "t", kind: "migrate", cpu: 0 }));
  return { sim, sched, exec };
}

/** Run `body` as a process to its end. */
function run(sim: Simulator, body: () => Generator<Yieldable, void, unknown>): void {
  sim.runUntilDone(sim.spawn(body()));
}

describe("Exec", () => {
  it("keeps CPU time and sleeps by phase, interrupts apart, and its own notion of now", () => {
    const { sim, exec } = setup();
    run(sim, function* () {
      yield 1000;
      exec.charge(PH_UNMAP, 30);
      exec.chargeIrq(PH_COPY, 5);
      expect(exec.now()).toBe(1035);
      yield* exec.sync();
      expect(sim.now).toBe(1035);
      yield 165;
      exec.slept(PH_COPY, 165);
    });
    expect([exec.cpuTimeNs(), exec.irqNs]).toEqual([35, 5]);
    expect([exec.wallNs(PH_UNMAP), exec.wallNs(PH_COPY)]).toEqual([30, 170]);
  });

  it("now() follows its CPU share as other tasks wake and block between calls", () => {
    const { sim, exec, sched } = setup();
    const other = sched.addTask({ name: "other", kind: "load", cpu: 0 });
    run(sim, function* () {
      yield 1000;
      exec.charge(PH_UNMAP, 30);
      expect(exec.now()).toBe(1030);
      sched.wake(other);
      expect(exec.now()).toBe(1060);
      sched.block(other);
      expect(exec.now()).toBe(1030);
    });
  });

  it("on a CPU shared with 2 other nice-0 tasks takes 3 ns per ns of work, counting the rest as waits, but not for interrupts", () => {
    const { sim, exec, sched } = setup(2);
    run(sim, function* () {
      yield 1000;
      exec.charge(PH_UNMAP, 30);
      exec.chargeIrq(PH_COPY, 5);
      expect(exec.now()).toBe(1000 + 90 + 5);
      yield* exec.sync();
      expect(sim.now).toBe(1095);
    });
    expect([exec.cpuTimeNs(), exec.waitNs[PH_UNMAP], exec.waitNs[PH_COPY]]).toEqual([35, 60, 0]);
    expect([exec.wallNs(PH_UNMAP), exec.wallNs(PH_COPY)]).toEqual([90, 5]);
    // Alone for 1000 ns, then 2/3 of the 90 ns the task shared: every ns of the CPU is counted.
    expect(sched.cpuTimeByKind()).toEqual({
      app: 0,
      load: 1060,
      migrate: 30,
      kworker: 0,
      kswapd: 0,
      kcompactd: 0,
      kpromoted: 0,
      irq: 5,
    });
  });

  it("counts a copy it runs itself (running .. ran) at the CPU time the scheduler gave it", () => {
    const { sim, exec } = setup(1);
    run(sim, function* () {
      expect(exec.running()).toBe(2);
      yield 100;
      exec.ran(PH_COPY, 100);
    });
    expect([exec.phaseNs[PH_COPY], exec.waitNs[PH_COPY]]).toEqual([50, 50]);
  });

  it("notes remap times in order, growing a full array, and tells the folio events", () => {
    const { sim, exec } = setup();
    const seen: string[] = [];
    exec.folioEvents = {
      unmapped: (f, ns) => seen.push(`u${f.pfn}@${ns}`),
      remapped: (f, ns) => seen.push(`r${f.pfn}@${ns}`),
    };
    const folio = (pfn: number) => ({ pfn }) as Folio;
    exec.noteRemap(folio(1));
    expect(exec.nrRemaps).toBe(0);
    exec.remapTimes = new Float64Array(1);
    for (let i = 2; i < 5; i++) {
      sim.run(10 * i);
      exec.noteUnmap(folio(i));
      exec.noteRemap(folio(i));
    }
    expect(exec.nrRemaps).toBe(3);
    expect(Array.from(exec.remapTimes.subarray(0, 3))).toEqual([20, 30, 40]);
    expect(seen).toEqual(["r1@0", "u2@20", "r2@20", "u3@30", "r3@30", "u4@40", "r4@40"]);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/simulator.js";
import { type SchedTask, Scheduler } from "./scheduler.js";
import { MAX_NICE, MIN_NICE, niceToWeight } from "./weights.js";

const CPUS = 3;

/** A task that sleeps, wakes to run some CPU work, and sleeps again, `bursts` times. */
const burstyTask = fc.record({
  cpu: fc.integer({ min: 0, max: CPUS - 1 }),
  nice: fc.integer({ min: MIN_NICE, max: MAX_NICE }),
  kernel: fc.boolean(),
  bursts: fc.array(
    fc.record({
      sleepNs: fc.integer({ min: 0, max: 5_000 }),
      workNs: fc.integer({ min: 1, max: 5_000 }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});

/** A task runnable from `fromNs` to `toNs`, not asking for work (an application thread). */
const steadyTask = fc.record({
  cpu: fc.integer({ min: 0, max: CPUS - 1 }),
  nice: fc.integer({ min: MIN_NICE, max: MAX_NICE }),
  fromNs: fc.integer({ min: 0, max: 10_000 }),
  forNs: fc.integer({ min: 1, max: 20_000 }),
});

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

describe("Scheduler (property)", () => {
  it("conserves CPU time, never idles a CPU with a runnable task, and gives work exactly the CPU it asked for", () => {
    fc.assert(
      fc.property(
        fc.array(burstyTask, { maxLength: 6 }),
        fc.array(steadyTask, { maxLength: 4 }),
        (bursty, steady) => {
          const sim = new Simulator();
          const sched = new Scheduler(sim, CPUS);
          // Runnable intervals per CPU, kept by the test itself to check work conservation.
          const intervals: [number, number][][] = Array.from({ length: CPUS }, () => []);
          const workErrors: string[] = [];
          bursty.forEach((spec, i) => {
            const t = sched.addTask({
              name: `b${i}`,
              kind: spec.kernel ? "kworker" : "app",
              cpu: spec.cpu,
              nice: spec.nice,
            });
            sim.spawn(
              (function* () {
                for (const b of spec.bursts) {
                  yield b.sleepNs;
                  const from = sim.now;
                  sched.wake(t);
                  const before = sched.cpuTimeNs(t);
                  yield sched.runFor(t, b.workNs);
                  const got = sched.cpuTimeNs(t) - before;
                  if (!close(got, b.workNs)) workErrors.push(`${t.name}: ${got} for ${b.workNs}`);
                  sched.block(t);
                  intervals[spec.cpu].push([from, sim.now]);
                }
              })(),
            );
          });
          steady.forEach((spec, i) => {
            const t = sched.addTask({ name: `s${i}`, kind: "app", cpu: spec.cpu, nice: spec.nice });
            sim.spawn(
              (function* () {
                yield spec.fromNs;
                sched.wake(t);
                yield spec.forNs;
                sched.block(t);
                intervals[spec.cpu].push([spec.fromNs, spec.fromNs + spec.forNs]);
              })(),
            );
          });
          sim.run();
          expect(workErrors).toEqual([]);
          for (let cpu = 0; cpu < CPUS; cpu++) {
            const { tasksNs, irqNs, idleNs } = sched.cpuAccount(cpu);
            // Every ns of the CPU is a task's, an interrupt's or idle, and no more.
            expect(close(tasksNs + irqNs + idleNs, sim.now)).toBe(true);
            expect(tasksNs).toBeLessThanOrEqual(sim.now * (1 + 1e-9));
            // Work-conserving: busy exactly while some task was runnable.
            expect(close(tasksNs, unionLength(intervals[cpu]))).toBe(true);
          }
        },
      ),
    );
  });

  it("shares a contended CPU in proportion to the tasks' weights", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: MIN_NICE, max: MAX_NICE }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 1e9 }),
        (nices, runNs) => {
          const sim = new Simulator();
          const sched = new Scheduler(sim, 1);
          const tasks: SchedTask[] = nices.map((nice, i) =>
            sched.addTask({ name: `t${i}`, kind: "app", cpu: 0, nice }),
          );
          for (const t of tasks) sched.wake(t);
          sim.run(runNs);
          const total = nices.reduce((a, n) => a + niceToWeight(n), 0);
          for (const t of tasks) {
            expect(close(sched.cpuTimeNs(t), (runNs * t.weight) / total)).toBe(true);
          }
        },
      ),
    );
  });
});

/** Total length of the union of [from, to) intervals. */
function unionLength(intervals: readonly [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [from, to] of sorted) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total;
}

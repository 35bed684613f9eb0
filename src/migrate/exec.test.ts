import { describe, expect, it } from "vitest";
import type { Folio } from "../mm/folio.js";
import { Task } from "../mm/task.js";
import { Exec, PH_COPY, PH_UNMAP } from "./exec.js";

describe("Exec", () => {
  it("keeps CPU time and sleeps by phase, interrupts apart, and its own notion of now", () => {
    let clock = 1000;
    const exec = new Exec(new Task(1, 0, null), () => clock, 0);
    exec.charge(PH_UNMAP, 30);
    exec.chargeIrq(PH_COPY, 5);
    expect(exec.now()).toBe(1035);
    clock += 200;
    exec.pending = 0;
    exec.slept(PH_COPY, 165);
    expect([exec.cpuTimeNs(), exec.irqNs]).toEqual([35, 5]);
    expect([exec.wallNs(PH_UNMAP), exec.wallNs(PH_COPY)]).toEqual([30, 170]);
  });

  it("on a busy CPU takes runnable + 1 ns per ns of work, counting the rest as waits, but not for interrupts", () => {
    const exec = new Exec(new Task(1, 0, null), () => 1000, 2);
    exec.charge(PH_UNMAP, 30);
    exec.chargeIrq(PH_COPY, 5);
    expect(exec.now()).toBe(1000 + 90 + 5);
    expect([exec.cpuTimeNs(), exec.waitNs[PH_UNMAP], exec.waitNs[PH_COPY]]).toEqual([35, 60, 0]);
    expect([exec.wallNs(PH_UNMAP), exec.wallNs(PH_COPY)]).toEqual([90, 5]);
  });

  it("notes remap times in order, growing a full array, and tells the folio events", () => {
    let clock = 0;
    const exec = new Exec(new Task(1, 0, null), () => clock, 0);
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
      clock = 10 * i;
      exec.noteUnmap(folio(i));
      exec.noteRemap(folio(i));
    }
    expect(exec.nrRemaps).toBe(3);
    expect(Array.from(exec.remapTimes.subarray(0, 3))).toEqual([20, 30, 40]);
    expect(seen).toEqual(["r1@0", "u2@20", "r2@20", "u3@30", "r3@30", "u4@40", "r4@40"]);
  });
});

/**
 * The run's Perfetto trace decoded again: a process per run, a track per application thread
 * with its migration-entry waits as slices, the engines' tracks, and the series as counters.
 */
import { describe, expect, it } from "vitest";
import { RunFailure } from "../../errors.js";
import { expectGolden } from "../../test-support/golden.js";
import { analyse, decode } from "../perfetto/decoded.case.js";
import { reporter } from "./perfetto.js";
import { pingPongInput, pingPongRecordedInput, SCENARIO } from "./run.case.js";

describe("run perfetto reporter", () => {
  const input = pingPongRecordedInput();
  const trace = analyse(decode(reporter.render(input) as Uint8Array));
  const { descriptors, slices, counters } = trace;
  const processes = descriptors.filter((d) => d.process);
  const threadsOf = (pid: number) => descriptors.filter((d) => d.thread?.pid === pid);

  it("writes the same trace on every run of the same scenario (golden, decoded)", () => {
    const bytes = reporter.render(pingPongInput(true)) as Uint8Array;
    const text = decode(bytes)
      .map((p) => JSON.stringify(p))
      .join("\n");
    expectGolden("run/ping-pong-thp-5ms.perfetto.jsonl", `${text}\n`);
  });

  it("records without changing what the run did", () => {
    const { recording, ...recorded } = pingPongInput(true).runs[0].result;
    expect(recording?.slices.length).toBeGreaterThan(0);
    expect(recorded).toEqual(pingPongInput().runs[0].result);
  });

  it("is a binary reporter that needs the runs recorded", () => {
    expect(reporter).toMatchObject({ name: "perfetto", binary: true, needsRecording: true });
    expect(() => reporter.render(pingPongInput())).toThrow(RunFailure);
  });

  it("writes a process per run, named by its settings", () => {
    expect(processes.map((d) => d.process)).toEqual([
      { pid: 1, process_name: `${SCENARIO} engine.migrator=serial` },
      { pid: 2, process_name: `${SCENARIO} engine.migrator=mtcopy` },
      { pid: 3, process_name: `${SCENARIO} engine.migrator=dcbm` },
    ]);
  });

  it("gives each application thread a track whose slices are its stalls in migration entries", () => {
    input.runs.forEach(({ result }, run) => {
      const tracks = threadsOf(run + 1);
      result.threads.forEach((t, i) => {
        const track = tracks.find((d) => d.name === `${t.process} thread ${i} (cpu${t.cpu})`);
        expect(track, `run ${run} thread ${i}`).toBeDefined();
        const waits = slices.get(track?.uuid as number) ?? [];
        // One 2M folio under migration at a time: no two waits of a thread overlap, so each
        // is its own slice; their time within the run adds up to its stall time.
        expect(waits.length).toBe(t.stalls);
        expect(t.stalls).toBeGreaterThan(0);
        for (const w of waits) {
          expect(w.name).toBe("migration_entry_wait");
          expect(w.depth).toBe(0);
          expect(w.end).toBeGreaterThan(w.start);
        }
        const end = result.durationNs;
        const within = waits.reduce((a, w) => a + Math.max(0, Math.min(w.end, end) - w.start), 0);
        expect(Math.abs(within - t.stallNs)).toBeLessThan(waits.length + 1);
      });
    });
  });

  it("keeps the migrating task's, copy threads' and DMA channels' tracks as bench has them", () => {
    const names = (pid: number) => threadsOf(pid).map((d) => d.name as string);
    for (const pid of [1, 2, 3]) expect(names(pid)).toContain("cpu3 move_pages");
    expect(names(2).some((n) => n.startsWith("kworker/"))).toBe(true);
    expect(names(3).some((n) => n.startsWith("ptdma"))).toBe(true);
    expect(names(1).some((n) => n.startsWith("kworker/") || n.startsWith("ptdma"))).toBe(false);
    const task = threadsOf(1).find((d) => d.name === "cpu3 move_pages");
    const phases = new Set((slices.get(task?.uuid as number) ?? []).map((s) => s.name));
    for (const p of ["batch", "unmap", "move"]) expect(phases).toContain(p);
  });

  it("writes ops/s, migration GB/s per reason and memory per node as counters", () => {
    input.runs.forEach(({ result: { series } }, run) => {
      const parent = processes[run].uuid;
      const counter = (name: string) => {
        const d = descriptors.find((x) => x.parent_uuid === parent && x.name === name);
        expect(d, name).toBeDefined();
        return counters.get(d?.uuid as number) ?? [];
      };
      const ops = counter("selftest ops/s");
      expect(ops.map((p) => p.value)).toEqual(series.processes[0].opsPerSec);
      expect(ops[0].ts).toBe(0);
      expect(ops[1].ts).toBe(series.intervalNs);
      const gbps = counter("migration GB/s MR_SYSCALL");
      expect(gbps.map((p) => p.value)).toEqual(series.migrations.MR_SYSCALL.gbps);
      for (const node of ["0", "1"]) {
        const mib = counter(`selftest node ${node} MiB`);
        expect(mib.map((p) => p.value * 1024 * 1024)).toEqual(
          series.processes[0].bytesByNode[node],
        );
        expect(mib.at(-1)?.ts).toBe(series.timeNs.at(-1));
      }
    });
  });
});

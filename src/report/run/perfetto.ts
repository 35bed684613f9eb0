/**
 * `pagemig run --reporter perfetto`: each run as a Perfetto trace process (pid = its place in
 * the sweep, from 1), with a thread track per application thread carrying its waits in
 * migration entries (`migration_entry_wait` slices), the migrating tasks', copy threads' and
 * DMA channels' tracks as bench records them (batches and phases, work items, descriptor runs),
 * and counters over time: each process's operations per second, the migration rate per migrate
 * reason, and each process's memory on each node.
 *
 * Times are ns from the start of the run, so the runs of a sweep line up. A rate over an
 * interval is a counter value from the interval's start; memory is the level at its end.
 */
import { RunFailure } from "../../errors.js";
import type { ScenarioSeries } from "../../workload/app/run-scenario.js";
import type { CounterPoint } from "../perfetto/counters.js";
import { slicesByTrack } from "../perfetto/slices.js";
import { TraceWriter } from "../perfetto/writer.js";
import type { Reporter } from "../reporter.js";
import { type RunReportInput, runNames } from "./input.js";

const MIB = 1024 * 1024;

/** Trace time of a model time: whole ns (the trace's timestamps are integers). */
const at = (ns: number) => Math.round(ns);

/** A rate over each interval, as a counter from the interval's start. */
function rate(series: ScenarioSeries, values: readonly number[], scale: number): CounterPoint[] {
  return series.timeNs.map((end, i) => ({ ns: end - series.intervalNs, value: values[i] * scale }));
}

function renderRunPerfetto(input: RunReportInput): Uint8Array {
  const trace = new TraceWriter(input.runs.length + 1);
  const names = runNames(input);
  input.runs.forEach(({ result }, index) => {
    const rec = result.recording;
    if (rec === undefined) {
      throw new RunFailure(`perfetto: run ${index + 1} (${names[index]}) has no recording`);
    }
    const pid = index + 1;
    const processUuid = trace.process(pid, `${input.scenario} ${names[index]}`);
    const byTrack = slicesByTrack(rec.slices);
    for (const track of rec.tracks) {
      trace.thread(pid, track.name, track.kind, byTrack.get(track.id) ?? [], at);
    }
    const { series } = result;
    for (const p of series.processes) {
      trace.counter(processUuid, `${p.name} ops/s`, rate(series, p.opsPerSec, 1), false, at);
    }
    for (const [reason, r] of Object.entries(series.migrations)) {
      trace.counter(processUuid, `migration GB/s ${reason}`, rate(series, r.gbps, 1), false, at);
    }
    for (const p of series.processes) {
      for (const [node, bytes] of Object.entries(p.bytesByNode)) {
        const points = series.timeNs.map((ns, i) => ({ ns, value: bytes[i] / MIB }));
        trace.counter(processUuid, `${p.name} node ${node} MiB`, points, false, at);
      }
    }
  });
  return trace.finish();
}

export const reporter: Reporter<RunReportInput> = {
  name: "perfetto",
  description:
    "Perfetto trace (protobuf): a track per application thread with its migration-entry stalls, the migrating tasks', copy threads' and DMA channels' tracks, counters of ops/s, migration GB/s and memory per node",
  needsRecording: true,
  binary: true,
  render: renderRunPerfetto,
};

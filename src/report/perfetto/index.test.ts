import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { RunFailure } from "../../errors.js";
import { loadProfile } from "../../machine/profile.js";
import type { Recording } from "../../workload/measurements.js";
import { type MovePagesBenchResult, runMovePagesBench } from "../../workload/move-pages-bench.js";
import type { ReportInput } from "../reporter.js";
import { analyse, type Descriptor, decode, type Event } from "./decoded.case.js";
import { processName, reporter, THROUGHPUT_BUCKETS } from "./index.js";
import { recordingCase, resultCase } from "./recording.case.js";

function input(results: MovePagesBenchResult[]): ReportInput {
  return { command: "bench move-pages", profile: "small-2node", cpus: 8, seed: 1, results };
}

describe("perfetto reporter", () => {
  it("is a binary reporter that needs recordings", () => {
    expect(reporter.name).toBe("perfetto");
    expect(reporter.binary).toBe(true);
    expect(reporter.needsRecording).toBe(true);
  });

  it("writes a process per result with a thread per timeline track and two counters", () => {
    const rec = recordingCase();
    const results = [resultCase("mtcopy", rec), resultCase("dcbm", recordingCase())];
    const packets = decode(reporter.render(input(results)) as Uint8Array);
    expect(packets[0].sequence_flags).toBe(1);
    for (const p of packets) expect(p.trusted_packet_sequence_id).toBe(1);
    const { descriptors } = analyse(packets);

    const processes = descriptors.filter((d) => d.process);
    expect(processes.map((d) => d.process)).toEqual([
      { pid: 1, process_name: "mtcopy workers=2 folio=2M batch=512" },
      { pid: 2, process_name: "dcbm workers=2 folio=2M batch=512" },
    ]);
    const uuids = descriptors.map((d) => d.uuid);
    expect(new Set(uuids).size).toBe(uuids.length);
    for (const proc of processes) {
      const pid = proc.process?.pid;
      const children = descriptors.filter((d) => d.parent_uuid === proc.uuid);
      const threads = descriptors.filter((d) => d.thread?.pid === pid);
      expect(threads.map((d) => d.name)).toEqual(rec.tracks.map((t) => t.name));
      for (const t of threads) expect(t.thread?.thread_name).toBe(t.name);
      expect(threads.filter((t) => t.name?.startsWith("cpu"))).toHaveLength(1);
      expect(threads.filter((t) => t.name?.startsWith("kworker"))).toHaveLength(2);
      expect(threads.filter((t) => t.name?.startsWith("ptdma"))).toHaveLength(2);
      // Only the counters hang from the process track; threads join it by pid.
      expect(children.every((d) => d.counter)).toBe(true);
      expect(children.map((d) => d.name)).toEqual(["GB/s", "folios in flight"]);
    }
    const tids = descriptors.flatMap((d) => (d.thread ? [d.thread.tid] : []));
    expect(tids).toHaveLength(2 * rec.tracks.length);
    expect(new Set(tids).size).toBe(tids.length);
    for (const tid of tids) expect(tid).toBeGreaterThan(results.length);
  });

  it("writes every recorded slice, balanced and nested, in ns from the start of the call", () => {
    const rec = recordingCase();
    const { descriptors, slices } = analyse(
      decode(reporter.render(input([resultCase("mtcopy", rec)])) as Uint8Array),
    );
    for (const track of rec.tracks) {
      const uuid = descriptors.find((d) => d.thread?.thread_name === track.name)?.uuid as number;
      const got = (slices.get(uuid) ?? []).map(({ name, start, end }) => ({ name, start, end }));
      const want = rec.slices
        .filter((s) => s.track === track.id)
        .map((s) => ({
          name: s.name,
          start: Math.round(s.startNs - rec.startNs),
          end: Math.round(s.endNs - rec.startNs),
        }));
      const order = (a: { start: number; end: number }, b: { start: number; end: number }) =>
        a.start - b.start || a.end - b.end;
      expect(got.sort(order)).toEqual(want.sort(order));
    }
    const cpu = descriptors.find((d) => d.thread?.thread_name === "cpu0 move_pages")
      ?.uuid as number;
    const depth = Object.fromEntries((slices.get(cpu) ?? []).map((s) => [s.name, s.depth]));
    expect(depth).toMatchObject({ move_pages: 0, unmap: 1, move: 1, remove_migration_ptes: 2 });
  });

  it("carries slice args as debug annotations and the track kind as category", () => {
    const packets = decode(
      reporter.render(input([resultCase("mtcopy", recordingCase())])) as Uint8Array,
    );
    const begins = packets.flatMap((p) =>
      p.track_event?.type === "TYPE_SLICE_BEGIN" ? [p.track_event] : [],
    );
    const batch = begins.find((e) => e.debug_annotations?.some((a) => a.name === "gbps")) as Event;
    expect(batch.categories).toEqual(["kworker"]);
    expect(batch.debug_annotations).toEqual([
      { name: "folios", int_value: 3 },
      { name: "bytes", int_value: 3 * 2 * 1024 * 1024 },
      { name: "node", string_value: "1" },
      { name: "gbps", double_value: 7.25 },
    ]);
  });

  it("counts folios in flight and the GB/s of folios mapped at their destination", () => {
    const rec = recordingCase();
    const { descriptors, counters } = analyse(
      decode(reporter.render(input([resultCase("mtcopy", rec)])) as Uint8Array),
    );
    const track = (name: string) =>
      counters.get(descriptors.find((d) => d.name === name)?.uuid as number) ?? [];
    expect(descriptors.find((d) => d.name === "folios in flight")?.counter?.unit).toBe(
      "UNIT_COUNT",
    );

    const inFlight = track("folios in flight");
    expect(inFlight[0]).toEqual({ ts: 0, value: 0 });
    expect(Math.max(...inFlight.map((p) => p.value))).toBe(8);
    for (const p of inFlight) expect(p.value).toBeGreaterThanOrEqual(0);
    // The failed folio stays unmapped until the call returns.
    expect(inFlight.at(-2)).toEqual({ ts: 9_000, value: 1 });
    expect(inFlight.at(-1)).toEqual({ ts: 10_000, value: 0 });

    const gbps = track("GB/s");
    expect(gbps).toHaveLength(THROUGHPUT_BUCKETS + 1);
    expect(gbps.at(-1)).toEqual({ ts: 10_000, value: 0 });
    const width = 10_000 / THROUGHPUT_BUCKETS;
    const bytes = gbps.slice(0, -1).reduce((sum, p) => sum + p.value * width, 0);
    expect(bytes).toBeCloseTo(7 * rec.folioSizeBytes, 3);
    // Two folios of 2M in one 100 ns bucket: 41.9 GB/s.
    expect(Math.max(...gbps.map((p) => p.value))).toBeCloseTo((2 * rec.folioSizeBytes) / width, 6);
  });

  it("uses Perfetto's field numbers on the wire", () => {
    const bytes = reporter.render(input([resultCase("mtcopy", recordingCase())])) as Uint8Array;
    // Field numbers from protos/perfetto/trace/{trace,trace_packet}.proto and track_event/*.
    const fields = (buf: Uint8Array): Map<number, Uint8Array[]> => {
      const r = protobuf.Reader.create(buf);
      const out = new Map<number, Uint8Array[]>();
      while (r.pos < r.len) {
        const tag = r.uint32();
        const list = out.get(tag >>> 3) ?? [];
        out.set(tag >>> 3, list);
        if ((tag & 7) === 2) list.push(r.bytes());
        else r.skipType(tag & 7);
      }
      return out;
    };
    const top = fields(bytes);
    expect([...top.keys()]).toEqual([1]);
    const packetFields = new Set<number>();
    const eventFields = new Set<number>();
    const descriptorFields = new Set<number>();
    for (const p of top.get(1) ?? []) {
      const f = fields(p);
      for (const k of f.keys()) packetFields.add(k);
      for (const e of f.get(11) ?? []) for (const k of fields(e).keys()) eventFields.add(k);
      for (const d of f.get(60) ?? []) for (const k of fields(d).keys()) descriptorFields.add(k);
    }
    // timestamp 8, trusted_packet_sequence_id 10, track_event 11, sequence_flags 13,
    // track_descriptor 60.
    expect([...packetFields].sort((a, b) => a - b)).toEqual([8, 10, 11, 13, 60]);
    // debug_annotations 4, type 9, track_uuid 11, categories 22, name 23, counter_value 30,
    // double_counter_value 44.
    expect([...eventFields].sort((a, b) => a - b)).toEqual([4, 9, 11, 22, 23, 30, 44]);
    // uuid 1, name 2, process 3, thread 4, parent_uuid 5, counter 8.
    expect([...descriptorFields].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 8]);
  });

  it("refuses a result without a recording and slices that overlap without nesting", () => {
    const bare: MovePagesBenchResult = { ...resultCase("dcbm", recordingCase()) };
    delete bare.recording;
    expect(() => reporter.render(input([bare]))).toThrow(RunFailure);

    const rec: Recording = recordingCase();
    rec.slices.push({
      track: 3,
      name: "descriptor",
      startNs: rec.startNs + 3_000,
      endNs: rec.startNs + 4_500,
    });
    expect(() => reporter.render(input([resultCase("dcbm", rec)]))).toThrow(
      /overlap without nesting/,
    );
  });

  it("names a process after its configuration", () => {
    const r = resultCase("dcbm", recordingCase());
    expect(processName({ ...r, folioSizeBytes: 4096, workers: 8, batchPages: 1024 })).toBe(
      "dcbm workers=8 folio=4K batch=1024",
    );
    expect(processName({ ...r, folioSizeBytes: 4096, workers: 8, cpuLoad: 3 })).toBe(
      "dcbm workers=8 folio=4K batch=512 cpu_load=3",
    );
  });
});

describe("perfetto reporter on a real run", () => {
  it("traces serial, mtcopy and dcbm calls, with copy-thread and DMA-channel tracks", async () => {
    // dcbm on zen3-2s-ptdma: small-2node has no DMA engine.
    const runs = [
      ["small-2node", "serial"],
      ["small-2node", "mtcopy"],
      ["zen3-2s-ptdma", "dcbm"],
    ] as const;
    const results: MovePagesBenchResult[] = [];
    for (const [profile, migrator] of runs) {
      results.push(
        await runMovePagesBench({
          migrator,
          workers: 2,
          profile: loadProfile(profile),
          folioSizeBytes: 2 * 1024 * 1024,
          folioCount: 64,
          runs: 1,
          seed: 1,
          verify: false,
          record: true,
        }),
      );
    }
    const { descriptors, slices, counters } = analyse(
      decode(reporter.render(input(results)) as Uint8Array),
    );
    const kinds = results.map((r) => (r.recording as Recording).tracks.map((t) => t.kind));
    expect(kinds[0]).toEqual(["cpu"]);
    expect(kinds[1].filter((k) => k === "kworker")).toHaveLength(2);
    expect(kinds[2]).toContain("dma");
    results.forEach((r, i) => {
      const rec = r.recording as Recording;
      const proc = descriptors.find((d) => d.process?.pid === i + 1) as Descriptor;
      const threads = descriptors.filter((d) => d.thread?.pid === i + 1);
      expect(threads.map((t) => t.name)).toEqual(rec.tracks.map((t) => t.name));
      const nSlices = threads.reduce((n, t) => n + (slices.get(t.uuid)?.length ?? 0), 0);
      expect(nSlices).toBe(rec.slices.length);
      const counter = (name: string) =>
        counters.get(
          descriptors.find((d) => d.parent_uuid === proc.uuid && d.name === name)?.uuid as number,
        ) ?? [];
      const inFlight = counter("folios in flight").map((p) => p.value);
      expect(Math.max(...inFlight)).toBeGreaterThan(0);
      expect(Math.max(...inFlight)).toBeLessThanOrEqual(64);
      expect(inFlight.at(-1)).toBe(0);
      const width = (rec.endNs - rec.startNs) / THROUGHPUT_BUCKETS;
      const bytes = counter("GB/s").reduce((sum, p) => sum + p.value * width, 0);
      expect(bytes).toBeCloseTo(64 * 2 * 1024 * 1024, 0);
    });
  });
});

import { describe, expect, it } from "vitest";
import { RunFailure } from "../errors.js";
import { loadProfile } from "../machine/profile.js";
import { MIGRATE_MODE_NAMES, MIGRATE_REASON_NAMES } from "../migrate/modes.js";
import type { TraceEventName } from "../mm/trace.js";
import type { Recording } from "../workload/measurements.js";
import { type MovePagesBenchResult, runMovePagesBench } from "../workload/move-pages-bench.js";
import {
  DEFAULT_BUFFER_SIZE_KB,
  ftraceReporter,
  reporter,
  TLB_FLUSH_REASON_NAMES,
} from "./ftrace.js";
import { recordingCase, resultCase } from "./perfetto/recording.case.js";
import type { ReportInput } from "./reporter.js";

/** TP_printk of include/trace/events/migrate.h, thp.h and tlb.h, with each %s's names. */
const KERNEL_FORMATS: Record<TraceEventName, [string, (readonly string[])[]]> = {
  mm_migrate_pages: [
    "nr_succeeded=%lu nr_failed=%lu nr_thp_succeeded=%lu nr_thp_failed=%lu nr_thp_split=%lu nr_split=%lu mode=%s reason=%s",
    [MIGRATE_MODE_NAMES, MIGRATE_REASON_NAMES],
  ],
  mm_migrate_pages_start: ["mode=%s reason=%s", [MIGRATE_MODE_NAMES, MIGRATE_REASON_NAMES]],
  set_migration_pte: ["addr=%lx, pte=%lx order=%d", []],
  remove_migration_pte: ["addr=%lx, pte=%lx order=%d", []],
  set_migration_pmd: ["addr=%lx, pmd=%lx", []],
  remove_migration_pmd: ["addr=%lx, pmd=%lx", []],
  tlb_flush: ["pages:%ld reason:%s (%d)", [TLB_FLUSH_REASON_NAMES]],
};

const CONVERSIONS: Record<string, string> = {
  "%lu": "\\d+",
  "%ld": "-?\\d+",
  "%d": "-?\\d+",
  "%lx": "[0-9a-f]+",
};

/** The regex of one event's text: literal parts escaped, each conversion as it prints. */
function formatRegex(name: TraceEventName): RegExp {
  const [format, symbols] = KERNEL_FORMATS[name];
  let s = 0;
  const body = format
    .split(/(%lu|%ld|%lx|%d|%s)/)
    .map((part, i) => {
      if (i % 2 === 0) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      if (part !== "%s") return `(${CONVERSIONS[part]})`;
      const names = symbols[s++].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      return `(${[...names, "0x[0-9a-f]+"].join("|")})`;
    })
    .join("");
  return new RegExp(`^${body}$`);
}

/** trace_print_context(): "%16s-%-7d [%03d] " flags " %5lu.%06lu: ", then "name: ". */
const LINE = /^(.{16})-(\d+ *) \[(\d{3,})\] (\.{5}) ( *\d+)\.(\d{6}): (\w+): (.*)$/;

/** Results of small-2node, whose 8 CPUs are all online. */
function input(results: MovePagesBenchResult[]): ReportInput {
  return { command: "bench move-pages", profile: "small-2node", cpus: 8, seed: 1, results };
}

interface Line {
  comm: string;
  pid: number;
  cpu: number;
  us: number;
  name: TraceEventName;
  text: string;
}

function parse(out: string): { header: string[]; lines: Line[] } {
  const all = out.split("\n");
  expect(all.at(-1)).toBe("");
  all.pop();
  const header = all.filter((l) => l.startsWith("#"));
  const lines = all.slice(header.length).map((l) => {
    const m = LINE.exec(l);
    expect(m, l).not.toBeNull();
    const [, comm, pid, cpu, , secs, usec, name, text] = m as RegExpExecArray;
    expect(pid.length, l).toBeGreaterThanOrEqual(7);
    expect(secs.length, l).toBeGreaterThanOrEqual(5);
    expect(text, l).toMatch(formatRegex(name as TraceEventName));
    return {
      comm: comm.trimStart(),
      pid: Number(pid),
      cpu: Number(cpu),
      us: Number(secs) * 1e6 + Number(usec),
      name: name as TraceEventName,
      text,
    };
  });
  return { header, lines };
}

describe("ftrace reporter", () => {
  it("is a text reporter that needs recordings", () => {
    expect(reporter.name).toBe("ftrace");
    expect(reporter.binary).toBe(false);
    expect(reporter.needsRecording).toBe(true);
  });

  it("prints the nop tracer's header", () => {
    const out = reporter.render(input([resultCase("mtcopy", recordingCase())])) as string;
    expect(parse(out).header).toEqual([
      "# tracer: nop",
      "#",
      // 9 events; the machine's 8 CPUs, though the call used CPUs 0 to 3 only.
      "# entries-in-buffer/entries-written: 9/9   #P:8",
      "#",
      "#                                _-----=> irqs-off/BH-disabled",
      "#                               / _----=> need-resched",
      "#                              | / _---=> hardirq/softirq",
      "#                              || / _--=> preempt-depth",
      "#                              ||| / _-=> migrate-disable",
      "#                              |||| /     delay",
      "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
      "#              | |         |   |||||     |         |",
    ]);
  });

  it("prints every event in its kernel format, in µs from the start of the call", () => {
    const rec = recordingCase();
    const out = reporter.render(input([resultCase("mtcopy", rec)])) as string;
    const { lines } = parse(out);
    expect(lines.map((l) => l.name)).toEqual(rec.trace.map((e) => e.name));
    // ns2usecs() rounds half up: 6500 ns is 7 µs.
    expect(lines.map((l) => l.us)).toEqual([1, 1, 1, 2, 2, 2, 6, 7, 10]);
    for (const l of lines) expect(l).toMatchObject({ comm: "move_pages", pid: 1, cpu: 0 });
    const body = out.split("\n").slice(12);
    expect(body[0]).toBe(
      "      move_pages-1       [000] .....     0.000001: mm_migrate_pages_start: mode=MIGRATE_SYNC reason=syscall_or_cpuset",
    );
    expect(lines.map((l) => l.text)).toEqual([
      "mode=MIGRATE_SYNC reason=syscall_or_cpuset",
      "addr=7f0000000000, pmd=1234567e7",
      "addr=7f0000200000, pte=1234568025 order=9",
      "pages:-1 reason:remote ipi send (4)",
      "pages:-1 reason:local shootdown (2)",
      "pages:1 reason:local mm shootdown (3)",
      "addr=7f0000000000, pmd=2234567e7",
      "addr=7f0000200000, pte=2234568067 order=0",
      "nr_succeeded=3584 nr_failed=512 nr_thp_succeeded=7 nr_thp_failed=1 nr_thp_split=0 nr_split=0 mode=MIGRATE_SYNC reason=syscall_or_cpuset",
    ]);
  });

  it("puts each result after the previous one, from the next whole second, with its own pid", () => {
    const second = recordingCase();
    // A call that runs past a second boundary pushes the next result two seconds on.
    second.endNs = second.startNs + 1.5e9;
    const third = recordingCase();
    const out = reporter.render(
      input([
        resultCase("mtcopy", recordingCase()),
        resultCase("dcbm", second),
        resultCase("serial", third),
      ]),
    ) as string;
    const { lines } = parse(out);
    expect(lines).toHaveLength(27);
    expect(lines.map((l) => l.pid)).toEqual([
      ...Array(9).fill(1),
      ...Array(9).fill(2),
      ...Array(9).fill(3),
    ]);
    expect(lines[9].us).toBe(1_000_001);
    expect(lines[18].us).toBe(3_000_001);
    for (let i = 1; i < lines.length; i++)
      expect(lines[i].us).toBeGreaterThanOrEqual(lines[i - 1].us);
  });

  it("names numeric modes and reasons as __print_symbolic does, hex when unknown", () => {
    const rec: Recording = { ...recordingCase(), tracks: [] };
    rec.trace = [
      { ts: rec.startNs, cpu: 12, name: "mm_migrate_pages_start", fields: { mode: 0, reason: 9 } },
      { ts: rec.startNs, cpu: 12, name: "mm_migrate_pages_start", fields: { mode: 2, reason: 42 } },
      { ts: rec.startNs, cpu: 1234, name: "tlb_flush", fields: { reason: 7, pages: 3 } },
    ];
    const out = reporter.render(input([resultCase("mtcopy", rec)])) as string;
    // #P: is the machine's CPUs, whatever CPU numbers the events carry.
    expect(out).toContain("#P:8\n");
    expect(parse(out).lines.map((l) => [l.cpu, l.text])).toEqual([
      [12, "mode=MIGRATE_ASYNC reason=damon"],
      [12, "mode=MIGRATE_SYNC reason=0x2a"],
      [1234, "pages:3 reason:0x7 (7)"],
    ]);
  });

  it("refuses a result without a recording and an event without a field of its format", () => {
    const bare: MovePagesBenchResult = { ...resultCase("dcbm", recordingCase()) };
    delete bare.recording;
    expect(() => reporter.render(input([bare]))).toThrow(RunFailure);
    const rec = recordingCase();
    rec.trace = [{ ts: rec.startNs, cpu: 0, name: "tlb_flush", fields: { reason: 2 } }];
    expect(() => reporter.render(input([resultCase("dcbm", rec)]))).toThrow(
      "ftrace: tlb_flush at 5000000 ns has no pages",
    );
    rec.trace = [{ ts: rec.startNs, cpu: 0, name: "tlb_flush", fields: { reason: 2, pages: 0.5 } }];
    expect(() => reporter.render(input([resultCase("dcbm", rec)]))).toThrow("not an integer");
  });

  it("prints the tracepoints of real serial, mtcopy and dcbm calls", async () => {
    const results: MovePagesBenchResult[] = [];
    // dcbm on zen3-2s-ptdma: small-2node has no DMA engine.
    for (const [profile, migrator] of [
      ["small-2node", "serial"],
      ["small-2node", "mtcopy"],
      ["zen3-2s-ptdma", "dcbm"],
    ] as const) {
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
    const { lines } = parse(reporter.render(input(results)) as string);
    results.forEach((r, i) => {
      const mine = lines.filter((l) => l.pid === i + 1);
      expect(mine).toHaveLength((r.recording as Recording).trace.length);
      expect(mine[0].name).toBe("mm_migrate_pages_start");
      const succeeded = mine
        .filter((l) => l.name === "mm_migrate_pages")
        .reduce((n, l) => n + Number(/nr_succeeded=(\d+)/.exec(l.text)?.[1]), 0);
      expect(succeeded).toBe(64 * 512);
      expect(mine.filter((l) => l.name === "set_migration_pmd")).toHaveLength(64);
      expect(mine.filter((l) => l.name === "remove_migration_pmd")).toHaveLength(64);
    });
  });
});

describe("ftrace ring buffer", () => {
  /** The lines after the header, and the bytes they take. */
  function body(out: string): { lines: string[]; bytes: number } {
    const lines = out.split("\n").slice(parse(out).header.length, -1);
    return { lines, bytes: lines.reduce((n, l) => n + l.length + 1, 0) };
  }

  /** `n` copies of the hand-made call, each event on `cpu`. */
  function calls(n: number, cpu: number): MovePagesBenchResult[] {
    return Array.from({ length: n }, () => {
      const rec = recordingCase();
      rec.trace = rec.trace.map((e) => ({ ...e, cpu }));
      return resultCase("mtcopy", rec);
    });
  }

  it("keeps the newest events that fit a CPU's buffer, and counts every event written", () => {
    const results = calls(3, 0);
    const all = body(reporter.render(input(results)) as string);
    expect(all.lines).toHaveLength(27);
    const out = ftraceReporter({ bufferSizeKb: 1 }).render(input(results)) as string;
    const kept = body(out);
    expect(kept.bytes).toBeLessThanOrEqual(1024);
    // The unbounded trace's tail, as long as fits: one line more would not.
    const dropped = all.lines.length - kept.lines.length;
    expect(dropped).toBeGreaterThan(0);
    expect(kept.lines).toEqual(all.lines.slice(dropped));
    expect(kept.bytes + all.lines[dropped - 1].length + 1).toBeGreaterThan(1024);
    expect(parse(out).header[2]).toBe(
      `# entries-in-buffer/entries-written: ${kept.lines.length}/27   #P:8`,
    );
    expect(ftraceReporter({ bufferSizeKb: 1 }).render(input(results))).toBe(out);
  });

  it("gives each CPU a buffer of its own", () => {
    const results = [...calls(3, 0), ...calls(3, 5)];
    const out = ftraceReporter({ bufferSizeKb: 1 }).render(input(results)) as string;
    const { lines } = parse(out);
    for (const [cpu, pid] of [
      [0, 3],
      [5, 6],
    ]) {
      const mine = lines.filter((l) => l.cpu === cpu);
      // Each CPU's newest events: those of its last call, and nothing of its earlier ones.
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((l) => l.pid === pid)).toBe(true);
    }
  });

  it("bounds a real trace to the kernel's default buffer_size_kb, 1408 KiB per CPU", async () => {
    // 16384 folios of 4K: three events each, 5 MB of text unbounded.
    const r = await runMovePagesBench({
      migrator: "serial",
      profile: loadProfile("small-2node"),
      folioSizeBytes: 4096,
      folioCount: 16384,
      runs: 1,
      seed: 1,
      verify: false,
      record: true,
    });
    const written = (r.recording as Recording).trace.length;
    const out = reporter.render(input([r])) as string;
    const kept = body(out);
    expect(DEFAULT_BUFFER_SIZE_KB).toBe(1408);
    expect(kept.bytes).toBeLessThanOrEqual(1408 * 1024);
    expect(kept.bytes).toBeGreaterThan(1400 * 1024);
    expect(kept.lines.length).toBeLessThan(written);
    expect(out).toContain(`# entries-in-buffer/entries-written: ${kept.lines.length}/${written} `);
    // The newest events: the call's last is its mm_migrate_pages.
    expect(kept.lines.at(-1)).toContain("mm_migrate_pages: nr_succeeded=");
  });
});

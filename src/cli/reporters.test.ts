import { spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunFailure } from "../errors.js";
import { REPORTERS, type Reporter, type ReportInput } from "../report/index.js";
import { usageError } from "../test-support/usage-error.js";
import { needsRecording, resolveReporters, writeReports } from "./reporters.js";

const tty = { reporters: REPORTERS, defaultReporter: "table", stdoutIsTTY: true };
const pipe = { reporters: REPORTERS, defaultReporter: "table", stdoutIsTTY: false };
const resolve = (reporter: string[], json = false) => resolveReporters({ reporter, json }, pipe);
const input: ReportInput = { command: "test", profile: "p", cpus: 1, seed: 1, results: [] };

function fake(name: string, text: string | Uint8Array | (() => never)): Reporter {
  return {
    name,
    description: name,
    needsRecording: false,
    binary: typeof text !== "string",
    render: () => (typeof text === "function" ? text() : text),
  };
}

describe("resolveReporters", () => {
  it("writes the default reporter to stdout when none is named; --json is --reporter json", () => {
    expect(resolve([]).map((t) => [t.reporter.name, t.file])).toEqual([["table", undefined]]);
    expect(resolve([], true).map((t) => [t.reporter.name, t.file])).toEqual([["json", undefined]]);
    const dir = mkdtempSync(join(tmpdir(), "pagemig-rep-"));
    const got = resolve([`csv=${dir}/a.csv`, `migspeed=${dir}/m.txt`], true);
    expect(got.map((t) => [t.reporter.name, t.file])).toEqual([
      ["csv", join(dir, "a.csv")],
      ["migspeed", join(dir, "m.txt")],
      ["json", undefined],
    ]);
  });

  it("asks for recordings only when a chosen reporter needs them", () => {
    expect(needsRecording(resolve(["table", "json=x.json", "csv=y.csv"]))).toBe(false);
    expect(needsRecording(resolve(["table", "perfetto=t.pftrace"]))).toBe(true);
  });

  it("refuses bad specs before anything runs, naming the spec", () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-rep-"));
    writeFileSync(join(dir, "plain"), "");
    mkdirSync(join(dir, "sub"));
    expect(usageError(() => resolve(["xml"]))).toMatch(
      /^--reporter xml: unknown reporter 'xml' \(known: table, json, csv, migspeed/,
    );
    expect(usageError(() => resolve(["xml=out.xml"]))).toMatch(/^--reporter xml=out.xml: unknown/);
    expect(usageError(() => resolve(["json="]))).toBe("--reporter json=: no file after '='");
    expect(usageError(() => resolve(["table", "csv"]))).toMatch(
      /^--reporter: table and csv would all write to stdout/,
    );
    expect(usageError(() => resolve(["table"], true))).toMatch(/table and json would all write/);
    expect(usageError(() => resolve([`json=${dir}/none/x.json`]))).toBe(
      `--reporter json=${dir}/none/x.json: directory ${dir}/none does not exist`,
    );
    expect(usageError(() => resolve([`json=${dir}/plain/x.json`]))).toMatch(
      /: .*plain is not a directory$/,
    );
    expect(usageError(() => resolve([`json=${dir}/sub`]))).toMatch(/sub is a directory$/);
    // A file where a directory should be, further up the path.
    expect(usageError(() => resolve([`json=${dir}/plain/a/x.json`]))).toBe(
      `--reporter json=${dir}/plain/a/x.json: directory ${dir}/plain/a does not exist`,
    );
    expect(usageError(() => resolve([`json=${dir}/a`, `csv=${dir}/./a`]))).toBe(
      `--reporter json=${dir}/a and csv=${dir}/./a: both write ${dir}/a`,
    );
  });

  it("refuses a binary reporter to stdout on a terminal, not to a pipe or a file", () => {
    expect(usageError(() => resolveReporters({ reporter: ["perfetto"] }, tty))).toMatch(
      /^--reporter perfetto: binary output is not written to a terminal/,
    );
    expect(resolveReporters({ reporter: ["perfetto"] }, pipe)).toHaveLength(1);
    expect(resolveReporters({ reporter: ["perfetto=t.pftrace", "table"] }, tty)).toHaveLength(2);
  });

  it("gives the ftrace reporter the --ftrace-buffer-kb buffer, checked strictly", () => {
    const buffer = (ftraceBufferKb: string, reporter = ["ftrace=t.txt", "table"]) =>
      resolveReporters({ reporter, ftraceBufferKb }, pipe);
    const [ftrace, table] = buffer("4");
    expect(ftrace.reporter.name).toBe("ftrace");
    expect(ftrace.reporter).not.toBe(resolve(["ftrace"])[0].reporter);
    expect(table.reporter).toBe(resolve(["table"])[0].reporter);
    for (const bad of ["0", "-1", "1.5", "4K", "abc", ""]) {
      expect(usageError(() => buffer(bad))).toMatch(
        /^--ftrace-buffer-kb: expected a positive integer/,
      );
    }
    expect(usageError(() => buffer("262145"))).toBe(
      "--ftrace-buffer-kb: at most 262144, got 262145",
    );
    expect(usageError(() => buffer("4", ["table"]))).toBe(
      "--ftrace-buffer-kb: no --reporter ftrace given",
    );
  });

  // Root passes every permission check, so as root there is no refusal to see.
  it.skipIf(process.getuid?.() === 0)("refuses a directory it may not write", () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-rep-"));
    chmodSync(dir, 0o500);
    try {
      expect(usageError(() => resolve([`json=${dir}/x.json`]))).toMatch(/is not writable$/);
    } finally {
      chmodSync(dir, 0o700);
    }
  });
});

describe("writeReports", () => {
  it("writes each report to its file and one to stdout, text and bytes", () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-rep-"));
    const out: (string | Uint8Array)[] = [];
    writeReports(
      [
        { reporter: fake("a", "alpha\n"), spec: "a", file: join(dir, "a.txt") },
        { reporter: fake("b", new Uint8Array([0, 255, 10])), spec: "b", file: join(dir, "b.bin") },
        { reporter: fake("c", "to stdout\n"), spec: "c" },
      ],
      input,
      (data) => out.push(data),
    );
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe("alpha\n");
    expect([...readFileSync(join(dir, "b.bin"))]).toEqual([0, 255, 10]);
    expect(out).toEqual(["to stdout\n"]);
    expect(readdirSync(dir).sort()).toEqual(["a.txt", "b.bin"]);
  });

  it("writes nothing, and keeps an earlier file whole, when any reporter fails", () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-rep-"));
    writeFileSync(join(dir, "a.txt"), "earlier\n");
    const out: (string | Uint8Array)[] = [];
    const boom = () => {
      throw new RunFailure("render failed");
    };
    expect(() =>
      writeReports(
        [
          { reporter: fake("a", "new\n"), spec: "a", file: join(dir, "a.txt") },
          { reporter: fake("s", "stdout\n"), spec: "s" },
          { reporter: fake("b", boom), spec: "b", file: join(dir, "b.txt") },
        ],
        input,
        (data) => out.push(data),
      ),
    ).toThrow("render failed");
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe("earlier\n");
    expect(readdirSync(dir)).toEqual(["a.txt"]);
    expect(out).toEqual([]);
  });

  it("replaces the file a symbolic link points to, and keeps the link", () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-rep-"));
    writeFileSync(join(dir, "real.json"), "earlier\n");
    symlinkSync("real.json", join(dir, "link.json"));
    const [target] = resolve([`json=${dir}/link.json`]);
    writeReports([{ ...target, reporter: fake("a", "new\n") }], input, () => {});
    expect(lstatSync(join(dir, "link.json")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, "link.json"))).toBe("real.json");
    expect(readFileSync(join(dir, "real.json"), "utf8")).toBe("new\n");
    expect(readdirSync(dir).sort()).toEqual(["link.json", "real.json"]);
  });

  it("writes a pipe in place rather than putting a file in its place", () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-rep-"));
    const fifo = join(dir, "fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    // A reader that does not block, so the write finds the pipe open and fits in its buffer.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const [target] = resolve([`json=${fifo}`]);
      writeReports([{ ...target, reporter: fake("a", "through the pipe\n") }], input, () => {});
      expect(lstatSync(fifo).isFIFO()).toBe(true);
      const buf = Buffer.alloc(64);
      const n = readSync(reader, buf);
      expect(buf.subarray(0, n).toString()).toBe("through the pipe\n");
    } finally {
      closeSync(reader);
    }
    expect(readdirSync(dir)).toEqual(["fifo"]);
  });

  it("reports a file it cannot write as a failed run and leaves no temporary file", () => {
    const dir = mkdtempSync(join(tmpdir(), "pagemig-rep-"));
    mkdirSync(join(dir, "taken"));
    writeFileSync(join(dir, "taken", "x"), "");
    // Renaming a file over a non-empty directory fails after the temporary file is written.
    expect(() =>
      writeReports(
        [{ reporter: fake("a", "text"), spec: "a=taken", file: join(dir, "taken") }],
        input,
        () => {},
      ),
    ).toThrow(RunFailure);
    expect(readdirSync(dir)).toEqual(["taken"]);
  });
});

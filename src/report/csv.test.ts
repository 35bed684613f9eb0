import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { PHASES } from "../migrate/exec.js";
import { runMovePagesBench } from "../workload/move-pages-bench.js";
import { csvField, reporter, toCsv } from "./csv.js";

/** Parses RFC 4180 text (quoted fields, doubled quotes, CRLF records) back into rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else field += text[i++];
      }
    } else if (text[i] === ",") {
      row.push(field);
      field = "";
      i++;
    } else if (text.startsWith("\r\n", i)) {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i += 2;
    } else field += text[i++];
  }
  expect(row).toEqual([]);
  return rows;
}

describe("csv", () => {
  it("quotes a field only when it holds a comma, a quote or a line break", () => {
    expect(csvField("serial")).toBe("serial");
    expect(csvField(3.5)).toBe("3.5");
    expect(csvField(undefined)).toBe("");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\r")).toBe('"cr\r"');
  });

  it("round-trips awkward text through an RFC 4180 parser, CRLF after every record", () => {
    const text = toCsv(
      ["a", "b", "c"],
      [
        new Map<string, string | number>([
          ["a", 'x,"y"'],
          ["b", "l1\r\nl2"],
        ]),
        new Map<string, string | number>([["c", 7]]),
      ],
    );
    expect(text.endsWith("\r\n")).toBe(true);
    expect(parseCsv(text)).toEqual([
      ["a", "b", "c"],
      ['x,"y"', "l1\r\nl2", ""],
      ["", "", "7"],
    ]);
  });

  it("writes one row per result with every field flattened to a column", async () => {
    const profile = loadProfile("small-2node");
    const run = (migrator: "serial" | "mtcopy", inject?: string) =>
      runMovePagesBench({
        migrator,
        workers: 2,
        profile,
        folioSizeBytes: 65536,
        folioCount: 32,
        runs: 2,
        seed: 1,
        verify: false,
        inject,
        record: true,
      });
    const results = [await run("serial"), await run("mtcopy", "all")];
    const rows = parseCsv(
      String(reporter.render({ command: "c", profile: "small-2node", cpus: 8, seed: 9, results })),
    );
    expect(rows).toHaveLength(3);
    const [header, ...body] = rows;
    expect(new Set(header).size).toBe(header.length);
    for (const row of body) expect(row).toHaveLength(header.length);
    const col = (name: string) => {
      const i = header.indexOf(name);
      expect(i, name).toBeGreaterThanOrEqual(0);
      return body.map((row) => row[i]);
    };
    expect(header.slice(0, 3)).toEqual(["profile", "seed", "migrator"]);
    expect(col("profile")).toEqual(["small-2node", "small-2node"]);
    expect(col("seed")).toEqual(["9", "9"]);
    expect(col("migrator")).toEqual(["serial", "mtcopy"]);
    expect(col("throughputGBps.mean").map(Number)).toEqual(
      results.map((r) => r.throughputGBps.mean),
    );
    for (const p of PHASES) {
      expect(col(`phases.${p}.wallUs`).map(Number)).toEqual(results.map((r) => r.phases[p].wallUs));
    }
    for (const k of ["first", "median", "p99", "last"] as const) {
      expect(col(`folioLatencyUs.${k}`).map(Number)).toEqual(
        results.map((r) => r.folioLatencyUs[k]),
      );
    }
    for (const k of ["syscall", "copyThreads", "irq"] as const) {
      expect(col(`cpuByKind.${k}`).map(Number)).toEqual(results.map((r) => r.cpuByKind[k]));
    }
    // Only the second result injected faults: its columns are empty in the first row.
    expect(col("foliosNotMigrated")[0]).toBe("");
    expect(col("foliosNotMigrated")[1]).toBe(String(results[1].foliosNotMigrated));
    // Recordings are not flattened into columns.
    expect(header.some((h) => h.startsWith("recording"))).toBe(false);
  });
});

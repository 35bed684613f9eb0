import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIdList, ID_LIMIT, parseIdList as parse } from "./cpulist.js";

const parseIdList = (text: string) => parse(text, ID_LIMIT.cpu);

describe("cpu/node lists", () => {
  it("parses ranges and single ids into an ascending set", () => {
    expect(parseIdList("0-3,8,10-11\n")).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseIdList("8,0-1,1")).toEqual([0, 1, 8]);
    expect(parseIdList("\n")).toEqual([]);
  });

  it("formats runs as ranges", () => {
    expect(formatIdList([0, 1, 2, 3, 8, 10, 11])).toBe("0-3,8,10-11");
    expect(formatIdList([5])).toBe("5");
    expect(formatIdList([])).toBe("");
  });

  it("rejects what is not a list", () => {
    for (const bad of ["a", "1-", "3-1", "1,,2", "-1", "0-99999999"]) {
      expect(parseIdList(bad), bad).toBeNull();
    }
  });

  it("rejects ids at or above the limit (NR_CPUS, MAX_NUMNODES) before expanding a range", () => {
    expect(parse("0-8191", ID_LIMIT.cpu)).toHaveLength(8192);
    expect(parse("0-8192", ID_LIMIT.cpu)).toBeNull();
    expect(parse("0-1048576", ID_LIMIT.cpu)).toBeNull();
    expect(parse("1023", ID_LIMIT.node)).toEqual([1023]);
    expect(parse("0-1024", ID_LIMIT.node)).toBeNull();
  });

  it("round-trips: format(parse(s)) parses back to the same set, and a set formats to one text", () => {
    const set = fc
      .uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 60 })
      .map((xs) => xs.sort((a, b) => a - b));
    fc.assert(
      fc.property(set, (ids) => {
        const text = formatIdList(ids);
        expect(parseIdList(text)).toEqual(ids);
        expect(formatIdList(parseIdList(text) ?? [])).toBe(text);
      }),
    );
  });

  it("parses any comma-joined ids and ranges, in any order, to their union", () => {
    const part = fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 5 }));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 20 }), (parts) => {
        const text = parts.map(([a, n]) => (n === 0 ? `${a}` : `${a}-${a + n}`)).join(",");
        const union = new Set(
          parts.flatMap(([a, n]) => Array.from({ length: n + 1 }, (_, i) => a + i)),
        );
        expect(parseIdList(text)).toEqual([...union].sort((a, b) => a - b));
      }),
    );
  });
});

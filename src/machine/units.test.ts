import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import {
  formatSize,
  isFolioSize,
  parseCount,
  parseFolioSize,
  parseList,
  parsePositiveInt,
  parseSize,
  signedPercent,
} from "./units.js";

describe("parseSize", () => {
  it("reads binary multiples", () => {
    expect(parseSize("4K", "x")).toBe(4096);
    expect(parseSize("16K", "x")).toBe(16384);
    expect(parseSize("2M", "x")).toBe(2 * 2 ** 20);
    expect(parseSize("1G", "x")).toBe(2 ** 30);
    expect(parseSize("1T", "x")).toBe(2 ** 40);
    expect(parseSize("4096", "x")).toBe(4096);
    expect(parseSize("1.5G", "x")).toBe(1.5 * 2 ** 30);
    expect(parseSize("2m", "x")).toBe(2 * 2 ** 20);
    expect(parseSize("64KiB", "x")).toBe(65536);
    expect(parseSize("2MiB", "x")).toBe(2 * 2 ** 20);
    expect(parseSize("1gib", "x")).toBe(2 ** 30);
    expect(parseSize("4096B", "x")).toBe(4096);
  });

  // Before, " 4K" was read as 4K and "4KB" as 4096: a stray space or an SI unit went unnoticed.
  it.each([
    [" 4K", "--total: invalid size ' 4K': write it without spaces"],
    ["4K ", "--total: invalid size '4K ': write it without spaces"],
    ["4 K", "--total: invalid size '4 K': write it without spaces"],
    [
      "4KB",
      "--total: size '4KB': KB is ambiguous (1000-based in SI); write K or KiB, both 1024-based",
    ],
    [
      "2mb",
      "--total: size '2mb': MB is ambiguous (1000-based in SI); write M or MiB, both 1024-based",
    ],
  ])("refuses %j, saying why", (text, message) => {
    expect(() => parseSize(text, "--total")).toThrow(new UsageError(message));
  });

  it.each([
    ["-4K", "--total: size must not be negative (got '-4K')"],
    ["0", "--total: size must be greater than zero (got '0')"],
    ["0.3K", "--total: size '0.3K' is not a whole number of bytes"],
    ["1.5", "--total: size '1.5' is not a whole number of bytes"],
    ["4X", "--total: invalid size '4X'"],
    ["K", "--total: invalid size 'K'"],
    ["", "--total: empty size"],
    ["1e3", "--total: invalid size '1e3'"],
    ["99999999T", "--total: size '99999999T' is too large"],
  ])("rejects %j naming what", (text, message) => {
    expect(() => parseSize(text, "--total")).toThrow(UsageError);
    expect(() => parseSize(text, "--total")).toThrow(message);
  });

  it("accepts zero when allowed", () => {
    expect(parseSize("0", "x", { allowZero: true })).toBe(0);
    expect(parseSize("0K", "x", { allowZero: true })).toBe(0);
  });
});

describe("parseFolioSize", () => {
  it("takes the powers of two from 4K to 2M and nothing else", () => {
    const sizes = Array.from({ length: 10 }, (_, order) => 4096 << order);
    for (const bytes of sizes) {
      expect(isFolioSize(bytes)).toBe(true);
      expect(parseFolioSize(formatSize(bytes), "x")).toBe(bytes);
    }
    for (const bytes of [0, 2048, 12288, 3 << 20, 4 << 20, 4096.5, -4096]) {
      expect(isFolioSize(bytes), String(bytes)).toBe(false);
    }
  });

  it.each([
    ["3K", "--folio-size: '3K' is not a folio size (a power of two from 4K to 2M)"],
    ["4M", "--folio-size: '4M' is not a folio size (a power of two from 4K to 2M)"],
    ["2X", "--folio-size: invalid size '2X'"],
  ])("rejects %j naming what", (text, message) => {
    expect(() => parseFolioSize(text, "--folio-size")).toThrow(UsageError);
    expect(() => parseFolioSize(text, "--folio-size")).toThrow(message);
  });
});

describe("formatSize", () => {
  it("uses the largest exact unit", () => {
    expect(formatSize(4096)).toBe("4K");
    expect(formatSize(2 ** 21)).toBe("2M");
    expect(formatSize(2 ** 30)).toBe("1G");
    expect(formatSize(512 * 2 ** 30)).toBe("512G");
    expect(formatSize(2 ** 40)).toBe("1T");
    expect(formatSize(1536 * 1024)).toBe("1536K");
    expect(formatSize(100)).toBe("100");
    expect(formatSize(0)).toBe("0");
  });

  it("round-trips parseSize for every multiple of every unit", () => {
    const unit = fc.constantFrom(
      ["", 1],
      ["K", 2 ** 10],
      ["M", 2 ** 20],
      ["G", 2 ** 30],
      ["T", 2 ** 40],
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8191 }), unit, (k, [suffix, mult]) => {
        const bytes = k * (mult as number);
        expect(parseSize(`${k}${suffix}`, "x")).toBe(bytes);
        expect(parseSize(formatSize(bytes), "x")).toBe(bytes);
      }),
    );
  });

  it("is canonical: format(parse(s)) === s when the count is not a multiple of 1024", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1023 }),
        fc.constantFrom("K", "M", "G", "T"),
        (k, u) => formatSize(parseSize(`${k}${u}`, "x")) === `${k}${u}`,
      ),
    );
  });
});

describe("parseList", () => {
  it("parses each item", () => {
    expect(parseList("4K,64K,2M", "--folio-size", parseSize)).toEqual([4096, 65536, 2 ** 21]);
    expect(() => parseList("4K, 64K", "--folio-size", parseSize)).toThrow(
      new UsageError("--folio-size: ' 64K' in '4K, 64K': write the list without spaces (a,b,c)"),
    );
  });

  it("names what for a bad item and for an empty item", () => {
    expect(() => parseList("4K,4X", "--folio-size", parseSize)).toThrow(
      "--folio-size: invalid size '4X'",
    );
    expect(() => parseList("4K,,2M", "--folio-size", parseSize)).toThrow(
      "--folio-size: empty item in list '4K,,2M'",
    );
  });
});

describe("parseCount and parsePositiveInt", () => {
  it("accept decimal integers in range", () => {
    expect(parseCount("0", "--runs")).toBe(0);
    expect(parseCount("12", "--runs")).toBe(12);
    expect(parsePositiveInt("16", "--threads")).toBe(16);
  });

  it.each(["-1", "1.5", "x", "", "1e3", "0x10", "99999999999999999999"])("reject %j", (text) => {
    expect(() => parseCount(text, "--runs")).toThrow(/^--runs: expected a non-negative integer/);
  });

  it("parsePositiveInt rejects zero", () => {
    expect(() => parsePositiveInt("0", "--threads")).toThrow(
      "--threads: expected a positive integer, got '0'",
    );
  });
});

describe("signedPercent", () => {
  it("signs its value and never prints -0.0%", () => {
    expect([
      signedPercent(0.067),
      signedPercent(-0.011),
      signedPercent(-0.00001),
      signedPercent(0),
    ]).toEqual(["+6.7%", "-1.1%", "+0.0%", "+0.0%"]);
  });
});

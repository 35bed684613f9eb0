import { describe, expect, it } from "vitest";
import { MR_DEMOTION, MR_NUMA_MISPLACED, MR_SYSCALL } from "../migrate/modes.js";
import {
  parseCpuBudget,
  parseDuration,
  parseFolioSize,
  parseMix,
  parseReason,
} from "./quantities.js";

describe("tuner quantities", () => {
  it.each([
    ["800ns", 800],
    ["500us", 500e3],
    ["500µs", 500e3],
    ["20ms", 20e6],
    ["1.5s", 1.5e9],
  ])("duration %j is %d ns", (text, ns) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: ns });
  });

  it.each(["500", "5 minutes", "-1ms", "0us", "", " 2ms", "2 ms"])(
    "rejects duration %j",
    (text) => {
      expect(parseDuration(text).ok).toBe(false);
    },
  );

  it("reads CPU budgets per GiB or in cores", () => {
    expect(parseCpuBudget("300ms/G")).toEqual({ ok: true, value: { kind: "per-gib", ns: 300e6 } });
    expect(parseCpuBudget("300ms/GiB")).toEqual({
      ok: true,
      value: { kind: "per-gib", ns: 300e6 },
    });
    expect(parseCpuBudget("300ms / GiB")).toEqual({
      ok: false,
      reason: "invalid CPU budget '300ms / GiB': write it without spaces",
    });
    expect(parseCpuBudget("300ms")).toEqual({ ok: true, value: { kind: "per-gib", ns: 300e6 } });
    expect(parseCpuBudget("2cores")).toEqual({ ok: true, value: { kind: "cores", cores: 2 } });
    expect(parseCpuBudget("1.5cores")).toEqual({ ok: true, value: { kind: "cores", cores: 1.5 } });
    expect(parseCpuBudget("0cores").ok).toBe(false);
    expect(parseCpuBudget("lots")).toMatchObject({
      ok: false,
      reason: /invalid CPU budget 'lots'/,
    });
  });

  it("reads folio sizes and reasons", () => {
    expect(parseFolioSize("64K")).toEqual({ ok: true, value: 65536 });
    expect(parseFolioSize("3K")).toMatchObject({ ok: false, reason: /not a folio size/ });
    expect(parseFolioSize("4M")).toMatchObject({ ok: false, reason: /not a folio size/ });
    expect(parseReason("syscall")).toEqual({ ok: true, value: MR_SYSCALL });
    expect(parseReason("demotion")).toEqual({ ok: true, value: MR_DEMOTION });
    expect(parseReason("all")).toMatchObject({ ok: false, reason: /not one migrate reason/ });
    expect(parseReason("gc")).toMatchObject({ ok: false, reason: /unknown migrate reason 'gc'/ });
  });

  it("reads weighted mixes and scales the weights to 1", () => {
    expect(parseMix("syscall:3,demotion,numa_misplaced:1", parseReason)).toEqual({
      ok: true,
      value: [
        { key: MR_SYSCALL, weight: 0.6 },
        { key: MR_DEMOTION, weight: 0.2 },
        { key: MR_NUMA_MISPLACED, weight: 0.2 },
      ],
    });
    expect(parseMix("2M:0.7,2M:0.3", parseFolioSize)).toMatchObject({
      ok: false,
      reason: /2M: given twice/,
    });
    expect(parseMix("2M:x", parseFolioSize)).toMatchObject({ ok: false, reason: /weight 'x'/ });
    expect(parseMix("2M:-1", parseFolioSize)).toEqual({
      ok: false,
      reason: "weight '-1' is not a positive decimal number",
    });
    expect(parseMix("2M:0", parseFolioSize)).toMatchObject({ ok: false, reason: /positive/ });
    expect(parseMix("2M:1:2", parseFolioSize)).toMatchObject({ ok: false, reason: /KEY:WEIGHT/ });
    expect(parseMix("2M,", parseFolioSize)).toMatchObject({ ok: false, reason: /KEY:WEIGHT/ });
  });
});

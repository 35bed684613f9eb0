import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MR_COMPACTION, MR_DEMOTION, MR_SYSCALL } from "../migrate/modes.js";
import {
  formatReasonMask,
  MIGRATE_OFFLOAD_REASONS_ALLOWED,
  MIGRATE_OFFLOAD_REASONS_V5,
  parseReasonMask,
} from "./reason-mask.js";

describe("reason masks", () => {
  it("parses names, all, none and hex", () => {
    expect(parseReasonMask("compaction,demotion")).toBe((1 << MR_COMPACTION) | (1 << MR_DEMOTION));
    expect(parseReasonMask("syscall")).toBe(1 << MR_SYSCALL);
    expect(parseReasonMask("all")).toBe(MIGRATE_OFFLOAD_REASONS_ALLOWED);
    expect(parseReasonMask("none")).toBe(0);
    expect(parseReasonMask("0x9")).toBe(0x9);
    expect(MIGRATE_OFFLOAD_REASONS_V5).toBe(0b100101001);
  });

  it("names what is wrong", () => {
    expect(parseReasonMask("compaction,bogus")).toMatch(/unknown migrate reason 'bogus'/);
    expect(parseReasonMask("0xffff")).toMatch(/bits beyond the reasons/);
  });

  it("formats and parses back every mask", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MIGRATE_OFFLOAD_REASONS_ALLOWED }), (mask) => {
        expect(parseReasonMask(formatReasonMask(mask))).toBe(mask);
      }),
    );
  });
});

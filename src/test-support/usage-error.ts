import { expect } from "vitest";
import { UsageError } from "../errors.js";

/** The message of the UsageError `f` throws; fails the test if it throws none or another. */
export function usageError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("no UsageError");
}

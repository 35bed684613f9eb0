import { describe, expect, it } from "vitest";
import { main } from "./main.js";

// The frame itself is tested in program.test.ts; this checks the shipped command list is wired.
describe("main", () => {
  it("runs the profiles command of the shipped command list", async () => {
    let stdout = "";
    const code = await main(["profiles"], { stdout: { write: (s: string) => (stdout += s) } });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NAME\s+NODES\s+MEMORY\s+CPUS\s+DESCRIPTION\n/);
    expect(stdout).toContain("zen3-2s-ptdma");
  });

  it("exits 2 with one line for an unknown option", async () => {
    let stderr = "";
    const code = await main(["--bogus"], { stderr: { write: (s: string) => (stderr += s) } });
    expect(code).toBe(2);
    expect(stderr).toBe("pagemig: unknown option '--bogus'\n");
  });
});

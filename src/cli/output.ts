/**
 * Command output goes through the program's commander output configuration, which main() points
 * at injectable streams, so command modules keep the plain `register(program)` shape and tests
 * need not spawn a process.
 */
import type { Command } from "commander";

/** Writes `text` to the CLI's stdout; `cmd` is the Command an action handler receives. */
export function print(cmd: Command, text: string): void {
  const write = cmd.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s));
  write(text);
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  "))
    .join("\n")
    .concat("\n");
}

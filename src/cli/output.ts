/**
 * Command output goes through the program's commander output configuration, which main() points
 * at injectable streams, so command modules keep the plain `register(program)` shape and tests
 * need not spawn a process.
 */
import type { Command } from "commander";

export { formatTable } from "../report/table.js";

/** Writes `data` to the CLI's stdout; `cmd` is the Command an action handler receives. */
export function print(cmd: Command, data: string | Uint8Array): void {
  const write = cmd.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s));
  // Commander types writeOut as taking text, but the program's passes what it is given on to a
  // Node stream, which takes bytes too (binary reporters to a pipe).
  write(data as string);
}

#!/usr/bin/env node
/** The `pagemig` executable: every command of commands/index.ts on the process's streams. */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { commands } from "./commands/index.js";
import { type CliIO, runCli } from "./program.js";

/** Runs the CLI on `argv` (arguments after the program name) and returns the exit code. */
export function main(argv: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  return runCli(argv, commands, io);
}

function invokedAsBin(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedAsBin()) {
  // A closed pipe (`pagemig profiles | head -1`) is not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

/**
 * The CLI frame: builds the commander program from command modules, runs it, and turns every
 * outcome into an exit code. Exit codes: 0 success, 1 a failed run (RunFailure) or an internal
 * error, 2 bad usage or bad input; every failure is one line on stderr, `pagemig: <reason>`.
 * Kept apart from the command list so the frame can be tested with commands of its own.
 */
import { Command, CommanderError } from "commander";
import { RunFailure, UsageError } from "../errors.js";
import { packageVersion } from "../machine/package-root.js";

export interface CommandModule {
  /** Adds the module's command(s) to `program`; must not call configureOutput or exitOverride. */
  register(program: Command): void;
}

/**
 * A command whose module is imported only when the command line names it, so that a command
 * loads its own dependencies (charts, protobuf, schemas) and no other command's.
 */
export interface LazyCommand {
  /** The command's name, the first argument that selects it. */
  name: string;
  load(): Promise<CommandModule>;
}

/**
 * The command modules `argv` needs: none for `--version`, the named command's alone, and every
 * one otherwise (help lists them all; an unknown name is reported against them all).
 */
async function modulesFor(
  argv: readonly string[],
  commands: readonly (CommandModule | LazyCommand)[],
): Promise<CommandModule[]> {
  const first = argv[0];
  if (first === "-V" || first === "--version") return [];
  const named = commands.find((c) => "load" in c && c.name === first);
  const wanted = named === undefined ? commands : [named];
  return Promise.all(wanted.map((c) => ("load" in c ? c.load() : c)));
}

export interface Writer {
  write(text: string): unknown;
}

/** Everything the CLI would otherwise take from the process; tests inject them. */
export interface CliIO {
  stdout: Writer;
  stderr: Writer;
  /** Read for PAGEMIG_DEBUG=1, which adds the stack to an internal error. */
  env: Record<string, string | undefined>;
}

/** Runs `pagemig` with `commands` on `argv` (arguments after the program name). */
export async function runCli(
  argv: readonly string[],
  commands: readonly (CommandModule | LazyCommand)[],
  io: Partial<CliIO> = {},
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  // Commander's own error text is replaced by one line built from the CommanderError; what it
  // writes to stderr is kept only to name the usage of a command group called without a command.
  let commanderErr = "";
  const program = new Command("pagemig")
    .description("An executable, calibrated model of Linux page migration")
    .version(packageVersion(), "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => stdout.write(s),
      writeErr: (s) => {
        commanderErr += s;
      },
      outputError: () => {},
    });
  // Subcommands copy the output and exit settings when created, so register after configuring.
  for (const m of await modulesFor(argv, commands)) m.register(program);

  const fail = (code: number, message: string): number => {
    stderr.write(`pagemig: ${message.replace(/\s*\n\s*/g, " ")}\n`);
    return code;
  };
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help, --version
      if (err.code === "commander.help") {
        const usage = /^Usage: (.*)$/m.exec(commanderErr)?.[1] ?? "pagemig [command]";
        return fail(2, `missing command (usage: ${usage})`);
      }
      return fail(2, err.message.replace(/^error: /, ""));
    }
    if (err instanceof UsageError) return fail(2, err.message);
    if (err instanceof RunFailure) return fail(1, err.message);
    const e = err instanceof Error ? err : new Error(String(err));
    if (env.PAGEMIG_DEBUG === "1" && e.stack) stderr.write(`${e.stack}\n`);
    return fail(1, `internal error: ${e.message}`);
  }
}

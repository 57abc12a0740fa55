/**
 * The `plugboard` command line.
 *
 * ```sh
 * deno run -A jsr:@plugboard/plugboard/cli new kv      # a starting plugin and its host
 * deno run -A jsr:@plugboard/plugboard/cli build kv/kv.c
 * deno run -A jsr:@plugboard/plugboard/cli inspect kv/kv.so
 * ```
 *
 * `plugboard COMMAND --help` (or `plugboard help COMMAND`) says what each
 * command does and the least permissions it needs.
 *
 * @module
 */

import { consoleIo, EXIT_OK, EXIT_USAGE, type Io, reportError, UsageError } from "./_output.ts";
import { COMMANDS } from "./_commands.ts";

/** Usage of `plugboard`. */
export function mainUsage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.synopsis.length));
  return `plugboard: load native plugins into Deno safely

Usage: plugboard COMMAND [ARGS...] [--json] [--help]
       plugboard help COMMAND
       plugboard --version

Commands:
${Object.values(COMMANDS).map((c) => `  ${c.synopsis.padEnd(width)}  ${c.summary}`).join("\n")}

Exit codes: 0 ok, 1 plugin or load error, 2 usage error.
Run \`plugboard COMMAND --help\` for a command's options and permissions.`;
}

/**
 * Run the CLI with arguments; returns the exit code instead of exiting.
 *
 * @example
 * ```ts
 * import { runCli } from "@plugboard/plugboard/cli";
 *
 * const lines: string[] = [];
 * const code = await runCli(["--help"], { out: (l) => lines.push(l), err: (l) => lines.push(l), color: false });
 * console.log(code, lines[0]); // 0 "plugboard: load native plugins into Deno safely"
 * ```
 *
 * @param args the command line, without the program name
 * @param io where to write
 * @returns the exit code
 */
export async function runCli(args: readonly string[], io: Io = consoleIo()): Promise<number> {
  const dashDash = args.indexOf("--");
  const json = (dashDash === -1 ? args : args.slice(0, dashDash)).includes("--json");
  try {
    const [name, ...rest] = args;
    if (name === undefined) {
      io.err(mainUsage());
      return EXIT_USAGE;
    }
    if (name === "--help" || name === "-h" || (name === "help" && rest.length === 0)) {
      io.out(mainUsage());
      return EXIT_OK;
    }
    if (name === "--version" || name === "-V") {
      // The SDK files (~120 KB) are loaded only to print the version.
      const { PACKAGE_VERSION } = await import("./_sdk_files.ts");
      io.out(`plugboard ${PACKAGE_VERSION}`);
      return EXIT_OK;
    }
    if (name === "help") {
      if (rest.length > 1) throw new UsageError("help takes one COMMAND");
      return await commandNamed(rest[0]).run(["--help"], io);
    }
    return await commandNamed(name).run(rest, io);
  } catch (e) {
    return reportError(e, io, json);
  }
}

function commandNamed(name: string) {
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    throw new UsageError(
      name.startsWith("-")
        ? `Unknown option ${JSON.stringify(name)}: expected a COMMAND first`
        : `Unknown command ${JSON.stringify(name)}`,
    );
  }
  return command;
}

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}

export type { Io };

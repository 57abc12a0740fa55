/**
 * The `plugboard` command line.
 *
 * ```sh
 * deno run -A jsr:@plugboard/plugboard/cli inspect build/greeter.so
 * deno task plugboard call build/myfunction.so MyFunction hello
 * ```
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

Commands:
${Object.values(COMMANDS).map((c) => `  ${c.synopsis.padEnd(width)}  ${c.summary}`).join("\n")}

Exit codes: 0 ok, 1 plugin or load error, 2 usage error.
Run \`plugboard COMMAND --help\` for a command's options.`;
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
  const json = args.includes("--json");
  try {
    const [name, ...rest] = args;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      if (name === undefined) {
        io.err(mainUsage());
        return EXIT_USAGE;
      }
      io.out(mainUsage());
      return EXIT_OK;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`Unknown command ${JSON.stringify(name)}`, mainUsage());
    return await command.run(rest, io);
  } catch (e) {
    return reportError(e, io, json);
  }
}

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}

export type { Io };

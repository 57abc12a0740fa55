/**
 * The CLI's command table: one line per command.
 *
 * @module
 */

import type { Io } from "./_output.ts";
import { inspectCommand } from "./inspect_command.ts";
import { callCommand } from "./call_command.ts";

/** One command of the CLI. */
export interface Command {
  /** e.g. `inspect FILE [--json]` */
  synopsis: string;
  /** One line on what it does. */
  summary: string;
  /** Run it with the arguments after its name; returns the exit code. */
  run(args: readonly string[], io: Io): number | Promise<number>;
}

/** Every command, by name. */
export const COMMANDS: Record<string, Command> = {
  inspect: {
    synopsis: "inspect FILE",
    summary: "show a plugin's metadata without running it",
    run: inspectCommand,
  },
  call: {
    synopsis: "call FILE FUNCTION [ARGS...]",
    summary: "load a plugin and call one function",
    run: callCommand,
  },
};

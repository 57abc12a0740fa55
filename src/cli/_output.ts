/**
 * Shared CLI plumbing: error reporting with stable exit codes, JSON output.
 *
 * @module
 */

import { styleText } from "node:util";
import { PluginError } from "../errors/plugin_error.ts";

/** Exit code: success. */
export const EXIT_OK = 0;
/** Exit code: a plugin or load error. */
export const EXIT_PLUGIN_ERROR = 1;
/** Exit code: the command line was wrong. */
export const EXIT_USAGE = 2;

/** Where a command writes; tests pass their own. */
export interface Io {
  /** Write a line to standard output. */
  out(line: string): void;
  /** Write a line to standard error. */
  err(line: string): void;
  /** Whether to use colours. */
  color: boolean;
}

/**
 * The process's standard streams.
 *
 * @returns an Io writing to stdout and stderr
 */
export function consoleIo(): Io {
  const color = Deno.stderr.isTerminal() && !Deno.env.get("NO_COLOR");
  return { out: (l) => console.log(l), err: (l) => console.error(l), color };
}

/** A command line that cannot be run: printed with the command's usage, exit 2. */
export class UsageError extends PluginError {
  /**
   * @param summary what is wrong
   * @param usage the usage text to show
   */
  constructor(summary: string, usage: string) {
    super("USAGE", summary, { hint: usage });
  }
}

/**
 * Print an error as `error[CODE]: message` and its hint, or as JSON, and
 * return the exit code for it.
 *
 * @param e the error
 * @param io where to write
 * @param json whether to print JSON
 * @returns 2 for usage errors, 1 otherwise
 */
export function reportError(e: unknown, io: Io, json: boolean): number {
  const err = e instanceof PluginError ? e : new PluginError("CALL_FAILED", String(e), {
    cause: e,
  });
  if (json) {
    io.out(
      JSON.stringify({ error: { code: err.code, message: err.summary, hint: err.hint ?? null } }),
    );
  } else {
    const head = `error[${err.code}]`;
    io.err(
      `${
        io.color ? styleText(["bold", "red"], head, { validateStream: false }) : head
      }: ${err.summary}`,
    );
    if (err.hint) {
      for (const line of err.hint.split("\n")) {
        io.err(
          `${io.color ? styleText("cyan", "hint", { validateStream: false }) : "hint"}: ${line}`,
        );
      }
    }
  }
  return err.code === "USAGE" ? EXIT_USAGE : EXIT_PLUGIN_ERROR;
}

/**
 * JSON.stringify that writes bigints as numbers when safe, else as strings.
 *
 * @param value the value
 * @returns the JSON text
 */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      typeof v === "bigint"
        ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
          ? Number(v)
          : v.toString())
        : v,
  );
}

/**
 * Split arguments into flags we know and positionals (so "-5" stays a value).
 *
 * @param args the arguments
 * @param flags the boolean flags the command knows, without dashes
 * @param usage the usage text for errors
 * @returns the flags set and the positionals
 */
export function splitArgs(
  args: readonly string[],
  flags: readonly string[],
  usage: string,
): { flags: Set<string>; positionals: string[] } {
  const set = new Set<string>();
  const positionals: string[] = [];
  let rest = false;
  for (const a of args) {
    if (rest || !a.startsWith("-") || /^-\d/.test(a) || a === "-") positionals.push(a);
    else if (a === "--") rest = true;
    else if (a === "-h") set.add("help");
    else if (flags.includes(a.slice(2)) && a.startsWith("--")) set.add(a.slice(2));
    else throw new UsageError(`Unknown option ${JSON.stringify(a)}`, usage);
  }
  return { flags: set, positionals };
}

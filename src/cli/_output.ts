/**
 * Shared CLI plumbing: error reporting with stable exit codes, JSON output.
 *
 * @module
 */

import { CrashError } from "../errors/crash_error.ts";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.ts";

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

/**
 * A command line that cannot be run: printed as one `error[USAGE]` line and
 * a pointer to the command's help; exit code 2.
 */
export class UsageError extends PluginError {
  /** The command whose help explains the usage, or undefined for `plugboard` itself. */
  readonly command: string | undefined;

  /**
   * @param summary what is wrong, in one line
   * @param command the command (`call`), or undefined for `plugboard` itself
   */
  constructor(summary: string, command?: string) {
    super("USAGE", summary, { hint: `see plugboard ${command ? `${command} ` : ""}--help` });
    this.command = command;
  }
}

/**
 * Anything a command threw, as a PluginError with a stable code: Deno's
 * errors by kind (`NotFound` is `NOT_FOUND` naming the path, `NotCapable`
 * is `PERMISSION_DENIED` naming the `--allow-*` flag that is missing), other
 * exceptions `INTERNAL`.
 *
 * @param e what was thrown
 * @returns the error
 */
export function cliError(e: unknown): PluginError {
  if (e instanceof PluginError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof Deno.errors.NotCapable) {
    // "Requires write access to "/x/y.lock", run again with the --allow-write flag"
    const m = /Requires (\w+) access(?: to "?([^",]+)"?)?/.exec(message);
    const kind = m?.[1] ?? "";
    const what = m?.[2];
    const flag = `--allow-${kind || "..."}${what ? `=${what}` : ""}`;
    return new PluginError(
      "PERMISSION_DENIED",
      `Deno's permissions do not allow ${kind || "this"} access${
        what ? ` to ${JSON.stringify(what)}` : ""
      }: expected ${flag}, found none`,
      { path: what, hint: `run again with ${flag}`, cause: e },
    );
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new PluginError("PERMISSION_DENIED", `The operating system refused: ${message}`, {
      hint: "check the permissions of the file or directory (ls -l, chmod)",
      cause: e,
    });
  }
  if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
    return new PluginError("NOT_FOUND", `No such file or directory: ${message}`, {
      hint: "check the path",
      cause: e,
    });
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return new PluginError("NOT_A_FILE", `Expected a file, found a directory: ${message}`, {
      hint: "name a file, not a directory",
      cause: e,
    });
  }
  for (const kind of Object.values(Deno.errors)) {
    if (typeof kind === "function" && e instanceof kind) {
      return new PluginError("IO_FAILED", `${kind.name}: ${message}`, { cause: e });
    }
  }
  return new PluginError("INTERNAL", `${e instanceof Error ? e.name : "Error"}: ${message}`, {
    hint: "this is a bug in plugboard: please report it with the command line",
    cause: e,
  });
}

/**
 * Print an error as `error[CODE]: message` and its hint, or as JSON, and
 * return the exit code for it. A plugin's own error code is shown as
 * `error[CALL_FAILED] (plugin code N)` (JSON: `pluginCode`); a crash adds
 * its signal or exit code to the JSON.
 *
 * @param e the error
 * @param io where to write
 * @param json whether to print JSON
 * @returns 2 for usage errors, 1 otherwise
 */
export function reportError(e: unknown, io: Io, json: boolean): number {
  const err = cliError(e);
  if (json) {
    io.out(JSON.stringify({ error: errorData(err) }));
  } else {
    for (const line of errorLines(err, io.color)) io.err(line);
  }
  return err.code === "USAGE" ? EXIT_USAGE : EXIT_PLUGIN_ERROR;
}

/**
 * The escape sequences `node:util`'s `styleText` writes for these styles
 * (bold red; cyan), written here so that printing an error does not load
 * Node compatibility, which costs every command several milliseconds.
 */
const SGR = {
  error: ["\x1b[1m\x1b[31m", "\x1b[39m\x1b[22m"],
  cyan: ["\x1b[36m", "\x1b[39m"],
} as const;

/**
 * A build error's compiler output (`BuildError` of ./_compile.ts, told by
 * its code so that this module does not load the compiler's).
 */
function buildStderr(err: PluginError): string | undefined {
  const stderr = (err as { stderr?: unknown }).stderr;
  return err.code === "BUILD_FAILED" && typeof stderr === "string" ? stderr : undefined;
}

/**
 * An error as text lines: a compiler's messages (BUILD_FAILED), then
 * `error[CODE]: summary` (with the plugin's own code after a CALL_FAILED),
 * then the hint.
 *
 * @param err the error
 * @param color whether to colour the heads
 * @returns the lines
 */
export function errorLines(err: PluginError, color = false): string[] {
  const paint = (style: keyof typeof SGR, text: string) =>
    color ? `${SGR[style][0]}${text}${SGR[style][1]}` : text;
  const code = err instanceof CallError && err.pluginCode !== undefined
    ? ` (plugin code ${err.pluginCode})`
    : "";
  // A compiler's messages come first, as it printed them.
  const stderr = buildStderr(err);
  const lines = stderr !== undefined && stderr.trim() !== "" ? stderr.trimEnd().split("\n") : [];
  lines.push(`${paint("error", `error[${err.code}]`)}${code}: ${err.summary}`);
  for (const line of (err.hint ?? "").split("\n").filter((l) => l !== "")) {
    lines.push(`${paint("cyan", "hint")}: ${line}`);
  }
  return lines;
}

/**
 * An error as JSON data: code, message, hint, and what else it carries
 * (expected and found of a load error, the plugin's own code, a crash's
 * signal or exit code).
 *
 * @param err the error
 * @returns the data
 */
export function errorData(err: PluginError): Record<string, unknown> {
  return {
    code: err.code,
    message: err.summary,
    hint: err.hint ?? null,
    ...(err instanceof LoadError ? { expected: err.expected, found: err.found } : {}),
    ...(err instanceof CallError && err.pluginCode !== undefined
      ? { pluginCode: err.pluginCode }
      : {}),
    ...(err instanceof CrashError
      ? { signal: err.signal, exitCode: err.exitCode, stderr: err.stderrTail }
      : {}),
    ...(buildStderr(err) !== undefined ? { stderr: buildStderr(err) } : {}),
  };
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
 * A word as a POSIX shell reads it: as is when it holds only safe
 * characters, else in single quotes.
 *
 * @param s the word
 * @returns the word, quoted when needed
 */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

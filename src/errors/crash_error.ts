/**
 * `CrashError`: a plugin's child process died. It says what the host was
 * waiting for, how the child ended (signal or exit code) and the last lines
 * the child wrote to stderr.
 *
 * @module
 */

import { PluginError, quote } from "./plugin_error.ts";

/** How a child process ended. */
export interface ChildExit {
  /** The child's process id. */
  readonly pid: number;
  /** Its exit code, or `null` when a signal killed it. */
  readonly exitCode: number | null;
  /** The signal that killed it, e.g. `"SIGSEGV"`, or `null`. */
  readonly signal: string | null;
  /** The signal's number, e.g. 11, or `null`. */
  readonly signalNumber: number | null;
  /** The last lines it wrote to stderr, oldest first. */
  readonly stderrTail: readonly string[];
}

/** What {@linkcode CrashError} is built from. */
export interface CrashDetails extends ChildExit {
  /** The plugin file. */
  readonly path: string;
  /** What the host was waiting for, e.g. `"a reply to crash()"`. */
  readonly expected: string;
  /** The function whose call was pending, if any. */
  readonly function?: string;
  /** What was found instead, when not the child's exit (e.g. a malformed frame). */
  readonly found?: string;
  /** How to fix it. @default advice to fix the plugin or enable restarts */
  readonly hint?: string;
}

/**
 * Describe how a child ended: `the child (pid 123) killed by SIGSEGV (signal 11)`
 * or `the child (pid 123) exited with code 3`.
 *
 * @example
 * ```ts
 * import { describeChildExit } from "./crash_error.ts";
 *
 * const text = describeChildExit({
 *   pid: 42,
 *   exitCode: null,
 *   signal: "SIGSEGV",
 *   signalNumber: 11,
 *   stderrTail: [],
 * });
 * console.log(text); // "the child (pid 42) killed by SIGSEGV (signal 11)"
 * ```
 *
 * @param exit how the child ended
 * @returns the description
 */
export function describeChildExit(exit: ChildExit): string {
  return exit.signal !== null
    ? `the child (pid ${exit.pid}) killed by ${exit.signal}${
      exit.signalNumber !== null ? ` (signal ${exit.signalNumber})` : ""
    }`
    : `the child (pid ${exit.pid}) exited with code ${exit.exitCode}`;
}

/**
 * A plugin isolated in a child process crashed (code `PLUGIN_CRASHED`): the
 * child died of a signal or exited while the host waited for it. The host
 * keeps running. The message reads
 * `Plugin "PATH" crashed: expected a reply to f(), found the child (pid N) killed by SIGSEGV (signal 11)`,
 * followed by the child's last stderr lines and a hint.
 *
 * @example Telling a crash from other errors
 * ```ts
 * import { CrashError } from "@plugboard/plugboard";
 *
 * const err = new CrashError({
 *   path: "build/crash_call.so",
 *   expected: "a reply to crash()",
 *   function: "crash",
 *   pid: 4242,
 *   exitCode: null,
 *   signal: "SIGSEGV",
 *   signalNumber: 11,
 *   stderrTail: ["about to crash"],
 * });
 * console.log(err.code, err.signal, err.summary);
 * ```
 */
export class CrashError extends PluginError {
  /** The function whose call was pending, if any. */
  readonly function: string | undefined;
  /** The child's process id. */
  readonly pid: number;
  /** Its exit code, or `null` when a signal killed it. */
  readonly exitCode: number | null;
  /** The signal that killed it, or `null`. */
  readonly signal: string | null;
  /** The signal's number, or `null`. */
  readonly signalNumber: number | null;
  /** The last lines the child wrote to stderr. */
  readonly stderrTail: readonly string[];

  /**
   * Build the error and its message from the crash's details.
   *
   * @param details the file, what was expected, and how the child ended
   */
  constructor(details: CrashDetails) {
    const summary = `Plugin ${quote(details.path)} crashed: expected ${details.expected}, found ${
      details.found ?? describeChildExit(details)
    }`;
    const hint = details.hint ??
      "the host kept running; fix the plugin (the child's stderr above may say why), or open it with { restart: {...} } to start a fresh child after a crash";
    super("PLUGIN_CRASHED", summary, { path: details.path, hint });
    this.function = details.function;
    this.pid = details.pid;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.signalNumber = details.signalNumber;
    this.stderrTail = Object.freeze([...details.stderrTail]);
    if (this.stderrTail.length > 0) {
      this.message = [summary, ...this.stderrTail.map((l) => `  stderr: ${l}`), `hint: ${hint}`]
        .join("\n");
    }
  }
}

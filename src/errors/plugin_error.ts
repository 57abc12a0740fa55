/**
 * The one error hierarchy of plugboard. Every error carries a stable `code`,
 * the file it concerns, a one-line `summary` (expected before found) and a
 * `hint` that says how to fix it. `message` is the summary followed by the
 * hint on its own line, so an uncaught error still tells the user what to do.
 *
 * @module
 */

/** Every stable error code plugboard produces. */
export type ErrorCode =
  // files and ELF
  | "NOT_FOUND"
  | "NOT_A_FILE"
  | "PERMISSION_DENIED"
  | "NOT_ELF"
  | "NOT_WASM"
  | "TRUNCATED"
  | "MALFORMED"
  | "WRONG_ARCH"
  | "WRONG_ELF_CLASS"
  | "NOT_SHARED_OBJECT"
  | "INSECURE_PERMISSIONS"
  // metadata and ABI
  | "NOT_A_PLUGIN"
  | "BAD_METADATA"
  | "ABI_MISMATCH"
  | "INTERFACE_MISSING"
  | "INTERFACE_MISMATCH"
  | "SYMBOL_MISSING"
  | "SIGNATURE_MISMATCH"
  | "STRUCT_MISMATCH"
  | "METADATA_MISMATCH"
  | "LOAD_FAILED"
  | "INIT_FAILED"
  | "ALREADY_OPEN"
  // registry
  | "CHECKSUM_MISMATCH"
  | "BUILD_ID_MISMATCH"
  | "VERSION_MISMATCH"
  | "TOOLCHAIN_MISMATCH"
  | "UNTRUSTED"
  | "LOCKFILE_INVALID"
  | "BAD_SIGNATURE"
  // calls and lifetime
  | "INVALID_ARGUMENT"
  | "CALL_FAILED"
  | "CLOSED"
  // isolation
  | "PLUGIN_CRASHED"
  | "PLUGIN_TIMEOUT"
  | "HANDSHAKE_FAILED"
  | "QUARANTINED"
  | "QUARANTINE_INVALID"
  | "SANDBOX_UNAVAILABLE"
  // WebAssembly
  | "PLUGIN_TRAPPED"
  | "MEMORY_LIMIT"
  | "IMPORT_DENIED"
  // host
  | "DISABLED"
  // the command line and the build
  | "USAGE"
  | "BUILD_FAILED"
  | "IO_FAILED"
  | "INTERNAL";

/** Options of {@linkcode PluginError}. */
export interface PluginErrorOptions {
  /** The file the error concerns, if any. */
  path?: string;
  /** How to fix it; omitted when there is nothing useful to say. */
  hint?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Base class of every error plugboard throws. Catch it and switch on `code`.
 *
 * @example Handling a load error
 * ```ts
 * import { PluginError } from "@plugboard/plugboard";
 *
 * const err = new PluginError("NOT_FOUND", 'Cannot load plugin "x.so": no such file', {
 *   path: "x.so",
 *   hint: "check the path",
 * });
 * if (err instanceof PluginError && err.code === "NOT_FOUND") {
 *   console.log(err.summary, err.hint);
 * }
 * ```
 */
export class PluginError extends Error {
  /** The stable error code. */
  readonly code: ErrorCode;
  /** The message without the hint. */
  readonly summary: string;
  /** How to fix it, or `undefined`. */
  readonly hint: string | undefined;
  /** The file the error concerns, if any. */
  readonly path: string | undefined;

  /**
   * Make an error with a stable code.
   *
   * @param code the stable code
   * @param summary one line: subject quoted, details after a colon, expected before found
   * @param options path, hint and cause
   */
  constructor(code: ErrorCode, summary: string, options: PluginErrorOptions = {}) {
    super(
      options.hint ? `${summary}\nhint: ${options.hint}` : summary,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.code = code;
    this.summary = summary;
    this.hint = options.hint;
    this.path = options.path;
  }

  /**
   * A plain object for JSON output: `{ code, message, hint, path }`.
   *
   * @returns the error as data
   */
  toJSON(): { code: ErrorCode; message: string; hint?: string; path?: string } {
    return {
      code: this.code,
      message: this.summary,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.path ? { path: this.path } : {}),
    };
  }
}

/** Where a load failed: the file, what was expected and what was found. */
export interface MismatchDetails {
  /** The plugin file. */
  path: string;
  /** What went wrong, e.g. "ABI major version mismatch". */
  what: string;
  /** What the host expected. */
  expected: string;
  /** What the plugin has. */
  found: string;
  /** How to fix it. */
  hint: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A plugin was refused at load: its file, format or metadata is not what the
 * host needs. The message reads
 * `Cannot load plugin "PATH": WHAT: expected EXPECTED, found FOUND`.
 *
 * @example
 * ```ts
 * import { LoadError } from "@plugboard/plugboard";
 *
 * const err = new LoadError("ABI_MISMATCH", {
 *   path: "build/greeter.so",
 *   what: "ABI major version mismatch",
 *   expected: "1",
 *   found: "2",
 *   hint: "rebuild the plugin against native/plugboard.h 1.x",
 * });
 * console.log(err.summary);
 * ```
 */
export class LoadError extends PluginError {
  /** What the host expected. */
  readonly expected: string;
  /** What the plugin has. */
  readonly found: string;

  /**
   * Make a load error; the message is built from the details.
   *
   * @param code the stable code
   * @param details file, what, expected, found and hint
   */
  constructor(code: ErrorCode, details: MismatchDetails) {
    super(
      code,
      `Cannot load plugin ${
        quote(details.path)
      }: ${details.what}: expected ${details.expected}, found ${details.found}`,
      { path: details.path, hint: details.hint, cause: details.cause },
    );
    this.expected = details.expected;
    this.found = details.found;
  }
}

/**
 * A call into a plugin failed: the plugin reported an error (`CALL_FAILED`),
 * an argument does not fit the declared signature (`INVALID_ARGUMENT`), or the
 * plugin is closed (`CLOSED`).
 *
 * @example
 * ```ts
 * import { CallError } from "@plugboard/plugboard";
 *
 * const err = new CallError("CALL_FAILED", "build/myfunction.so", "MyFunction", "input is empty", {
 *   pluginCode: 1,
 * });
 * console.log(err.code, err.pluginCode, err.summary);
 * ```
 */
export class CallError extends PluginError {
  /** The function called. */
  readonly function: string;
  /** The plugin's own error code (`CALL_FAILED` only). */
  readonly pluginCode: number | undefined;

  /**
   * Make a call error; the message names the function and the plugin.
   *
   * @param code the stable code
   * @param path the plugin file
   * @param fn the function called
   * @param detail what went wrong
   * @param options hint, cause and the plugin's own code
   */
  constructor(
    code: ErrorCode,
    path: string,
    fn: string,
    detail: string,
    options: { hint?: string; cause?: unknown; pluginCode?: number } = {},
  ) {
    super(code, `Call to ${quote(fn)} in plugin ${quote(path)} failed: ${detail}`, {
      path,
      hint: options.hint,
      cause: options.cause,
    });
    this.function = fn;
    this.pluginCode = options.pluginCode;
  }
}

/**
 * Quote a path or name for a message.
 *
 * @param s the text
 * @returns the text in double quotes
 */
export function quote(s: string): string {
  return JSON.stringify(s);
}

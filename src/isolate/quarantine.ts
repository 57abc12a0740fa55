/**
 * The quarantine list: plugins that crashed or hung when probed, keyed by
 * the SHA-256 of their bytes, each with the reason (signal or exit code,
 * the child's last stderr lines, what it was doing) and when. A rebuilt
 * file has a new hash and is probed again; `plugboard quarantine clear`
 * forgives a file without deleting anything by hand.
 *
 * The list is a JSON file, by default `$PLUGBOARD_QUARANTINE`, else
 * `$XDG_STATE_HOME/plugboard/quarantine.json`, else
 * `~/.local/state/plugboard/quarantine.json`. Every change re-reads the file,
 * applies itself and replaces the file atomically (temporary file and
 * rename), so a reader never sees half a file.
 *
 * @module
 */

import { dirname, join, resolve } from "../file/paths.ts";
import { LoadError, PluginError, quote } from "../errors/plugin_error.ts";
import { readFile } from "../file/read_file.ts";
import { withFileLock, writeError, writeFileAtomic } from "../file/write_file.ts";

/** Why a plugin was quarantined. */
export interface QuarantineReason {
  /** `crash`: the child died; `timeout`: it hung and was killed. */
  readonly kind: "crash" | "timeout";
  /** What the child was doing: loading (constructors, init hook), serving a call, or shutting down. */
  readonly phase: "load" | "call" | "shutdown";
  /** The function being called, for phase `call`. */
  readonly function?: string;
  /** The signal that killed the child, e.g. `"SIGSEGV"`, or `null`. */
  readonly signal: string | null;
  /** The signal's number, or `null`. */
  readonly signalNumber: number | null;
  /** The child's exit code, or `null` when a signal killed it. */
  readonly exitCode: number | null;
  /** The last lines the child wrote to stderr. */
  readonly stderrTail: readonly string[];
  /** The error's summary, e.g. `Plugin "x.so" crashed: expected ..., found ...`. */
  readonly message: string;
}

/** One quarantined plugin. */
export interface QuarantineRecord {
  /** SHA-256 of the file's bytes, hex: the key. */
  readonly sha256: string;
  /** The file's absolute path when it was quarantined. */
  readonly path: string;
  /** The plugin's name, from its metadata; absent for a plain library (no plugboard metadata). */
  readonly name?: string;
  /** The plugin's version, from its metadata. */
  readonly version?: string;
  /** Why. */
  readonly reason: QuarantineReason;
  /** When, as an ISO 8601 timestamp. */
  readonly time: string;
}

interface QuarantineFile {
  version: 1;
  plugins: Record<string, QuarantineRecord>;
}

/** The environment variables {@linkcode defaultQuarantinePath} reads. */
export interface QuarantineEnv {
  /** `PLUGBOARD_QUARANTINE`: the file itself. */
  PLUGBOARD_QUARANTINE?: string;
  /** `XDG_STATE_HOME`: the state directory. */
  XDG_STATE_HOME?: string;
  /** `HOME`: the home directory. */
  HOME?: string;
}

/**
 * Where the quarantine list lives by default: `$PLUGBOARD_QUARANTINE`, else
 * `$XDG_STATE_HOME/plugboard/quarantine.json`, else
 * `$HOME/.local/state/plugboard/quarantine.json`.
 *
 * @example
 * ```ts
 * import { defaultQuarantinePath } from "@plugboard/plugboard/isolate";
 *
 * console.log(defaultQuarantinePath({ HOME: "/home/ada" }));
 * // "/home/ada/.local/state/plugboard/quarantine.json"
 * ```
 *
 * @param env the variables to use; by default the process's environment
 *   (variables that cannot be read count as unset)
 * @returns the file's path
 * @throws {PluginError} `USAGE` when none of the variables is set
 */
export function defaultQuarantinePath(env: QuarantineEnv = processEnv()): string {
  if (env.PLUGBOARD_QUARANTINE) return env.PLUGBOARD_QUARANTINE;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "plugboard", "quarantine.json");
  if (env.HOME) return join(env.HOME, ".local", "state", "plugboard", "quarantine.json");
  throw new PluginError("USAGE", "Cannot find a place for the quarantine list: HOME is not set", {
    hint: "set PLUGBOARD_QUARANTINE to a file path, or pass one (--quarantine FILE)",
  });
}

function processEnv(): QuarantineEnv {
  // Read only what is granted: never prompt the user.
  const get = (variable: string) =>
    Deno.permissions.querySync({ name: "env", variable }).state === "granted"
      ? Deno.env.get(variable)
      : undefined;
  return {
    PLUGBOARD_QUARANTINE: get("PLUGBOARD_QUARANTINE"),
    XDG_STATE_HOME: get("XDG_STATE_HOME"),
    HOME: get("HOME"),
  };
}

/**
 * Open a quarantine list (the file is created on the first change).
 *
 * @example Refusing a quarantined plugin
 * ```ts ignore
 * import { openQuarantine } from "@plugboard/plugboard/isolate";
 *
 * const quarantine = openQuarantine();
 * quarantine.check("plugins/untrusted.so"); // throws QUARANTINED, with the reason
 * ```
 *
 * @param path the list's file; by default {@linkcode defaultQuarantinePath}()
 * @returns the list
 */
export function openQuarantine(path: string = defaultQuarantinePath()): Quarantine {
  return new Quarantine(path);
}

/** A quarantine list file. Every read sees the file as it is now. */
export class Quarantine {
  /** The list's file. */
  readonly path: string;

  /**
   * Use {@linkcode openQuarantine}.
   *
   * @param path the list's file
   */
  constructor(path: string) {
    this.path = resolve(path);
  }

  /**
   * Every record, oldest first.
   *
   * @returns the records
   * @throws {PluginError} `QUARANTINE_INVALID` when the file is not a quarantine list
   */
  list(): QuarantineRecord[] {
    return Object.values(this.#read().plugins).sort((a, b) => a.time < b.time ? -1 : 1);
  }

  /**
   * The record of a file's bytes.
   *
   * @param sha256 the file's SHA-256, hex
   * @returns the record, or `undefined`
   */
  get(sha256: string): QuarantineRecord | undefined {
    return this.#read().plugins[sha256];
  }

  /**
   * Records matching a plugin file (by the hash of its current bytes or by
   * the recorded path) or a hash prefix of at least 8 hex digits.
   *
   * @param fileOrHash a file path or a SHA-256 prefix
   * @returns the matching records
   */
  find(fileOrHash: string): QuarantineRecord[] {
    const all = Object.values(this.#read().plugins);
    const hash = fileHash(fileOrHash);
    const abs = resolve(fileOrHash);
    const prefix = /^[0-9a-f]{8,64}$/i.test(fileOrHash) ? fileOrHash.toLowerCase() : undefined;
    return all.filter((r) =>
      r.sha256 === hash || r.path === abs || (prefix !== undefined && r.sha256.startsWith(prefix))
    );
  }

  /**
   * Add (or replace) a record and save the file.
   *
   * @param record the record
   */
  add(record: QuarantineRecord): void {
    this.#edit((data) => {
      data.plugins[record.sha256] = record;
      return true;
    });
  }

  /**
   * Remove the records of these hashes and save the file.
   *
   * @param sha256s the hashes
   * @returns how many records were removed
   */
  remove(sha256s: readonly string[]): number {
    let n = 0;
    this.#edit((data) => {
      for (const h of sha256s) {
        if (h in data.plugins) {
          delete data.plugins[h];
          n++;
        }
      }
      return n > 0;
    });
    return n;
  }

  /**
   * Remove every record.
   *
   * @returns how many records were removed
   */
  clear(): number {
    let n = 0;
    this.#edit((data) => {
      n = Object.keys(data.plugins).length;
      data.plugins = {};
      return n > 0;
    });
    return n;
  }

  /**
   * Refuse a quarantined file.
   *
   * @example
   * ```ts ignore
   * openQuarantine().check("build/crash_ctor.so");
   * ```
   *
   * @param path the plugin file
   * @throws {LoadError} `QUARANTINED`, with the reason and the way out
   */
  check(path: string): void {
    const hash = fileHash(path);
    const record = hash === undefined ? undefined : this.get(hash);
    if (record) throw quarantinedError(path, record);
  }

  #read(): QuarantineFile {
    let text: string;
    try {
      // Not a trust decision (it only keeps plugins from running), so no permission rule.
      const file = readFile(this.path, {
        subject: "quarantine list",
        maxBytes: MAX_QUARANTINE_BYTES,
        allowInsecurePermissions: true,
        hash: false,
      });
      text = new TextDecoder().decode(file.bytes);
    } catch (e) {
      if (e instanceof PluginError && e.code === "NOT_FOUND") return { version: 1, plugins: {} };
      // The reader's own message already names the file and what is wrong.
      const inner = e instanceof PluginError ? e : undefined;
      throw new PluginError(
        "QUARANTINE_INVALID",
        inner
          ? inner.summary
          : `Cannot read the quarantine list ${quote(this.path)}: ${(e as Error).message}`,
        {
          path: this.path,
          hint: inner?.hint ?? "choose another file with --quarantine FILE",
          cause: e,
        },
      );
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw invalid(this.path, "JSON", "text that is not JSON", e);
    }
    const d = data as Partial<QuarantineFile>;
    if (
      typeof d !== "object" || d === null || d.version !== 1 || typeof d.plugins !== "object" ||
      d.plugins === null
    ) {
      throw invalid(this.path, `{ "version": 1, "plugins": {...} }`, `another shape`);
    }
    for (const [key, record] of Object.entries(d.plugins)) {
      const problem = recordProblem(key, record);
      if (problem) {
        throw invalid(
          this.path,
          "records of the documented shape",
          `record ${quote(key)}: ${problem}`,
        );
      }
    }
    return d as QuarantineFile;
  }

  /** Read, change and write the list under a lock, so concurrent probes lose nothing. */
  #edit(change: (data: QuarantineFile) => boolean): void {
    // What is there must be a quarantine list (or nothing) before anything is written next to it.
    this.#read();
    try {
      Deno.mkdirSync(dirname(this.path), { recursive: true });
    } catch (e) {
      throw writeError(e, this.path);
    }
    withFileLock(this.path, () => {
      const data = this.#read();
      if (change(data)) writeFileAtomic(this.path, JSON.stringify(data, null, 2) + "\n");
    });
  }
}

/**
 * The `QUARANTINED` error for a file and its record.
 *
 * @param path the plugin file
 * @param record why it is quarantined
 * @returns the error
 */
export function quarantinedError(path: string, record: QuarantineRecord): LoadError {
  return new LoadError("QUARANTINED", {
    path,
    what: "the plugin is quarantined",
    expected: "a plugin that did not crash or hang when probed",
    found: `${describeReason(record.reason)} on ${record.time} (SHA-256 ${
      record.sha256.slice(0, 12)
    })`,
    hint:
      `fix and rebuild it (a new build is probed again), or run \`plugboard quarantine clear ${path}\` to probe it again`,
  });
}

/**
 * A reason in a few words: `a crash while loading: killed by SIGSEGV (signal 11)`.
 *
 * @example
 * ```ts
 * import { describeQuarantineReason } from "@plugboard/plugboard/isolate";
 *
 * console.log(describeQuarantineReason({
 *   kind: "timeout",
 *   phase: "load",
 *   signal: "SIGKILL",
 *   signalNumber: 9,
 *   exitCode: null,
 *   stderrTail: [],
 *   message: "",
 * })); // "a hang while loading"
 * ```
 *
 * @param reason the reason
 * @returns the description
 */
export function describeQuarantineReason(reason: QuarantineReason): string {
  return describeReason(reason);
}

function describeReason(reason: QuarantineReason): string {
  const doing = reason.phase === "load"
    ? "while loading"
    : reason.phase === "shutdown"
    ? "while shutting down"
    : `in ${reason.function ?? "a call"}()`;
  if (reason.kind === "timeout") return `a hang ${doing}`;
  const how = reason.signal !== null
    ? `killed by ${reason.signal}${
      reason.signalNumber !== null ? ` (signal ${reason.signalNumber})` : ""
    }`
    : `exited with code ${reason.exitCode}`;
  return `a crash ${doing}: ${how}`;
}

function fileHash(path: string): string | undefined {
  try {
    return readFile(path, { allowInsecurePermissions: true }).sha256;
  } catch {
    return undefined;
  }
}

/** The largest quarantine list read. */
const MAX_QUARANTINE_BYTES = 16 << 20;

/** What is wrong with one record of the file, or `undefined`. */
function recordProblem(key: string, r: unknown): string | undefined {
  if (typeof r !== "object" || r === null || Array.isArray(r)) return "not an object";
  const x = r as Record<string, unknown>;
  if (!/^[0-9a-f]{64}$/.test(key) || x.sha256 !== key) return "its key is not its SHA-256";
  if (typeof x.path !== "string") return '"path" is not a string';
  if (typeof x.time !== "string") return '"time" is not a string';
  for (const f of ["name", "version"]) {
    if (x[f] !== undefined && typeof x[f] !== "string") return `"${f}" is not a string`;
  }
  const reason = x.reason as Record<string, unknown> | null | undefined;
  if (typeof reason !== "object" || reason === null) return '"reason" is not an object';
  if (reason.kind !== "crash" && reason.kind !== "timeout") {
    return '"reason.kind" is not crash or timeout';
  }
  if (!["load", "call", "shutdown"].includes(reason.phase as string)) {
    return '"reason.phase" is not load, call or shutdown';
  }
  if (typeof reason.message !== "string") return '"reason.message" is not a string';
  if (reason.signal !== null && typeof reason.signal !== "string") {
    return '"reason.signal" is not a string or null';
  }
  if (reason.signalNumber !== null && typeof reason.signalNumber !== "number") {
    return '"reason.signalNumber" is not a number or null';
  }
  if (reason.exitCode !== null && typeof reason.exitCode !== "number") {
    return '"reason.exitCode" is not a number or null';
  }
  if (
    !Array.isArray(reason.stderrTail) || !reason.stderrTail.every((l) => typeof l === "string")
  ) {
    return '"reason.stderrTail" is not a list of strings';
  }
  if (reason.function !== undefined && typeof reason.function !== "string") {
    return '"reason.function" is not a string';
  }
  return undefined;
}

function invalid(path: string, expected: string, found: string, cause?: unknown): PluginError {
  return new PluginError(
    "QUARANTINE_INVALID",
    `Cannot read the quarantine list ${quote(path)}: expected ${expected}, found ${found}`,
    {
      path,
      hint: `delete or fix the file, or choose another with --quarantine FILE`,
      cause,
    },
  );
}

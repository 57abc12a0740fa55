/**
 * The lockfile, `plugboard.lock`: what was trusted, plugin by plugin. JSON,
 * kept apart from any configuration, with a format `version`, one entry per
 * `name@version`, keys in a fixed order and entries sorted, so a change shows
 * as a small diff. It is always replaced atomically (a temporary file renamed
 * over it), so a reader never sees half of one. The format is described in
 * `docs/lockfile.md`.
 *
 * @example A lockfile with one plugin
 * ```json
 * {
 *   "version": 1,
 *   "plugins": {
 *     "greeter@0.1.0": {
 *       "name": "greeter",
 *       "version": "0.1.0",
 *       "abi": "1.0",
 *       "interfaces": {
 *         "greeter": {
 *           "version": "1.0",
 *           "hash": "5e0d0f6f0b1c…(64 hex digits)",
 *           "functions": ["cstring greet(cstring)"]
 *         }
 *       },
 *       "compiler": "gcc 12.2.0",
 *       "buildId": "0f6d3c2b1a998877",
 *       "sha256": "9b2c…(64 hex digits)",
 *       "path": "build/greeter.so"
 *     }
 *   }
 * }
 * ```
 *
 * @module
 */

import { PluginError, quote } from "../errors/plugin_error.ts";
import type { PluginKind } from "../abi/identity.ts";
import { readFile } from "../file/read_file.ts";
import { publicKeyOf } from "./signature.ts";
import { writeFileAtomic } from "../file/write_file.ts";
import { compareEntries } from "../abi/semver.ts";

/** The format version this plugboard reads and writes. */
export const LOCKFILE_VERSION = 2;

/** The largest lockfile read (64 MiB: about 100,000 entries). */
export const MAX_LOCKFILE_BYTES = 64 << 20;

/** The lockfile's default name, looked up in the current directory. */
export const DEFAULT_LOCKFILE = "plugboard.lock";

/** An interface as it was trusted. */
export interface LockedInterface {
  /** Its version, `MAJOR.MINOR`. */
  readonly version: string;
  /** SHA-256 (hex) of `id/MAJOR.MINOR` and its canonical signatures. */
  readonly hash: string;
  /** Its canonical signatures, sorted by function name. */
  readonly functions: readonly string[];
}

/**
 * The key of an entry in `plugins`: `name@version` for a shared library,
 * `name@version:wasm` or `name@version:executable` for the other kinds, so
 * that the builds of one version in several kinds can all be trusted.
 *
 * @example
 * ```ts
 * import { lockKey } from "@plugboard/plugboard/registry";
 *
 * console.log(lockKey({ name: "greeter", version: "0.1.0", kind: "wasm" })); // "greeter@0.1.0:wasm"
 * ```
 *
 * @param e the entry's name, version and kind
 * @returns its key
 */
export function lockKey(e: { name: string; version: string; kind?: string }): string {
  const kind = e.kind ?? "native";
  return kind === "native" ? `${e.name}@${e.version}` : `${e.name}@${e.version}:${kind}`;
}

/** One trusted plugin. */
export interface LockEntry {
  /** The plugin's name. */
  readonly name: string;
  /** Its version (semver). */
  readonly version: string;
  /** What kind of plugin it is (version 1 lockfiles knew only native ones). */
  readonly kind: PluginKind;
  /** The ABI it was built with, `MAJOR.MINOR`. */
  readonly abi: string;
  /** Its interfaces, by id. */
  readonly interfaces: Readonly<Record<string, LockedInterface>>;
  /** The compiler that built it, e.g. `gcc 12.2.0`. */
  readonly compiler: string;
  /** The build id stamped at build time (`""` when none was). */
  readonly buildId: string;
  /** SHA-256 of the file, hex. */
  readonly sha256: string;
  /** Where it was seen: relative to the lockfile's directory when inside it. */
  readonly path: string;
}

/**
 * A trusted publisher: its key, and the plugins (a name or a name pattern
 * with `*`, and a semver range) whose signed builds load without a pinned
 * hash.
 */
export interface Publisher {
  /** The public key, `plugboard-ed25519:...`. */
  readonly key: string;
  /** A name for people, e.g. `acme`. */
  readonly name?: string;
  /** What it is trusted for: `greeter@^0.2`, `calc-*@>=1.0`, `greeter`. */
  readonly trusts: readonly string[];
  /** Set when the key was retired: plugins signed only by it are refused, with this reason. */
  readonly retired?: { readonly time: string; readonly reason: string };
}

/** A parsed lockfile. */
export interface Lockfile {
  /** The format version, {@linkcode LOCKFILE_VERSION} (version 1 files are read too). */
  readonly version: number;
  /** The trusted plugins, keyed `name@version`. */
  readonly plugins: Readonly<Record<string, LockEntry>>;
  /** The trusted publishers, keyed by key id. */
  readonly publishers?: Readonly<Record<string, Publisher>>;
}

/** Options of {@linkcode readLockfile}. */
export interface ReadLockfileOptions {
  /**
   * Read a lockfile that others could change (writable by group or others,
   * in such a directory, or owned by another user); otherwise
   * `INSECURE_PERMISSIONS`: whoever can write it decides what is trusted.
   * @default false
   */
  allowInsecurePermissions?: boolean;
}

/** Options of {@linkcode parseLockfile}. */
export interface ParseLockfileOptions {
  /** The file the text came from, for messages. @default "plugboard.lock" */
  path?: string;
}

const ENTRY_KEYS = [
  "name",
  "version",
  "kind",
  "abi",
  "interfaces",
  "compiler",
  "buildId",
  "sha256",
  "path",
] as const;
const INTERFACE_KEYS = ["version", "hash", "functions"] as const;
const HEX64 = /^[0-9a-f]{64}$/;
const PAIR = /^\d{1,5}\.\d{1,5}$/;

/**
 * Read and validate a lockfile.
 *
 * @example
 * ```ts ignore
 * import { readLockfile } from "@plugboard/plugboard/registry";
 *
 * const lock = readLockfile("plugboard.lock");
 * console.log(Object.keys(lock.plugins)); // ["greeter@0.1.0", ...]
 * ```
 *
 * @param path the lockfile
 * @param options the permission check
 * @returns the lockfile
 * @throws {PluginError} `NOT_FOUND` when there is no such file,
 *   `PERMISSION_DENIED` when it cannot be read, `INSECURE_PERMISSIONS` when
 *   others could change it, `LOCKFILE_INVALID` when it is not a valid lockfile
 */
export function readLockfile(path: string, options: ReadLockfileOptions = {}): Lockfile {
  const file = readFile(path, {
    subject: "lockfile",
    maxBytes: MAX_LOCKFILE_BYTES,
    allowInsecurePermissions: options.allowInsecurePermissions,
    hash: false,
  });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(file.bytes);
  } catch (e) {
    throw invalid(path, "the file", "UTF-8 text", "invalid UTF-8 bytes", e);
  }
  return parseLockfile(text, { path });
}

/**
 * Parse and validate the text of a lockfile.
 *
 * @example
 * ```ts
 * import { parseLockfile } from "@plugboard/plugboard/registry";
 *
 * const lock = parseLockfile('{ "version": 1, "plugins": {} }');
 * console.log(lock.version, Object.keys(lock.plugins).length); // 1 0
 * ```
 *
 * @param text the JSON text
 * @param options the file name for messages
 * @returns the lockfile
 * @throws {PluginError} `LOCKFILE_INVALID`, naming the first bad field
 */
export function parseLockfile(
  text: string,
  options: ParseLockfileOptions = {},
): Lockfile {
  const path = options.path ?? DEFAULT_LOCKFILE;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw invalid(path, "the file", "JSON", (e as Error).message, e);
  }
  if (!isObject(data)) throw invalid(path, "the file", "a JSON object", kind(data));
  if (data.version !== LOCKFILE_VERSION && data.version !== 1) {
    const newer = typeof data.version === "number" &&
      data.version > LOCKFILE_VERSION;
    throw new PluginError(
      "LOCKFILE_INVALID",
      `Cannot read lockfile ${
        quote(path)
      }: unsupported format version: expected 1 or ${LOCKFILE_VERSION}, found ${
        kind(data.version)
      }`,
      {
        path,
        hint: newer
          ? "it was written by a newer plugboard: upgrade plugboard"
          : `write "version": ${LOCKFILE_VERSION}, or recreate it with plugboard trust`,
      },
    );
  }
  onlyKeys(path, "the file", data, ["version", "plugins", "publishers"]);
  if (!isObject(data.plugins)) {
    throw invalid(path, "plugins", "an object", kind(data.plugins));
  }
  const plugins: Record<string, LockEntry> = {};
  for (const [key, value] of Object.entries(data.plugins)) {
    const entry = parseEntry(path, `plugins[${quote(key)}]`, value);
    if (key !== lockKey(entry)) {
      throw invalid(path, `plugins[${quote(key)}]`, `the key ${quote(lockKey(entry))}`, quote(key));
    }
    plugins[key] = entry;
  }
  const publishers: Record<string, Publisher> = {};
  if (data.publishers !== undefined) {
    if (!isObject(data.publishers)) {
      throw invalid(path, "publishers", "an object", kind(data.publishers));
    }
    for (const [id, value] of Object.entries(data.publishers)) {
      publishers[id] = parsePublisher(path, `publishers[${quote(id)}]`, id, value);
    }
  }
  return Object.freeze({
    version: LOCKFILE_VERSION,
    plugins: Object.freeze(plugins),
    ...(Object.keys(publishers).length ? { publishers: Object.freeze(publishers) } : {}),
  });
}

function parsePublisher(path: string, where: string, id: string, v: unknown): Publisher {
  if (!isObject(v)) throw invalid(path, where, "an object", kind(v));
  onlyKeys(path, where, v, ["key", "name", "trusts", "retired"]);
  let key;
  try {
    key = typeof v.key === "string" ? publicKeyOf(v.key) : undefined;
  } catch {
    key = undefined;
  }
  if (!key) throw invalid(path, `${where}.key`, "a plugboard-ed25519 public key", kind(v.key));
  if (key.id !== id) throw invalid(path, where, `the key id ${quote(key.id)}`, quote(id));
  if (v.name !== undefined && typeof v.name !== "string") {
    throw invalid(path, `${where}.name`, "a string", kind(v.name));
  }
  if (!Array.isArray(v.trusts) || !v.trusts.every((t) => typeof t === "string")) {
    throw invalid(path, `${where}.trusts`, 'an array of "NAME@RANGE"', kind(v.trusts));
  }
  let retired: Publisher["retired"];
  if (v.retired !== undefined) {
    const r = v.retired as Record<string, unknown>;
    if (!isObject(r) || typeof r.time !== "string" || typeof r.reason !== "string") {
      throw invalid(path, `${where}.retired`, "{ time, reason }", kind(v.retired));
    }
    retired = Object.freeze({ time: r.time, reason: r.reason });
  }
  return Object.freeze({
    key: key.key,
    ...(v.name !== undefined ? { name: v.name as string } : {}),
    trusts: Object.freeze([...v.trusts as string[]]),
    ...(retired ? { retired } : {}),
  });
}

/**
 * The canonical text of a lockfile: two-space JSON, entries sorted by name
 * then version, keys in a fixed order, a final newline. Equal lockfiles give
 * equal text.
 *
 * @example
 * ```ts
 * import { formatLockfile } from "@plugboard/plugboard/registry";
 *
 * console.log(formatLockfile({ version: 2, plugins: {} }));
 * // {
 * //   "version": 2,
 * //   "plugins": {}
 * // }
 * ```
 *
 * @param lock the lockfile
 * @returns the JSON text
 */
export function formatLockfile(lock: Lockfile): string {
  const entries = Object.values(lock.plugins).sort(compareEntries);
  const plugins: Record<string, unknown> = {};
  for (const e of entries) {
    const interfaces: Record<string, unknown> = {};
    for (const id of Object.keys(e.interfaces).sort()) {
      const i = e.interfaces[id];
      interfaces[id] = {
        version: i.version,
        hash: i.hash,
        functions: [...i.functions].sort(byFunctionName),
      };
    }
    plugins[lockKey(e)] = {
      name: e.name,
      version: e.version,
      kind: e.kind,
      abi: e.abi,
      interfaces,
      compiler: e.compiler,
      buildId: e.buildId,
      sha256: e.sha256,
      path: e.path,
    };
  }
  const publishers: Record<string, unknown> = {};
  for (const id of Object.keys(lock.publishers ?? {}).sort()) {
    const p = lock.publishers![id];
    publishers[id] = {
      key: p.key,
      ...(p.name !== undefined ? { name: p.name } : {}),
      trusts: [...p.trusts],
      ...(p.retired ? { retired: { time: p.retired.time, reason: p.retired.reason } } : {}),
    };
  }
  return JSON.stringify(
    {
      version: LOCKFILE_VERSION,
      plugins,
      ...(Object.keys(publishers).length ? { publishers } : {}),
    },
    null,
    2,
  ) + "\n";
}

/**
 * Write a lockfile atomically: its canonical text goes to a temporary file in
 * the same directory, which is flushed and renamed over `path`.
 *
 * @example
 * ```ts ignore
 * import { readLockfile, writeLockfile } from "@plugboard/plugboard/registry";
 *
 * writeLockfile("plugboard.lock", readLockfile("plugboard.lock"));
 * ```
 *
 * @param path the lockfile
 * @param lock its content
 */
export function writeLockfile(path: string, lock: Lockfile): void {
  writeFileAtomic(path, formatLockfile(lock));
}

// ---------------------------------------------------------------------------

function parseEntry(path: string, where: string, v: unknown): LockEntry {
  if (!isObject(v)) throw invalid(path, where, "an object", kind(v));
  onlyKeys(path, where, v, ENTRY_KEYS);
  const str = (key: string, test?: RegExp, expected?: string) => {
    const x = v[key];
    if (typeof x !== "string" || (test && !test.test(x))) {
      throw invalid(
        path,
        `${where}.${key}`,
        expected ?? "a string",
        kind(x),
      );
    }
    return x;
  };
  const name = str("name", /./, "a non-empty string");
  const version = str("version", /./, "a non-empty string");
  const pluginKind = v.kind === undefined ? "native" : v.kind;
  if (pluginKind !== "native" && pluginKind !== "wasm" && pluginKind !== "executable") {
    throw invalid(path, `${where}.kind`, '"native", "wasm" or "executable"', kind(v.kind));
  }
  const abi = str("abi", PAIR, "MAJOR.MINOR");
  if (!isObject(v.interfaces)) {
    throw invalid(path, `${where}.interfaces`, "an object", kind(v.interfaces));
  }
  const interfaces: Record<string, LockedInterface> = {};
  for (const [id, i] of Object.entries(v.interfaces)) {
    const at = `${where}.interfaces[${quote(id)}]`;
    if (!isObject(i)) throw invalid(path, at, "an object", kind(i));
    onlyKeys(path, at, i, INTERFACE_KEYS);
    if (typeof i.version !== "string" || !PAIR.test(i.version)) {
      throw invalid(path, `${at}.version`, "MAJOR.MINOR", kind(i.version));
    }
    if (typeof i.hash !== "string" || !HEX64.test(i.hash)) {
      throw invalid(path, `${at}.hash`, "64 hex digits", kind(i.hash));
    }
    if (
      !Array.isArray(i.functions) ||
      !i.functions.every((f) => typeof f === "string")
    ) {
      throw invalid(
        path,
        `${at}.functions`,
        "an array of signatures",
        kind(i.functions),
      );
    }
    interfaces[id] = Object.freeze({
      version: i.version,
      hash: i.hash,
      functions: Object.freeze([...i.functions as string[]]),
    });
  }
  return Object.freeze({
    name,
    version,
    kind: pluginKind,
    abi,
    interfaces: Object.freeze(interfaces),
    compiler: str("compiler"),
    buildId: str("buildId"),
    sha256: str("sha256", HEX64, "64 hex digits"),
    path: str("path", /./, "a non-empty string"),
  });
}

function byFunctionName(a: string, b: string): number {
  const na = functionName(a);
  const nb = functionName(b);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

function functionName(sig: string): string {
  // The identifier just before the first "(", found by walking back from it:
  // linear in the text, whatever it holds.
  const paren = sig.indexOf("(");
  if (paren === -1) return sig;
  let end = paren;
  while (end > 0 && /\s/.test(sig[end - 1])) end--;
  let start = end;
  while (start > 0 && /[A-Za-z0-9_]/.test(sig[start - 1])) start--;
  return start < end && /[A-Za-z_]/.test(sig[start]) ? sig.slice(start, end) : sig;
}

function onlyKeys(
  path: string,
  where: string,
  v: Record<string, unknown>,
  keys: readonly string[],
): void {
  for (const k of Object.keys(v)) {
    if (!keys.includes(k)) {
      throw invalid(path, `${where}.${k}`, `one of ${keys.join(", ")}`, "an unknown field");
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object" && v !== null) return "an object";
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function invalid(
  path: string,
  where: string,
  expected: string,
  found: string,
  cause?: unknown,
): PluginError {
  return new PluginError(
    "LOCKFILE_INVALID",
    `Cannot read lockfile ${quote(path)}: ${where}: expected ${expected}, found ${found}`,
    {
      path,
      hint: "fix the entry by hand, or remove it and trust the plugin again: plugboard trust FILE",
      cause,
    },
  );
}

/**
 * The metadata of a subprocess plugin (plugboard-rpc/1, docs/subprocess.md):
 * the JSON object its sidecar `PROGRAM.plugboard.json` holds, its handshake
 * says and `PROGRAM --plugboard-describe` prints. Read here, below the
 * loaders, so the check pipeline learns an executable's identity and
 * interfaces from its sidecar without running it, exactly as it reads a
 * library's notes.
 *
 * @module
 */

import {
  type AbiVersion,
  formatVersionPair,
  HOST_ABI,
  isAbiCompatible,
  parseVersionPair,
} from "../abi/abi_version.ts";
import type { InterfaceInfo, PluginMetadata } from "../abi/read_metadata.ts";
import { interfaceHash } from "../abi/read_metadata.ts";
import {
  canonicalSignature,
  parseSignature,
  type Signature,
  structsUsed,
} from "../abi/signature.ts";
import { type ErrorCode, LoadError, type PluginError, quote } from "../errors/plugin_error.ts";

/** The protocol's name: the handshake's first key. */
export const RPC_PROTOCOL = "plugboard-rpc";
/** Protocol versions this host speaks, oldest first. */
export const RPC_VERSIONS: readonly number[] = Object.freeze([1]);
/** Environment variable: the versions the host offers, comma-separated (`"1"`). */
export const RPC_VERSION_ENV = "PLUGBOARD_RPC";
/** Environment variable holding {@linkcode RPC_COOKIE}. */
export const RPC_COOKIE_ENV = "PLUGBOARD_RPC_COOKIE";
/**
 * The magic cookie: a fixed value (not a secret) by which a plugin can tell
 * that a plugboard host started it, and refuse to be run by hand.
 */
export const RPC_COOKIE = "plugboard-rpc-7c1e5a93d0b24f68";
/** Environment variable: `rpc` or `oneshot`. */
export const RPC_MODE_ENV = "PLUGBOARD_RPC_MODE";
/** Environment variable: the longest line either side may write, in bytes. */
export const RPC_MAX_LINE_ENV = "PLUGBOARD_RPC_MAX_LINE";
/** The default of the line cap: 1 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;
/** The sidecar's name is the program's name followed by this. */
export const SIDECAR_SUFFIX = ".plugboard.json";
/** The argument that makes a plugin print its metadata and exit. */
export const DESCRIBE_ARG = "--plugboard-describe";

/** Error codes reserved for the protocol (a plugin's own codes are other non-zero int32s). */
export const RESERVED_CODES: Readonly<Record<string, number>> = Object.freeze({
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  UNKNOWN_FUNCTION: -32601,
  INVALID_ARGUMENTS: -32602,
  INTERNAL_ERROR: -32603,
});

/** How a program is run: one long-lived process (`rpc`) or one process per call (`oneshot`). */
export type RpcMode = "rpc" | "oneshot";

/** One interface of a subprocess plugin. */
export interface RpcInterface {
  /** The interface id, e.g. `calc.op`. */
  readonly id: string;
  /** Its version. */
  readonly version: AbiVersion;
  /** Its functions, in declared order. */
  readonly functions: readonly Signature[];
}

/** What a subprocess plugin says about itself (handshake, sidecar, describe). */
export interface RpcMetadata {
  /** The protocol version: the value of `"plugboard-rpc"`. */
  readonly protocol: number;
  /** The plugin's name, `[a-z0-9._-]+`. */
  readonly name: string;
  /** The plugin's version (semver). */
  readonly version: string;
  /** The plugboard ABI (type system) version it was written for. */
  readonly abi: AbiVersion;
  /** How it is run. */
  readonly mode: RpcMode;
  /** Its interfaces, in declared order. */
  readonly interfaces: readonly RpcInterface[];
  /** Every function, by name (names are unique across interfaces). */
  readonly functions: ReadonlyMap<string, Signature & { readonly interface: string }>;
}

/** Where metadata came from: it decides the error code of a malformed one. */
export type MetadataSource = "handshake" | "sidecar" | "describe";

/** Options of {@linkcode parseRpcMetadata}. */
export interface ParseMetadataOptions {
  /** Protocol versions the host accepts. @default RPC_VERSIONS */
  versions?: readonly number[];
  /** The host's ABI. @default HOST_ABI */
  hostAbi?: AbiVersion;
  /** The file the metadata belongs to (the sidecar), for messages. @default the program */
  file?: string;
}

const NAME = /^[a-z0-9._-]{1,128}$/;
const INTERFACE_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;
// semver.org's regular expression.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/**
 * Check and decode a plugin's metadata object. Checks run in PostgreSQL's
 * order: the protocol version first, then the ABI, then field by field.
 *
 * @param value the parsed JSON
 * @param path the program
 * @param source handshake, sidecar or describe output
 * @param options accepted versions, the host's ABI, the sidecar's path
 * @returns the metadata
 * @throws {LoadError} `HANDSHAKE_FAILED` (a handshake) or `BAD_METADATA` (a
 *   sidecar, a describe output), `ABI_MISMATCH`
 */
export function parseRpcMetadata(
  value: unknown,
  path: string,
  source: MetadataSource,
  options: ParseMetadataOptions = {},
): RpcMetadata {
  const versions = options.versions ?? RPC_VERSIONS;
  const hostAbi = options.hostAbi ?? HOST_ABI;
  const bad = (expected: string, found: string, hint?: string) =>
    metadataError(path, source, expected, found, options.file, hint);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw bad("a JSON object", describeJson(value));
  }
  const o = value as Record<string, unknown>;
  const protocol = o[RPC_PROTOCOL];
  if (!Number.isSafeInteger(protocol) || (protocol as number) < 1) {
    throw bad(`a "${RPC_PROTOCOL}" field with the protocol version`, describeJson(protocol));
  }
  if (!versions.includes(protocol as number)) {
    throw bad(
      `${RPC_PROTOCOL} version ${versions.join(" or ")}`,
      `${RPC_PROTOCOL} version ${protocol}`,
      (protocol as number) > Math.max(...versions)
        ? `the plugin speaks a newer protocol than this host: update plugboard, or use a plugin version that speaks ${RPC_PROTOCOL}/${
          versions.join(",")
        }`
        : `the plugin speaks an old protocol: update the plugin to ${RPC_PROTOCOL}/${
          Math.max(...versions)
        }`,
    );
  }
  const abi = typeof o.abi === "string" ? parseVersionPair(o.abi) : undefined;
  if (!abi) throw bad('an "abi" field "MAJOR.MINOR"', describeJson(o.abi));
  if (!isAbiCompatible(hostAbi, abi)) {
    const majorDiffers = abi.major !== hostAbi.major;
    throw new LoadError("ABI_MISMATCH", {
      path,
      what: majorDiffers ? "ABI major version mismatch" : "ABI minor version too new",
      expected: majorDiffers
        ? `ABI ${hostAbi.major}.x`
        : `ABI ${hostAbi.major}.0 to ${formatVersionPair(hostAbi)}`,
      found: `ABI ${formatVersionPair(abi)}`,
      hint: majorDiffers
        ? `the plugin was written for plugboard ABI ${abi.major}; use a plugin for ABI ${hostAbi.major}.x`
        : `upgrade the host to plugboard ABI ${formatVersionPair(abi)} or newer`,
    });
  }
  if (typeof o.name !== "string" || !NAME.test(o.name)) {
    throw bad('a "name" of 1 to 128 characters from [a-z0-9._-]', describeJson(o.name));
  }
  if (typeof o.version !== "string" || !SEMVER.test(o.version)) {
    throw bad('a semver "version" such as "0.1.0"', describeJson(o.version));
  }
  const mode = o.mode ?? "rpc";
  if (mode !== "rpc" && mode !== "oneshot") {
    throw bad('"mode" "rpc" or "oneshot" (or none: "rpc")', describeJson(o.mode));
  }
  if (source === "handshake" && mode !== "rpc") {
    throw bad('no "mode" or "mode": "rpc" in a handshake', describeJson(mode));
  }
  if (!Array.isArray(o.interfaces) || o.interfaces.length === 0) {
    throw bad('"interfaces": a non-empty array', describeJson(o.interfaces));
  }
  const interfaces: RpcInterface[] = [];
  const functions = new Map<string, Signature & { interface: string }>();
  for (const [i, entry] of o.interfaces.entries()) {
    const at = `interfaces[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw bad(`${at}: an object { id, version, functions }`, describeJson(entry));
    }
    const e = entry as Record<string, unknown>;
    if (typeof e.id !== "string" || !INTERFACE_ID.test(e.id)) {
      throw bad(`${at}: an "id" from [a-z0-9._-], e.g. "calc.op"`, describeJson(e.id));
    }
    if (interfaces.some((x) => x.id === e.id)) {
      throw bad("unique interface ids", `${quote(e.id)} twice`);
    }
    const version = typeof e.version === "string" ? parseVersionPair(e.version) : undefined;
    if (!version) {
      throw bad(`${at}: a "version" "MAJOR.MINOR" for ${quote(e.id)}`, describeJson(e.version));
    }
    if (!Array.isArray(e.functions) || e.functions.length === 0) {
      throw bad(`${at}: "functions", a non-empty array of signatures`, describeJson(e.functions));
    }
    const sigs: Signature[] = [];
    for (const text of e.functions) {
      if (typeof text !== "string") throw bad(`${at}: signatures as strings`, describeJson(text));
      let sig: Signature;
      try {
        sig = parseSignature(text);
      } catch (err) {
        throw bad(
          `${at}: signatures such as "fallible f64 apply(f64 a, f64 b)"`,
          (err as PluginError).summary,
        );
      }
      if (sig.nonblocking) {
        throw bad(`${at}: signatures without "nonblocking" (a host-side choice)`, quote(text));
      }
      if (sig.result === "pointer" || sig.parameters.includes("pointer")) {
        throw bad(
          `${at}: no pointer types (a pointer cannot cross a process boundary)`,
          quote(text),
          "pass data as buffer parameters (copied both ways) instead",
        );
      }
      if (structsUsed(sig).length > 0) {
        throw bad(
          `${at}: no struct types (structs by value are for native plugins in process)`,
          quote(text),
          "pass the struct's bytes as a buffer parameter instead",
        );
      }
      if (mode === "oneshot" && sig.parameters.includes("buffer")) {
        throw bad(
          `${at}: no buffer parameters in one-shot mode (a one-shot call cannot return them)`,
          quote(text),
          'use "mode": "rpc" for functions with buffers',
        );
      }
      if (functions.has(sig.name)) {
        throw bad("function names unique across interfaces", `${quote(sig.name)} twice`);
      }
      functions.set(sig.name, Object.freeze({ ...sig, interface: e.id }));
      sigs.push(sig);
    }
    interfaces.push(Object.freeze({ id: e.id, version, functions: Object.freeze(sigs) }));
  }
  return Object.freeze({
    protocol: protocol as number,
    name: o.name,
    version: o.version,
    abi,
    mode,
    interfaces: Object.freeze(interfaces),
    functions,
  });
}

/**
 * The metadata as the JSON object of the protocol (the sidecar's content).
 *
 * @param meta the metadata
 * @returns a plain object; `JSON.stringify` it
 */
export function metadataToJson(meta: RpcMetadata): Record<string, unknown> {
  return {
    [RPC_PROTOCOL]: meta.protocol,
    name: meta.name,
    version: meta.version,
    abi: formatVersionPair(meta.abi),
    mode: meta.mode,
    interfaces: meta.interfaces.map((i) => ({
      id: i.id,
      version: formatVersionPair(i.version),
      functions: i.functions.map(canonicalSignature),
    })),
  };
}

/**
 * Check that a handshake says what the sidecar says: protocol, name,
 * version, ABI, and each interface with the same functions (order and
 * parameter names do not matter).
 *
 * @param expected the sidecar's metadata
 * @param found the handshake's
 * @param path the program
 * @param sidecar the sidecar's path, for the message
 * @throws {LoadError} `METADATA_MISMATCH` naming the first difference
 */
export function compareRpcMetadata(
  expected: RpcMetadata,
  found: RpcMetadata,
  path: string,
  sidecar: string,
): void {
  const differ = (what: string, e: string, f: string) => {
    throw new LoadError("METADATA_MISMATCH", {
      path,
      what: `the handshake differs from ${quote(sidecar)} in ${what}`,
      expected: e,
      found: f,
      hint:
        "the program or its sidecar changed: review the program, then rewrite the sidecar with `plugboard describe PROGRAM --run --write` and trust it again",
    });
  };
  if (expected.protocol !== found.protocol) {
    differ("the protocol version", `${expected.protocol}`, `${found.protocol}`);
  }
  if (expected.name !== found.name) differ("the name", quote(expected.name), quote(found.name));
  if (expected.version !== found.version) {
    differ("the version", quote(expected.version), quote(found.version));
  }
  const abiE = formatVersionPair(expected.abi);
  const abiF = formatVersionPair(found.abi);
  if (abiE !== abiF) differ("the ABI", abiE, abiF);
  const ids = (m: RpcMetadata) =>
    m.interfaces.map((i) => `${i.id}/${formatVersionPair(i.version)}`).sort().join(", ");
  if (ids(expected) !== ids(found)) differ("the interfaces", ids(expected), ids(found));
  for (const ie of expected.interfaces) {
    const iface = found.interfaces.find((i) => i.id === ie.id)!;
    const sigs = (i: RpcInterface) => i.functions.map(canonicalSignature).sort().join("; ");
    if (sigs(ie) !== sigs(iface)) {
      differ(`the functions of ${quote(ie.id)}`, sigs(ie), sigs(iface));
    }
  }
}

/**
 * The metadata in the shape of a native plugin's, so the host's interface
 * checks (`checkInterface`) and the registry work on it unchanged. An
 * interface's `symbol` is its id; `buildId` is empty; `compiler` is
 * `plugboard-rpc/N` (a subprocess plugin has no toolchain the host can see).
 *
 * @param meta the metadata
 * @returns the plugin metadata
 */
export function toPluginMetadata(meta: RpcMetadata): PluginMetadata {
  const interfaces: InterfaceInfo[] = meta.interfaces.map((i) => {
    const fns = [...i.functions].sort((a, b) => a.name < b.name ? -1 : 1);
    return Object.freeze({
      id: i.id,
      version: i.version,
      symbol: i.id,
      functions: Object.freeze(fns),
      hash: interfaceHash(i.id, i.version, fns),
    });
  }).sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return Object.freeze({
    abi: meta.abi,
    name: meta.name,
    version: meta.version,
    buildId: "",
    author: undefined,
    compiler: `${RPC_PROTOCOL}/${meta.protocol}`,
    compilerSource: "declared",
    declaredCompiler: undefined,
    commentCompilers: Object.freeze([]),
    interfaces: Object.freeze(interfaces),
    functions: meta.functions,
    hooks: Object.freeze({ init: false, shutdown: false }),
    structs: new Map(),
  });
}

/**
 * A JSON value shown briefly for a message.
 *
 * @param v the value
 * @returns e.g. `none`, `the number 2`, `"abc"`
 */
export function describeJson(v: unknown): string {
  if (v === undefined) return "none";
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array ${quoteShort(JSON.stringify(v))}`;
  if (typeof v === "object") return `an object ${quoteShort(JSON.stringify(v))}`;
  if (typeof v === "string") return quoteShort(v);
  return `the ${typeof v} ${String(v)}`;
}

/**
 * Quote a text for a message, cut at `max` characters.
 *
 * @param s the text
 * @param max the most characters shown
 * @returns the quoted text
 */
export function quoteShort(s: string, max = 80): string {
  return quote(s.length > max ? s.slice(0, max) + "…" : s);
}

function metadataError(
  path: string,
  source: MetadataSource,
  expected: string,
  found: string,
  file: string | undefined,
  hint?: string,
): LoadError {
  const code: ErrorCode = source === "handshake" ? "HANDSHAKE_FAILED" : "BAD_METADATA";
  return new LoadError(code, {
    path,
    what: source === "handshake"
      ? "the program's handshake is invalid"
      : source === "sidecar"
      ? `the sidecar ${quote(file ?? path + SIDECAR_SUFFIX)} is invalid`
      : `the program's ${DESCRIBE_ARG} output is invalid`,
    expected,
    found,
    hint: hint ??
      (source === "sidecar"
        ? "rewrite the sidecar with `plugboard describe PROGRAM --run --write` (docs/subprocess.md describes the format)"
        : "fix the plugin's metadata object (docs/subprocess.md describes the format)"),
  });
}

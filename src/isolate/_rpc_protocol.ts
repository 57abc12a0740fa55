/**
 * The plugboard-rpc/1 protocol (docs/subprocess.md) as data: the constants
 * both sides agree on, the plugin's metadata (handshake, sidecar and
 * `--plugboard-describe` output are the same JSON object) and its checks,
 * and the codec of calls: arguments to a request line, a reply line to a
 * result, and the text forms of the one-shot mode.
 *
 * Everything here is pure: no process, no I/O. Values a plugin sends that do
 * not fit the protocol raise {@linkcode ProtocolViolation}; the connection
 * turns it into the caller's error.
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
  type TypeName,
} from "../abi/signature.ts";
import {
  CallError,
  type ErrorCode,
  LoadError,
  PluginError,
  quote,
} from "../errors/plugin_error.ts";
import { fits, invalidArgument } from "./_protocol.ts";

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
        "the program or its sidecar changed: review the program, then rewrite the sidecar with `plugboard describe PROGRAM` and trust it again",
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
    compiler: `${RPC_PROTOCOL}/${meta.protocol}`,
    interfaces: Object.freeze(interfaces),
    functions: meta.functions,
    hooks: Object.freeze({ init: false, shutdown: false }),
  });
}

// ---------------------------------------------------------------------------
// Functions and calls.
// ---------------------------------------------------------------------------

/** A function of a subprocess plugin, checked against the host's declaration. */
export interface RpcFunction {
  /** The signature (the host's declaration, equal to the plugin's). */
  readonly sig: Signature;
  /** Indexes of its buffer parameters, copied back after a call. */
  readonly buffers: readonly number[];
  /** The request line up to the arguments: `,"call":"NAME","args":[`. */
  readonly head: string;
}

/**
 * Check a function the host wants against the plugin's metadata.
 *
 * @param meta the plugin's metadata
 * @param sig the host's declaration
 * @param path the program
 * @returns the function, ready to call
 * @throws {PluginError} `USAGE` for pointer types (or buffers in one-shot mode)
 * @throws {LoadError} `SYMBOL_MISSING` or `SIGNATURE_MISMATCH`
 */
export function bindRpcFunction(meta: RpcMetadata, sig: Signature, path: string): RpcFunction {
  if (sig.result === "pointer" || sig.parameters.includes("pointer")) {
    throw new PluginError(
      "USAGE",
      `Cannot call ${quote(sig.name)} of plugin ${
        quote(path)
      } in a subprocess: a pointer cannot cross a process boundary`,
      { path, hint: "declare the data as buffer parameters (copied both ways)" },
    );
  }
  if (meta.mode === "oneshot" && sig.parameters.includes("buffer")) {
    throw new PluginError(
      "USAGE",
      `Cannot call ${quote(sig.name)} of one-shot plugin ${
        quote(path)
      }: a buffer parameter cannot be copied back from a one-shot call`,
      { path, hint: 'declare the plugin with "mode": "rpc" to pass buffers' },
    );
  }
  const theirs = meta.functions.get(sig.name);
  if (!theirs) {
    throw new LoadError("SYMBOL_MISSING", {
      path,
      what: `plugin ${quote(meta.name)} does not provide function ${quote(sig.name)}`,
      expected: canonicalSignature(sig),
      found: `functions ${[...meta.functions.keys()].join(", ")}`,
      hint: "check the function's name, or use a plugin that provides it",
    });
  }
  const a = canonicalSignature(sig);
  const b = canonicalSignature(theirs);
  if (a !== b) {
    throw new LoadError("SIGNATURE_MISMATCH", {
      path,
      what: `function ${quote(sig.name)} of interface ${
        quote(theirs.interface)
      } has another signature`,
      expected: a,
      found: b,
      hint: "host and plugin disagree on the interface: declare it as the plugin's metadata does",
    });
  }
  const buffers: number[] = [];
  sig.parameters.forEach((t, i) => t === "buffer" && buffers.push(i));
  return Object.freeze({
    sig,
    buffers: Object.freeze(buffers),
    head: `,"call":${JSON.stringify(sig.name)},"args":[`,
  });
}

/**
 * The request line of a call (without its newline), after checking each
 * argument by the in-process rules. Requests are compact, with keys in the
 * order `id`, `call`, `args`: `{"id":7,"call":"apply","args":[2,3]}`.
 *
 * @param id the request id
 * @param fn the function
 * @param args the arguments
 * @param path the program, for messages
 * @returns the line
 * @throws {CallError} `INVALID_ARGUMENT`
 */
export function encodeRequest(
  id: number,
  fn: RpcFunction,
  args: readonly unknown[],
  path: string,
): string {
  checkArguments(fn, args, path);
  const params = fn.sig.parameters;
  let line = `{"id":${id}${fn.head}`;
  for (let i = 0; i < params.length; i++) {
    if (i > 0) line += ",";
    line += valueToJson(params[i], args[i]);
  }
  return line + "]}";
}

/**
 * Check a call's arguments by the in-process rules (count, then each value
 * against its type), with the same messages.
 *
 * @param fn the function
 * @param args the arguments
 * @param path the program, for messages
 * @throws {CallError} `INVALID_ARGUMENT`
 */
export function checkArguments(fn: RpcFunction, args: readonly unknown[], path: string): void {
  const params = fn.sig.parameters;
  if (args.length !== params.length) {
    throw new CallError(
      "INVALID_ARGUMENT",
      path,
      fn.sig.name,
      `expected ${params.length} argument(s), found ${args.length}`,
      { hint: `call it as ${fn.sig.name}(${params.join(", ")})` },
    );
  }
  for (let i = 0; i < params.length; i++) {
    if (!fits(params[i], args[i])) throw invalidArgument(path, fn.sig.name, i, params[i], args[i]);
  }
}

/**
 * The JSON text of a value of a type; the value fits the type.
 *
 * @param t the type
 * @param v the value
 * @returns JSON text
 */
export function valueToJson(t: TypeName, v: unknown): string {
  switch (t) {
    case "bool":
      return v ? "true" : "false";
    case "i64":
    case "u64":
    case "isize":
    case "usize":
      return `"${typeof v === "bigint" ? v : BigInt(v as number)}"`;
    case "f32":
      return floatToJson(Math.fround(v as number));
    case "f64":
      return floatToJson(v as number);
    case "cstring": {
      const s = v as string;
      // As the in-process path does (TextEncoder), a lone surrogate becomes U+FFFD.
      return JSON.stringify(s.isWellFormed() ? s : s.toWellFormed());
    }
    case "buffer":
      return `"${(v as Uint8Array).toBase64()}"`;
    default:
      return String(v);
  }
}

function floatToJson(v: number): string {
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  // JSON.stringify(-0) is "0": keep the sign.
  return Object.is(v, -0) ? "-0.0" : String(v);
}

/** A plugin's output that breaks the protocol; `found` says how, for a message. */
export class ProtocolViolation extends Error {
  /** What was found, e.g. `a line that is not JSON: "..."`. */
  readonly found: string;

  /**
   * Make the violation.
   *
   * @param found what was found
   */
  constructor(found: string) {
    super(found);
    this.found = found;
  }
}

/** A decoded reply line. */
export type Reply =
  | {
    readonly id: number;
    readonly error: undefined;
    readonly result: unknown;
    readonly buffers: unknown;
  }
  | {
    readonly id: number;
    readonly error: { readonly code: number; readonly message: string };
    readonly result?: undefined;
    readonly buffers?: undefined;
  };

const MIN_I32 = -(2 ** 31);
const MAX_I32 = 2 ** 31 - 1;

/**
 * Decode a reply line's envelope (the result is decoded by
 * {@linkcode decodeResult} once the call is known).
 *
 * @param line the line, without its newline
 * @returns the reply
 * @throws {ProtocolViolation} when it is not a reply
 */
export function parseReply(line: string): Reply {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new ProtocolViolation(`a line that is not JSON: ${quoteShort(line)}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ProtocolViolation(`a line that is not a JSON object: ${quoteShort(line)}`);
  }
  const o = v as Record<string, unknown>;
  if (!Number.isSafeInteger(o.id) || (o.id as number) < 1) {
    throw new ProtocolViolation(`a reply without a valid "id": ${quoteShort(line)}`);
  }
  const id = o.id as number;
  if (o.error !== undefined) {
    if (o.result !== undefined || o.buffers !== undefined) {
      throw new ProtocolViolation(`a reply to request ${id} with both "error" and a result`);
    }
    const e = o.error as Record<string, unknown>;
    if (
      typeof e !== "object" || e === null || !Number.isInteger(e.code) || e.code === 0 ||
      (e.code as number) < MIN_I32 || (e.code as number) > MAX_I32 ||
      (e.message !== undefined && typeof e.message !== "string")
    ) {
      throw new ProtocolViolation(
        `a reply to request ${id} whose "error" is not {"code": non-zero int32, "message": string}: ${
          quoteShort(JSON.stringify(o.error))
        }`,
      );
    }
    return { id, error: { code: e.code as number, message: (e.message as string) ?? "" } };
  }
  return { id, error: undefined, result: o.result, buffers: o.buffers };
}

const I64_TEXT = /^-?\d{1,20}$/;
const RANGES: Partial<Record<TypeName, [number, number]>> = {
  i8: [-128, 127],
  u8: [0, 255],
  i16: [-32768, 32767],
  u16: [0, 65535],
  i32: [MIN_I32, MAX_I32],
  u32: [0, 2 ** 32 - 1],
};
const RANGES_64: Partial<Record<TypeName, [bigint, bigint]>> = {
  i64: [-(1n << 63n), (1n << 63n) - 1n],
  isize: [-(1n << 63n), (1n << 63n) - 1n],
  u64: [0n, (1n << 64n) - 1n],
  usize: [0n, (1n << 64n) - 1n],
};

/**
 * Decode a result from its JSON value, with range checks.
 *
 * @param t the result type
 * @param v the JSON value (`undefined` when the reply has no `result`)
 * @returns the value as the in-process call returns it (bigint for 64-bit integers)
 * @throws {ProtocolViolation} when it does not fit
 */
export function decodeResult(t: TypeName, v: unknown): unknown {
  const wrong = (): never => {
    throw new ProtocolViolation(
      `a result that is not ${expectedJson(t)}: ${
        v === undefined ? "none" : quoteShort(JSON.stringify(v))
      }`,
    );
  };
  switch (t) {
    case "void":
      return v === undefined || v === null ? undefined : wrong();
    case "bool":
      return typeof v === "boolean" ? v : wrong();
    case "f32":
    case "f64": {
      const n = typeof v === "number"
        ? v
        : v === "NaN"
        ? NaN
        : v === "Infinity"
        ? Infinity
        : v === "-Infinity"
        ? -Infinity
        : wrong();
      return t === "f32" ? Math.fround(n) : n;
    }
    case "i64":
    case "u64":
    case "isize":
    case "usize": {
      let b: bigint;
      if (typeof v === "string" && I64_TEXT.test(v)) b = BigInt(v);
      else if (Number.isSafeInteger(v)) b = BigInt(v as number);
      else return wrong();
      const [lo, hi] = RANGES_64[t]!;
      return b >= lo && b <= hi ? b : wrong();
    }
    case "cstring":
      return v === null ? null : typeof v === "string" && v.indexOf("\0") === -1 ? v : wrong();
    default: {
      const range = RANGES[t];
      if (!range) return wrong();
      return Number.isInteger(v) && (v as number) >= range[0] && (v as number) <= range[1]
        ? v
        : wrong();
    }
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decode a reply's `buffers` and check each against the buffer sent; nothing
 * is copied yet (a bad entry must leave every buffer as it was).
 *
 * @param fn the function
 * @param args the call's arguments
 * @param v the reply's `buffers` (`undefined` or `null`: all unchanged)
 * @returns for each buffer parameter, the new bytes or `undefined` (unchanged)
 * @throws {ProtocolViolation} when an entry is not base64 of the right length
 */
export function decodeBuffers(
  fn: RpcFunction,
  args: readonly unknown[],
  v: unknown,
): (Uint8Array | undefined)[] {
  const n = fn.buffers.length;
  if (v === undefined || v === null) return new Array(n).fill(undefined);
  if (!Array.isArray(v) || v.length !== n) {
    throw new ProtocolViolation(
      `"buffers" that is not an array of ${n} entr${
        n === 1 ? "y" : "ies"
      } (one per buffer parameter): ${quoteShort(JSON.stringify(v))}`,
    );
  }
  return v.map((entry, k) => {
    if (entry === null) return undefined;
    const index = fn.buffers[k];
    const sent = (args[index] as Uint8Array).length;
    if (typeof entry !== "string" || !BASE64.test(entry)) {
      throw new ProtocolViolation(
        `buffer ${k + 1} (argument ${index + 1}) that is not padded base64: ${
          quoteShort(JSON.stringify(entry))
        }`,
      );
    }
    const bytes = Uint8Array.fromBase64(entry);
    if (bytes.length !== sent) {
      throw new ProtocolViolation(
        `buffer ${k + 1} (argument ${
          index + 1
        }) of ${bytes.length} bytes; it was sent with ${sent}`,
      );
    }
    return bytes;
  });
}

// ---------------------------------------------------------------------------
// One-shot mode: values as text.
// ---------------------------------------------------------------------------

/**
 * The command-line text of an argument in one-shot mode; the value fits.
 *
 * @param t the type (never `buffer` or `pointer`)
 * @param v the value
 * @returns the text
 */
export function valueToText(t: TypeName, v: unknown): string {
  switch (t) {
    case "bool":
      return v ? "true" : "false";
    case "f32":
    case "f64": {
      const n = t === "f32" ? Math.fround(v as number) : v as number;
      return Object.is(n, -0) ? "-0" : String(n);
    }
    case "cstring": {
      const s = v as string;
      return s.isWellFormed() ? s : s.toWellFormed();
    }
    default:
      return String(v);
  }
}

const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Decode a one-shot result from the program's stdout (one trailing newline
 * already removed).
 *
 * @param t the result type
 * @param text the text
 * @returns the value
 * @throws {ProtocolViolation} when it is not a value of the type
 */
export function decodeTextResult(t: TypeName, text: string): unknown {
  const wrong = (): never => {
    throw new ProtocolViolation(
      `a standard output that is not ${expectedText(t)}: ${quoteShort(text)}`,
    );
  };
  const s = t === "cstring" ? text : text.trim();
  switch (t) {
    case "void":
      return undefined;
    case "cstring":
      return s.indexOf("\0") === -1 ? s : wrong();
    case "bool":
      return s === "true" || s === "1" ? true : s === "false" || s === "0" ? false : wrong();
    case "f32":
    case "f64": {
      const lower = s.toLowerCase();
      const n = FLOAT_TEXT.test(s)
        ? Number(s)
        : lower === "nan" || lower === "-nan" || lower === "+nan"
        ? NaN
        : lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity"
        ? Infinity
        : lower === "-inf" || lower === "-infinity"
        ? -Infinity
        : wrong();
      return t === "f32" ? Math.fround(n) : n;
    }
    default: {
      if (!/^[+-]?\d{1,20}$/.test(s)) return wrong();
      const b = BigInt(s);
      const r64 = RANGES_64[t];
      if (r64) return b >= r64[0] && b <= r64[1] ? b : wrong();
      const range = RANGES[t]!;
      const n = Number(b);
      return n >= range[0] && n <= range[1] ? n : wrong();
    }
  }
}

// ---------------------------------------------------------------------------
// Messages.
// ---------------------------------------------------------------------------

function expectedJson(t: TypeName): string {
  switch (t) {
    case "void":
      return "null or absent (void)";
    case "bool":
      return "true or false";
    case "f32":
    case "f64":
      return `a number or "NaN", "Infinity", "-Infinity" (${t})`;
    case "i64":
    case "u64":
    case "isize":
    case "usize":
      return `a decimal string or a safe integer in the ${t} range`;
    case "cstring":
      return "a string without NUL, or null";
    default:
      return `an integer in the ${t} range ${RANGES[t]![0]} to ${RANGES[t]![1]}`;
  }
}

function expectedText(t: TypeName): string {
  switch (t) {
    case "bool":
      return "true, false, 1 or 0";
    case "f32":
    case "f64":
      return `a decimal number, NaN or (-)Infinity (${t})`;
    case "cstring":
      return "text without NUL";
    default:
      return `a decimal integer in the ${t} range`;
  }
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
        ? "rewrite the sidecar with `plugboard describe PROGRAM` (docs/subprocess.md describes the format)"
        : "fix the plugin's metadata object (docs/subprocess.md describes the format)"),
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

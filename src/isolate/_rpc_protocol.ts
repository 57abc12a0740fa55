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

import { canonicalSignature, type Signature, type TypeName } from "../abi/signature.ts";
import { CallError, LoadError, PluginError, quote } from "../errors/plugin_error.ts";
import { fits, invalidArgument } from "./_protocol.ts";
import {
  compareRpcMetadata,
  DEFAULT_MAX_LINE_BYTES,
  DESCRIBE_ARG,
  describeJson,
  type MetadataSource,
  metadataToJson,
  type ParseMetadataOptions,
  parseRpcMetadata,
  quoteShort,
  RESERVED_CODES,
  RPC_COOKIE,
  RPC_COOKIE_ENV,
  RPC_MAX_LINE_ENV,
  RPC_MODE_ENV,
  RPC_PROTOCOL,
  RPC_VERSION_ENV,
  RPC_VERSIONS,
  type RpcInterface,
  type RpcMetadata,
  type RpcMode,
  SIDECAR_SUFFIX,
  toPluginMetadata,
} from "../check/sidecar.ts";
export {
  compareRpcMetadata,
  DEFAULT_MAX_LINE_BYTES,
  DESCRIBE_ARG,
  describeJson,
  type MetadataSource,
  metadataToJson,
  type ParseMetadataOptions,
  parseRpcMetadata,
  quoteShort,
  RESERVED_CODES,
  RPC_COOKIE,
  RPC_COOKIE_ENV,
  RPC_MAX_LINE_ENV,
  RPC_MODE_ENV,
  RPC_PROTOCOL,
  RPC_VERSION_ENV,
  RPC_VERSIONS,
  type RpcInterface,
  type RpcMetadata,
  type RpcMode,
  SIDECAR_SUFFIX,
  toPluginMetadata,
};

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

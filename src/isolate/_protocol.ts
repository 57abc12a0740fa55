/**
 * The wire protocol between a host and its isolation child.
 *
 * After the handshake line (`plugboard-isolate|VERSION|PID\n`, see
 * docs/isolation.md) both directions carry frames:
 *
 * ```text
 * u32 payload length | u32 id | u8 kind | payload
 * ```
 *
 * little-endian. The host numbers its requests; the child answers each with
 * one `OK` or `ERROR` frame carrying the same id, in the order it received
 * them (it runs one request at a time). Values are encoded by signature type:
 * bool and 8-bit integers in 1 byte, 16-bit in 2, 32-bit and f32 in 4,
 * 64-bit and f64 in 8, strings and buffers as a u32 byte length and the bytes
 * (a null cstring result has length 0xffffffff). A call's `OK` payload is the
 * result followed by the final contents of every buffer argument, which the
 * host copies back into the caller's `Uint8Array`. Errors travel as JSON.
 *
 * @module
 */

import { canonicalSignature, type Signature, type TypeName } from "../abi/signature.ts";
import type { ResolvedSandbox } from "./sandbox.ts";
import {
  CallError,
  type ErrorCode,
  LoadError,
  PluginError,
  quote,
} from "../errors/plugin_error.ts";

/** The environment variable holding the magic cookie; a child refuses to run without it. */
export const MAGIC_COOKIE_ENV = "PLUGBOARD_MAGIC_COOKIE";
/** Proves to the child that a plugboard host started it (as go-plugin's cookie does). */
export const MAGIC_COOKIE = "7f3b9d2e-plugboard-isolate-child";
/** First field of the child's handshake line. */
export const HANDSHAKE_PREFIX = "plugboard-isolate|";
/** Protocol versions this side speaks, newest last. */
export const PROTOCOL_VERSIONS: readonly number[] = Object.freeze([1]);
/** Bytes of a frame header. */
export const HEADER_SIZE = 9;
/** The largest frame either side accepts. */
export const MAX_FRAME = 1 << 30;
/** Exit code of a child whose parent was already gone when it started. */
export const EXIT_ORPHANED = 70;
/** Exit code of a child that was not started by a plugboard host. */
export const EXIT_NO_COOKIE = 71;
/** Exit code of a child that speaks none of the host's protocol versions. */
export const EXIT_NO_VERSION = 72;
/** Exit code of a child that received a malformed frame. */
export const EXIT_PROTOCOL = 73;

/**
 * Frame kinds. Host to child: LOAD, BIND, CALL, SHUTDOWN, ATTACH; child to
 * host: OK, ERROR. (The shared-memory rings add PAD, SPILL and BELL: `_shm.ts`.)
 */
export const Kind = {
  LOAD: 1,
  BIND: 2,
  CALL: 3,
  SHUTDOWN: 4,
  ATTACH: 5,
  OK: 16,
  ERROR: 17,
} as const;

/** What the LOAD frame carries (as JSON). */
export interface LoadRequest {
  /**
   * `"plugin"`: a plugboard plugin, checked by `checkPlugin` (metadata,
   * descriptor, init hook). `"library"`: an ordinary shared library with no
   * plugboard metadata, checked by `checkLibrary` (file, format, the
   * declared functions); `init` does not apply.
   * @default "plugin"
   */
  kind?: "plugin" | "library";
  /** For a library: the functions the host declared, each checked to be exported. */
  functions?: string[];
  /** The plugin path, as the host's caller gave it (the child runs in the same directory). */
  path: string;
  /** SHA-256 of the bytes the host checked; the child refuses other bytes. */
  sha256: string;
  /** Load mode of the in-process loader in the child. */
  load: "memfd" | "path";
  /** Whether to run the init hook. */
  init: boolean;
  /** Whether the host allowed a file writable by others (it checked; the child checks again). */
  allowInsecurePermissions: boolean;
  /** The OS sandbox the child applies to itself before it reads or loads the plugin. */
  sandbox?: ResolvedSandbox;
}

/**
 * What the ATTACH frame carries (as JSON): the host's shared memory, which
 * the child maps; after its OK, requests and replies travel there.
 */
export interface AttachRequest {
  /** `/proc/HOSTPID/fd/N`: the host's descriptor of the memfd. */
  path: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A growable buffer of outgoing frames. */
export class FrameWriter {
  /** The bytes; valid up to `length`. */
  bytes: Uint8Array<ArrayBuffer> = new Uint8Array(64 * 1024);
  /** A view on `bytes`. */
  view: DataView = new DataView(this.bytes.buffer);
  /** Bytes written. */
  length = 0;

  /**
   * Make room for `n` more bytes.
   *
   * @param n bytes needed
   */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
  }

  /**
   * Start a frame; finish it with {@linkcode FrameWriter.end}.
   *
   * @param id the request id
   * @param kind the frame kind
   * @returns where the frame starts
   */
  begin(id: number, kind: number): number {
    this.reserve(HEADER_SIZE);
    const start = this.length;
    this.view.setUint32(start + 4, id, true);
    this.bytes[start + 8] = kind;
    this.length += HEADER_SIZE;
    return start;
  }

  /**
   * Finish the frame started at `start`.
   *
   * @param start what begin() returned
   */
  end(start: number): void {
    this.view.setUint32(start, this.length - start - HEADER_SIZE, true);
  }

  /**
   * Write a u16.
   *
   * @param v the value
   */
  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }

  /**
   * Write a u32.
   *
   * @param v the value
   */
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  /**
   * Write a u32 length and the bytes.
   *
   * @param b the bytes
   */
  blob(b: Uint8Array): void {
    this.reserve(4 + b.length);
    this.view.setUint32(this.length, b.length, true);
    // An empty view may be of a detached buffer, which set() refuses.
    if (b.length > 0) this.bytes.set(b, this.length + 4);
    this.length += 4 + b.length;
  }

  /**
   * Write raw bytes.
   *
   * @param b the bytes
   */
  raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }

  /**
   * Write a u32 length and the string's UTF-8 bytes.
   *
   * @param s the string
   */
  string(s: string): void {
    const n = s.length;
    this.reserve(4 + n * 3);
    const at = this.length + 4;
    let i = 0;
    // ASCII fast path; anything else goes through the encoder.
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      this.bytes[at + i] = c;
    }
    const written = i === n
      ? n
      : i + encoder.encodeInto(s.slice(i), this.bytes.subarray(at + i)).written;
    this.view.setUint32(this.length, written, true);
    this.length = at + written;
  }

  /**
   * A frame whose payload is JSON.
   *
   * @param id the request id
   * @param kind the frame kind
   * @param value the value
   */
  json(id: number, kind: number, value: unknown): void {
    const start = this.begin(id, kind);
    this.raw(encoder.encode(JSON.stringify(value)));
    this.end(start);
  }

  /**
   * A copy of the bytes written so far; the writer is emptied.
   *
   * @returns the bytes
   */
  take(): Uint8Array<ArrayBuffer> {
    const out = this.bytes.slice(0, this.length);
    this.length = 0;
    // Give back the memory of an unusually large frame.
    if (this.bytes.length > 1 << 20) {
      this.bytes = new Uint8Array(64 * 1024);
      this.view = new DataView(this.bytes.buffer);
    }
    return out;
  }
}

/** A read position in received bytes. */
export class Cursor {
  /**
   * @param bytes the bytes
   * @param view a view on the same memory
   * @param pos where to read next (absolute index into `bytes`)
   */
  constructor(public bytes: Uint8Array, public view: DataView, public pos: number) {}

  /**
   * Read a u16.
   *
   * @returns the value
   */
  u16(): number {
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  /**
   * Read a u32.
   *
   * @returns the value
   */
  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /**
   * Read a u32 length and that many bytes (a view, not a copy).
   *
   * @returns the bytes
   */
  blob(): Uint8Array {
    const n = this.u32();
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /**
   * Read a u32 length and that many bytes as UTF-8.
   *
   * @returns the string
   */
  string(): string {
    return decoder.decode(this.blob());
  }
}

/**
 * Write a value of a signature type (no checks: the host checked it, the child
 * got it from FFI).
 *
 * @param w where to write
 * @param t the type
 * @param v the value
 */
export function writeValue(w: FrameWriter, t: TypeName, v: unknown): void {
  w.reserve(8);
  const at = w.length;
  const view = w.view;
  switch (t) {
    case "void":
      return;
    case "bool":
      w.bytes[at] = v ? 1 : 0;
      w.length += 1;
      return;
    case "i8":
      view.setInt8(at, v as number);
      w.length += 1;
      return;
    case "u8":
      view.setUint8(at, v as number);
      w.length += 1;
      return;
    case "i16":
      view.setInt16(at, v as number, true);
      w.length += 2;
      return;
    case "u16":
      view.setUint16(at, v as number, true);
      w.length += 2;
      return;
    case "i32":
      view.setInt32(at, v as number, true);
      w.length += 4;
      return;
    case "u32":
      view.setUint32(at, v as number, true);
      w.length += 4;
      return;
    case "f32":
      view.setFloat32(at, v as number, true);
      w.length += 4;
      return;
    case "f64":
      view.setFloat64(at, v as number, true);
      w.length += 8;
      return;
    case "i64":
    case "isize":
      view.setBigInt64(at, typeof v === "bigint" ? v : BigInt(v as number), true);
      w.length += 8;
      return;
    case "u64":
    case "usize":
      view.setBigUint64(at, typeof v === "bigint" ? v : BigInt(v as number), true);
      w.length += 8;
      return;
    case "cstring":
      if (v === null) w.u32(0xffffffff);
      else w.string(v as string);
      return;
    case "buffer":
      w.blob(v as Uint8Array);
      return;
    case "pointer":
      throw new Error("unreachable: pointers do not cross the process boundary");
  }
}

/**
 * Read a value of a signature type. Buffers are views into the received bytes.
 *
 * @param c where to read
 * @param t the type
 * @returns the value
 */
export function readValue(c: Cursor, t: TypeName): unknown {
  const at = c.pos;
  const view = c.view;
  switch (t) {
    case "void":
      return undefined;
    case "bool":
      c.pos += 1;
      return c.bytes[at] !== 0;
    case "i8":
      c.pos += 1;
      return view.getInt8(at);
    case "u8":
      c.pos += 1;
      return view.getUint8(at);
    case "i16":
      c.pos += 2;
      return view.getInt16(at, true);
    case "u16":
      c.pos += 2;
      return view.getUint16(at, true);
    case "i32":
      c.pos += 4;
      return view.getInt32(at, true);
    case "u32":
      c.pos += 4;
      return view.getUint32(at, true);
    case "f32":
      c.pos += 4;
      return view.getFloat32(at, true);
    case "f64":
      c.pos += 8;
      return view.getFloat64(at, true);
    case "i64":
    case "isize":
      c.pos += 8;
      return view.getBigInt64(at, true);
    case "u64":
    case "usize":
      c.pos += 8;
      return view.getBigUint64(at, true);
    case "cstring": {
      const n = view.getUint32(at, true);
      if (n === 0xffffffff) {
        c.pos += 4;
        return null;
      }
      return c.string();
    }
    case "buffer":
      return c.blob();
    case "pointer":
      throw new Error("unreachable: pointers do not cross the process boundary");
  }
}

// ---------------------------------------------------------------------------
// Argument checks on the host (the same rules as the in-process wrappers).
// ---------------------------------------------------------------------------

export { fits, invalidArgument } from "../handle/arguments.ts";

/**
 * Refuse a signature whose values cannot cross a process boundary.
 *
 * @param sig the signature
 * @param path the plugin file
 * @param subject what the file is, for messages
 * @throws {PluginError} `USAGE` for pointer parameters or results, and for
 *   structs passed by value (refused at bind time: the framing carries no
 *   struct values)
 */
export function assertIsolatable(
  sig: Signature,
  path: string,
  subject: "plugin" | "library" = "plugin",
): void {
  const struct = [sig.result, ...sig.parameters].find((t) => t.startsWith("struct "));
  if (struct) {
    throw new PluginError(
      "USAGE",
      `Cannot call ${quote(sig.name)} of ${subject} ${
        quote(path)
      } in a child process: ${struct} is passed by value, which plugboard's process protocol does not carry`,
      {
        path,
        hint:
          `load the ${subject} in-process to pass structs by value, or pass the struct's bytes (Type.encode(value)) as a buffer parameter`,
      },
    );
  }
  if (sig.result === "pointer" || sig.parameters.includes("pointer")) {
    const at = sig.result === "pointer"
      ? "its result"
      : `parameter ${sig.parameters.indexOf("pointer") + 1}`;
    throw new PluginError(
      "USAGE",
      `Cannot call ${quote(sig.name)} of ${subject} ${
        quote(path)
      } in a child process: expected values that can be copied, found a pointer (${at} of ${
        quote(canonicalSignature(sig))
      }), which cannot cross a process boundary`,
      {
        path,
        hint:
          `declare the data as buffer parameters (copied both ways), or open the ${subject} in this process`,
      },
    );
  }
}

// ---------------------------------------------------------------------------
// Errors as data.
// ---------------------------------------------------------------------------

/** A PluginError as it crosses the pipe. */
export interface ErrorData {
  /** The class name: PluginError, LoadError, CallError, or another name. */
  name: string;
  /** The stable code. */
  code: ErrorCode;
  /** The summary line. */
  summary: string;
  /** The hint. */
  hint?: string;
  /** The file. */
  path?: string;
  /** LoadError: expected. */
  expected?: string;
  /** LoadError: found. */
  found?: string;
  /** CallError: the function. */
  function?: string;
  /** CallError: the plugin's own code. */
  pluginCode?: number;
}

/**
 * An error as data for the pipe.
 *
 * @param e what was thrown
 * @returns the data
 */
export function errorToData(e: unknown): ErrorData {
  if (e instanceof PluginError) {
    const data: ErrorData = { name: e.name, code: e.code, summary: e.summary };
    if (e.hint !== undefined) data.hint = e.hint;
    if (e.path !== undefined) data.path = e.path;
    if (e instanceof LoadError) {
      data.expected = e.expected;
      data.found = e.found;
    }
    if (e instanceof CallError) {
      data.function = e.function;
      if (e.pluginCode !== undefined) data.pluginCode = e.pluginCode;
    }
    return data;
  }
  return {
    name: "Error",
    code: "CALL_FAILED",
    summary: `Unexpected error in the isolation child: ${
      e instanceof Error ? e.message : String(e)
    }`,
    hint: "this is a bug in plugboard; please report it with the plugin that triggered it",
  };
}

/**
 * Rebuild an error from its data, as the same class with the same message.
 *
 * @param data the data
 * @returns the error
 */
export function errorFromData(data: ErrorData): PluginError {
  const ctor = data.name === "LoadError"
    ? LoadError
    : data.name === "CallError"
    ? CallError
    : PluginError;
  const err = Reflect.construct(PluginError, [data.code, data.summary, {
    path: data.path,
    hint: data.hint,
  }], ctor) as PluginError;
  const extra: Record<string, unknown> = {};
  if (ctor === LoadError) Object.assign(extra, { expected: data.expected, found: data.found });
  if (ctor === CallError) {
    Object.assign(extra, { function: data.function, pluginCode: data.pluginCode });
  }
  for (const [k, v] of Object.entries(extra)) {
    Object.defineProperty(err, k, { value: v, enumerable: true });
  }
  return err;
}

/**
 * Decode a JSON payload.
 *
 * @param bytes the payload
 * @returns the value
 */
export function parseJson(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}

/**
 * Turns a parsed signature and a raw Deno FFI function into the typed
 * function plugboard hands out. The wrapper is generated per signature, so
 * the call path holds only what that signature needs: one closed-flag check,
 * the argument checks Deno's fast path skips, and the conversions (strings
 * into a reused buffer, numbers to bigint for 64-bit parameters). No
 * allocation happens on the call path for ASCII strings up to the buffer's
 * size, nor for 64-bit arguments below 65536.
 *
 * A `cstring` result is read through the function's `NAME__into` twin when
 * the plugin exports one (native/plugboard.h writes it): the plugin copies
 * the text into a buffer the wrapper lends, so no pointer object is made per
 * call (docs/abi.md §2.4). Otherwise the returned pointer is read. Either
 * way the text is compared in place with the previous result of the same
 * function (in the lent buffer, or with one `strncmp`); when the bytes are
 * the same, the same string is returned, so a function that keeps answering
 * the same text costs no decoding and no new string.
 *
 * A struct passed by value (`struct point`) is Deno FFI's `{ struct: [...] }`
 * type, whose values are bytes: an argument is encoded from an object of its
 * fields (into a buffer reused per parameter for synchronous calls) or
 * passed as a Uint8Array of exactly its size (Deno does not check the size:
 * a shorter one would be read past its end); a result is decoded into an
 * object.
 *
 * @module
 */

import { ERROR_RECORD } from "../abi/layout.ts";
import type { Signature, TypeName } from "../abi/signature.ts";
import { codecOf, type StructType, structValueProblem } from "../abi/struct_type.ts";
import { showValue } from "../abi/values.ts";
import type { HandleState } from "../handle/plugin.ts";
import { CallError } from "../errors/plugin_error.ts";
import { invalidArgument } from "../handle/arguments.ts";
import { safeRead } from "./_memfd.ts";
import { getStrncmp } from "../file/libc.ts";

/** The state of a loaded library, shared by every handle onto it. */
export interface LibraryState {
  /** Nonblocking calls in flight. */
  inflight: number;
  /** Called when inflight drops to 0. */
  drained(): void;
}

/** What a wrapper needs besides its raw function. */
export interface BindContext {
  /** The plugin file, for messages. */
  path: string;
  /** The handle's state. */
  handle: HandleState;
  /** The library's state. */
  library: LibraryState;
  /** `plugboard_take_error`, bound when the signature is fallible. */
  takeError?: () => Deno.PointerValue;
  /** Set when the raw function is the signature's `NAME__into` (see {@linkcode BoundRaw}). */
  intoCopy?: IntoCopy;
  /**
   * Code already compiled for the same raw functions, shared by the wrappers
   * of one loaded library (see {@linkcode makeWrapper}); filled in.
   */
  code?: Map<string, string>;
}

/** A raw function bound by the loader, with what a fallible call needs. */
export interface BoundRaw {
  /** The raw Deno FFI function. */
  // deno-lint-ignore ban-types
  raw: Function;
  /** `plugboard_take_error`, when the signature is fallible. */
  takeError?: () => Deno.PointerValue;
  /**
   * `plugboard_into_copy`, when `raw` is a cstring function's `NAME__into`
   * (its parameters, then the host's buffer and its size; the text's length
   * as result).
   */
  intoCopy?: IntoCopy;
}

/** `plugboard_into_copy(out, cap)` of native/plugboard.h. */
export type IntoCopy = (out: Uint8Array, cap: number) => number;

/**
 * The Deno FFI declaration of a signature.
 *
 * @param sig the signature
 * @returns the declaration for Deno.dlopen
 */
export function ffiDeclaration(sig: Signature): Deno.ForeignFunction {
  return {
    parameters: sig.parameters.map((t) => ffiType(sig, t)),
    result: sig.result === "cstring"
      ? "pointer"
      : sig.result.startsWith("struct ")
      ? structOf(sig, sig.result).ffi
      : (sig.result as Deno.NativeResultType),
    ...(sig.nonblocking ? { nonblocking: true } : {}),
  };
}

function ffiType(sig: Signature, t: TypeName): Deno.NativeType {
  if (t.startsWith("struct ")) return structOf(sig, t).ffi;
  // A synchronous call's string is encoded into a buffer the wrapper keeps,
  // passed by its address (a Uint8Array argument costs Deno ~10 ns more); a
  // nonblocking call's is a fresh Uint8Array, which Deno keeps alive.
  if (t === "cstring") return sig.nonblocking ? "buffer" : "pointer";
  return t as Deno.NativeType;
}

/** The layout of a struct type the signature passes, resolved before binding. */
function structOf(sig: Signature, t: TypeName): StructType {
  const found = sig.structs?.get(t.slice(7));
  if (!found) throw new Error(`unreachable: ${t} of ${sig.name} bound without its layout`);
  return found;
}

/**
 * The encoder of one struct parameter: an object of its fields, encoded
 * into a buffer reused for every call (a fresh one for nonblocking calls,
 * which outlive the call site), or a Uint8Array of exactly its size.
 */
function structEncoder(
  ctx: BindContext,
  fn: string,
  index: number,
  type: StructType,
  fresh: boolean,
): (v: unknown) => Uint8Array {
  const codec = codecOf(type);
  const reused = fresh ? undefined : new Uint8Array(type.size);
  const reusedView = reused ? new DataView(reused.buffer) : undefined;
  const fail = (detail: string): never => {
    throw new CallError(
      "INVALID_ARGUMENT",
      ctx.path,
      fn,
      `argument ${index + 1} does not fit struct ${type.name}: ${detail}`,
      { hint: `pass an object with every field of struct ${type.name}, or its ${type.size} bytes` },
    );
  };
  return function encode(v: unknown): Uint8Array {
    if (v instanceof Uint8Array) {
      if (v.byteLength === type.size) return v;
      return fail(`expected ${type.size} bytes, found a Uint8Array of ${v.byteLength}`);
    }
    const out = reused ?? new Uint8Array(type.size);
    if (!codec.write(v, reusedView ?? new DataView(out.buffer), 0)) {
      fail(structValueProblem(type, v) ?? `found ${showValue(v)}`);
    }
    return out;
  };
}

/** The decoder of a struct result: Deno FFI returns a fresh Uint8Array of its bytes. */
function structDecoder(type: StructType): (r: Uint8Array) => unknown {
  const codec = codecOf(type);
  return (r) => codec.read(new DataView(r.buffer, r.byteOffset, r.byteLength), 0);
}

const encoder = new TextEncoder();
const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;
/**
 * Bigints of 0..65535, made on first use: Deno's fast path needs a bigint
 * for a 64-bit parameter, and a cached one allocates nothing per call.
 * Filled lazily (filling all 65536 at import cost ~10 ms and ~10 MiB).
 */
let SMALL: bigint[] | undefined;
/**
 * The bigint of a small non-negative integer (below 65536), from a table
 * filled on first use.
 *
 * @param v the integer
 * @returns its bigint
 */
export function small(v: number): bigint {
  const s = SMALL ??= new Array<bigint>(65536);
  return s[v] ??= BigInt(v);
}

function invalid(ctx: BindContext, fn: string, index: number, type: string, value: unknown): never {
  throw invalidArgument(ctx.path, fn, index, type as TypeName, value);
}

/**
 * After Deno's FFI refused a pointer argument (an object that is not a
 * pointer, which JavaScript cannot tell from one cheaply beforehand): the
 * same INVALID_ARGUMENT any other bad argument gets, naming the argument.
 */
function pointerRefused(
  ctx: BindContext,
  fn: string,
  pointers: readonly number[],
  args: readonly unknown[],
  error: unknown,
): never {
  for (const i of pointers) {
    const v = args[i];
    if (v === null) continue;
    try {
      Deno.UnsafePointer.value(v as Deno.PointerObject);
    } catch {
      invalid(ctx, fn, i, "pointer", v);
    }
  }
  throw error;
}

function toU64(ctx: BindContext, fn: string, i: number, t: string, v: unknown): bigint {
  if (typeof v === "number") {
    if (v >= 0 && v < 65536 && (v | 0) === v) return small(v);
    if (Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  } else if (typeof v === "bigint" && v >= 0n && v <= MAX_U64) return v;
  return invalid(ctx, fn, i, t, v);
}

function toI64(ctx: BindContext, fn: string, i: number, t: string, v: unknown): bigint {
  if (typeof v === "number") {
    if (v >= 0 && v < 65536 && (v | 0) === v) return small(v);
    if (Number.isSafeInteger(v)) return BigInt(v);
  } else if (typeof v === "bigint" && v >= MIN_I64 && v <= MAX_I64) return v;
  return invalid(ctx, fn, i, t, v);
}

/**
 * A reusable NUL-terminated string encoder for one parameter of one
 * function: it returns the address of a buffer it keeps (alive as long as
 * the wrapper), so the call passes a pointer, not a Uint8Array.
 */
function stringEncoder(ctx: BindContext, fn: string, index: number) {
  let buf = new Uint8Array(256);
  let at = Deno.UnsafePointer.of(buf);
  return function encode(s: unknown): Deno.PointerValue {
    if (typeof s !== "string") return invalid(ctx, fn, index, "cstring", s);
    const n = s.length;
    if (n < buf.length) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 127 || c === 0) break;
        buf[i] = c;
      }
      if (i === n) {
        buf[n] = 0;
        return at;
      }
    }
    if (s.indexOf("\0") !== -1) return invalid(ctx, fn, index, "cstring", s);
    if (n * 3 + 1 > buf.length) {
      buf = new Uint8Array(Math.max(n * 3 + 1, buf.length * 2));
      at = Deno.UnsafePointer.of(buf);
    }
    const { written } = encoder.encodeInto(s, buf);
    buf[written] = 0;
    return at;
  };
}

/** A fresh NUL-terminated copy: for nonblocking calls, which outlive the call site. */
function freshEncoder(ctx: BindContext, fn: string, index: number) {
  return function encode(s: unknown): Uint8Array {
    if (typeof s !== "string" || s.indexOf("\0") !== -1) {
      return invalid(ctx, fn, index, "cstring", s);
    }
    return encoder.encode(s + "\0");
  };
}

function readCString(p: Deno.PointerValue): string | null {
  return p === null ? null : Deno.UnsafePointerView.getCString(p);
}

/** Results up to this many bytes are remembered for the in-place comparison. */
const RESULT_CACHE_BYTES = 1024;

/**
 * A reader of one function's `cstring` results that returns the previous
 * string when the bytes at the new pointer are the same (one strncmp, no
 * decoding, no new string). Never closed: the libc it uses stays loaded.
 */
function cachedReader(): (p: Deno.PointerValue) => string | null {
  const cmp = getStrncmp();
  if (!cmp) return readCString;
  const bytes = new Uint8Array(RESULT_CACHE_BYTES);
  // The remembered result: its text and, in `bytes`, its UTF-8 and the NUL.
  let text = "";
  let size = -1; // strncmp length: bytes including the NUL; -1 when nothing is remembered
  let n64 = 0n;
  return function read(p: Deno.PointerValue): string | null {
    if (p === null) return null;
    if (size > 0 && cmp(p, bytes, n64) === 0) return text;
    const s = Deno.UnsafePointerView.getCString(p);
    // Remember it when it is short ASCII (its bytes are then its UTF-16 units).
    const n = s.length;
    size = -1;
    if (n < RESULT_CACHE_BYTES) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 127) break;
        bytes[i] = c;
      }
      if (i === n) {
        bytes[n] = 0;
        text = s;
        size = n + 1;
        n64 = small(size);
      }
    }
    return s;
  };
}

/** What `NAME__into` returns for a NULL result (native/plugboard.h). */
const INTO_NULL = 0xffffffff;
/** What it returns for a text of 4 GiB - 2 bytes or more. */
const INTO_TOO_LONG = 0xfffffffe;
/** The first buffer lent to a `NAME__into`; it grows to the longest text seen. */
const INTO_FIRST_CAP = 256;

/** The buffer a `NAME__into` function writes into; replaced when it grows. */
export interface IntoBuffer {
  /** The bytes lent to the plugin. */
  buf: Uint8Array;
  /** Their address, as the plugin's `out` (a pointer costs Deno less than a Uint8Array). */
  at: Deno.PointerValue;
  /** `buf.length`, as the plugin's `cap`. */
  cap: number;
}

/**
 * The reader of one function's texts written by its `NAME__into` into a
 * buffer the host lends (reused for every call; nonblocking calls keep the
 * pointer path). The text is compared in place with the previous one (last
 * byte first: texts that differ mostly differ at their end) and the same
 * string returned when equal; ASCII texts up to 16 bytes are made with one
 * `String.fromCharCode`, longer ones or others decoded as UTF-8 by
 * `getCString` on the buffer, as the pointer path decodes them. A text that
 * does not fit grows the buffer and is fetched with `plugboard_into_copy`,
 * so the plugin's function runs once per call.
 */
function intoReader(
  ctx: BindContext,
  fn: string,
  copy: IntoCopy,
): { io: IntoBuffer; read: (n: number) => string | null } {
  const first = new Uint8Array(INTO_FIRST_CAP);
  const io: IntoBuffer = { buf: first, at: Deno.UnsafePointer.of(first), cap: INTO_FIRST_CAP };
  // The previous text, when it was ASCII (its UTF-16 units are then its bytes).
  let text = "";
  let ascii = false;
  const decode = (n: number): string => {
    const b = io.buf;
    if (ascii && n === text.length) {
      let i = n - 1;
      while (i >= 0 && b[i] === text.charCodeAt(i)) i--;
      if (i < 0) return text;
    }
    let s: string | undefined;
    if (n <= 16) s = shortAscii(b, n);
    if (s === undefined) {
      s = Deno.UnsafePointerView.getCString(io.at!);
      ascii = false;
      for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return text = s;
    }
    ascii = true;
    return text = s;
  };
  const read = (n: number): string | null => {
    if (n < io.cap) return decode(n);
    if (n === INTO_NULL) return null;
    if (n === INTO_TOO_LONG) return intoFailed(ctx, fn, "its text is 4 GiB or longer");
    const cap = Math.min(Math.max(n + 1, io.cap * 2), INTO_TOO_LONG);
    io.buf = new Uint8Array(cap);
    io.at = Deno.UnsafePointer.of(io.buf);
    io.cap = cap;
    const m = copy(io.buf, cap);
    if (m !== n) {
      return intoFailed(
        ctx,
        fn,
        `${fn}__into said ${n} bytes, then plugboard_into_copy() returned ${m}`,
      );
    }
    return decode(n);
  };
  return { io, read };
}

function intoFailed(ctx: BindContext, fn: string, detail: string): never {
  throw new CallError("CALL_FAILED", ctx.path, fn, `cannot read the text result: ${detail}`, {
    hint:
      "rebuild the plugin with native/plugboard.h; a text result must stay valid until the next call",
  });
}

const fromCharCode = String.fromCharCode;

/** `b[0..n)` as a string when every byte is ASCII (n <= 16), else undefined. */
function shortAscii(b: Uint8Array, n: number): string | undefined {
  let or = 0;
  for (let i = 0; i < n; i++) or |= b[i];
  if (or > 127) return undefined;
  switch (n) {
    case 0:
      return "";
    case 1:
      return fromCharCode(b[0]);
    case 2:
      return fromCharCode(b[0], b[1]);
    case 3:
      return fromCharCode(b[0], b[1], b[2]);
    case 4:
      return fromCharCode(b[0], b[1], b[2], b[3]);
    case 5:
      return fromCharCode(b[0], b[1], b[2], b[3], b[4]);
    case 6:
      return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5]);
    case 7:
      return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
    case 8:
      return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
    case 9:
      return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8]);
    case 10:
      return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]);
    case 11:
      return fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10]);
    case 12:
      return fromCharCode(
        b[0],
        b[1],
        b[2],
        b[3],
        b[4],
        b[5],
        b[6],
        b[7],
        b[8],
        b[9],
        b[10],
        b[11],
      );
    case 13:
      return fromCharCode(
        b[0],
        b[1],
        b[2],
        b[3],
        b[4],
        b[5],
        b[6],
        b[7],
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
      );
    case 14:
      return fromCharCode(
        b[0],
        b[1],
        b[2],
        b[3],
        b[4],
        b[5],
        b[6],
        b[7],
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
      );
    case 15:
      return fromCharCode(
        b[0],
        b[1],
        b[2],
        b[3],
        b[4],
        b[5],
        b[6],
        b[7],
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
      );
    default:
      return fromCharCode(
        b[0],
        b[1],
        b[2],
        b[3],
        b[4],
        b[5],
        b[6],
        b[7],
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15],
      );
  }
}

/**
 * The message of an error record (`plugboard_error`): at most its declared
 * length, never more than the record holds, so a record without its NUL is
 * never read past its end.
 *
 * @param e the record
 * @returns the message
 */
export function readErrorMessage(e: Deno.PointerObject): string {
  return readErrorRecord(e).message;
}

/**
 * The code and message of the error record a fallible function left,
 * copied without trusting the pointer (`take_error()` is plugin code): an
 * address that is not readable gives a message that says so, not a crash.
 */
function readErrorRecord(e: Deno.PointerObject): { code: number; message: string } {
  const address = BigInt(Deno.UnsafePointer.value(e));
  const unreadable = {
    code: -1,
    message: `the plugin reported an error, but its error record at 0x${
      address.toString(16)
    } cannot be read (take_error() returned an address outside readable memory)`,
  };
  const head = safeRead(address, ERROR_RECORD.message);
  if (!head) return unreadable;
  const view = new DataView(head.buffer);
  const length = Math.min(view.getUint32(ERROR_RECORD.length, true), ERROR_RECORD.messageMax - 1);
  const bytes = safeRead(address + BigInt(ERROR_RECORD.message), length);
  if (!bytes) return unreadable;
  const nul = bytes.indexOf(0);
  return {
    code: view.getInt32(ERROR_RECORD.code, true),
    message: new TextDecoder().decode(nul === -1 ? bytes : bytes.subarray(0, nul)),
  };
}

function callFailed(ctx: BindContext, fn: string, e: Deno.PointerObject): never {
  const { code, message } = readErrorRecord(e);
  throw new CallError("CALL_FAILED", ctx.path, fn, message, {
    pluginCode: code,
    hint: "the plugin reported this error; check the arguments or the plugin's documentation",
  });
}

function closedError(ctx: BindContext, fn: string): never {
  throw new CallError("CLOSED", ctx.path, fn, "the plugin handle is closed", {
    hint: "open the plugin again; functions of a closed handle cannot be called",
  });
}

/** Wrappers compiled from a source of their own so far. */
let fresh = 0;
/**
 * At most this many: V8 never frees what it compiled for `new Function`
 * (~1.3 KB each), so an app reopening plugins in a loop must not add a
 * source per reopen for ever. Past it, wrappers share code by name and
 * signature.
 */
const MAX_FRESH = 4096;

/**
 * Build the typed wrapper of one function.
 *
 * Wrappers of different raw functions are compiled from different sources.
 * V8 caches compiled code by source text, and closures compiled from one
 * source share their call feedback: the `raw(...)` call site of two
 * plugins' `apply`, or of a plugin's `add` before and after a reopen, would
 * see two targets and fall to Deno's generic call path (~60 ns instead of
 * ~4 ns). A number in each wrapper's name keeps them apart (up to
 * {@linkcode MAX_FRESH} of them); wrappers given the same `ctx.code` map
 * (one library's) reuse the number of the same function, so more handles on
 * a library compile nothing new. The suffix also keeps a plugin function
 * called `raw`, `closed` or `delete` from shadowing a helper or breaking the
 * syntax; the real name is the wrapper's `name` property. Compiling costs
 * ~15 µs per new source, which is why the loader makes each wrapper on first
 * access.
 *
 * @param sig the signature the host declared (and the plugin agrees with)
 * @param raw the raw Deno FFI function
 * @param ctx the handle, library and error-taking function
 * @returns the wrapper
 */
// deno-lint-ignore ban-types
export function makeWrapper(sig: Signature, raw: Function, ctx: BindContext): Function {
  const fn = sig.name;
  const args: string[] = [];
  const body: string[] = ["if (h.closed) closed(ctx, FN);"];
  const passed: string[] = [];
  const env: Record<string, unknown> = {
    raw,
    ctx,
    h: ctx.handle,
    lib: ctx.library,
    FN: fn,
    closed: closedError,
    invalid,
    toU64,
    toI64,
    readCString,
    callFailed,
    take: ctx.takeError,
  };
  sig.parameters.forEach((t, i) => {
    const a = `a${i}`;
    args.push(a);
    switch (t) {
      // Integers: a number (not a bigint or a symbol, which the bit
      // operations would throw on) in range; -0 is passed as 0, which Deno's
      // FFI would otherwise refuse with a TypeError.
      case "i8":
        body.push(
          `if (typeof ${a} !== "number" || ((${a} << 24) >> 24) !== ${a}) invalid(ctx, FN, ${i}, "i8", ${a});`,
        );
        passed.push(`${a} | 0`);
        return;
      case "u8":
        body.push(
          `if (typeof ${a} !== "number" || (${a} & 0xff) !== ${a}) invalid(ctx, FN, ${i}, "u8", ${a});`,
        );
        passed.push(`${a} | 0`);
        return;
      case "i16":
        body.push(
          `if (typeof ${a} !== "number" || ((${a} << 16) >> 16) !== ${a}) invalid(ctx, FN, ${i}, "i16", ${a});`,
        );
        passed.push(`${a} | 0`);
        return;
      case "u16":
        body.push(
          `if (typeof ${a} !== "number" || (${a} & 0xffff) !== ${a}) invalid(ctx, FN, ${i}, "u16", ${a});`,
        );
        passed.push(`${a} | 0`);
        return;
      case "i32":
        body.push(
          `if (typeof ${a} !== "number" || (${a} | 0) !== ${a}) invalid(ctx, FN, ${i}, "i32", ${a});`,
        );
        passed.push(`${a} | 0`);
        return;
      case "u32":
        body.push(
          `if (typeof ${a} !== "number" || (${a} >>> 0) !== ${a}) invalid(ctx, FN, ${i}, "u32", ${a});`,
        );
        passed.push(`${a} >>> 0`);
        return;
      case "f32":
      case "f64":
        body.push(`if (typeof ${a} !== "number") invalid(ctx, FN, ${i}, "${t}", ${a});`);
        break;
      case "bool":
        body.push(`if (typeof ${a} !== "boolean") invalid(ctx, FN, ${i}, "bool", ${a});`);
        break;
      case "u64":
      case "usize":
        body.push(
          `if (typeof ${a} !== "bigint") ${a} = toU64(ctx, FN, ${i}, "${t}", ${a}); else if (${a} < 0n || ${a} > 18446744073709551615n) invalid(ctx, FN, ${i}, "${t}", ${a});`,
        );
        break;
      case "i64":
      case "isize":
        body.push(
          `if (typeof ${a} !== "bigint" || ${a} < -9223372036854775808n || ${a} > 9223372036854775807n) ${a} = toI64(ctx, FN, ${i}, "${t}", ${a});`,
        );
        break;
      case "buffer":
        // An empty buffer (a detached one included) reaches the plugin as
        // NULL, whatever array it is a view of, in every mode.
        body.push(
          `if (!(${a} instanceof Uint8Array)) invalid(ctx, FN, ${i}, "buffer", ${a}); else if (${a}.length === 0) ${a} = null;`,
        );
        break;
      case "pointer":
        body.push(
          `if (${a} !== null && typeof ${a} !== "object") invalid(ctx, FN, ${i}, "pointer", ${a});`,
        );
        break;
      case "cstring": {
        const enc = `enc${i}`;
        env[enc] = sig.nonblocking ? freshEncoder(ctx, fn, i) : stringEncoder(ctx, fn, i);
        body.push(`${a} = ${enc}(${a});`);
        break;
      }
      default: {
        if (!t.startsWith("struct ")) throw new Error(`unreachable: parameter type ${t}`);
        const enc = `st${i}`;
        env[enc] = structEncoder(ctx, fn, i, structOf(sig, t), sig.nonblocking);
        body.push(`${a} = ${enc}(${a});`);
        break;
      }
    }
    passed.push(a);
  });
  const pointers = sig.parameters.flatMap((t, i) => t === "pointer" ? [i] : []);
  // A cstring function read through its NAME__into: the host's buffer and
  // its size follow the arguments, and the result is the text's length.
  const into = sig.result === "cstring" && !sig.nonblocking && ctx.intoCopy !== undefined;
  const rawArgs = into ? [...args, "out", "cap"] : args;
  const call = `raw(${[...passed, ...(into ? ["io.at", "io.cap"] : [])].join(", ")})`;
  if (pointers.length > 0) {
    // Deno's FFI refuses an object that is not a pointer with a TypeError;
    // the check costs nothing unless it throws.
    env.raw = (new Function(
      "raw0",
      "pointerRefused",
      "ctx",
      "FN",
      `return function (${rawArgs.join(", ")}) { try { return raw0(${
        rawArgs.join(", ")
      }); } catch (e) { pointerRefused(ctx, FN, [${pointers}], [${args.join(", ")}], e); } };`,
    ) as (...a: unknown[]) => unknown)(raw, pointerRefused, ctx, fn);
  }
  if (into) {
    const reader = intoReader(ctx, fn, ctx.intoCopy!);
    env.io = reader.io;
    env.readResult = reader.read;
  } else if (sig.result === "cstring" && !sig.nonblocking) env.readResult = cachedReader();
  if (sig.result.startsWith("struct ")) env.decodeResult = structDecoder(structOf(sig, sig.result));
  const convert = (r: string) =>
    sig.result.startsWith("struct ")
      ? `decodeResult(${r})`
      : sig.result !== "cstring"
      ? r
      : sig.nonblocking
      ? `readCString(${r})`
      : `readResult(${r})`;
  if (sig.nonblocking) {
    body.push(
      "lib.inflight++;",
      `let p; try { p = ${call}; } catch (e) { if (--lib.inflight === 0) lib.drained(); throw e; }`,
      `return p.then((r) => { if (--lib.inflight === 0) lib.drained(); return ${
        convert("r")
      }; }, (e) => { if (--lib.inflight === 0) lib.drained(); throw e; });`,
    );
  } else if (sig.fallible) {
    body.push(
      `const r = ${call};`,
      "const e = take();",
      "if (e !== null) callFailed(ctx, FN, e);",
      `return ${convert("r")};`,
    );
  } else {
    body.push(`return ${convert(call)};`);
  }
  const names = Object.keys(env);
  // A nonblocking function returns a Promise: its errors (closed handle, bad
  // arguments) reject it rather than throw.
  const inner = sig.nonblocking
    ? `try {\n    ${body.join("\n    ")}\n  } catch (e) {\n    return Promise.reject(e);\n  }`
    : body.join("\n  ");
  const src = (id: string) =>
    `"use strict";\nreturn function ${fn}$pb${id}(${args.join(", ")}) {\n  ${inner}\n};`;
  const shape = src("");
  let id = ctx.code?.get(shape);
  if (id === undefined) {
    id = fresh < MAX_FRESH ? String(++fresh) : "";
    ctx.code?.set(shape, id);
  }
  // deno-lint-ignore ban-types
  const wrapper = new Function(...names, src(id))(...names.map((n) => env[n])) as Function;
  Object.defineProperty(wrapper, "name", { value: fn });
  return wrapper;
}

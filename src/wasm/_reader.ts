/**
 * Checked reading of a WebAssembly binary: LEB128 integers as the spec
 * bounds them, names as strict UTF-8, counts checked against the bytes left
 * before anything is allocated, and the errors all of it throws.
 *
 * A cursor reads inside one range: the whole file for the module header and
 * the section headers, one section (or less) for its content. Running off
 * the end of the file is `TRUNCATED`; running off the end of a section is
 * `MALFORMED`, because the file then disagrees with itself.
 *
 * @module
 */

import { type ErrorCode, LoadError } from "../errors/plugin_error.ts";

/** Hint of MALFORMED errors. */
export const MALFORMED_HINT = "the file is corrupt or was not produced by a standard " +
  "WebAssembly toolchain; rebuild the plugin with `clang --target=wasm32` and wasm-ld";

/** Hint of TRUNCATED errors. */
export const TRUNCATED_HINT = "the file was cut short (an interrupted build, copy or download); " +
  "rebuild it or copy it again";

/** The input and what reading it needs. */
export interface Reader {
  /** The file path, for messages. */
  path: string;
  /** The whole file. */
  bytes: Uint8Array;
  /** A view of `bytes`. */
  view: DataView;
  /** `bytes.length`. */
  size: number;
}

/** A position inside a range of the file. */
export interface Cursor {
  /** The next byte to read. */
  pos: number;
  /** One past the last byte of the range. */
  end: number;
  /** What the range is, for messages: "type section at offset 0xa". */
  where: string;
  /** Whether `end` is the end of the file (so running past it means the file was cut). */
  isFile: boolean;
}

/**
 * Start reading a file.
 *
 * @param bytes the whole file
 * @param path its path, for messages
 * @returns a reader
 */
export function createReader(bytes: Uint8Array, path: string): Reader {
  return {
    path,
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    size: bytes.length,
  };
}

/**
 * An offset as messages print it.
 *
 * @param n the offset
 * @returns e.g. "0x1a"
 */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * Throw a {@linkcode LoadError}.
 *
 * @param r the reader
 * @param code the error code
 * @param what what went wrong
 * @param expected what the host expected
 * @param found what the file has
 * @param hint how to fix it
 * @returns never
 */
export function fail(
  r: Reader,
  code: ErrorCode,
  what: string,
  expected: string,
  found: string,
  hint: string = MALFORMED_HINT,
): never {
  throw new LoadError(code, { path: r.path, what, expected, found, hint });
}

/**
 * Throw a MALFORMED {@linkcode LoadError} about one part of the module.
 *
 * @param r the reader
 * @param part the part, e.g. "export section at offset 0x2c"
 * @param expected what a valid module has
 * @param found what this one has
 * @returns never
 */
export function malformed(r: Reader, part: string, expected: string, found: string): never {
  return fail(r, "MALFORMED", `malformed WebAssembly module (${part})`, expected, found);
}

/**
 * Throw because `what` needs bytes past the cursor's end: TRUNCATED when
 * that end is the end of the file, MALFORMED when it is a section's.
 *
 * @param r the reader
 * @param c the cursor
 * @param what what was being read, e.g. "a LEB128 integer (type count)"
 * @returns never
 */
export function pastEnd(r: Reader, c: Cursor, what: string): never {
  if (c.isFile) {
    return fail(
      r,
      "TRUNCATED",
      `truncated WebAssembly module (${c.where})`,
      `${what} at offset ${hex(c.pos)}`,
      `the end of the file at offset ${hex(r.size)}`,
      TRUNCATED_HINT,
    );
  }
  return malformed(r, c.where, `${what} inside it`, `its end at offset ${hex(c.end)}`);
}

/**
 * Read one byte.
 *
 * @param r the reader
 * @param c the cursor
 * @param what what the byte is, for messages
 * @returns the byte
 */
export function byte(r: Reader, c: Cursor, what: string): number {
  if (c.pos >= c.end) pastEnd(r, c, what);
  return r.bytes[c.pos++];
}

/**
 * Read an unsigned LEB128 integer of at most `bits` bits (32 or 64): at most
 * ceil(bits / 7) bytes, and the unused bits of the last byte zero. Padded
 * encodings within that length are valid (linkers write them). Values above
 * 2**53 come back rounded, which only matters for memory64 limits, where
 * they fail the range checks anyway.
 *
 * @param r the reader
 * @param c the cursor
 * @param what what the integer is, e.g. "type count"
 * @param bits 32 or 64
 * @returns the value
 */
export function uleb(r: Reader, c: Cursor, what: string, bits: 32 | 64 = 32): number {
  const start = c.pos;
  const maxBytes = Math.ceil(bits / 7);
  const b = r.bytes;
  let value = 0;
  let scale = 1;
  for (let i = 0;; i++) {
    if (c.pos >= c.end) pastEnd(r, c, `a LEB128 integer (${what})`);
    const x = b[c.pos++];
    if (i === maxBytes - 1) {
      const usedBits = bits - 7 * i;
      if (x & 0x80) {
        malformed(
          r,
          `${what} at offset ${hex(start)}`,
          `a u${bits} LEB128 integer of at most ${maxBytes} bytes`,
          "a longer encoding",
        );
      }
      if (x >> usedBits !== 0) {
        malformed(
          r,
          `${what} at offset ${hex(start)}`,
          `a u${bits} LEB128 integer (last byte below ${hex(1 << usedBits)})`,
          `last byte ${hex(x)}, a value of more than ${bits} bits`,
        );
      }
    }
    value += (x & 0x7f) * scale;
    if ((x & 0x80) === 0) return value;
    scale *= 128;
  }
}

/**
 * Skip a signed LEB128 integer of at most `bits` bits, checking its length
 * and that the unused bits of its last byte extend the sign.
 *
 * @param r the reader
 * @param c the cursor
 * @param what what the integer is
 * @param bits 32 or 64
 * @returns the value if its encoding has at most 7 bytes, else `undefined`
 */
export function sleb(r: Reader, c: Cursor, what: string, bits: 32 | 64): number | undefined {
  const start = c.pos;
  const maxBytes = Math.ceil(bits / 7);
  const b = r.bytes;
  let value = 0;
  let scale = 1;
  for (let i = 0;; i++) {
    if (c.pos >= c.end) pastEnd(r, c, `a LEB128 integer (${what})`);
    const x = b[c.pos++];
    if (i === maxBytes - 1) {
      // The bits above the value's width must all equal its sign bit.
      const usedBits = bits - 7 * i;
      const rest = (x & 0x7f) >> (usedBits - 1);
      const allowed = 0x7f >> (usedBits - 1);
      if ((x & 0x80) || (rest !== 0 && rest !== allowed)) {
        malformed(
          r,
          `${what} at offset ${hex(start)}`,
          `an s${bits} LEB128 integer of at most ${maxBytes} bytes`,
          x & 0x80 ? "a longer encoding" : `last byte ${hex(x)}, a value of more than ${bits} bits`,
        );
      }
    }
    value += (x & 0x7f) * scale;
    scale *= 128;
    if ((x & 0x80) === 0) {
      if (x & 0x40) value -= scale;
      // Up to 7 bytes (49 bits) every step above is exact in a double.
      return i < 7 ? value : undefined;
    }
  }
}

/**
 * Read a count of entries that each take at least `minBytes` bytes, and
 * refuse it if the bytes left cannot hold that many, before anything is
 * allocated for them.
 *
 * @param r the reader
 * @param c the cursor
 * @param what the entries, plural: "imports"
 * @param minBytes the fewest bytes one entry takes
 * @returns the count
 */
export function count(r: Reader, c: Cursor, what: string, minBytes: number): number {
  const n = uleb(r, c, `${what} count`);
  const left = c.end - c.pos;
  if (n * minBytes > left) {
    malformed(
      r,
      c.where,
      `at most ${Math.floor(left / minBytes)} ${what} in the ${left} byte${
        left === 1 ? "" : "s"
      } left`,
      `a count of ${n}`,
    );
  }
  return n;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Read a name: a u32 length and that many bytes of UTF-8.
 *
 * @param r the reader
 * @param c the cursor
 * @param what whose name, e.g. "import module name"
 * @returns the text
 */
export function name(r: Reader, c: Cursor, what: string): string {
  const start = c.pos;
  const length = uleb(r, c, `length of ${what}`);
  if (length > c.end - c.pos) pastEnd(r, c, `${length} bytes of ${what}`);
  const from = c.pos;
  c.pos += length;
  return decodeUtf8(r, from, c.pos, `${what} at offset ${hex(start)}`);
}

/**
 * Decode bytes as strict UTF-8.
 *
 * @param r the reader
 * @param start the first byte
 * @param end one past the last byte
 * @param part what the text is, for messages
 * @returns the text
 */
export function decodeUtf8(r: Reader, start: number, end: number, part: string): string {
  const b = r.bytes;
  // Names are mostly short ASCII: building the string directly is several
  // times faster than TextDecoder.
  if (end - start <= 64) {
    let s = "";
    let i = start;
    for (; i < end && b[i] < 0x80; i++) s += String.fromCharCode(b[i]);
    if (i === end) return s;
  }
  try {
    return utf8.decode(b.subarray(start, end));
  } catch {
    return malformed(r, part, "UTF-8 text", "invalid UTF-8");
  }
}

/**
 * Check that a section's content ended exactly where its size says.
 *
 * @param r the reader
 * @param c the cursor over the section
 */
export function expectEnd(r: Reader, c: Cursor): void {
  if (c.pos !== c.end) {
    const extra = c.end - c.pos;
    malformed(
      r,
      c.where,
      `its content to end at offset ${hex(c.end)}, as its size says`,
      `${extra} byte${extra === 1 ? "" : "s"} left over at offset ${hex(c.pos)}`,
    );
  }
}

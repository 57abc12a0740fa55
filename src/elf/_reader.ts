/**
 * Checked byte access for the ELF reader: integers, names read inside their
 * string table, and the errors it throws.
 *
 * @module
 */

import { type ErrorCode, LoadError } from "../errors/plugin_error.ts";

/** The longest symbol, owner or library name read, in bytes. */
export const MAX_NAME = 4096;

/** Hint of MALFORMED errors. */
export const MALFORMED_HINT = "the file is corrupt or was not produced by a standard linker; " +
  "rebuild the plugin with `cc -shared -fPIC`";

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
  /** The file's byte order, once known. */
  le: boolean;
  /** Bytes of names still allowed to be decoded (overlapping names cannot multiply memory). */
  nameBudget: number;
}

/** A byte range of the file: `[start, end)`. */
export interface Range {
  /** First byte. */
  start: number;
  /** One past the last byte. */
  end: number;
}

const decoder = new TextDecoder("utf-8");

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
    le: true,
    // Real libraries decode names totalling about a fifth of their size.
    nameBudget: 4 * bytes.length + 65536,
  };
}

/**
 * Read a u16 in the file's byte order; the caller has checked the range.
 *
 * @param r the reader
 * @param offset where
 * @returns the value
 */
export function u16(r: Reader, offset: number): number {
  return r.view.getUint16(offset, r.le);
}

/**
 * Read a u32 in the file's byte order; the caller has checked the range.
 *
 * @param r the reader
 * @param offset where
 * @returns the value
 */
export function u32(r: Reader, offset: number): number {
  return r.view.getUint32(offset, r.le);
}

/**
 * Read a u64 as a number: exact below 2**53 (every offset, size and address
 * of a real file), approximate but still huge above, which fails range checks.
 *
 * @param r the reader
 * @param offset where
 * @returns the value
 */
export function u64(r: Reader, offset: number): number {
  const lo = r.view.getUint32(offset + (r.le ? 0 : 4), r.le);
  const hi = r.view.getUint32(offset + (r.le ? 4 : 0), r.le);
  return hi * 0x1_0000_0000 + lo;
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
 * Throw a MALFORMED {@linkcode LoadError} about one part of the file.
 *
 * @param r the reader
 * @param part the field or table, e.g. "e_shentsize"
 * @param expected what a valid file has
 * @param found what this one has
 * @returns never
 */
export function malformed(r: Reader, part: string, expected: string, found: string): never {
  return fail(r, "MALFORMED", `malformed ELF file (${part})`, expected, found);
}

/**
 * Read the NUL-terminated name at `offset` in a string table.
 *
 * @param r the reader
 * @param table the string table's bytes
 * @param offset the offset of the name in the table
 * @param what whose name, for messages
 * @returns the name, at most {@linkcode MAX_NAME} bytes of it
 */
export function readName(r: Reader, table: Range, offset: number, what: string): string {
  const length = table.end - table.start;
  if (offset >= length) {
    if (offset === 0) return ""; // an empty string table
    malformed(r, `name of ${what}`, `a string table offset below ${length}`, `${offset}`);
  }
  const start = table.start + offset;
  return decodeName(r, start, Math.min(table.end, start + MAX_NAME));
}

/**
 * Decode the bytes from `start` up to a NUL or `limit`.
 *
 * @param r the reader
 * @param start the first byte
 * @param limit where to stop if there is no NUL
 * @returns the text
 */
export function decodeName(r: Reader, start: number, limit: number): string {
  const b = r.bytes;
  let end = start;
  let ascii = true;
  while (end < limit && b[end] !== 0) {
    if (b[end] > 127) ascii = false;
    end++;
  }
  if (end === start) return "";
  r.nameBudget -= end - start;
  if (r.nameBudget < 0) {
    malformed(
      r,
      "string tables",
      `names totalling at most ${4 * r.size + 65536} bytes`,
      "more, from names that overlap",
    );
  }
  // Symbol names are ASCII: building the string directly is several times
  // faster than TextDecoder for names this short.
  if (ascii && end - start <= 64) {
    let name = "";
    for (let i = start; i < end; i++) name += String.fromCharCode(b[i]);
    return name;
  }
  return decoder.decode(b.subarray(start, end));
}

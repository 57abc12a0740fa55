/**
 * A walker over the instructions of one function body: it decodes every
 * opcode and skips its immediates, so it knows where each instruction
 * starts, and reports the two places the host instruments: right after the
 * block type of each `loop`, and right after each `memory.grow`.
 *
 * It covers WebAssembly 2.0 (reference types, bulk memory, SIMD), the
 * threads, exception handling (both encodings), tail call, multi-memory,
 * memory64, relaxed SIMD and extended-constant proposals. Anything else (the
 * GC proposal's typed references, an unknown opcode) is refused: a walker
 * that guessed an immediate's length would misplace every later insertion.
 * Types are not checked (compiling the module does that).
 *
 * @module
 */

import { byte, type Cursor, hex, malformed, pastEnd, type Reader, sleb, uleb } from "./_reader.ts";

/** Where the walker found something to instrument. */
export type CodeSite = "loop" | "grow";

/** Value types that a block type may be as one byte. */
const ONE_BYTE_TYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x40]);

function unsupported(r: Reader, c: Cursor, at: number, what: string): never {
  return malformed(
    r,
    `${c.where} at offset ${hex(at)}`,
    "an instruction of WebAssembly 2.0 or of the threads, exception handling, tail call, " +
      "multi-memory, memory64 or relaxed SIMD proposals",
    what,
  );
}

function blockType(r: Reader, c: Cursor, at: number): void {
  if (c.pos >= c.end) pastEnd(r, c, "a block type");
  const b = r.bytes[c.pos];
  if (ONE_BYTE_TYPES.has(b)) {
    c.pos++;
    return;
  }
  if (b === 0x63 || b === 0x64) {
    unsupported(r, c, at, `a typed reference block type (${hex(b)}) of the GC proposals`);
  }
  const index = sleb(r, c, "block type index", 64);
  if (index !== undefined && index < 0) {
    unsupported(r, c, at, `block type ${hex(b)}`);
  }
}

function memarg(r: Reader, c: Cursor): void {
  const align = uleb(r, c, "memory alignment");
  // Bit 6: a memory index follows (multi-memory).
  if (align & 0x40) uleb(r, c, "memory index");
  uleb(r, c, "memory offset", 64);
}

function skip(r: Reader, c: Cursor, n: number, what: string): void {
  if (c.end - c.pos < n) pastEnd(r, c, what);
  c.pos += n;
}

function heapType(r: Reader, c: Cursor, at: number): void {
  const b = byte(r, c, "a heap type");
  if (b === 0x70 || b === 0x6f) return;
  unsupported(r, c, at, `ref.null of heap type ${hex(b)}`);
}

/**
 * Walk the instructions of one function body's expression, from the cursor
 * to its end, calling `site` at each place to instrument.
 *
 * @param r the reader
 * @param c the cursor, after the locals; `end` is the end of the body
 * @param site called with what was found and the offset just after it
 * @throws {LoadError} `MALFORMED` (or `TRUNCATED`) for an instruction it cannot decode
 */
export function walkCode(
  r: Reader,
  c: Cursor,
  site: (kind: CodeSite, offset: number) => void,
): void {
  while (c.pos < c.end) {
    const at = c.pos;
    const op = r.bytes[c.pos++];
    if (op <= 0x01 || op === 0x05 || op === 0x0a || op === 0x0b || op === 0x0f) continue;
    if (op >= 0x45 && op <= 0xc4) continue; // numeric instructions and sign extension
    if (op >= 0x28 && op <= 0x3e) {
      memarg(r, c);
      continue;
    }
    switch (op) {
      case 0x02: // block
      case 0x04: // if
      case 0x06: // try (legacy exceptions)
        blockType(r, c, at);
        break;
      case 0x03: // loop
        blockType(r, c, at);
        site("loop", c.pos);
        break;
      case 0x07: // catch tag
      case 0x08: // throw tag
      case 0x09: // rethrow label
      case 0x0c: // br
      case 0x0d: // br_if
      case 0x10: // call
      case 0x12: // return_call
      case 0x14: // call_ref
      case 0x15: // return_call_ref
      case 0x18: // delegate
      case 0x20: // local.get
      case 0x21: // local.set
      case 0x22: // local.tee
      case 0x23: // global.get
      case 0x24: // global.set
      case 0x25: // table.get
      case 0x26: // table.set
      case 0x3f: // memory.size
      case 0xd2: // ref.func
        uleb(r, c, `immediate of opcode ${hex(op)}`);
        break;
      case 0x19: // catch_all
      case 0x1a: // drop
      case 0x1b: // select
      case 0xd1: // ref.is_null
        break;
      case 0x0e: { // br_table
        const n = uleb(r, c, "br_table label count");
        if (n > c.end - c.pos) pastEnd(r, c, `${n} br_table labels`);
        for (let i = 0; i <= n; i++) uleb(r, c, "br_table label");
        break;
      }
      case 0x11: // call_indirect
      case 0x13: // return_call_indirect
        uleb(r, c, "type index");
        uleb(r, c, "table index");
        break;
      case 0x1c: { // select with types
        const n = uleb(r, c, "select type count");
        skip(r, c, n, "select types");
        break;
      }
      case 0x1f: { // try_table
        blockType(r, c, at);
        const n = uleb(r, c, "try_table catch count");
        if (n > c.end - c.pos) pastEnd(r, c, `${n} try_table catches`);
        for (let i = 0; i < n; i++) {
          const kind = byte(r, c, "catch kind");
          if (kind > 3) unsupported(r, c, at, `try_table catch kind ${kind}`);
          if (kind < 2) uleb(r, c, "catch tag");
          uleb(r, c, "catch label");
        }
        break;
      }
      case 0x40: // memory.grow
        uleb(r, c, "memory index");
        site("grow", c.pos);
        break;
      case 0x41: // i32.const
        sleb(r, c, "i32.const", 32);
        break;
      case 0x42: // i64.const
        sleb(r, c, "i64.const", 64);
        break;
      case 0x43: // f32.const
        skip(r, c, 4, "an f32 constant");
        break;
      case 0x44: // f64.const
        skip(r, c, 8, "an f64 constant");
        break;
      case 0xd0: // ref.null
        heapType(r, c, at);
        break;
      case 0xfc:
        prefixFc(r, c, at);
        break;
      case 0xfd:
        prefixSimd(r, c, at);
        break;
      case 0xfe:
        prefixAtomic(r, c, at);
        break;
      default:
        unsupported(r, c, at, `opcode ${hex(op)}`);
    }
  }
}

/** 0xFC: saturating truncation, bulk memory and tables. */
function prefixFc(r: Reader, c: Cursor, at: number): void {
  const sub = uleb(r, c, "0xfc sub-opcode");
  if (sub <= 7) return; // trunc_sat
  switch (sub) {
    case 8: // memory.init data memory
    case 10: // memory.copy memory memory
    case 12: // table.init elem table
    case 14: // table.copy table table
      uleb(r, c, "immediate");
      uleb(r, c, "immediate");
      return;
    case 9: // data.drop
    case 11: // memory.fill
    case 13: // elem.drop
    case 15: // table.grow
    case 16: // table.size
    case 17: // table.fill
      uleb(r, c, "immediate");
      return;
    default:
      unsupported(r, c, at, `opcode 0xfc ${sub}`);
  }
}

/** 0xFD: SIMD and relaxed SIMD. */
function prefixSimd(r: Reader, c: Cursor, at: number): void {
  const sub = uleb(r, c, "0xfd sub-opcode");
  if (sub <= 11 || sub === 92 || sub === 93) {
    memarg(r, c); // loads and stores
  } else if (sub === 12 || sub === 13) {
    skip(r, c, 16, "a 16-byte immediate"); // v128.const, i8x16.shuffle
  } else if (sub >= 21 && sub <= 34) {
    skip(r, c, 1, "a lane index"); // extract_lane, replace_lane
  } else if (sub >= 84 && sub <= 91) {
    memarg(r, c); // load_lane, store_lane
    skip(r, c, 1, "a lane index");
  } else if (sub > 275) {
    unsupported(r, c, at, `opcode 0xfd ${sub}`);
  }
}

/** 0xFE: atomic memory instructions. */
function prefixAtomic(r: Reader, c: Cursor, at: number): void {
  const sub = uleb(r, c, "0xfe sub-opcode");
  if (sub === 3) {
    skip(r, c, 1, "atomic.fence's reserved byte");
  } else if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) {
    memarg(r, c);
  } else {
    unsupported(r, c, at, `opcode 0xfe ${sub}`);
  }
}

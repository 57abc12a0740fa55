/**
 * The type grammar of the WebAssembly binary format: value types, function
 * types, limits, table, memory and global types, and constant expressions.
 * Each reader consumes exactly its encoding or throws.
 *
 * @module
 */

import { byte, type Cursor, hex, malformed, pastEnd, type Reader, sleb, uleb } from "./_reader.ts";
import type {
  WasmFunctionType,
  WasmGlobalType,
  WasmMemoryType,
  WasmRefType,
  WasmTableType,
  WasmValueType,
} from "./read_wasm.ts";

const VALUE_TYPES: Readonly<Record<number, WasmValueType>> = {
  0x7f: "i32",
  0x7e: "i64",
  0x7d: "f32",
  0x7c: "f64",
  0x7b: "v128",
  0x70: "funcref",
  0x6f: "externref",
};

/** What a byte that is not a supported value type is, for messages. */
function describeType(b: number): string {
  if (b === 0x63 || b === 0x64) return `${hex(b)} (a typed function reference)`;
  if (b >= 0x69 && b <= 0x74) return `${hex(b)} (a reference type of the GC proposals)`;
  return hex(b);
}

/**
 * Read a value type.
 *
 * @param r the reader
 * @param c the cursor
 * @param what whose type, e.g. "parameter 2 of type 0"
 * @returns the type
 */
export function valueType(r: Reader, c: Cursor, what: string): WasmValueType {
  const at = c.pos;
  const b = byte(r, c, `the value type of ${what}`);
  const type = VALUE_TYPES[b];
  if (type === undefined) {
    malformed(
      r,
      `${what} at offset ${hex(at)}`,
      "a value type (i32 0x7f, i64 0x7e, f32 0x7d, f64 0x7c, v128 0x7b, funcref 0x70, " +
        "externref 0x6f)",
      describeType(b),
    );
  }
  return type;
}

/**
 * Read a reference type (the element type of a table).
 *
 * @param r the reader
 * @param c the cursor
 * @param what whose type
 * @returns the type
 */
export function refType(r: Reader, c: Cursor, what: string): WasmRefType {
  const at = c.pos;
  const b = byte(r, c, `the reference type of ${what}`);
  if (b === 0x70) return "funcref";
  if (b === 0x6f) return "externref";
  return malformed(
    r,
    `${what} at offset ${hex(at)}`,
    "a reference type (funcref 0x70 or externref 0x6f)",
    describeType(b),
  );
}

/** What a type-section form byte other than 0x60 is, for messages. */
function describeForm(b: number): string {
  if (b === 0x4e) return `${hex(b)} (a recursive type group of the GC proposal)`;
  if (b === 0x50 || b === 0x4f) return `${hex(b)} (a subtype of the GC proposal)`;
  if (b === 0x5f) return `${hex(b)} (a struct type of the GC proposal)`;
  if (b === 0x5e) return `${hex(b)} (an array type of the GC proposal)`;
  return hex(b);
}

/**
 * Read one entry of the type section: `0x60`, parameter and result types.
 *
 * @param r the reader
 * @param c the cursor
 * @param index the type's index, for messages
 * @returns the function type
 */
export function functionType(r: Reader, c: Cursor, index: number): WasmFunctionType {
  const at = c.pos;
  const form = byte(r, c, `the form of type ${index}`);
  if (form !== 0x60) {
    malformed(
      r,
      `type ${index} at offset ${hex(at)}`,
      "a function type (0x60)",
      describeForm(form),
    );
  }
  const params = valueTypes(r, c, `type ${index}`, "parameter");
  const results = valueTypes(r, c, `type ${index}`, "result");
  return { params, results };
}

function valueTypes(r: Reader, c: Cursor, owner: string, kind: string): WasmValueType[] {
  const n = uleb(r, c, `${kind} count of ${owner}`);
  const left = c.end - c.pos;
  if (n > left) {
    malformed(
      r,
      `${owner}`,
      `at most ${left} ${kind}s in the ${left} bytes left`,
      `a ${kind} count of ${n}`,
    );
  }
  const types: WasmValueType[] = [];
  for (let i = 0; i < n; i++) types.push(valueType(r, c, `${kind} ${i} of ${owner}`));
  return types;
}

/** A WebAssembly page: 64 KiB. */
const MAX_PAGES_32 = 65536;

/**
 * Read the limits of a memory: flags (bit 0 a maximum follows, bit 1
 * shared, bit 2 memory64), the initial size in pages and the maximum.
 *
 * @param r the reader
 * @param c the cursor
 * @param what which memory, e.g. "memory 0"
 * @returns the memory type
 */
export function memoryType(r: Reader, c: Cursor, what: string): WasmMemoryType {
  const at = c.pos;
  const flags = byte(r, c, `the limits flags of ${what}`);
  if (flags > 7) {
    malformed(
      r,
      `${what} at offset ${hex(at)}`,
      "limits flags from 0 to 7 (bit 0 maximum, bit 1 shared, bit 2 memory64)",
      `flags ${hex(flags)}`,
    );
  }
  const memory64 = (flags & 4) !== 0;
  const shared = (flags & 2) !== 0;
  const bits = memory64 ? 64 : 32;
  const initial = uleb(r, c, `initial size of ${what}`, bits);
  const maximum = flags & 1 ? uleb(r, c, `maximum size of ${what}`, bits) : undefined;
  const limit = memory64 ? 2 ** 48 : MAX_PAGES_32;
  for (const [name, pages] of [["initial", initial], ["maximum", maximum]] as const) {
    if (pages !== undefined && pages > limit) {
      malformed(
        r,
        `${what} at offset ${hex(at)}`,
        `${name} size of at most ${limit} pages (${memory64 ? "2^64" : "4 GiB"})`,
        `${pages} pages`,
      );
    }
  }
  checkLimits(r, at, what, initial, maximum);
  if (shared && maximum === undefined) {
    malformed(r, `${what} at offset ${hex(at)}`, "a maximum size for a shared memory", "none");
  }
  return { initial, maximum, shared, memory64 };
}

function checkLimits(
  r: Reader,
  at: number,
  what: string,
  initial: number,
  maximum: number | undefined,
) {
  if (maximum !== undefined && maximum < initial) {
    malformed(
      r,
      `${what} at offset ${hex(at)}`,
      "a maximum size at least the initial size",
      `initial ${initial}, maximum ${maximum}`,
    );
  }
}

/**
 * Read a table type: element type and limits (flags 0 or 1).
 *
 * @param r the reader
 * @param c the cursor
 * @param what which table, e.g. "table 0"
 * @returns the table type
 */
export function tableType(r: Reader, c: Cursor, what: string): WasmTableType {
  const element = refType(r, c, what);
  const at = c.pos;
  const flags = byte(r, c, `the limits flags of ${what}`);
  if (flags > 1) {
    malformed(
      r,
      `${what} at offset ${hex(at)}`,
      "table limits flags 0 or 1",
      `flags ${hex(flags)}`,
    );
  }
  const initial = uleb(r, c, `initial size of ${what}`);
  const maximum = flags & 1 ? uleb(r, c, `maximum size of ${what}`) : undefined;
  checkLimits(r, at, what, initial, maximum);
  return { element, initial, maximum };
}

/**
 * Read a global type: value type and mutability.
 *
 * @param r the reader
 * @param c the cursor
 * @param what which global, e.g. "global 3"
 * @returns the global type
 */
export function globalType(r: Reader, c: Cursor, what: string): WasmGlobalType {
  const type = valueType(r, c, what);
  const at = c.pos;
  const mut = byte(r, c, `the mutability of ${what}`);
  if (mut > 1) {
    malformed(r, `${what} at offset ${hex(at)}`, "mutability 0 or 1", `${mut}`);
  }
  return { type, mutable: mut === 1 };
}

/** Index spaces a constant expression may refer to. */
export interface ExprScope {
  /** Globals it may read with global.get. */
  globals: number;
  /** Functions it may name with ref.func. */
  functions: number;
}

/**
 * Read a constant expression up to its `end`: the constants, global.get,
 * ref.null, ref.func and the extended-constant add, sub and mul.
 *
 * @param r the reader
 * @param c the cursor
 * @param what whose expression, e.g. "offset of data segment 2"
 * @param scope how many globals and functions it may refer to
 * @returns the value when the expression is one i32.const or i64.const
 *   (below 2**49), else `undefined`
 */
export function constExpr(
  r: Reader,
  c: Cursor,
  what: string,
  scope: ExprScope,
): number | undefined {
  let value: number | undefined;
  for (let n = 0;; n++) {
    const at = c.pos;
    const op = byte(r, c, `an instruction of the ${what}`);
    switch (op) {
      case 0x0b: // end
        return n === 1 ? value : undefined;
      case 0x41: // i32.const
        value = sleb(r, c, `i32.const in the ${what}`, 32);
        break;
      case 0x42: // i64.const
        value = sleb(r, c, `i64.const in the ${what}`, 64);
        break;
      case 0x43: // f32.const
      case 0x44: { // f64.const
        const size = op === 0x43 ? 4 : 8;
        if (c.end - c.pos < size) pastEnd(r, c, `a ${size}-byte constant in the ${what}`);
        c.pos += size;
        break;
      }
      case 0x23: { // global.get
        const index = uleb(r, c, `global index in the ${what}`);
        checkIndex(r, at, what, "global", index, scope.globals);
        break;
      }
      case 0xd0: // ref.null
        refType(r, c, `ref.null in the ${what}`);
        break;
      case 0xd2: { // ref.func
        const index = uleb(r, c, `function index in the ${what}`);
        checkIndex(r, at, what, "function", index, scope.functions);
        break;
      }
      case 0x6a: // i32.add
      case 0x6b: // i32.sub
      case 0x6c: // i32.mul
      case 0x7c: // i64.add
      case 0x7d: // i64.sub
      case 0x7e: // i64.mul
        break;
      case 0xfd: { // v128.const
        const sub = uleb(r, c, `SIMD opcode in the ${what}`);
        if (sub !== 12) unsupported(r, at, what, `0xfd ${sub}`);
        if (c.end - c.pos < 16) pastEnd(r, c, `a 16-byte constant in the ${what}`);
        c.pos += 16;
        break;
      }
      default:
        unsupported(r, at, what, hex(op));
    }
    // Only a lone constant has a value worth reporting.
    if (n > 0) value = undefined;
  }
}

function unsupported(r: Reader, at: number, what: string, op: string): never {
  return malformed(
    r,
    `${what} at offset ${hex(at)}`,
    "a constant instruction (i32/i64/f32/f64/v128.const, global.get, ref.null, ref.func, " +
      "i32/i64 add, sub or mul) or end (0x0b)",
    `opcode ${op}`,
  );
}

/**
 * Refuse an index outside its index space.
 *
 * @param r the reader
 * @param at where the index is
 * @param what what holds it, e.g. "export \"greet\""
 * @param space the index space, e.g. "function"
 * @param index the index
 * @param size the index space's size
 */
export function checkIndex(
  r: Reader,
  at: number,
  what: string,
  space: string,
  index: number,
  size: number,
): void {
  if (index >= size) {
    malformed(
      r,
      `${what} at offset ${hex(at)}`,
      size === 0
        ? `no ${space} index (the module has no ${space})`
        : `a ${space} index below ${size}`,
      `index ${index}`,
    );
  }
}

/**
 * Which JavaScript values fit which type of the signature language, and how
 * to say it in a message. The call wrappers of every kind of plugin and the
 * struct encoders ({@linkcode "./struct_type.ts"}) follow these rules, so a
 * value is accepted or refused the same way everywhere. An integer `-0` is
 * the integer 0.
 *
 * @module
 */

import type { TypeName } from "./signature.ts";

/**
 * What a parameter type accepts, in words.
 *
 * @example
 * ```ts
 * import { describeType } from "./values.ts";
 *
 * console.log(describeType("u8")); // an integer from 0 to 255
 * ```
 *
 * @param type the type
 * @returns e.g. "an integer from 0 to 255"
 */
export function describeType(type: TypeName): string {
  switch (type) {
    case "i8":
      return "an integer from -128 to 127";
    case "u8":
      return "an integer from 0 to 255";
    case "i16":
      return "an integer from -32768 to 32767";
    case "u16":
      return "an integer from 0 to 65535";
    case "i32":
      return "an integer from -2147483648 to 2147483647";
    case "u32":
      return "an integer from 0 to 4294967295";
    case "u64":
    case "usize":
      return "a non-negative safe integer or a bigint below 2^64";
    case "i64":
    case "isize":
      return "a safe integer or a bigint in the 64-bit signed range";
    case "bool":
      return "a boolean";
    case "f32":
    case "f64":
      return "a number";
    case "cstring":
      return "a string without NUL characters";
    case "buffer":
      return "a Uint8Array";
    case "pointer":
      return "a pointer or null";
    default:
      return type.startsWith("struct ")
        ? `an object with the fields of ${type}, or a Uint8Array of its bytes`
        : "nothing (void)";
  }
}

const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

/**
 * Whether a value fits a scalar type. Struct types are checked field by
 * field by their encoder, not here (always `false`).
 *
 * @example
 * ```ts
 * import { fits } from "./values.ts";
 *
 * console.log(fits("u8", 255), fits("u8", 256)); // true false
 * ```
 *
 * @param t the type
 * @param v the value
 * @returns whether it fits
 */
export function fits(t: TypeName, v: unknown): boolean {
  switch (t) {
    case "i8":
      return typeof v === "number" && ((v << 24) >> 24) === v;
    case "u8":
      return typeof v === "number" && (v & 0xff) === v;
    case "i16":
      return typeof v === "number" && ((v << 16) >> 16) === v;
    case "u16":
      return typeof v === "number" && (v & 0xffff) === v;
    case "i32":
      return typeof v === "number" && (v | 0) === v;
    case "u32":
      return typeof v === "number" && (v >>> 0) === v;
    case "f32":
    case "f64":
      return typeof v === "number";
    case "bool":
      return typeof v === "boolean";
    case "u64":
    case "usize":
      return typeof v === "bigint"
        ? v >= 0n && v <= MAX_U64
        : Number.isSafeInteger(v) && (v as number) >= 0;
    case "i64":
    case "isize":
      return typeof v === "bigint" ? v >= MIN_I64 && v <= MAX_I64 : Number.isSafeInteger(v);
    case "cstring":
      return typeof v === "string" && v.indexOf("\0") === -1;
    case "buffer":
      return v instanceof Uint8Array;
    case "pointer":
      return v === null || (typeof v === "object" && v !== null);
    default:
      return false;
  }
}

/**
 * A value as a message shows it: strings quoted and cut at 40 characters,
 * bigints with `n`.
 *
 * @example
 * ```ts
 * import { showValue } from "./values.ts";
 *
 * console.log(showValue(12n), showValue("a")); // bigint 12n string "a"
 * ```
 *
 * @param value the value
 * @returns its type and the value, e.g. `string "a"`
 */
export function showValue(value: unknown): string {
  const shown = typeof value === "string"
    ? JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)
    : typeof value === "bigint"
    ? `${value}n`
    : typeof value === "symbol"
    ? value.toString()
    : value instanceof Uint8Array
    ? "a Uint8Array"
    : shownObject(value);
  return `${typeof value} ${shown}`;
}

/** An object for a message, even one that cannot be converted to a string. */
function shownObject(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.getPrototypeOf(value) === null ? "[object with no prototype]" : "[object]";
  }
}

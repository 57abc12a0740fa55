/**
 * The `INVALID_ARGUMENT` error, shared by the in-process wrappers and the
 * isolated handle's host-side checks, so both say the same thing.
 *
 * @module
 */

import type { TypeName } from "../abi/signature.ts";
import { CallError } from "../errors/plugin_error.ts";

/**
 * What a parameter type accepts, in words.
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
    default:
      return "a pointer or null";
  }
}

/**
 * The `INVALID_ARGUMENT` error for a value that does not fit its type.
 *
 * @param path the plugin file
 * @param fn the function
 * @param index the argument's index
 * @param type its declared type
 * @param value what was passed
 * @returns the error
 */
export function invalidArgument(
  path: string,
  fn: string,
  index: number,
  type: TypeName,
  value: unknown,
): CallError {
  const shown = typeof value === "string"
    ? JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)
    : typeof value === "bigint"
    ? `${value}n`
    : value instanceof Uint8Array
    ? "a Uint8Array"
    : String(value);
  return new CallError(
    "INVALID_ARGUMENT",
    path,
    fn,
    `argument ${index + 1} does not fit ${type}: expected ${
      describeType(type)
    }, found ${typeof value} ${shown}`,
    { hint: "pass a value of the declared type" },
  );
}

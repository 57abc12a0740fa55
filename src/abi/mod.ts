/**
 * `@plugboard/plugboard/types`: the type-level machinery that turns a
 * signature's text into a TypeScript function type. The core entry point
 * exports what a user writes (`FunctionsOf`, `AsyncFunctionsOf`,
 * `Signature`, `SignatureRecord`, `TypeName`, `struct`); these are the
 * steps behind them, for code that builds its own typed wrappers.
 *
 * @example The type of one declared function
 * ```ts
 * import type { FunctionOf } from "@plugboard/plugboard/types";
 *
 * type Add = FunctionOf<"i32 add(i32 a, i32 b)">; // (a: number, b: number) => number
 * const add: Add = (a, b) => a + b;
 * console.log(add(2, 3)); // 5
 * ```
 *
 * @module
 */

export type {
  ArgumentOf,
  AsyncFunctionOf,
  FunctionOf,
  ParamTypes,
  ResultOf,
  SignatureParts,
  TypeOf,
} from "./signature.ts";
export type { StructFields, StructInput, StructValue } from "./struct_type.ts";

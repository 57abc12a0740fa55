/**
 * The canonical signature language shared by the C SDK and the host.
 *
 * A signature reads like a C prototype over the SDK's types:
 * `i32 add(i32 a, i32 b)`, `cstring greet(cstring name)`,
 * `fallible f64 apply(f64 a, f64 b)`. The C side writes the same text with a
 * `pb_` prefix on each type (`pb_i32 add(pb_i32 a, pb_i32 b)`); parameter
 * names are optional and ignored. Each type is exactly one Deno FFI type, so a
 * signature maps 1:1 onto `Deno.dlopen` declarations, and TypeScript derives
 * the call signature from the literal text.
 *
 * A struct passed by value is written `struct NAME` in C and in the
 * canonical form alike (`struct point move(struct point p, i32 dx)`); its
 * layout comes from the interface's declaration (`struct("point", ...)`),
 * checked against the plugin's `PLUGBOARD_STRUCT` note.
 *
 * Host-side prefixes: `fallible` (the plugin reports errors through
 * `pb_fail`; must match the plugin's declaration) and `nonblocking` (run the
 * call on Deno's blocking thread pool; the function returns a Promise).
 *
 * @module
 */

import { PluginError } from "../errors/plugin_error.ts";
import type { StructInput, StructType, StructValue } from "./struct_type.ts";

/** Every type of the signature language: a scalar, or a struct by value (`struct NAME`). */
export type TypeName =
  | "void"
  | "bool"
  | "i8"
  | "u8"
  | "i16"
  | "u16"
  | "i32"
  | "u32"
  | "i64"
  | "u64"
  | "isize"
  | "usize"
  | "f32"
  | "f64"
  | "pointer"
  | "buffer"
  | "cstring"
  | `struct ${string}`;

/** A struct passed by value: `struct NAME`. */
export type StructTypeName = Extract<TypeName, `struct ${string}`>;

/** The scalar types of the signature language. */
export type ScalarTypeName = Exclude<TypeName, StructTypeName>;

/** The scalar type names, in a stable order. */
export const TYPE_NAMES: readonly ScalarTypeName[] = Object.freeze([
  "void",
  "bool",
  "i8",
  "u8",
  "i16",
  "u16",
  "i32",
  "u32",
  "i64",
  "u64",
  "isize",
  "usize",
  "f32",
  "f64",
  "pointer",
  "buffer",
  "cstring",
]);

/** A parsed signature. */
export interface Signature {
  /** The function's exported name. */
  readonly name: string;
  /** The result type. */
  readonly result: TypeName;
  /** The parameter types, in order. */
  readonly parameters: readonly TypeName[];
  /** The parameter names as declared (`""` where a parameter has none). */
  readonly parameterNames: readonly string[];
  /** Whether the function reports errors through `pb_fail`. */
  readonly fallible: boolean;
  /** Whether the host calls it on Deno's blocking thread pool (host-side only). */
  readonly nonblocking: boolean;
  /**
   * The layouts of the structs it passes by value, by struct name, once
   * known (host-side: from the interface's or the call's declarations).
   */
  readonly structs?: ReadonlyMap<string, StructType>;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The longest signature text parsed: a real one is a few dozen characters. */
export const MAX_SIGNATURE_LENGTH = 4096;

/**
 * Parse a signature.
 *
 * @example
 * ```ts
 * import { parseSignature } from "./signature.ts";
 *
 * const sig = parseSignature("pb_i32 add(pb_i32 a, pb_i32 b)");
 * console.log(sig.name, sig.result, sig.parameters); // add i32 ["i32", "i32"]
 * ```
 *
 * @param text the signature text, C (`pb_` types) or canonical form
 * @returns the signature
 * @throws {PluginError} `BAD_METADATA` when the text is not a signature
 */
export function parseSignature(text: string): Signature {
  if (text.length > MAX_SIGNATURE_LENGTH) {
    throw bad(
      text.slice(0, 60) + "…",
      `expected at most ${MAX_SIGNATURE_LENGTH} characters, found ${text.length}`,
    );
  }
  let rest = text.trim().replace(/\s+/g, " ");
  let fallible = false;
  let nonblocking = false;
  for (;;) {
    if (rest.startsWith("fallible ")) {
      fallible = true;
      rest = rest.slice(9);
    } else if (rest.startsWith("nonblocking ")) {
      nonblocking = true;
      rest = rest.slice(12);
    } else break;
  }
  // The type and the name are separated by a space or a `*`: never two
  // ways to split one run of letters (which would backtrack quadratically).
  const m = /^((?:struct )?[A-Za-z_][A-Za-z0-9_]*)(?: ?\* ?| )([A-Za-z_][A-Za-z0-9_]*) ?\((.*)\)$/
    .exec(rest);
  if (!m) throw bad(text, "expected the form `TYPE NAME(TYPE [NAME], ...)`");
  const result = typeName(m[1], text);
  const inner = m[3].trim();
  const parameters: TypeName[] = [];
  const parameterNames: string[] = [];
  if (inner !== "" && inner !== "void") {
    for (const part of inner.split(",")) {
      const words = part.trim().split(" ");
      // `struct NAME` is one type of two words.
      if (words[0] === "struct" && words.length > 1) words.splice(0, 2, `struct ${words[1]}`);
      if (words.length > 2 || (words.length === 2 && !IDENT.test(words[1]))) {
        throw bad(text, `parameter ${JSON.stringify(part.trim())} is not \`TYPE [NAME]\``);
      }
      const t = typeName(words[0], text);
      if (t === "void") throw bad(text, "a parameter cannot be void");
      parameters.push(t);
      parameterNames.push(words[1] ?? "");
    }
  }
  if (result === "buffer") {
    throw bad(text, "buffer is an argument type only; return a pointer instead");
  }
  return Object.freeze({
    name: m[2],
    result,
    parameters: Object.freeze(parameters),
    parameterNames: Object.freeze(parameterNames),
    fallible,
    nonblocking,
  });
}

/**
 * The canonical text of a signature: types without `pb_`, no parameter names,
 * `fallible` kept, `nonblocking` dropped (it is the host's choice, not part of
 * the plugin's ABI). Two signatures are compatible exactly when their
 * canonical texts are equal.
 *
 * @example
 * ```ts
 * import { canonicalSignature, parseSignature } from "./signature.ts";
 *
 * console.log(canonicalSignature(parseSignature("pb_i32 add(pb_i32 a, pb_i32 b)")));
 * // "i32 add(i32, i32)"
 * ```
 *
 * @param sig the signature
 * @returns the canonical text
 */
export function canonicalSignature(sig: Signature): string {
  return `${sig.fallible ? "fallible " : ""}${sig.result} ${sig.name}(${
    sig.parameters.join(", ")
  })`;
}

/**
 * A signature as declared, with its parameter names (the form `inspect` shows
 * and `bindgen` writes): `fallible f64 apply(f64 a, f64 b)`. Types have no
 * `pb_` prefix; `nonblocking` is dropped.
 *
 * @example
 * ```ts
 * import { declaredSignature, parseSignature } from "./signature.ts";
 *
 * console.log(declaredSignature(parseSignature("pb_i32 add(pb_i32 a, pb_i32 b)")));
 * // "i32 add(i32 a, i32 b)"
 * ```
 *
 * @param sig the signature
 * @returns the text
 */
export function declaredSignature(sig: Signature): string {
  const params = sig.parameters.map((t, i) => {
    const name = sig.parameterNames?.[i];
    return name ? `${t} ${name}` : t;
  });
  return `${sig.fallible ? "fallible " : ""}${sig.result} ${sig.name}(${params.join(", ")})`;
}

function typeName(word: string, text: string): TypeName {
  if (word.startsWith("struct ")) {
    if (IDENT.test(word.slice(7))) return word as StructTypeName;
    throw bad(text, `${JSON.stringify(word)} is not \`struct NAME\` with NAME a C identifier`);
  }
  const t = word.startsWith("pb_") ? word.slice(3) : word;
  if ((TYPE_NAMES as readonly string[]).includes(t)) return t as TypeName;
  throw bad(
    text,
    `unknown type ${JSON.stringify(word)}; use one of ${
      TYPE_NAMES.map((n) => `pb_${n}`).join(", ")
    }, or struct NAME`,
  );
}

/**
 * The struct names a signature passes by value, in order of first use.
 *
 * @example
 * ```ts
 * import { parseSignature, structsUsed } from "./signature.ts";
 *
 * console.log(structsUsed(parseSignature("struct point move(struct point p, i32 dx)"))); // ["point"]
 * ```
 *
 * @param sig the signature
 * @returns the struct names
 */
export function structsUsed(sig: Signature): string[] {
  const out: string[] = [];
  for (const t of [sig.result, ...sig.parameters]) {
    if (t.startsWith("struct ") && !out.includes(t.slice(7))) out.push(t.slice(7));
  }
  return out;
}

function bad(text: string, detail: string): PluginError {
  return new PluginError("BAD_METADATA", `Invalid signature ${JSON.stringify(text)}: ${detail}`, {
    hint:
      "declare functions with PLUGBOARD_FN(iface, pb_TYPE, name, (pb_TYPE a, ...)) from plugboard.h (the grammar: docs/abi.md)",
  });
}

// ---------------------------------------------------------------------------
// Type-level parsing: the call signature is derived from the literal text.
// ---------------------------------------------------------------------------

/**
 * The type name of one parameter text: `"pb_i32 a"` and `" i32 "` are
 * `"i32"` (spaces around it and a `pb_` prefix dropped, the name ignored);
 * `"struct point p"` is `"struct point"`.
 */
export type TypeOf<P extends string> = P extends ` ${infer R}` ? TypeOf<R>
  : P extends `${infer R} ` ? TypeOf<R>
  : P extends `struct ${infer R}` ? `struct ${TypeOf<R>}`
  : P extends `${infer T} ${string}` ? TypeOf<T>
  : P extends `pb_${infer R}` ? R
  : P;

/** The type names of a parameter list text, as a tuple: `"i32 a, f64 b"` is `["i32", "f64"]`. */
export type ParamTypes<S extends string> = S extends ` ${infer R}` ? ParamTypes<R>
  : S extends `${infer R} ` ? ParamTypes<R>
  : S extends "" | "void" ? []
  : S extends `${infer A},${infer B}` ? [TypeOf<A>, ...ParamTypes<B>]
  : [TypeOf<S>];

/**
 * A signature text taken apart: `[parameter type names, result type name,
 * whether it is nonblocking]`; `fallible` and `nonblocking` prefixes are
 * read in either order.
 */
export type SignatureParts<S extends string, NB extends boolean = false> = S extends ` ${infer R}`
  ? SignatureParts<R, NB>
  : S extends `fallible ${infer R}` ? SignatureParts<R, NB>
  : S extends `nonblocking ${infer R}` ? SignatureParts<R, true>
  : S extends `${infer Pre}(${infer Params})${string}`
    ? [ParamTypes<Params>, Pre extends `${string} ${string}` ? TypeOf<Pre> : never, NB]
  : never;

/**
 * The TypeScript type accepted for an argument of a signature type; `S`
 * holds the struct declarations by name, as an interface's `structs` (a
 * struct is an object of its fields, or its bytes as a Uint8Array; without
 * its declaration, an untyped object).
 */
export type ArgumentOf<T, S extends Readonly<Record<string, StructType>> = Record<never, never>> =
  T extends `struct ${infer N}` ?
      | (N extends keyof S ? StructInput<S[N]["declaration"]> : Readonly<Record<string, unknown>>)
      | Uint8Array
    : T extends "i64" | "u64" | "isize" | "usize" ? number | bigint
    : T extends "bool" ? boolean
    : T extends "cstring" ? string
    : T extends "buffer" ? Uint8Array
    : T extends "pointer" ? Deno.PointerValue
    : T extends TypeName ? number
    : never;

/**
 * The TypeScript type returned for a result of a signature type; a struct
 * comes back as its decoded fields.
 */
export type ResultOf<T, S extends Readonly<Record<string, StructType>> = Record<never, never>> =
  T extends "void" ? void
    : T extends `struct ${infer N}`
      ? (N extends keyof S ? StructValue<S[N]["declaration"]> : Record<string, unknown>)
    : T extends "i64" | "u64" | "isize" | "usize" ? bigint
    : T extends "bool" ? boolean
    : T extends "cstring" ? string | null
    : T extends "pointer" ? Deno.PointerValue
    : T extends TypeName ? number
    : never;

/**
 * The function type of a signature text: `FunctionOf<"i32 add(i32 a, i32 b)">`
 * is `(a: number, b: number) => number`; a `nonblocking` signature returns a
 * Promise. `S` holds the struct declarations the signature's struct types
 * refer to, by name.
 */
export type FunctionOf<
  S extends string,
  Structs extends Readonly<Record<string, StructType>> = Record<never, never>,
> = SignatureParts<S> extends [infer P, infer R, infer NB] ? (
    ...args: { [K in keyof P]: ArgumentOf<P[K], Structs> } extends infer A extends unknown[] ? A
      : never
  ) => NB extends true ? Promise<ResultOf<R, Structs>> : ResultOf<R, Structs>
  : never;

/** A record of function names to signature texts. */
export type SignatureRecord = Readonly<Record<string, string>>;

/** The typed functions of a signature record. */
export type FunctionsOf<
  F extends SignatureRecord,
  S extends Readonly<Record<string, StructType>> = Record<never, never>,
> = {
  readonly [K in keyof F]: FunctionOf<F[K], S>;
};

/**
 * The function type of a signature text called across a process boundary:
 * as {@linkcode FunctionOf}, but the result always comes in a Promise.
 */
export type AsyncFunctionOf<
  S extends string,
  Structs extends Readonly<Record<string, StructType>> = Record<never, never>,
> = FunctionOf<S, Structs> extends (...args: infer A) => infer R
  ? (...args: A) => Promise<Awaited<R>>
  : never;

/** The typed functions of a signature record for an isolated plugin: each returns a Promise. */
export type AsyncFunctionsOf<
  F extends SignatureRecord,
  S extends Readonly<Record<string, StructType>> = Record<never, never>,
> = {
  readonly [K in keyof F]: AsyncFunctionOf<F[K], S>;
};

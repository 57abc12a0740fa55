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
 * Host-side prefixes: `fallible` (the plugin reports errors through
 * `pb_fail`; must match the plugin's declaration) and `nonblocking` (run the
 * call on Deno's blocking thread pool; the function returns a Promise).
 *
 * @module
 */

import { PluginError } from "../errors/plugin_error.ts";

/** Every type of the signature language. */
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
  | "cstring";

/** The type names, in a stable order. */
export const TYPE_NAMES: readonly TypeName[] = Object.freeze([
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
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
  const m = /^([A-Za-z_][A-Za-z0-9_]*) ?\*? ?([A-Za-z_][A-Za-z0-9_]*) ?\((.*)\)$/.exec(rest);
  if (!m) throw bad(text, "expected the form `TYPE NAME(TYPE [NAME], ...)`");
  const result = typeName(m[1], text);
  const inner = m[3].trim();
  const parameters: TypeName[] = [];
  const parameterNames: string[] = [];
  if (inner !== "" && inner !== "void") {
    for (const part of inner.split(",")) {
      const words = part.trim().split(" ");
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
  const t = word.startsWith("pb_") ? word.slice(3) : word;
  if ((TYPE_NAMES as readonly string[]).includes(t)) return t as TypeName;
  throw bad(
    text,
    `unknown type ${JSON.stringify(word)}; use one of ${
      TYPE_NAMES.map((n) => `pb_${n}`).join(", ")
    }`,
  );
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
 * `"i32"` (spaces around it and a `pb_` prefix dropped, the name ignored).
 */
export type TypeOf<P extends string> = P extends ` ${infer R}` ? TypeOf<R>
  : P extends `${infer R} ` ? TypeOf<R>
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
    ? Pre extends `${infer Ret} ${string}` ? [ParamTypes<Params>, TypeOf<Ret>, NB] : never
  : never;

/** The TypeScript type accepted for an argument of a signature type. */
export type ArgumentOf<T> = T extends "i64" | "u64" | "isize" | "usize" ? number | bigint
  : T extends "bool" ? boolean
  : T extends "cstring" ? string
  : T extends "buffer" ? Uint8Array
  : T extends "pointer" ? Deno.PointerValue
  : T extends TypeName ? number
  : never;

/** The TypeScript type returned for a result of a signature type. */
export type ResultOf<T> = T extends "void" ? void
  : T extends "i64" | "u64" | "isize" | "usize" ? bigint
  : T extends "bool" ? boolean
  : T extends "cstring" ? string | null
  : T extends "pointer" ? Deno.PointerValue
  : T extends TypeName ? number
  : never;

/**
 * The function type of a signature text: `FunctionOf<"i32 add(i32 a, i32 b)">`
 * is `(a: number, b: number) => number`; a `nonblocking` signature returns a
 * Promise.
 */
export type FunctionOf<S extends string> = SignatureParts<S> extends [infer P, infer R, infer NB]
  ? (
    ...args: { [K in keyof P]: ArgumentOf<P[K]> } extends infer A extends unknown[] ? A : never
  ) => NB extends true ? Promise<ResultOf<R>> : ResultOf<R>
  : never;

/** A record of function names to signature texts. */
export type SignatureRecord = Readonly<Record<string, string>>;

/** The typed functions of a signature record. */
export type FunctionsOf<F extends SignatureRecord> = { readonly [K in keyof F]: FunctionOf<F[K]> };

/**
 * The function type of a signature text called across a process boundary:
 * as {@linkcode FunctionOf}, but the result always comes in a Promise.
 */
export type AsyncFunctionOf<S extends string> = FunctionOf<S> extends (...args: infer A) => infer R
  ? (...args: A) => Promise<Awaited<R>>
  : never;

/** The typed functions of a signature record for an isolated plugin: each returns a Promise. */
export type AsyncFunctionsOf<F extends SignatureRecord> = {
  readonly [K in keyof F]: AsyncFunctionOf<F[K]>;
};

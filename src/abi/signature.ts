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
 * import { parseSignature } from "@plugboard/plugboard";
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
  if (inner !== "" && inner !== "void") {
    for (const part of inner.split(",")) {
      const words = part.trim().split(" ");
      if (words.length > 2 || (words.length === 2 && !IDENT.test(words[1]))) {
        throw bad(text, `parameter ${JSON.stringify(part.trim())} is not \`TYPE [NAME]\``);
      }
      const t = typeName(words[0], text);
      if (t === "void") throw bad(text, "a parameter cannot be void");
      parameters.push(t);
    }
  }
  if (result === "buffer") {
    throw bad(text, "buffer is an argument type only; return a pointer instead");
  }
  return Object.freeze({
    name: m[2],
    result,
    parameters: Object.freeze(parameters),
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
 * import { canonicalSignature, parseSignature } from "@plugboard/plugboard";
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
      "declare functions with PLUGBOARD_FN(iface, pb_TYPE, name, (pb_TYPE a, ...)) from native/plugboard.h",
  });
}

// ---------------------------------------------------------------------------
// Type-level parsing: the call signature is derived from the literal text.
// ---------------------------------------------------------------------------

/** `S` without leading and trailing spaces. */
export type Trim<S extends string> = S extends ` ${infer R}` ? Trim<R>
  : S extends `${infer R} ` ? Trim<R>
  : S;
/** A type name without the C SDK's `pb_` prefix. */
export type StripPb<T extends string> = T extends `pb_${infer R}` ? R : T;
/** The type of one parameter text (`pb_i32 a` is `i32`). */
export type ParamType<P extends string> = Trim<P> extends `${infer T} ${string}` ? StripPb<T>
  : StripPb<Trim<P>>;
/** The types of a parameter list text, as a tuple. */
export type ParamList<S extends string> = Trim<S> extends "" | "void" ? []
  : S extends `${infer A},${infer B}` ? [ParamType<A>, ...ParamList<B>]
  : [ParamType<S>];
/** A signature text without its `fallible` / `nonblocking` prefixes. */
export type Flags<S extends string> = Trim<S> extends `fallible ${infer R}` ? Flags<R>
  : Trim<S> extends `nonblocking ${infer R}` ? Flags<R>
  : Trim<S>;
/** Whether a signature text is `nonblocking`. */
export type IsNonblocking<S extends string> = Trim<S> extends `nonblocking ${string}` ? true
  : Trim<S> extends `fallible ${infer R}` ? IsNonblocking<R>
  : false;

/** The parameter and result types of a signature text, as `[params, result]`. */
export type ParsedTypes<S extends string> = Flags<S> extends `${infer Pre}(${infer Params})`
  ? Trim<Pre> extends `${infer Ret} ${string}` ? [ParamList<Params>, StripPb<Ret>]
  : never
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

/** The TypeScript argument types of a tuple of type names. */
export type Arguments<P> = { [K in keyof P]: ArgumentOf<P[K]> };

/**
 * The function type of a signature text: `FunctionOf<"i32 add(i32 a, i32 b)">`
 * is `(a: number, b: number) => number`; a `nonblocking` signature returns a
 * Promise.
 */
export type FunctionOf<S extends string> = ParsedTypes<S> extends [infer P, infer R] ? (
    ...args: Arguments<P> extends infer A extends unknown[] ? A : never
  ) => IsNonblocking<S> extends true ? Promise<ResultOf<R>> : ResultOf<R>
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

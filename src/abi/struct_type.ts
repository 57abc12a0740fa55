/**
 * Structs as the host declares them: `struct("point", { x: "i32", y: "i32" })`
 * computes the C layout (size, alignment, each field's offset) by the rules
 * of the platform's C ABI, once, from the one declaration, and derives from
 * it the Deno FFI type (`{ struct: [...] }`), an encoder and a decoder, and
 * the TypeScript types of a struct's value. An interface lists the structs
 * it expects (`defineInterface(..., { structs: [Point] })`); the check
 * pipeline compares each with the layout the plugin recorded with
 * `PLUGBOARD_STRUCT` (`STRUCT_MISMATCH`), and struct types in signatures
 * (`struct point move(struct point p, i32 dx)`) are passed by value.
 *
 * Layout rules (System V x86-64 and AArch64, LP64): a scalar's alignment is
 * its size (bool, i8, u8: 1; i16, u16: 2; i32, u32, f32: 4; i64, u64,
 * isize, usize, f64, pointer: 8); a nested struct's is its own; each field
 * starts at the next multiple of its alignment; the struct's alignment is
 * its largest field's, and its size is rounded up to it. Packed structs,
 * bit-fields and arrays cannot be declared (Deno FFI has no type for them).
 *
 * @module
 */

import { PluginError } from "../errors/plugin_error.ts";
import type { TypeName } from "./signature.ts";
import { describeType, fits, showValue } from "./values.ts";

/**
 * A struct's declaration: field names (C identifiers, in order) to types,
 * each a scalar or a nested struct.
 */
export type StructFields = {
  readonly [name: string]:
    | Exclude<TypeName, "void" | "buffer" | "cstring" | `struct ${string}`>
    | StructType;
};

/** The scalar types a struct field may have. */
export type StructScalar = Exclude<StructFields[string], StructType>;

/** A field's declared type: a scalar, or a nested struct. */
export type StructFieldType = StructFields[string];

/** A struct's layout: what a plugin's note records and what a host declaration computes. */
export interface StructLayout {
  /** The struct's tag: `point` for `struct point`. */
  readonly name: string;
  /** `sizeof`, in bytes. */
  readonly size: number;
  /** `alignof`, in bytes. */
  readonly align: number;
  /**
   * Its fields, in order: name, offset and size in bytes, and the type in
   * the signature language: a scalar (`i32`, `pointer`, ...), `struct NAME`
   * for a nested struct (`struct` alone in a plugin's note, which cannot
   * name it), or `bytes` for what a plugin records that has no such name
   * (an array, a union, a `long double`).
   */
  readonly fields: readonly {
    readonly name: string;
    readonly offset: number;
    readonly size: number;
    readonly type: string;
  }[];
}

/** One field of a layout. */
export type FieldLayout = StructLayout["fields"][number];

/** A struct's value as decoded: one property per field (64-bit integers as bigint). */
export type StructValue<F extends StructFields> = {
  -readonly [K in keyof F]: F[K] extends StructType<string, infer G> ? StructValue<G>
    : F[K] extends "i64" | "u64" | "isize" | "usize" ? bigint
    : F[K] extends "bool" ? boolean
    : F[K] extends "pointer" ? Deno.PointerValue
    : number;
};

/** A struct's value as accepted for encoding (64-bit integers as number or bigint). */
export type StructInput<F extends StructFields> = {
  readonly [K in keyof F]: F[K] extends StructType<string, infer G> ? StructInput<G>
    : F[K] extends "i64" | "u64" | "isize" | "usize" ? number | bigint
    : F[K] extends "bool" ? boolean
    : F[K] extends "pointer" ? Deno.PointerValue
    : number;
};

/**
 * A struct the host declares; made by {@linkcode struct}. It is its own
 * layout, with the Deno FFI type and the codec derived from it.
 */
export interface StructType<N extends string = string, F extends StructFields = StructFields>
  extends StructLayout {
  /** The struct's tag. */
  readonly name: N;
  /** The declaration it was made from. */
  readonly declaration: F;
  /** The Deno FFI type of the struct by value: `{ struct: ["i32", "i32"] }`. */
  readonly ffi: Deno.NativeStructType;
  /**
   * Encode a value into a new Uint8Array of {@linkcode StructLayout.size} bytes.
   *
   * @param value one property per field
   * @returns the struct's bytes
   * @throws {PluginError} `INVALID_ARGUMENT` naming the field that does not fit
   */
  encode(value: StructInput<F>): Uint8Array;
  /**
   * Encode a value into `target` at `offset` (padding is left as it is).
   *
   * @param value one property per field
   * @param target where to write
   * @param offset where the struct starts in `target`
   * @throws {PluginError} `INVALID_ARGUMENT` naming the field that does not fit,
   *   or when `target` is too short
   */
  encodeInto(value: StructInput<F>, target: Uint8Array, offset?: number): void;
  /**
   * Decode a struct's bytes (at least {@linkcode StructLayout.size} of them from `offset`).
   *
   * @param bytes the bytes
   * @param offset where the struct starts
   * @returns one property per field
   * @throws {PluginError} `INVALID_ARGUMENT` when there are too few bytes
   */
  decode(bytes: Uint8Array, offset?: number): StructValue<F>;
}

/** Struct declarations by name, as an interface carries them. */
export type StructRecord = { readonly [name: string]: StructType };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SCALAR_SIZES: Readonly<Record<StructScalar, number>> = Object.freeze({
  bool: 1,
  i8: 1,
  u8: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  i64: 8,
  u64: 8,
  isize: 8,
  usize: 8,
  f32: 4,
  f64: 8,
  pointer: 8,
});
/** The most fields a struct may have (as `PLUGBOARD_STRUCT`). */
const MAX_FIELDS = 32;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** How one field is written and read, with its nested struct if any. */
interface Codec {
  readonly name: string;
  readonly offset: number;
  readonly type: StructScalar | undefined;
  readonly nested: StructType | undefined;
}

/**
 * Declare a struct: its C layout, Deno FFI type and codec, from one
 * declaration. Field order is declaration order.
 *
 * @example A point, passed by value
 * ```ts
 * import { struct } from "@plugboard/plugboard";
 *
 * const Point = struct("point", { x: "i32", y: "i32" });
 * console.log(Point.size, Point.align, Point.ffi); // 8 4 { struct: ["i32", "i32"] }
 * const bytes = Point.encode({ x: 3, y: 4 });
 * console.log(Point.decode(bytes)); // { x: 3, y: 4 }
 * ```
 *
 * @example Padding and nesting follow C
 * ```ts
 * import { struct } from "@plugboard/plugboard";
 *
 * const Point = struct("point", { x: "i32", y: "i32" });
 * const Shape = struct("shape", { kind: "u8", at: Point, scale: "f64" });
 * console.log(Shape.fields.map((f) => `${f.type} ${f.name} @${f.offset}`));
 * // ["u8 kind @0", "struct point at @4", "f64 scale @16"]
 * console.log(Shape.size); // 24
 * ```
 *
 * @param name the struct's tag, a C identifier (`point` for `struct point`)
 * @param fields field names (C identifiers) to types, in declaration order
 * @returns the struct type
 * @throws {PluginError} `USAGE` for a name that is not a C identifier, no
 *   fields, more than 32, or a type that is not a struct field type
 */
export function struct<const N extends string, const F extends StructFields>(
  name: N,
  fields: F,
): StructType<N, F> {
  const usage = (detail: string, hint: string) =>
    new PluginError("USAGE", `Invalid struct ${JSON.stringify(name)}: ${detail}`, { hint });
  if (typeof name !== "string" || !IDENT.test(name)) {
    throw usage(
      "expected a C identifier as its name",
      'name it as its C tag: struct("point", ...) for struct point',
    );
  }
  const entries = Object.entries(fields ?? {});
  if (entries.length === 0 || entries.length > MAX_FIELDS) {
    throw usage(
      `expected 1 to ${MAX_FIELDS} fields, found ${entries.length}`,
      "declare every field of the C struct, in order",
    );
  }
  const layout: FieldLayout[] = [];
  const codecs: Codec[] = [];
  let offset = 0;
  let align = 1;
  for (const [field, type] of entries) {
    if (!IDENT.test(field)) {
      throw usage(
        `field ${JSON.stringify(field)} is not a C identifier`,
        "name each field as in the C struct",
      );
    }
    let size: number;
    let fieldAlign: number;
    let typeName: string;
    if (typeof type === "string" && Object.hasOwn(SCALAR_SIZES, type)) {
      size = fieldAlign = SCALAR_SIZES[type];
      typeName = type;
    } else if (isStructType(type)) {
      size = type.size;
      fieldAlign = type.align;
      typeName = `struct ${type.name}`;
    } else {
      throw usage(
        `field ${JSON.stringify(field)} has type ${
          typeof type === "string" ? JSON.stringify(type) : typeof type
        }`,
        `use one of ${Object.keys(SCALAR_SIZES).join(", ")}, or another struct(...)`,
      );
    }
    offset = alignUp(offset, fieldAlign);
    layout.push(Object.freeze({ name: field, offset, size, type: typeName }));
    codecs.push({
      name: field,
      offset,
      type: typeof type === "string" ? type : undefined,
      nested: typeof type === "string" ? undefined : type,
    });
    offset += size;
    align = Math.max(align, fieldAlign);
  }
  const size = alignUp(offset, align);
  const ffi: Deno.NativeStructType = Object.freeze({
    struct: Object.freeze(entries.map(([, t]) => typeof t === "string" ? t : t.ffi)),
  });
  const codec = compile(codecs);
  const self: StructType<N, F> = Object.freeze({
    name,
    size,
    align,
    fields: Object.freeze(layout),
    declaration: fields,
    ffi,
    encode(value: StructInput<F>): Uint8Array {
      const out = new Uint8Array(size);
      if (!codec.write(value, new DataView(out.buffer), 0)) encodeError(self, value);
      return out;
    },
    encodeInto(value: StructInput<F>, target: Uint8Array, at = 0): void {
      checkRoom(self, target, at, "encode into");
      const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
      if (!codec.write(value, view, at)) encodeError(self, value);
    },
    decode(bytes: Uint8Array, at = 0): StructValue<F> {
      checkRoom(self, bytes, at, "decode");
      return codec.read(
        new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        at,
      ) as StructValue<F>;
    },
  });
  codecsOf.set(self, codecs);
  compiled.set(self, codec);
  return self;
}

/** The codecs of each struct made here (for the messages of values that do not fit). */
const codecsOf = new WeakMap<StructType, Codec[]>();

/** A struct's compiled writer and reader. */
export interface CompiledCodec {
  /**
   * Check and write a value at `at` (one pass: on a value that does not fit,
   * the fields before it are written).
   *
   * @returns false when the value does not fit (see {@linkcode structValueProblem})
   */
  write(value: unknown, view: DataView, at: number): boolean;
  /** Read the struct at `at`: one property per field. */
  read(view: DataView, at: number): Record<string, unknown>;
}

const compiled = new WeakMap<StructType, CompiledCodec>();

/**
 * The compiled writer and reader of a struct made by {@linkcode struct},
 * for the call wrappers, which keep a view of a reused buffer.
 *
 * @example
 * ```ts
 * import { codecOf, struct } from "./struct_type.ts";
 *
 * const Point = struct("point", { x: "i32", y: "i32" });
 * const view = new DataView(new ArrayBuffer(8));
 * console.log(codecOf(Point).write({ x: 1, y: 2 }, view, 0), codecOf(Point).read(view, 0));
 * // true { x: 1, y: 2 }
 * ```
 *
 * @param type the struct
 * @returns its codec
 */
export function codecOf(type: StructType): CompiledCodec {
  const c = compiled.get(type);
  if (!c) throw new Error("unreachable: a struct type not made by struct()");
  return c;
}

/** Integer checks, as in the call wrappers and `fits`. */
const CHECKS: Partial<Record<StructScalar, (v: string) => string>> = {
  i8: (v) => `typeof ${v} === "number" && ((${v} << 24) >> 24) === ${v}`,
  u8: (v) => `typeof ${v} === "number" && (${v} & 0xff) === ${v}`,
  i16: (v) => `typeof ${v} === "number" && ((${v} << 16) >> 16) === ${v}`,
  u16: (v) => `typeof ${v} === "number" && (${v} & 0xffff) === ${v}`,
  i32: (v) => `typeof ${v} === "number" && (${v} | 0) === ${v}`,
  u32: (v) => `typeof ${v} === "number" && (${v} >>> 0) === ${v}`,
  f32: (v) => `typeof ${v} === "number"`,
  f64: (v) => `typeof ${v} === "number"`,
  bool: (v) => `typeof ${v} === "boolean"`,
};
const SETTERS: Record<StructScalar, string> = {
  bool: "setUint8",
  i8: "setInt8",
  u8: "setUint8",
  i16: "setInt16",
  u16: "setUint16",
  i32: "setInt32",
  u32: "setUint32",
  i64: "setBigInt64",
  u64: "setBigUint64",
  isize: "setBigInt64",
  usize: "setBigUint64",
  f32: "setFloat32",
  f64: "setFloat64",
  pointer: "setBigUint64",
};

/**
 * Generate a struct's writer and reader: straight-line code per field, the
 * field names (C identifiers, checked) and offsets written into it, so a
 * call does no lookups and builds its result with one object literal.
 */
function compile(codecs: readonly Codec[]): CompiledCodec {
  const env: Record<string, unknown> = {
    fits,
    pointerValue: (p: Deno.PointerObject | null) =>
      p === null ? 0n : BigInt(Deno.UnsafePointer.value(p)),
    pointerOf: (v: bigint) => Deno.UnsafePointer.create(v),
  };
  const le = String(LITTLE_ENDIAN);
  const write: string[] = [
    'if (typeof v !== "object" || v === null || v instanceof Uint8Array) return false;',
  ];
  const read: string[] = [];
  codecs.forEach((c, i) => {
    const f = `f${i}`;
    const at = `at + ${c.offset}`;
    write.push(`const ${f} = v.${c.name};`);
    if (c.nested) {
      env[`n${i}`] = codecOf(c.nested);
      write.push(`if (!n${i}.write(${f}, view, ${at})) return false;`);
      read.push(`${c.name}: n${i}.read(view, ${at})`);
      return;
    }
    const t = c.type!;
    const check = CHECKS[t];
    write.push(`if (!(${check ? check(f) : `fits("${t}", ${f})`})) return false;`);
    const set = SETTERS[t];
    if (t === "bool") write.push(`view.setUint8(${at}, ${f} ? 1 : 0);`);
    else if (t === "pointer") write.push(`view.${set}(${at}, pointerValue(${f}), ${le});`);
    else if (set.startsWith("setBig")) write.push(`view.${set}(${at}, BigInt(${f}), ${le});`);
    else write.push(`view.${set}(${at}, ${f}, ${le});`);
    const get = set.replace("set", "get");
    read.push(
      t === "bool"
        ? `${c.name}: view.getUint8(${at}) !== 0`
        : t === "pointer"
        ? `${c.name}: pointerOf(view.getBigUint64(${at}, ${le}))`
        : `${c.name}: view.${get}(${at}, ${le})`,
    );
  });
  write.push("return true;");
  const names = Object.keys(env);
  const source = `"use strict";\nreturn {\n  write(v, view, at) {\n    ${
    write.join("\n    ")
  }\n  },\n  read(view, at) {\n    return { ${read.join(", ")} };\n  },\n};`;
  return new Function(...names, source)(...names.map((n) => env[n])) as CompiledCodec;
}

function encodeError(type: StructType, value: unknown): never {
  throw new PluginError(
    "INVALID_ARGUMENT",
    `Cannot encode struct "${type.name}": ${
      structValueProblem(type, value) ?? `found ${showValue(value)}`
    }`,
    { hint: "pass a value of the declared type for every field" },
  );
}

/**
 * The struct type of a layout a plugin recorded, for binding a struct by
 * value that the host did not declare. Only a struct of scalar fields laid
 * out as C lays it out naturally can be: Deno FFI has no type for a nested
 * struct the note does not name, an array, or a packed struct.
 *
 * @example
 * ```ts
 * import { structFromLayout } from "./struct_type.ts";
 *
 * const t = structFromLayout({
 *   name: "point",
 *   size: 8,
 *   align: 4,
 *   fields: [{ name: "x", offset: 0, size: 4, type: "i32" }, { name: "y", offset: 4, size: 4, type: "i32" }],
 * });
 * console.log(t.ffi); // { struct: ["i32", "i32"] }
 * ```
 *
 * @param layout the recorded layout
 * @returns the struct type
 * @throws {PluginError} `USAGE` when the layout cannot be described to Deno FFI
 */
export function structFromLayout(layout: StructLayout): StructType {
  const fields: Record<string, StructFieldType> = {};
  for (const f of layout.fields) {
    if (!Object.hasOwn(SCALAR_SIZES, f.type)) {
      throw new PluginError(
        "USAGE",
        `struct ${layout.name} has field "${f.name}" of type ${f.type}, which its recorded layout does not describe field by field`,
        { hint: `declare struct ${layout.name} on the host with struct(...)` },
      );
    }
    fields[f.name] = f.type as StructScalar;
  }
  const t = struct(layout.name, fields);
  const d = compareLayouts(t, layout);
  if (d) {
    throw new PluginError(
      "USAGE",
      `struct ${layout.name} is not laid out as C lays out its fields (packed or over-aligned), which Deno FFI cannot pass by value: expected ${d.expected}, found ${d.found}`,
      { hint: "pass a pointer to the struct instead" },
    );
  }
  return t;
}

/**
 * Whether a value is a struct type made by {@linkcode struct}.
 *
 * @example
 * ```ts
 * import { isStructType, struct } from "./struct_type.ts";
 *
 * console.log(isStructType(struct("p", { x: "i32" })), isStructType({ name: "p" })); // true false
 * ```
 *
 * @param value anything
 * @returns whether it is one
 */
export function isStructType(value: unknown): value is StructType {
  return typeof value === "object" && value !== null && codecsOf.has(value as StructType);
}

/**
 * Why a value cannot be encoded as a struct, or `undefined` when it can:
 * the field (dotted for nested structs), what it accepts and what it holds.
 *
 * @example
 * ```ts
 * import { struct, structValueProblem } from "./struct_type.ts";
 *
 * const Point = struct("point", { x: "i32", y: "i32" });
 * console.log(structValueProblem(Point, { x: 1, y: "2" }));
 * // field "y" does not fit i32: expected an integer from -2147483648 to 2147483647, found string "2"
 * ```
 *
 * @param type the struct
 * @param value the value
 * @returns the problem in words
 */
export function structValueProblem(type: StructType, value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) {
    return `expected an object with the fields of struct ${type.name} (${
      type.fields.map((f) => f.name).join(", ")
    }), found ${showValue(value)}`;
  }
  for (const c of codecsOf.get(type) ?? []) {
    const v = (value as Record<string, unknown>)[c.name];
    if (c.nested) {
      const inner = structValueProblem(c.nested, v);
      if (inner !== undefined) {
        return inner.startsWith('field "')
          ? `field "${c.name}.${inner.slice(7)}`
          : `field "${c.name}": ${inner}`;
      }
    } else if (!fits(c.type as TypeName, v)) {
      return `field "${c.name}" does not fit ${c.type}: expected ${
        describeType(c.type as TypeName)
      }, found ${showValue(v)}`;
    }
  }
  return undefined;
}

function checkRoom(type: StructType, bytes: Uint8Array, at: number, verb: string): void {
  if (!(bytes instanceof Uint8Array) || !Number.isSafeInteger(at) || at < 0) {
    throw new PluginError(
      "INVALID_ARGUMENT",
      `Cannot ${verb} struct "${type.name}": expected a Uint8Array and an offset from 0, found ${
        showValue(bytes)
      } and ${showValue(at)}`,
      { hint: `pass a Uint8Array of at least ${type.size} bytes` },
    );
  }
  if (bytes.byteLength - at < type.size) {
    throw new PluginError(
      "INVALID_ARGUMENT",
      `Cannot ${verb} struct "${type.name}": expected ${type.size} bytes from offset ${at}, found ${
        Math.max(0, bytes.byteLength - at)
      }`,
      { hint: `pass a Uint8Array of at least ${at + type.size} bytes` },
    );
  }
}

function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** Where a plugin's layout first differs from the host's. */
export interface LayoutDifference {
  /** The field where they differ, or `undefined` for the struct's size or alignment. */
  readonly field: string | undefined;
  /** What the host declares there. */
  readonly expected: string;
  /** What the plugin recorded there. */
  readonly found: string;
}

/**
 * Compare the layout a host declares with the one a plugin recorded, field
 * by field in order (name, type, offset, size), then the size and the
 * alignment. `isize`/`usize` are `i64`/`u64`; a nested struct is compared by
 * its size here (its own layout is compared as a struct of its own).
 *
 * @example
 * ```ts
 * import { compareLayouts, struct } from "./struct_type.ts";
 *
 * const host = struct("point", { x: "i32", y: "i32" });
 * const plugin = struct("point", { x: "i32", y: "i32", z: "i32" });
 * console.log(compareLayouts(host, plugin));
 * // { field: "z", expected: "no field after y (struct point ends at byte 8)", found: "i32 z at offset 8" }
 * ```
 *
 * @param expected the host's layout
 * @param found the plugin's layout
 * @returns the first difference, or `undefined` when they are the same
 */
export function compareLayouts(
  expected: StructLayout,
  found: StructLayout,
): LayoutDifference | undefined {
  const n = Math.max(expected.fields.length, found.fields.length);
  for (let i = 0; i < n; i++) {
    const e = expected.fields[i];
    const f = found.fields[i];
    if (e && f) {
      if (
        e.name !== f.name || comparable(e.type) !== comparable(f.type) || e.offset !== f.offset ||
        e.size !== f.size
      ) {
        return { field: e.name, expected: describeField(e), found: describeField(f) };
      }
    } else if (e) {
      return {
        field: e.name,
        expected: describeField(e),
        found: `no field ${e.name}${
          i > 0 ? ` (struct ${found.name} ends after ${found.fields[i - 1].name})` : ""
        }`,
      };
    } else {
      return {
        field: f.name,
        expected: `no field after ${
          expected.fields[i - 1].name
        } (struct ${expected.name} ends at byte ${expected.size})`,
        found: describeField(f),
      };
    }
  }
  if (expected.size !== found.size || expected.align !== found.align) {
    return {
      field: undefined,
      expected: `${expected.size} bytes aligned to ${expected.align}`,
      found: `${found.size} bytes aligned to ${found.align}`,
    };
  }
  return undefined;
}

/**
 * A layout in one line: `struct point { i32 x; i32 y; } (8 bytes, align 4)`.
 *
 * @example
 * ```ts
 * import { describeLayout, struct } from "./struct_type.ts";
 *
 * console.log(describeLayout(struct("point", { x: "i32", y: "i32" })));
 * // struct point { i32 x; i32 y; } (8 bytes, align 4)
 * ```
 *
 * @param layout the layout
 * @returns the text
 */
export function describeLayout(layout: StructLayout): string {
  const fields = layout.fields.map((f) =>
    `${f.type} ${f.name}${f.type === "struct" || f.type === "bytes" ? ` (${f.size} bytes)` : ""}; `
  ).join("");
  return `struct ${layout.name} { ${fields}} (${layout.size} bytes, align ${layout.align})`;
}

/** A field type as compared: the 64-bit aliases by their C type, a nested struct by its size. */
function comparable(type: string): string {
  if (type === "isize") return "i64";
  if (type === "usize") return "u64";
  if (type.startsWith("struct")) return "struct";
  return type;
}

function describeField(f: FieldLayout): string {
  const sized = f.type === "bytes" || f.type.startsWith("struct");
  return `${f.type} ${f.name} at offset ${f.offset}${sized ? ` (${f.size} bytes)` : ""}`;
}

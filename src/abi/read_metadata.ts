/**
 * Decode plugboard's metadata records, without running the plugin. The
 * records are the same whatever the kind of plugin: ELF notes of a shared
 * library, the `plugboard` custom section of a WebAssembly module, or the
 * records of an executable's metadata sidecar.
 *
 * Checks run in PostgreSQL's order: the ABI version first (nothing else is
 * interpreted when it does not match), then the rest field by field.
 *
 * @module
 */

import { sha256Text } from "../file/sha256.ts";
import { LoadError, PluginError } from "../errors/plugin_error.ts";
import {
  type AbiVersion,
  formatVersionPair,
  HOST_ABI,
  isAbiCompatible,
  parseVersionPair,
} from "./abi_version.ts";
import { resolveCompiler } from "./_compiler.ts";
import { parseSemVer } from "./semver.ts";
import { canonicalSignature, parseSignature, type Signature, structsUsed } from "./signature.ts";
import type { FieldLayout, StructLayout } from "./struct_type.ts";

/** One metadata record: an ELF note's owner, type and bytes (WASM records have the same form). */
export interface MetadataNote {
  /** The owner name; plugboard's records have {@linkcode NOTE_OWNER}. */
  readonly owner: string;
  /** The record type. */
  readonly type: number;
  /** The record's bytes: `key=value` lines ending in NUL. */
  readonly desc: Uint8Array;
}

/** Where metadata is read from: a file's records. */
export interface MetadataSource {
  /** The records, of any owner (others are ignored). */
  readonly notes: readonly MetadataNote[];
  /**
   * The strings of the file's ELF `.comment` section, which compilers write
   * themselves (`GCC: (Debian 12.2.0-14) 12.2.0`); they name the compiler
   * when they can. @default []
   */
  readonly comment?: readonly string[];
}

/** The owner name of plugboard's ELF notes. */
export const NOTE_OWNER = "plugboard";
/** Note type of the plugin's identity. */
export const NOTE_PLUGIN = 1;
/** Note type of an interface. */
export const NOTE_INTERFACE = 2;
/** Note type of a function. */
export const NOTE_FUNCTION = 3;
/** Note type of a lifecycle hook. */
export const NOTE_HOOK = 4;
/** Note type of a struct's layout. */
export const NOTE_STRUCT = 5;

/** An interface a plugin provides. */
export interface InterfaceInfo {
  /** The host's name for it, e.g. `calc.op`. */
  readonly id: string;
  /** Its version. */
  readonly version: AbiVersion;
  /** The C identifier functions use to join it. */
  readonly symbol: string;
  /** Its functions, sorted by name. */
  readonly functions: readonly Signature[];
  /** SHA-256 (hex) of `id/major.minor` and the canonical signatures, one a line. */
  readonly hash: string;
}

/** Everything a plugin declares about itself. */
export interface PluginMetadata {
  /** The ABI version it was built with. */
  readonly abi: AbiVersion;
  /** Its name. */
  readonly name: string;
  /** Its version (semver). */
  readonly version: string;
  /** The build id stamped at build time (`""` when none was). */
  readonly buildId: string;
  /** Who wrote it, as declared (`PLUGBOARD_PLUGIN(name, version, author)`), if declared. */
  readonly author: string | undefined;
  /**
   * The compiler that built it, e.g. `gcc 12.2.0`: the one the file's
   * `.comment` section names where it names one (the compiler writes it
   * itself), else the one the plugin note declares (see `compilerSource`).
   */
  readonly compiler: string;
  /** Where `compiler` comes from: the `.comment` section, or the plugin note's declaration. */
  readonly compilerSource: "comment" | "declared";
  /** The compiler the plugin note declares (`compiler=`), if it declares one. */
  readonly declaredCompiler: string | undefined;
  /** The compilers the `.comment` section names, in file order (`[]` when it has none). */
  readonly commentCompilers: readonly string[];
  /** The interfaces it provides, sorted by id. */
  readonly interfaces: readonly InterfaceInfo[];
  /** Every declared function, by name. */
  readonly functions: ReadonlyMap<string, Signature & { readonly interface: string }>;
  /** Which lifecycle hooks it declares. */
  readonly hooks: { readonly init: boolean; readonly shutdown: boolean };
  /** The struct layouts it records (`PLUGBOARD_STRUCT`), by struct name. */
  readonly structs: ReadonlyMap<string, StructLayout>;
}

/** Options of {@linkcode readMetadata}. */
export interface ReadMetadataOptions {
  /** The ABI version of the host. @default HOST_ABI */
  hostAbi?: AbiVersion;
  /**
   * Where this kind of file keeps its records, for the `NOT_A_PLUGIN` message.
   * @default "the plugin record written by PLUGBOARD_PLUGIN(...)"
   */
  metadataPlace?: string;
  /**
   * What the file is when it has no plugboard records, for the
   * `NOT_A_PLUGIN` message.
   * @default "a file without plugboard metadata"
   */
  withoutMetadata?: string;
}

const HEADER_HINT =
  "rebuild the plugin with plugboard's SDK (plugboard.h, or the Rust or Go SDK); the records are specified in docs/abi.md";

/** What a plugin name may contain. */
const NAME = /^[a-z0-9._-]{1,128}$/;
/** The longest author, in UTF-8 bytes. */
const MAX_AUTHOR_BYTES = 256;
/** C0 and C1 control characters and DEL. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Decode and check a plugin's metadata from its records.
 *
 * @example Reading records
 * ```ts
 * import { readMetadata } from "./read_metadata.ts";
 *
 * const text = new TextEncoder().encode("abi=1.0\nname=demo\nversion=0.1.0\n\0");
 * const meta = readMetadata({ notes: [{ owner: "plugboard", type: 1, desc: text }] }, "demo.so");
 * console.log(meta.name, meta.version); // demo 0.1.0
 * ```
 *
 * @param source the file's records (a parsed ELF or WASM file has them)
 * @param path the file's path, for messages
 * @param options the host's ABI version
 * @returns the metadata
 * @throws {LoadError} `NOT_A_PLUGIN`, `ABI_MISMATCH` or `BAD_METADATA`
 */
export function readMetadata(
  source: MetadataSource,
  path: string,
  options: ReadMetadataOptions = {},
): PluginMetadata {
  const hostAbi = options.hostAbi ?? HOST_ABI;
  const notes = source.notes.filter((n) => n.owner === NOTE_OWNER);
  const plugin = notes.filter((n) => n.type === NOTE_PLUGIN);
  if (plugin.length === 0) {
    throw new LoadError("NOT_A_PLUGIN", {
      path,
      what: "no plugboard metadata",
      expected: options.metadataPlace ?? "the plugin record written by PLUGBOARD_PLUGIN(...)",
      found: options.withoutMetadata ?? "a file without plugboard metadata",
      hint:
        "declare the plugin with PLUGBOARD_PLUGIN(name, version) from plugboard.h (docs/abi.md for other languages); to call an ordinary library, use openLibrary() with declared signatures",
    });
  }
  if (plugin.length > 1) {
    throw badMetadata(path, "exactly one PLUGBOARD_PLUGIN note", `${plugin.length}`);
  }
  const identity = fields(plugin[0].desc, path);
  // Version first: nothing else is read when the ABI does not match.
  const abi = parseVersionPair(identity.get("abi") ?? "");
  if (!abi) {
    throw badMetadata(path, "an abi=MAJOR.MINOR field", JSON.stringify(identity.get("abi") ?? ""));
  }
  if (!isAbiCompatible(hostAbi, abi)) {
    const majorDiffers = abi.major !== hostAbi.major;
    throw new LoadError("ABI_MISMATCH", {
      path,
      what: majorDiffers ? "ABI major version mismatch" : "ABI minor version too new",
      expected: majorDiffers
        ? `ABI ${hostAbi.major}.x`
        : `ABI ${hostAbi.major}.0 to ${formatVersionPair(hostAbi)}`,
      found: `ABI ${formatVersionPair(abi)}`,
      hint: majorDiffers
        ? `rebuild the plugin against plugboard.h ${hostAbi.major}.x (PLUGBOARD_ABI_MAJOR ${hostAbi.major})`
        : `upgrade the host to plugboard ABI ${
          formatVersionPair(abi)
        } or newer, or rebuild the plugin against plugboard.h ${formatVersionPair(hostAbi)}`,
    });
  }
  const name = required(identity, "name", path);
  if (!NAME.test(name)) {
    throw badMetadata(
      path,
      "a plugin name of 1 to 128 characters from [a-z0-9._-]",
      JSON.stringify(name),
    );
  }
  const version = required(identity, "version", path);
  if (!parseSemVer(version) || !/^\d/.test(version) || version.trim() !== version) {
    throw badMetadata(
      path,
      "a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], each number a safe integer",
      JSON.stringify(version.length > 60 ? version.slice(0, 60) + "…" : version),
    );
  }
  const buildId = identity.get("build_id") ?? "";
  const author = readAuthor(identity.get("author"), path);
  const declaredCompiler = identity.get("compiler");
  const toolchain = resolveCompiler(source.comment ?? [], declaredCompiler);
  const structs = readStructs(notes, path);

  const ifaceBySymbol = new Map<string, { id: string; version: AbiVersion }>();
  for (const n of notes.filter((n) => n.type === NOTE_INTERFACE)) {
    const f = fields(n.desc, path);
    const symbol = required(f, "symbol", path);
    const id = required(f, "id", path);
    const v = parseVersionPair(f.get("version") ?? "");
    if (!v) {
      throw badMetadata(path, `interface "${id}" version MAJOR.MINOR`, f.get("version") ?? "");
    }
    if (ifaceBySymbol.has(symbol)) throw badMetadata(path, "unique interface names", symbol);
    ifaceBySymbol.set(symbol, { id, version: v });
  }
  const functions = new Map<string, Signature & { interface: string }>();
  const bySymbol = new Map<string, Signature[]>();
  for (const n of notes.filter((n) => n.type === NOTE_FUNCTION)) {
    const f = fields(n.desc, path);
    const iface = required(f, "interface", path);
    let sig: Signature;
    try {
      sig = parseSignature(
        (f.get("fallible") === "1" ? "fallible " : "") + required(f, "signature", path),
      );
    } catch (e) {
      const detail = e instanceof PluginError ? e.summary : String(e);
      throw badMetadata(path, "signatures over pb_ types", detail, e);
    }
    const owner = ifaceBySymbol.get(iface);
    if (!owner) throw badMetadata(path, `a declared interface "${iface}"`, "none");
    if (functions.has(sig.name)) throw badMetadata(path, "unique function names", sig.name);
    for (const used of structsUsed(sig)) {
      if (!structs.has(used)) {
        throw badMetadata(
          path,
          `a layout of struct ${used}, which "${sig.name}" passes by value (PLUGBOARD_STRUCT(${used}, ...))`,
          "none",
        );
      }
    }
    functions.set(sig.name, Object.freeze({ ...sig, interface: owner.id }));
    const list = bySymbol.get(iface);
    if (list) list.push(sig);
    else bySymbol.set(iface, [sig]);
  }
  const interfaces: InterfaceInfo[] = [];
  for (const [symbol, { id, version }] of ifaceBySymbol) {
    const fns = (bySymbol.get(symbol) ?? []).sort((a, b) => a.name < b.name ? -1 : 1);
    interfaces.push(Object.freeze({
      id,
      version,
      symbol,
      functions: Object.freeze(fns),
      hash: interfaceHash(id, version, fns),
    }));
  }
  interfaces.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const hooks = { init: false, shutdown: false };
  for (const n of notes.filter((n) => n.type === NOTE_HOOK)) {
    const hook = fields(n.desc, path).get("hook");
    if (hook === "init" || hook === "shutdown") hooks[hook] = true;
  }
  return Object.freeze({
    abi,
    name,
    version,
    buildId,
    author,
    compiler: toolchain.compiler,
    compilerSource: toolchain.source,
    declaredCompiler,
    commentCompilers: toolchain.commentCompilers,
    interfaces: Object.freeze(interfaces),
    functions,
    hooks: Object.freeze(hooks),
    structs,
  });
}

/**
 * The hash that identifies an interface's shape: SHA-256 over
 * `id/major.minor` and each canonical signature sorted by name, one a line.
 *
 * @example
 * ```ts
 * import { interfaceHash } from "./read_metadata.ts";
 * import { parseSignature } from "./signature.ts";
 *
 * const h = interfaceHash("greeter", { major: 1, minor: 0 }, [
 *   parseSignature("cstring greet(cstring name)"),
 * ]);
 * console.log(h.length); // 64
 * ```
 *
 * @param id the interface id
 * @param version its version
 * @param functions its functions
 * @returns the hex digest
 */
export function interfaceHash(
  id: string,
  version: AbiVersion,
  functions: readonly Signature[],
): string {
  const lines = [`${id}/${formatVersionPair(version)}`];
  for (const s of [...functions].sort((a, b) => a.name < b.name ? -1 : 1)) {
    lines.push(canonicalSignature(s));
  }
  return sha256Text(lines.join("\n"));
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function fields(desc: Uint8Array, path: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of lines(desc, path)) {
    // A second `name=` would make the record mean two things: which one wins
    // would depend on the reader.
    if (out.has(key)) throw badMetadata(path, `each key once in a record`, `a second "${key}="`);
    out.set(key, value);
  }
  return out;
}

/** A record's `key=value` lines, in order (duplicates kept). */
function lines(desc: Uint8Array, path: string): [string, string][] {
  const end = desc.indexOf(0);
  let text: string;
  try {
    text = decoder.decode(end === -1 ? desc : desc.subarray(0, end));
  } catch (e) {
    throw badMetadata(path, "records in UTF-8", "invalid UTF-8 bytes", e);
  }
  const out: [string, string][] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw badMetadata(path, "key=value lines", JSON.stringify(line));
    if (CONTROL.test(line)) {
      // Metadata is shown to people (inspect, logs): no terminal escapes.
      throw badMetadata(path, "text without control characters", JSON.stringify(line.slice(0, 80)));
    }
    out.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return out;
}

function readAuthor(value: string | undefined, path: string): string | undefined {
  if (value === undefined || value === "") return undefined;
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > MAX_AUTHOR_BYTES || CONTROL.test(value) || value.trim() !== value) {
    const shown = value.length > 60 ? value.slice(0, 60) + "…" : value;
    throw badMetadata(
      path,
      `an author of at most ${MAX_AUTHOR_BYTES} bytes of UTF-8, without control characters or spaces around it`,
      `${JSON.stringify(shown)} (${bytes} bytes)`,
    );
  }
  return value;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DECIMAL = /^(?:0|[1-9][0-9]{0,9})$/;
/** What a struct note may say a field's type is, and each scalar's size. */
const NOTE_FIELD_SIZES: Readonly<Record<string, number>> = Object.freeze({
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
  struct: 0,
  bytes: 0,
});
/** The largest struct a note may describe, and the most fields. */
const MAX_STRUCT_SIZE = 1 << 30;
const MAX_STRUCT_FIELDS = 1024;

/**
 * The struct notes: one layout per struct name (the same note twice, from
 * a header included by two translation units, is one), each checked for
 * consistency: offsets in order inside the size, scalar sizes right.
 */
function readStructs(
  notes: readonly MetadataNote[],
  path: string,
): ReadonlyMap<string, StructLayout> {
  const out = new Map<string, StructLayout>();
  const texts = new Map<string, string>();
  for (const n of notes) {
    if (n.type !== NOTE_STRUCT) continue;
    const entries = lines(n.desc, path);
    const get = (key: string) => entries.find(([k]) => k === key)?.[1];
    const name = get("struct") ?? "";
    const bad = (expected: string, found: string) =>
      badMetadata(path, `struct ${name || "?"}: ${expected}`, found);
    if (!IDENT.test(name)) {
      throw badMetadata(
        path,
        'a struct note whose "struct" is a C identifier',
        JSON.stringify(name),
      );
    }
    const size = get("size") ?? "";
    const align = get("align") ?? "";
    if (!DECIMAL.test(size) || +size < 1 || +size > MAX_STRUCT_SIZE) {
      throw bad(`a size from 1 to ${MAX_STRUCT_SIZE}`, JSON.stringify(size));
    }
    if (!DECIMAL.test(align) || +align < 1 || (+align & (+align - 1)) !== 0 || +size % +align) {
      throw bad(`a power-of-two alignment dividing the size ${size}`, JSON.stringify(align));
    }
    const fields: FieldLayout[] = [];
    for (const [key, value] of entries) {
      if (key !== "field") continue;
      const parts = value.split(" ");
      const [field, offset, fsize, type] = parts;
      if (
        parts.length !== 4 || !IDENT.test(field) || !DECIMAL.test(offset) ||
        !DECIMAL.test(fsize) || !Object.hasOwn(NOTE_FIELD_SIZES, type)
      ) {
        throw bad("fields as `field=NAME OFFSET SIZE TYPE`", JSON.stringify(value));
      }
      const previous = fields[fields.length - 1];
      const start = previous ? previous.offset + previous.size : 0;
      if (
        +offset < start || +offset + +fsize > +size || +fsize < 1 ||
        (NOTE_FIELD_SIZES[type] !== 0 && NOTE_FIELD_SIZES[type] !== +fsize) ||
        fields.some((f) => f.name === field) || fields.length === MAX_STRUCT_FIELDS
      ) {
        throw bad(
          `at most ${MAX_STRUCT_FIELDS} uniquely named fields, in order, inside its ${size} bytes, each of its type's size`,
          JSON.stringify(value),
        );
      }
      fields.push(Object.freeze({ name: field, offset: +offset, size: +fsize, type }));
    }
    if (fields.length === 0) throw bad("at least one field", "none");
    const text = entries.map(([k, v]) => `${k}=${v}`).join("\n");
    const seen = texts.get(name);
    if (seen !== undefined) {
      if (seen === text) continue;
      throw bad(
        "one layout per struct",
        "two different layouts (translation units built from different definitions)",
      );
    }
    texts.set(name, text);
    out.set(
      name,
      Object.freeze({ name, size: +size, align: +align, fields: Object.freeze(fields) }),
    );
  }
  return out;
}

function required(f: Map<string, string>, key: string, path: string): string {
  const v = f.get(key);
  if (v === undefined || v === "") throw badMetadata(path, `a "${key}" field`, "none");
  return v;
}

function badMetadata(path: string, expected: string, found: string, cause?: unknown): LoadError {
  return new LoadError("BAD_METADATA", {
    path,
    what: "malformed plugboard metadata",
    expected,
    found,
    hint: HEADER_HINT,
    cause,
  });
}

/**
 * The kinds of plugin file, told apart by their first bytes, each read by
 * its own reader into what the pipeline needs: the metadata records, what
 * to call the file when it has none, and how to find (or explain the
 * absence of) an exported function.
 *
 * @module
 */

import type { PluginKind } from "../abi/identity.ts";
import type { MetadataNote, PluginMetadata } from "../abi/read_metadata.ts";
import { NOTE_OWNER } from "../abi/read_metadata.ts";
import { canonicalSignature, type Signature, type TypeName } from "../abi/signature.ts";
import { type ElfInfo, readElf } from "../elf/read_elf.ts";
import { LoadError } from "../errors/plugin_error.ts";
import {
  readWasm,
  type WasmFunctionType,
  type WasmInfo,
  type WasmValueType,
} from "../wasm/read_wasm.ts";
import { parseRpcMetadata, type RpcMetadata, toPluginMetadata } from "./sidecar.ts";
import { findExported, nearestNames } from "./symbols.ts";

/** A plugin file read by the reader of its kind. */
export interface ParsedFormat {
  /** The kind of plugin. */
  readonly kind: PluginKind;
  /** The parsed ELF file, for a native plugin. */
  readonly elf: ElfInfo | undefined;
  /** The parsed module, for a WebAssembly plugin. */
  readonly wasm: WasmInfo | undefined;
  /** An executable's metadata sidecar, for a subprocess plugin. */
  readonly sidecar: SidecarFile | undefined;
  /** The metadata, when the format carries it whole (a sidecar) rather than as records. */
  readonly metadata?: PluginMetadata;
  /** The plugboard records (and any others). */
  readonly notes: readonly MetadataNote[];
  /** The strings of an ELF file's `.comment` section (`[]` for other kinds). */
  readonly comment: readonly string[];
  /** Where the metadata of this kind of file is, for `NOT_A_PLUGIN`. */
  readonly metadataPlace: string;
  /** What the file is when it has no plugboard records, for `NOT_A_PLUGIN`. */
  readonly withoutMetadata: string;
  /** The functions (and, for WebAssembly, the memory and table) the plugin's runtime must export. */
  readonly runtime: readonly string[];
  /** What each runtime export is, for the message when it is missing: `an exported memory`. */
  readonly runtimeExpected?: Readonly<Record<string, string>>;
  /**
   * Check that a function is exported, and, where the file says (a
   * WebAssembly module types its exports), that its type is the lowering of
   * the declared signature.
   *
   * @param name the function
   * @param path the file, for messages
   * @param sig the plugin's declared signature of it, when it declares one
   * @throws {LoadError} `SYMBOL_MISSING`, saying why it is not there;
   *   `SIGNATURE_MISMATCH` when its type is not the signature's
   */
  requireFunction(name: string, path: string, sig?: Signature): void;
}

/** An executable's metadata sidecar as read. */
export interface SidecarFile {
  /** Its path. */
  readonly path: string;
  /** SHA-256 of its bytes. */
  readonly sha256: string;
  /** What it declares. */
  readonly rpc: RpcMetadata;
}

/** The functions plugboard's native runtime defines (PLUGBOARD_PLUGIN). */
const NATIVE_RUNTIME = Object.freeze(["plugboard_entry", "plugboard_take_error"]);

/**
 * Read a plugin file by its kind.
 *
 * @param bytes the file's bytes
 * @param path the file, for messages
 * @returns the parsed file
 * @throws {LoadError} `NOT_ELF`, `TRUNCATED`, `MALFORMED`, `WRONG_ARCH`, ...
 */
export function parseFormat(bytes: Uint8Array, path: string): ParsedFormat {
  if (bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d) {
    return wasmFormat(readWasm(bytes, path));
  }
  return elfFormat(readElf(bytes, path), path);
}

/**
 * An ELF shared library as a plugin file.
 *
 * @param elf the parsed file
 * @returns the format
 */
export function elfFormat(elf: ElfInfo, path: string): ParsedFormat {
  checkNotesMapped(elf, path);
  const exported = elf.symbols.filter((s) => s.defined && s.binding !== "local").length;
  return {
    kind: "native",
    elf,
    wasm: undefined,
    sidecar: undefined,
    notes: elf.notes,
    comment: elf.comment,
    metadataPlace: 'a ".note.plugboard" note written by PLUGBOARD_PLUGIN(...)',
    withoutMetadata: `an ordinary shared library (${exported} exported symbol${
      exported === 1 ? "" : "s"
    }, no plugboard note)`,
    runtime: NATIVE_RUNTIME,
    requireFunction(name, path) {
      findExported(elf, name, path, "function");
    },
  };
}

/**
 * The loader compares the plugboard notes in memory with the file's before
 * it trusts what it loaded, and reads memory only inside the object's
 * segments: a note that is not wholly inside a readable segment mapped from
 * the file (stretched past its page, or in a gap between segments) could not
 * be compared, so such a file is refused here, by every entry point alike.
 */
function checkNotesMapped(elf: ElfInfo, path: string): void {
  for (const note of elf.notes) {
    if (note.owner !== NOTE_OWNER) continue;
    const inside = note.vaddr >= 0 &&
      elf.loads.some((s) =>
        s.read && note.vaddr >= s.vaddr && note.vaddr + note.size <= s.vaddr + s.filesz &&
        note.offset - s.offset === note.vaddr - s.vaddr
      );
    if (!inside) {
      throw new LoadError("BAD_METADATA", {
        path,
        what: `the plugboard note at file offset ${note.offset} is not loaded with the library`,
        expected: "every plugboard note inside a readable segment mapped from the file (PT_LOAD)",
        found: note.vaddr < 0
          ? "a note that no loadable segment maps"
          : `a ${note.size}-byte note at address 0x${
            note.vaddr.toString(16)
          } that runs past the segment that maps its start`,
        hint:
          "rebuild the plugin with plugboard's SDK and a standard linker script; the notes must be in the .note.plugboard section of a loaded segment",
      });
    }
  }
}

/**
 * An executable described by its metadata sidecar (a subprocess plugin,
 * docs/subprocess.md): the sidecar is parsed, the program is never run.
 *
 * @param program the program's path, for messages
 * @param sidecar the sidecar's path and bytes
 * @returns the format, with the metadata
 * @throws {LoadError} `BAD_METADATA` or `ABI_MISMATCH`
 */
export function sidecarFormat(
  program: string,
  sidecar: { path: string; bytes: Uint8Array; sha256: string },
): ParsedFormat {
  const bad = (found: string) =>
    new LoadError("BAD_METADATA", {
      path: program,
      what: `the sidecar ${JSON.stringify(sidecar.path)} is invalid`,
      expected: "one JSON object in UTF-8",
      found,
      hint:
        "rewrite the sidecar with `plugboard describe PROGRAM --run --write` (docs/subprocess.md)",
    });
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(sidecar.bytes));
  } catch (e) {
    throw bad(
      e instanceof SyntaxError
        ? `text that is not JSON (${e.message})`
        : "bytes that are not UTF-8",
    );
  }
  const rpc = parseRpcMetadata(value, program, "sidecar", { file: sidecar.path });
  const metadata = toPluginMetadata(rpc);
  return {
    kind: "executable",
    elf: undefined,
    wasm: undefined,
    sidecar: { path: sidecar.path, sha256: sidecar.sha256, rpc },
    metadata,
    notes: [],
    comment: [],
    metadataPlace: `a metadata sidecar ${JSON.stringify(sidecar.path)}`,
    withoutMetadata: "an executable without a metadata sidecar",
    runtime: [],
    requireFunction(name, path) {
      if (metadata.functions.has(name)) return;
      const near = nearestNames(name, [...metadata.functions.keys()]);
      throw new LoadError("SYMBOL_MISSING", {
        path,
        what: `function "${name}" is not declared by the plugin`,
        expected: `a function "${name}" in its sidecar ${JSON.stringify(sidecar.path)}`,
        found: `no such function${
          near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""
        }`,
        hint: "call a function the plugin declares, or add it to the plugin and its sidecar",
      });
    },
  };
}

/**
 * The WebAssembly value type a signature type lowers to on wasm32: the
 * integers up to 32 bits and `bool` are `i32`, `i64` and `u64` are `i64`,
 * and `isize`, `usize`, `pointer`, `buffer` and `cstring` are 32-bit
 * addresses or sizes, `i32`.
 *
 * @example
 * ```ts
 * import { wasmValueType } from "./formats.ts";
 *
 * console.log(wasmValueType("cstring"), wasmValueType("u64")); // i32 i64
 * ```
 *
 * @param t the type
 * @returns the value type, or undefined for `void`
 */
export function wasmValueType(t: TypeName): WasmValueType | undefined {
  switch (t) {
    case "void":
      return undefined;
    case "i64":
    case "u64":
      return "i64";
    case "f32":
      return "f32";
    case "f64":
      return "f64";
    default:
      return "i32";
  }
}

/**
 * The WebAssembly function type of a signature on wasm32.
 *
 * @example
 * ```ts
 * import { wasmFunctionType } from "./formats.ts";
 * import { parseSignature } from "../abi/signature.ts";
 *
 * const type = wasmFunctionType(parseSignature("cstring greet(cstring name)"));
 * console.log(type); // { params: ["i32"], results: ["i32"] }
 * ```
 *
 * @param sig the signature
 * @returns its parameter and result types
 */
export function wasmFunctionType(sig: Signature): WasmFunctionType {
  const result = wasmValueType(sig.result);
  return {
    params: sig.parameters.map((t) => wasmValueType(t)!),
    results: result ? [result] : [],
  };
}

/**
 * A function type as WAT writes it: `(func (param i32 i32) (result i32))`.
 *
 * @param t the type
 * @returns the text
 */
function watType(t: WasmFunctionType): string {
  const params = t.params.length ? ` (param ${t.params.join(" ")})` : "";
  const results = t.results.length ? ` (result ${t.results.join(" ")})` : "";
  return `(func${params}${results})`;
}

function sameType(a: WasmFunctionType, b: WasmFunctionType): boolean {
  return a.params.length === b.params.length && a.results.length === b.results.length &&
    a.params.every((t, i) => t === b.params[i]) && a.results.every((t, i) => t === b.results[i]);
}

/** What plugboard.h's runtime exports on wasm32, with the types the host calls them with. */
const WASM_RUNTIME: Readonly<Record<string, WasmFunctionType | "memory" | "table">> = {
  plugboard_entry: { params: [], results: ["i32"] },
  plugboard_take_error: { params: [], results: ["i32"] },
  plugboard_alloc: { params: ["i32"], results: ["i32"] },
  plugboard_free: { params: ["i32", "i32"], results: [] },
  memory: "memory",
  __indirect_function_table: "table",
};

/**
 * A WebAssembly module as a plugin file: the records of its `plugboard`
 * custom sections, and exports whose types are checked against the
 * declared signatures, read without compiling the module.
 *
 * @example
 * ```ts ignore
 * import { wasmFormat } from "./formats.ts";
 * import { readWasm } from "../wasm/read_wasm.ts";
 *
 * const format = wasmFormat(readWasm(await Deno.readFile("build/wasm/greeter.wasm"), "greeter.wasm"));
 * format.requireFunction("greet", "greeter.wasm");
 * ```
 *
 * @param info the parsed module
 * @returns the format
 */
export function wasmFormat(info: WasmInfo): ParsedFormat {
  const functions = info.exports.filter((e) => e.kind === "function");
  return {
    kind: "wasm",
    elf: undefined,
    wasm: info,
    sidecar: undefined,
    comment: [],
    notes: info.notes,
    metadataPlace: 'a "plugboard" custom section written by PLUGBOARD_PLUGIN(...)',
    withoutMetadata: `a WebAssembly module without plugboard metadata (${functions.length} ` +
      `exported function${functions.length === 1 ? "" : "s"}, no "plugboard" custom section)`,
    runtime: Object.keys(WASM_RUNTIME),
    runtimeExpected: {
      memory: 'an exported memory named "memory" (the linear memory strings are copied into)',
      __indirect_function_table:
        'an exported table named "__indirect_function_table" (link with -Wl,--export-table)',
    },
    requireFunction(name, path, sig) {
      const found = info.exports.find((e) => e.name === name);
      const runtime = WASM_RUNTIME[name];
      const want = runtime === "memory" ? "memory" : runtime === "table" ? "table" : "function";
      if (!found || found.kind !== want) {
        const near = nearestNames(name, functions.map((e) => e.name));
        throw new LoadError("SYMBOL_MISSING", {
          path,
          what: `${want} "${name}" is not exported by the module`,
          expected: `an exported ${want} "${name}"`,
          found: found
            ? `an export of that name that is a ${found.kind}`
            : `no export of that name${
              near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : ""
            }`,
          hint: want === "function"
            ? "declare the function with PLUGBOARD_FN (which exports it under its own name), or check the name"
            : "build the plugin with plugboard.h: plugboard build --target wasm32 (docs/wasm.md)",
        });
      }
      if (found.kind !== "function") return;
      const expected = typeof runtime === "object"
        ? runtime
        : sig
        ? wasmFunctionType(sig)
        : undefined;
      if (expected && !sameType(expected, found.type)) {
        throw new LoadError("SIGNATURE_MISMATCH", {
          path,
          what: `function "${name}" does not have the type of its signature`,
          expected: `${watType(expected)}, the wasm32 lowering of ${
            sig ? canonicalSignature(sig) : `plugboard's ${name}`
          }`,
          found: watType(found.type),
          hint:
            "the plugin's code and its declaration disagree: build it with plugboard.h, whose PLUGBOARD_FN writes both from one declaration (docs/wasm.md lists the lowering)",
        });
      }
    },
  };
}

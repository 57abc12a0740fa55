/**
 * `loadNative()`: map a checked native plugin into this process and hand out
 * its handle. What is loaded is a sealed in-memory copy of exactly the bytes
 * the pipeline checked (`checkPlugin`), or, with `load: "path"`, the file by
 * its path. Before any plugin code that plugboard calls runs, the object in
 * memory is compared with the file: its layout, then its notes; then the
 * descriptor is checked and the init hook runs. (The dynamic linker runs the
 * library's ELF constructors during the load itself, as it does for any
 * library.)
 *
 * Opening the same file and bytes again shares the loaded library
 * (`plugin.shared`).
 *
 * @module
 */

import type { Signature } from "../abi/signature.ts";
import { assertFfi } from "./_memfd.ts";
import { formatOf, type PluginCandidate } from "../check/check_plugin.ts";
import { findExported } from "../check/symbols.ts";
import { CallError, LoadError, PluginError } from "../errors/plugin_error.ts";
import {
  type CloseResult,
  type HandleState,
  Plugin,
  type PluginBackend,
  type PluginVariable,
  type VariableType,
} from "../handle/plugin.ts";
import { fits, invalidArgument } from "../handle/arguments.ts";
import { type BindContext, makeWrapper } from "./_bind.ts";
import { libraryKey, loadedLibraries, LoadedLibrary, type LoadMode } from "./_loaded_library.ts";

export type { LoadMode };

/** Options of {@linkcode loadNative}. */
export interface NativeLoadOptions {
  /**
   * `"memfd"`: map a sealed in-memory copy of exactly the bytes that were
   * checked, so replacing the file afterwards changes nothing, and a rebuilt
   * file at the same path is new code. `"path"`: let the dynamic linker open
   * the path itself (the classic way; glibc then hands back an already-loaded
   * library of the same path even if the file changed).
   * @default "memfd"
   */
  load?: LoadMode;
  /**
   * Run the plugin's init hook after loading.
   * @default true
   */
  init?: boolean;
}

/**
 * Load a checked native plugin in this process.
 *
 * @param candidate what `checkPlugin` returned for the file
 * @param options load mode and init
 * @param path the path as the caller gave it, for messages
 * @returns the handle
 * @throws {LoadError} `ALREADY_OPEN`, `LOAD_FAILED`, `METADATA_MISMATCH`, `INIT_FAILED`
 */
export function loadNative(
  candidate: PluginCandidate,
  options: NativeLoadOptions = {},
  path: string = candidate.file.path,
): Plugin<"sync"> {
  assertFfi(path);
  const mode = options.load ?? "memfd";
  const file = candidate.file;
  const elf = formatOf(candidate).elf!;
  const key = libraryKey(file);
  const existing = loadedLibraries.get(key);
  if (existing) {
    if (existing.mode !== mode) {
      throw new LoadError("ALREADY_OPEN", {
        path,
        what: "the same file is already open with another load mode",
        expected: `load: "${mode}"`,
        found: `it is open with load: "${existing.mode}"`,
        hint: "open it with the same options, or close the other handle first",
      });
    }
    return handle(candidate, existing, path, true);
  }
  if (mode === "path") {
    for (const other of loadedLibraries.values()) {
      if (other.mode === "path" && other.file.realPath === file.realPath) {
        throw new LoadError("ALREADY_OPEN", {
          path,
          what: "an older build of this file is still loaded by path",
          expected: `the file as loaded (SHA-256 ${other.file.sha256.slice(0, 12)})`,
          found: `a changed file (SHA-256 ${
            file.sha256.slice(0, 12)
          }); glibc would hand back the old code`,
          hint:
            'close every handle on the old build first, or load with { load: "memfd" } (the default)',
        });
      }
    }
  }
  const lib = LoadedLibrary.load(file, elf, candidate.metadata, mode, options.init ?? true);
  loadedLibraries.set(key, lib);
  return handle(candidate, lib, path, false);
}

function handle(
  candidate: PluginCandidate,
  lib: LoadedLibrary,
  path: string,
  shared: boolean,
): Plugin<"sync"> {
  lib.leases++;
  return new Plugin({
    candidate,
    backend: new NativeBackend(lib, path),
    calls: "sync",
    isolation: "none",
    path,
    shared,
  });
}

/** A native plugin in this process, as its handle sees it. */
class NativeBackend implements PluginBackend {
  #lib: LoadedLibrary;
  #path: string;

  constructor(lib: LoadedLibrary, path: string) {
    this.#lib = lib;
    this.#path = path;
  }

  checkBindable(sigs: readonly Signature[], path: string): void {
    this.#lib.checkBindable(sigs, path);
  }

  bind(sigs: readonly Signature[], state: HandleState): Record<string, unknown> {
    // Everything that can fail is checked now. The rest is paid per function
    // when it is first read from the object, so use() costs the same whatever
    // the interface's size: the wrapper is compiled (~15 µs) and its symbol
    // bound (one Deno.dlopen per symbol, ~60 µs). Binding on read, not on the
    // first call, keeps the call path free of a "bound yet?" check.
    const lib = this.#lib;
    const path = this.#path;
    const out: Record<string, unknown> = {};
    for (const sig of sigs) {
      let wrapper: unknown;
      const make = () => {
        // A closed handle binds nothing: its functions only throw CLOSED.
        const bound = state.closed
          ? { raw: neverCalled, takeError: undefined }
          : lib.bindRaw(sig, path);
        const ctx: BindContext = {
          path,
          handle: state,
          library: lib.state,
          takeError: bound.takeError,
          intoCopy: bound.intoCopy,
          code: lib.code,
        };
        return makeWrapper(sig, bound.raw, ctx);
      };
      Object.defineProperty(out, sig.name, {
        enumerable: true,
        get: () => wrapper ??= make(),
      });
    }
    return Object.freeze(out);
  }

  close(): Promise<CloseResult> {
    return this.#lib.release();
  }

  variable(
    name: string,
    type: VariableType,
    state: HandleState,
    path: string,
  ): PluginVariable<number | bigint> {
    const sym = findExported(this.#lib.elf, name, path, "variable");
    const size = SIZES[type];
    const refuse = (what: string, expected: string, found: string, hint: string): never => {
      throw new LoadError("SYMBOL_MISSING", { path, what, expected, found, hint });
    };
    // Only a defined data object of the file, inside a segment that is
    // mapped readable, is read; written only inside a writable one that is
    // not made read-only after relocation.
    if (sym.type !== "object") {
      refuse(
        `symbol "${name}" is not a data object`,
        "an exported variable (STT_OBJECT)",
        `a symbol of type ${sym.type}`,
        "export the variable itself, or a function that returns its value",
      );
    }
    if (sym.section === 0 || sym.section >= 0xff00) {
      refuse(
        `symbol "${name}" is not an address in the plugin`,
        "a variable defined in a section of the plugin",
        sym.section === 0xfff1
          ? `an absolute symbol (SHN_ABS, value 0x${sym.value.toString(16)})`
          : `a symbol in special section 0x${sym.section.toString(16)}`,
        "export a real variable; an absolute symbol is a number, not memory to read",
      );
    }
    if (sym.size < size) {
      throw new LoadError("SIGNATURE_MISMATCH", {
        path,
        what: `variable "${name}" is smaller than ${type}`,
        expected: `${size} bytes`,
        found: `${sym.size} bytes`,
        hint: "read it with the type it is declared with in the plugin",
      });
    }
    const memory = this.#lib.memory;
    if (!memory.segmentOf(sym.value, size)) {
      refuse(
        `variable "${name}" is not inside the plugin's loaded memory`,
        `${size} bytes inside a readable loaded segment (PT_LOAD)`,
        `address 0x${sym.value.toString(16)}, outside every readable segment`,
        "the plugin's symbol table is inconsistent: rebuild it",
      );
    }
    const writable = memory.segmentOf(sym.value, size, { write: true }) !== undefined;
    const ptr = memory.pointer(sym.value);
    const check = () => {
      if (state.closed) {
        throw new CallError("CLOSED", path, name, "the plugin handle is closed", {
          hint: "open the plugin again; variables of a closed handle cannot be read",
        });
      }
    };
    const view = () => new DataView(Deno.UnsafePointerView.getArrayBuffer(ptr, size));
    return {
      get: () => {
        check();
        return readNumber(view(), type);
      },
      set: (value: number | bigint) => {
        check();
        if (!writable) {
          throw new PluginError(
            "USAGE",
            `Cannot write variable ${JSON.stringify(name)} of plugin ${
              JSON.stringify(path)
            }: expected a writable variable, found one in read-only memory (const, or made read-only after relocation)`,
            { path, hint: "declare the variable without const in the plugin, or only read it" },
          );
        }
        if (!fits(type, value)) throw invalidArgument(path, name, 0, type, value);
        writeNumber(view(), type, value);
      },
    };
  }
}

const SIZES: Record<VariableType, number> = {
  i8: 1,
  u8: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  i64: 8,
  u64: 8,
  f32: 4,
  f64: 8,
};

function readNumber(v: DataView, t: VariableType): number | bigint {
  switch (t) {
    case "i8":
      return v.getInt8(0);
    case "u8":
      return v.getUint8(0);
    case "i16":
      return v.getInt16(0, true);
    case "u16":
      return v.getUint16(0, true);
    case "i32":
      return v.getInt32(0, true);
    case "u32":
      return v.getUint32(0, true);
    case "i64":
      return v.getBigInt64(0, true);
    case "u64":
      return v.getBigUint64(0, true);
    case "f32":
      return v.getFloat32(0, true);
    case "f64":
      return v.getFloat64(0, true);
  }
}

function writeNumber(v: DataView, t: VariableType, x: number | bigint): void {
  switch (t) {
    case "i8":
      return v.setInt8(0, Number(x));
    case "u8":
      return v.setUint8(0, Number(x));
    case "i16":
      return v.setInt16(0, Number(x), true);
    case "u16":
      return v.setUint16(0, Number(x), true);
    case "i32":
      return v.setInt32(0, Number(x), true);
    case "u32":
      return v.setUint32(0, Number(x), true);
    case "i64":
      return v.setBigInt64(0, BigInt(x), true);
    case "u64":
      return v.setBigUint64(0, BigInt(x), true);
    case "f32":
      return v.setFloat32(0, Number(x), true);
    case "f64":
      return v.setFloat64(0, Number(x), true);
  }
}

/** The raw function of a wrapper made after close: its closed check throws first. */
function neverCalled(): never {
  throw new Error("unreachable: a function of a closed handle was called");
}

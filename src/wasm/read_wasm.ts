/**
 * Read a WebAssembly module's structure in pure TypeScript, without
 * compiling or instantiating it: its types, imports, exports, memories,
 * tables, globals, data segments, custom sections and the plugboard
 * metadata notes of its `plugboard` custom sections. A file the host cannot
 * use is refused with a {@linkcode LoadError} that says what is wrong (not
 * WebAssembly, a component rather than a core module, a truncated copy).
 *
 * The reader treats its input as hostile: every count is checked against
 * the bytes left before anything is allocated for it, every index against
 * its index space, every LEB128 integer against its width, every section
 * against its declared size; work is linear in the file size. Any
 * inconsistency is a `MALFORMED` or `TRUNCATED` error, never another kind
 * of exception. Function bodies are skipped, not validated: compiling the
 * module is what validates code.
 *
 * @example Refusing a file that is not WebAssembly
 * ```ts
 * import { LoadError } from "../errors/plugin_error.ts";
 * import { readWasm } from "./read_wasm.ts";
 *
 * try {
 *   readWasm(new TextEncoder().encode("hello world\n"), "plugins/hello.wasm");
 * } catch (err) {
 *   if (err instanceof LoadError) console.log(err.code, err.found); // NOT_WASM text beginning "hello wo"
 * }
 * ```
 *
 * @module
 */

import { LoadError, PluginError } from "../errors/plugin_error.ts";
import { readNames, readNotes } from "./_custom.ts";
import { describeNonWasm } from "./_describe.ts";
import {
  createReader,
  type Cursor,
  expectEnd,
  fail,
  hex,
  malformed,
  MALFORMED_HINT,
  name,
  type Reader,
  TRUNCATED_HINT,
  uleb,
} from "./_reader.ts";
import { checkModule, emptyModule, type Module, SECTIONS } from "./_sections.ts";

/**
 * A WebAssembly value type the reader understands: the numeric types,
 * `v128` (SIMD) and the two reference types of WebAssembly 2.0.
 *
 * @example
 * ```ts
 * import type { WasmValueType } from "./read_wasm.ts";
 *
 * const pointer: WasmValueType = "i32"; // a wasm32 address
 * console.log(pointer);
 * ```
 */
export type WasmValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";

/**
 * The element type of a table.
 *
 * @example
 * ```ts
 * import type { WasmRefType } from "./read_wasm.ts";
 *
 * const element: WasmRefType = "funcref"; // the table C function pointers index
 * console.log(element);
 * ```
 */
export type WasmRefType = Extract<WasmValueType, "funcref" | "externref">;

/**
 * A function type: parameter and result types.
 *
 * @example Writing a type as WAT does
 * ```ts
 * import type { WasmFunctionType } from "./read_wasm.ts";
 *
 * const add: WasmFunctionType = { params: ["f64", "f64"], results: ["f64"] };
 * console.log(`(param ${add.params.join(" ")}) (result ${add.results.join(" ")})`);
 * ```
 */
export interface WasmFunctionType {
  /** Parameter types, in order. */
  params: WasmValueType[];
  /** Result types, in order (more than one with multi-value). */
  results: WasmValueType[];
}

/**
 * The size limits of a table (in elements) or memory (in 64 KiB pages).
 *
 * @example
 * ```ts
 * import type { WasmLimits } from "./read_wasm.ts";
 *
 * const limits: WasmLimits = { initial: 2, maximum: undefined };
 * console.log(limits.initial * 65536, "bytes at start");
 * ```
 */
export interface WasmLimits {
  /** The initial size. */
  initial: number;
  /** The maximum size, or `undefined` when the module sets none. */
  maximum: number | undefined;
}

/**
 * A memory's type: limits in 64 KiB pages and its flags.
 *
 * @example
 * ```ts
 * import type { WasmMemoryType } from "./read_wasm.ts";
 *
 * const memory: WasmMemoryType = { initial: 2, maximum: 16, shared: false, memory64: false };
 * console.log(memory.memory64 ? "wasm64" : "wasm32");
 * ```
 */
export interface WasmMemoryType extends WasmLimits {
  /** A shared memory (the threads proposal); it always has a maximum. */
  shared: boolean;
  /** Addressed with i64 (the memory64 proposal). */
  memory64: boolean;
}

/**
 * A table's type: element type and limits.
 *
 * @example
 * ```ts
 * import type { WasmTableType } from "./read_wasm.ts";
 *
 * const table: WasmTableType = { element: "funcref", initial: 4, maximum: 4 };
 * console.log(table.element, table.initial);
 * ```
 */
export interface WasmTableType extends WasmLimits {
  /** What the table holds. */
  element: WasmRefType;
}

/**
 * A global's type.
 *
 * @example
 * ```ts
 * import type { WasmGlobalType } from "./read_wasm.ts";
 *
 * const stackPointer: WasmGlobalType = { type: "i32", mutable: true };
 * console.log(stackPointer);
 * ```
 */
export interface WasmGlobalType {
  /** The value type. */
  type: WasmValueType;
  /** Whether `global.set` may change it. */
  mutable: boolean;
}

/**
 * The kinds of things a module imports and exports.
 *
 * @example
 * ```ts
 * import type { WasmExternKind } from "./read_wasm.ts";
 *
 * const kind: WasmExternKind = "memory";
 * console.log(kind);
 * ```
 */
export type WasmExternKind = "function" | "table" | "memory" | "global" | "tag";

/**
 * One import: module and name, then what is imported.
 *
 * @example Listing the WASI functions a module needs
 * ```ts
 * import type { WasmImport } from "./read_wasm.ts";
 *
 * const imports: WasmImport[] = [{
 *   module: "wasi_snapshot_preview1",
 *   name: "fd_write",
 *   kind: "function",
 *   typeIndex: 2,
 *   type: { params: ["i32", "i32", "i32", "i32"], results: ["i32"] },
 * }];
 * const wasi = imports.filter((i) => i.module.startsWith("wasi_"));
 * console.log(wasi.map((i) => i.name)); // [ "fd_write" ]
 * ```
 */
export type WasmImport =
  & {
    /** The module name, e.g. "env" or "wasi_snapshot_preview1". */
    module: string;
    /** The name within that module. */
    name: string;
  }
  & (
    | {
      /** A function. */
      kind: "function";
      /** The index of its type in {@linkcode WasmInfo.types}. */
      typeIndex: number;
      /** Its type. */
      type: WasmFunctionType;
    }
    | {
      /** A table. */
      kind: "table";
      /** Its type. */
      table: WasmTableType;
    }
    | {
      /** A memory. */
      kind: "memory";
      /** Its type. */
      memory: WasmMemoryType;
    }
    | {
      /** A global. */
      kind: "global";
      /** Its type. */
      global: WasmGlobalType;
    }
    | {
      /** An exception tag. */
      kind: "tag";
      /** The index of its type in {@linkcode WasmInfo.types}. */
      typeIndex: number;
    }
  );

/**
 * One export: name, kind and index in that kind's index space (imports
 * first), and for a function its type.
 *
 * @example Finding what a plugin exports as functions
 * ```ts
 * import type { WasmExport } from "./read_wasm.ts";
 *
 * const exports: WasmExport[] = [
 *   { name: "memory", kind: "memory", index: 0 },
 *   { name: "apply", kind: "function", index: 7, type: { params: ["f64", "f64"], results: ["f64"] } },
 * ];
 * for (const e of exports) if (e.kind === "function") console.log(e.name, e.type.params);
 * ```
 */
export type WasmExport =
  & {
    /** The export name (unique in the module). */
    name: string;
    /** The index in its kind's index space, imported ones counted first. */
    index: number;
  }
  & (
    | {
      /** A function. */
      kind: "function";
      /** Its type, looked up through the function's type index. */
      type: WasmFunctionType;
    }
    | {
      /** Anything else. */
      kind: Exclude<WasmExternKind, "function">;
    }
  );

/**
 * Where an item of an index space comes from and what it is exported as.
 *
 * @example
 * ```ts
 * import type { WasmItem } from "./read_wasm.ts";
 *
 * const item: WasmItem = { index: 0, imported: false, exportedAs: ["memory"] };
 * console.log(item.exportedAs.includes("memory"));
 * ```
 */
export interface WasmItem {
  /** The index in its index space, imported ones first. */
  index: number;
  /** Whether it is imported (then the host must provide it). */
  imported: boolean;
  /** The names it is exported under, in export order (often one or none). */
  exportedAs: string[];
}

/**
 * A memory of the module.
 *
 * @example Finding the memory a host reads and writes
 * ```ts ignore
 * import { readWasm } from "./read_wasm.ts";
 *
 * const info = readWasm(await Deno.readFile("build/wasm/greeter.wasm"), "greeter.wasm");
 * const memory = info.memories.find((m) => m.exportedAs.includes("memory"));
 * console.log(memory?.initial, "pages");
 * ```
 */
export type WasmMemory = WasmMemoryType & WasmItem;

/**
 * A table of the module.
 *
 * @example
 * ```ts ignore
 * import { readWasm } from "./read_wasm.ts";
 *
 * const info = readWasm(await Deno.readFile("build/wasm/greeter.wasm"), "greeter.wasm");
 * const table = info.tables.find((t) => t.exportedAs.includes("__indirect_function_table"));
 * console.log(table ? "function table exported" : "link with -Wl,--export-table");
 * ```
 */
export type WasmTable = WasmTableType & WasmItem;

/**
 * A global of the module.
 *
 * @example
 * ```ts
 * import type { WasmGlobal } from "./read_wasm.ts";
 *
 * const g: WasmGlobal = { type: "i32", mutable: true, index: 0, imported: false, exportedAs: [] };
 * console.log(g.mutable);
 * ```
 */
export type WasmGlobal = WasmGlobalType & WasmItem;

/**
 * A data segment: bytes copied into a memory at instantiation (active) or
 * by `memory.init` (passive).
 *
 * @example Where the read-only data of a plugin lands in memory
 * ```ts ignore
 * import { readWasm } from "./read_wasm.ts";
 *
 * const info = readWasm(await Deno.readFile("build/wasm/greeter.wasm"), "greeter.wasm");
 * for (const d of info.dataSegments) console.log(d.name, d.offset, d.size);
 * ```
 */
export interface WasmDataSegment {
  /** The segment's index. */
  index: number;
  /** Active segments are copied at instantiation; passive ones on request. */
  mode: "active" | "passive";
  /** The memory an active segment fills; -1 for a passive one. */
  memory: number;
  /** The address of an active segment whose offset is one constant; else `undefined`. */
  offset: number | undefined;
  /** Its size in bytes. */
  size: number;
  /** The file offset of its bytes. */
  fileOffset: number;
  /** Its name from the `name` section (wasm-ld writes ".rodata", ".data"...), if any. */
  name: string | undefined;
}

/**
 * A custom section: its name and where its payload is.
 *
 * @example Reading a custom section's bytes
 * ```ts
 * import type { WasmCustomSection } from "./read_wasm.ts";
 *
 * const bytes = new Uint8Array(64);
 * const section: WasmCustomSection = { name: "producers", offset: 20, size: 35 };
 * const payload = bytes.subarray(section.offset, section.offset + section.size);
 * console.log(payload.length); // 35
 * ```
 */
export interface WasmCustomSection {
  /** The section's name, e.g. "name", "producers", "plugboard". */
  name: string;
  /** File offset of the payload (the bytes after the name). */
  offset: number;
  /** Payload size in bytes. */
  size: number;
}

/**
 * A note record of a `plugboard` custom section, in the shape of `ElfNote`
 * (`src/elf/read_elf.ts`), so one metadata reader takes both. `vaddr` is
 * always -1: custom sections are not loaded into linear memory.
 *
 * @example Reading a note's text
 * ```ts
 * import type { WasmNote } from "./read_wasm.ts";
 *
 * const note: WasmNote = {
 *   owner: "plugboard",
 *   type: 1,
 *   desc: new TextEncoder().encode("abi=1.0\n\0"),
 *   vaddr: -1,
 *   offset: 0x2f0,
 *   size: 32,
 * };
 * console.log(new TextDecoder().decode(note.desc).replace(/\0+$/, "")); // abi=1.0
 * ```
 */
export interface WasmNote {
  /** The owner (name) field without its terminating NUL, e.g. "plugboard". */
  owner: string;
  /** The note type, whose meaning depends on the owner (plugboard: 1 to 4). */
  type: number;
  /** The descriptor bytes: a view into the input, not a copy. */
  desc: Uint8Array;
  /** -1: not in linear memory (where ELF has the note's virtual address). */
  vaddr: -1;
  /** File offset of the start of the record. */
  offset: number;
  /** Record length: 12 + padded name + padded descriptor. */
  size: number;
}

/**
 * Sizes, for `inspect` and for deciding whether a module is worth compiling.
 *
 * @example
 * ```ts
 * import type { WasmSummary } from "./read_wasm.ts";
 *
 * const s: WasmSummary = {
 *   size: 1457,
 *   functions: 9,
 *   importedFunctions: 0,
 *   codeBytes: 700,
 *   dataSegments: 1,
 *   dataBytes: 40,
 *   elementSegments: 1,
 *   customBytes: 420,
 * };
 * console.log(`${s.functions} functions, ${s.codeBytes} bytes of code`);
 * ```
 */
export interface WasmSummary {
  /** The file size. */
  size: number;
  /** Functions, imported ones included. */
  functions: number;
  /** Imported functions. */
  importedFunctions: number;
  /** Bytes of function bodies. */
  codeBytes: number;
  /** Data segments. */
  dataSegments: number;
  /** Bytes of data segments. */
  dataBytes: number;
  /** Element segments. */
  elementSegments: number;
  /** Bytes of custom section payloads. */
  customBytes: number;
}

/**
 * What {@linkcode readWasm} found in a module.
 *
 * @example What a plugin needs from its host
 * ```ts ignore
 * import { readWasm } from "./read_wasm.ts";
 *
 * const info = readWasm(await Deno.readFile("build/wasm/greeter.wasm"), "greeter.wasm");
 * console.log(info.imports.map((i) => `${i.module}.${i.name}`));
 * console.log(info.exports.filter((e) => e.kind === "function").map((e) => e.name));
 * console.log(info.notes.length, "plugboard notes");
 * ```
 */
export interface WasmInfo {
  /** The binary format version: always 1 (a core module). */
  version: 1;
  /** The module's name from the `name` section, if any. */
  name: string | undefined;
  /** The type section: function types by index. */
  types: WasmFunctionType[];
  /** The import section, in order. */
  imports: WasmImport[];
  /** The export section, in order. */
  exports: WasmExport[];
  /** Memories, imported ones first. */
  memories: WasmMemory[];
  /** Tables, imported ones first. */
  tables: WasmTable[];
  /** Globals, imported ones first. */
  globals: WasmGlobal[];
  /** How many exception tags, imported ones included. */
  tags: number;
  /** The start function's index, run at instantiation, if any. */
  start: number | undefined;
  /** The data section, in order. */
  dataSegments: WasmDataSegment[];
  /** Every custom section, in file order (a name may repeat). */
  customSections: WasmCustomSection[];
  /** The records of every `plugboard` custom section, in file order. */
  notes: WasmNote[];
  /** Sizes and counts. */
  summary: WasmSummary;
}

/**
 * Read and check a WebAssembly module's bytes. Checks come in this order,
 * each failing with a {@linkcode LoadError}: the magic (`NOT_WASM`), the
 * header size (`TRUNCATED`), the version (`MALFORMED`: a component, or a
 * version other than 1), then each section in turn: its extent
 * (`TRUNCATED` when it runs past the end of the file), its place in the
 * section order and its content (`MALFORMED`), then what spans sections.
 * Nothing is compiled or run.
 *
 * @example Refusing a WebAssembly component
 * ```ts
 * import { LoadError } from "../errors/plugin_error.ts";
 * import { readWasm } from "./read_wasm.ts";
 *
 * const component = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
 * try {
 *   readWasm(component, "plugin.wasm");
 * } catch (err) {
 *   if (err instanceof LoadError) console.log(err.code, err.found); // MALFORMED a WebAssembly component ...
 * }
 * ```
 *
 * @example Listing a plugin's exported functions and their types
 * ```ts ignore
 * import { readWasm } from "./read_wasm.ts";
 *
 * const path = "build/wasm/calc_add.wasm";
 * const info = readWasm(await Deno.readFile(path), path);
 * for (const e of info.exports) {
 *   if (e.kind === "function") console.log(e.name, e.type.params, "->", e.type.results);
 * }
 * ```
 *
 * @param bytes the whole file
 * @param path the file's path, for error messages
 * @returns the module's structure and its plugboard notes
 * @throws {LoadError} `NOT_WASM`, `TRUNCATED` or `MALFORMED`
 */
export function readWasm(bytes: Uint8Array, path: string): WasmInfo {
  const r = createReader(bytes, path);
  try {
    checkHeader(r);
    return parse(r);
  } catch (err) {
    if (err instanceof PluginError) throw err;
    // A gap in the checks must not let a RangeError or TypeError out.
    throw new LoadError("MALFORMED", {
      path,
      what: "malformed WebAssembly module",
      expected: "a consistent WebAssembly module",
      found: `an inconsistency the checks missed (${String(err)})`,
      hint: MALFORMED_HINT,
      cause: err,
    });
  }
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const HEADER_SIZE = 8;

const COMPONENT_HINT = "plugboard loads WebAssembly core modules: build the plugin as a " +
  "module (`clang --target=wasm32`, or Rust's wasm32-unknown-unknown / wasm32-wasip1 targets), " +
  "not as a component (wasm32-wasip2, `wasm-tools component new`)";

/** Magic, header size and version: all that is read of a file that is not a core module. */
function checkHeader(r: Reader) {
  const b = r.bytes;
  const prefix = Math.min(r.size, 4);
  let magic = prefix > 0;
  for (let i = 0; i < prefix; i++) magic &&= b[i] === MAGIC[i];
  if (!magic) {
    const { found, hint } = describeNonWasm(b);
    fail(
      r,
      "NOT_WASM",
      "not a WebAssembly module",
      "a WebAssembly module (beginning 00 61 73 6d)",
      found,
      hint,
    );
  }
  if (r.size < HEADER_SIZE) {
    fail(
      r,
      "TRUNCATED",
      "truncated WebAssembly module (header)",
      `${HEADER_SIZE} bytes`,
      `${r.size} byte${r.size === 1 ? "" : "s"}`,
      TRUNCATED_HINT,
    );
  }
  const version = r.view.getUint16(4, true);
  const layer = r.view.getUint16(6, true);
  if (layer === 1) {
    fail(
      r,
      "MALFORMED",
      "not a WebAssembly core module",
      "a core module (version 1, layer 0)",
      `a WebAssembly component (version ${hex(version)}, layer 1)`,
      COMPONENT_HINT,
    );
  }
  if (version !== 1 || layer !== 0) {
    fail(
      r,
      "MALFORMED",
      "unsupported WebAssembly version",
      "version 1",
      `version ${r.view.getUint32(4, true)} (bytes ${
        Array.from(b.subarray(4, 8), (x) => x.toString(16).padStart(2, "0")).join(" ")
      })`,
      "rebuild the plugin with a toolchain that writes WebAssembly 1.0 binaries " +
        "(every current one does)",
    );
  }
}

const SECTION_ORDER = [...SECTIONS.values()].sort((a, b) => a.order - b.order)
  .map((s) => s.name).join(", ");

/** Every section after the header, then the checks across sections. */
function parse(r: Reader): WasmInfo {
  const m: Module = emptyModule();
  const customSections: WasmCustomSection[] = [];
  const notes: WasmNote[] = [];
  let names: ReturnType<typeof readNames> | undefined;
  let last: { name: string; order: number } | undefined;
  const seen = new Set<number>();
  const header: Cursor = { pos: HEADER_SIZE, end: r.size, where: "", isFile: true };
  while (header.pos < r.size) {
    const start = header.pos;
    const id = r.bytes[header.pos++];
    const kind = SECTIONS.get(id);
    const label = id === 0 ? "custom section" : kind ? `${kind.name} section` : `section ${id}`;
    header.where = `${label} at offset ${hex(start)}`;
    const size = uleb(r, header, "section size");
    const left = r.size - header.pos;
    if (size > left) {
      fail(
        r,
        "TRUNCATED",
        `truncated WebAssembly module (${header.where})`,
        `${size} bytes of content`,
        `${left} byte${left === 1 ? "" : "s"} left in the file`,
        TRUNCATED_HINT,
      );
    }
    const c: Cursor = {
      pos: header.pos,
      end: header.pos + size,
      where: header.where,
      isFile: false,
    };
    header.pos = c.end;
    if (id === 0) {
      const sectionName = name(r, c, "custom section name");
      const section = { name: sectionName, offset: c.pos, size: c.end - c.pos };
      customSections.push(section);
      if (sectionName === "plugboard") readNotes(r, c.pos, c.end, notes);
      // The spec allows one name section; a second is ignored, as engines do.
      else if (sectionName === "name" && names === undefined) {
        names = readNames(r.bytes, c.pos, c.end);
      }
      continue;
    }
    if (kind === undefined) {
      malformed(r, `section at offset ${hex(start)}`, "a section id from 0 to 13", `id ${id}`);
    }
    if (seen.has(id)) {
      malformed(r, header.where, `at most one ${kind.name} section`, "a second one");
    }
    if (last !== undefined && kind.order < last.order) {
      malformed(
        r,
        header.where,
        `sections in the order ${SECTION_ORDER}`,
        `the ${kind.name} section after the ${last.name} section`,
      );
    }
    seen.add(id);
    last = kind;
    kind.read(r, c, m);
    expectEnd(r, c);
  }
  checkModule(r, m);

  if (names) {
    for (const segment of m.dataSegments) segment.name = names.dataSegments.get(segment.index);
  }
  return {
    version: 1,
    name: names?.module,
    types: m.types,
    imports: m.imports,
    exports: m.exports,
    memories: m.memories,
    tables: m.tables,
    globals: m.globals,
    tags: m.tags,
    start: m.start,
    dataSegments: m.dataSegments,
    customSections,
    notes,
    summary: {
      size: r.size,
      functions: m.functionTypes.length,
      importedFunctions: m.importedFunctions,
      codeBytes: m.codeBytes,
      dataSegments: m.dataSegments.length,
      dataBytes: m.dataSegments.reduce((n, d) => n + d.size, 0),
      elementSegments: m.elementSegments,
      customBytes: customSections.reduce((n, s) => n + s.size, 0),
    },
  };
}

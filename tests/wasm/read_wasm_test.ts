import assert from "node:assert/strict";
import { type ErrorCode, LoadError } from "../../src/errors/plugin_error.ts";
import { readWasm, type WasmInfo } from "../../src/wasm/read_wasm.ts";
import {
  type Bytes,
  custom,
  EMPTY_BODY,
  fullModule,
  funcType,
  HEADER,
  i32Const,
  module,
  note,
  S,
  section,
  str,
  T,
  u32,
  uleb,
  vec,
} from "./_builder.ts";

const PATH = "plugin.wasm";
const MALFORMED_HINT = "the file is corrupt or was not produced by a standard WebAssembly " +
  "toolchain; rebuild the plugin with `clang --target=wasm32` and wasm-ld";
const TRUNCATED_HINT = "the file was cut short (an interrupted build, copy or download); " +
  "rebuild it or copy it again";

/** Run `fn`, which must throw a LoadError, and return the error. */
function loadError(fn: () => unknown): LoadError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LoadError, `expected a LoadError, got ${err}`);
    return err;
  }
  assert.fail("expected readWasm() to throw");
}

Deno.test("readWasm() reads every section of a hand-assembled module", () => {
  const bytes = fullModule();
  const info = readWasm(bytes, PATH);
  const type = (i: number) => info.types[i];
  assert.deepEqual(info.types, [
    { params: [], results: [] },
    { params: ["i32", "i32"], results: ["i32"] },
    { params: ["f64"], results: ["f64", "i32"] },
    { params: ["v128", "funcref", "externref", "i64", "f32"], results: [] },
  ]);
  assert.deepEqual(info.imports, [
    { module: "env", name: "log", kind: "function", typeIndex: 1, type: type(1) },
    {
      module: "env",
      name: "table",
      kind: "table",
      table: { element: "funcref", initial: 1, maximum: 10 },
    },
    {
      module: "env",
      name: "memory",
      kind: "memory",
      memory: { initial: 1, maximum: 2, shared: true, memory64: false },
    },
    { module: "env", name: "g", kind: "global", global: { type: "i32", mutable: false } },
    { module: "env", name: "oops", kind: "tag", typeIndex: 3 },
  ]);
  // Function 0 is the import; functions 1 to 3 have types 0, 1, 2.
  assert.deepEqual(info.exports, [
    { name: "run", kind: "function", index: 2, type: type(1) },
    { name: "log", kind: "function", index: 0, type: type(1) },
    { name: "memory", kind: "memory", index: 0 },
    { name: "memory64", kind: "memory", index: 1 },
    { name: "also_memory", kind: "memory", index: 0 },
    { name: "refs", kind: "table", index: 1 },
    { name: "counter", kind: "global", index: 1 },
    { name: "oops", kind: "tag", index: 1 },
  ]);
  assert.equal(info.exports[0].kind === "function" && info.exports[0].type, type(1));
  assert.deepEqual(info.memories, [
    {
      initial: 1,
      maximum: 2,
      shared: true,
      memory64: false,
      index: 0,
      imported: true,
      exportedAs: ["memory", "also_memory"],
    },
    {
      initial: 1,
      maximum: undefined,
      shared: false,
      memory64: true,
      index: 1,
      imported: false,
      exportedAs: ["memory64"],
    },
    {
      initial: 0,
      maximum: 65536,
      shared: false,
      memory64: false,
      index: 2,
      imported: false,
      exportedAs: [],
    },
  ]);
  assert.deepEqual(info.tables, [
    { element: "funcref", initial: 1, maximum: 10, index: 0, imported: true, exportedAs: [] },
    {
      element: "externref",
      initial: 0,
      maximum: undefined,
      index: 1,
      imported: false,
      exportedAs: ["refs"],
    },
  ]);
  assert.deepEqual(info.globals, [
    { type: "i32", mutable: false, index: 0, imported: true, exportedAs: [] },
    { type: "i64", mutable: true, index: 1, imported: false, exportedAs: ["counter"] },
    { type: "f32", mutable: false, index: 2, imported: false, exportedAs: [] },
    { type: "i32", mutable: false, index: 3, imported: false, exportedAs: [] },
  ]);
  assert.equal(info.tags, 2);
  assert.equal(info.start, 1);
  assert.equal(info.version, 1);
  assert.equal(info.name, "demo");
  const dataAt = (text: string) => indexOf(bytes, text);
  assert.deepEqual(info.dataSegments, [
    {
      index: 0,
      mode: "active",
      memory: 0,
      offset: 1024,
      size: 5,
      fileOffset: dataAt("hello"),
      name: ".rodata",
    },
    {
      index: 1,
      mode: "passive",
      memory: -1,
      offset: undefined,
      size: 2,
      fileOffset: dataAt("xy"),
      name: undefined,
    },
    {
      index: 2,
      mode: "active",
      memory: 1,
      offset: undefined,
      size: 0,
      // After "xy" and segment 2's flags, memory, offset and size.
      fileOffset: dataAt("xy") + 2 + 6,
      name: ".data",
    },
  ]);
  assert.deepEqual(info.customSections.map((s) => s.name), [
    "plugboard",
    "name",
    "plugboard",
    "plugboard",
  ]);
  for (const s of info.customSections) {
    // The payload comes right after the section's name.
    const nameEnd = s.offset - s.name.length;
    assert.equal(new TextDecoder().decode(bytes.subarray(nameEnd, s.offset)), s.name);
  }
  assert.equal(info.customSections[3].size, 0);
  assert.equal(info.customSections[0].offset, HEADER.length + 2 + 10);
  assert.deepEqual(
    info.notes.map((n) => ({ ...n, desc: new TextDecoder().decode(n.desc) })),
    [
      {
        owner: "plugboard",
        type: 1,
        desc: "abi=1.0\nname=demo\n\0",
        vaddr: -1,
        offset: info.customSections[0].offset,
        size: 12 + 12 + 20,
      },
      {
        owner: "other",
        type: 9,
        desc: "x\0",
        vaddr: -1,
        offset: info.customSections[0].offset + 44,
        size: 12 + 8 + 4,
      },
      {
        owner: "plugboard",
        type: 3,
        desc: "interface=demo\n\0",
        vaddr: -1,
        offset: info.customSections[2].offset,
        size: 12 + 12 + 16,
      },
    ],
  );
  for (const n of info.notes) assert.equal(n.desc.buffer, bytes.buffer, "a view, not a copy");
  assert.deepEqual(info.summary, {
    size: bytes.length,
    functions: 4,
    importedFunctions: 1,
    codeBytes: 2 + 2 + 4,
    dataSegments: 3,
    dataBytes: 7,
    elementSegments: 2,
    customBytes: info.customSections.reduce((n, s) => n + s.size, 0),
  });
});

function indexOf(bytes: Uint8Array, text: string): number {
  const needle = new TextEncoder().encode(text);
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

Deno.test("readWasm() reads the smallest module: the header alone", () => {
  const info: WasmInfo = readWasm(module(), PATH);
  assert.deepEqual(info, {
    version: 1,
    name: undefined,
    types: [],
    imports: [],
    exports: [],
    memories: [],
    tables: [],
    globals: [],
    tags: 0,
    start: undefined,
    dataSegments: [],
    customSections: [],
    notes: [],
    summary: {
      size: 8,
      functions: 0,
      importedFunctions: 0,
      codeBytes: 0,
      dataSegments: 0,
      dataBytes: 0,
      elementSegments: 0,
      customBytes: 0,
    },
  });
});

Deno.test("readWasm() accepts what the spec allows and linkers write", async (t) => {
  await t.step("padded LEB128 integers (5-byte section sizes and counts)", () => {
    const content = [...uleb(1, 5), ...funcType([T.i32], [])];
    const bytes = new Uint8Array([...HEADER, S.type, ...uleb(content.length, 5), ...content]);
    assert.deepEqual(readWasm(bytes, PATH).types, [{ params: ["i32"], results: [] }]);
  });
  await t.step("a u32 of exactly 32 bits (memory maximum 65536 pages, table 2^32-1)", () => {
    const info = readWasm(
      module(section(S.table, vec([[T.funcref, 0x01, ...uleb(0), ...uleb(0xffff_ffff)]]))),
      PATH,
    );
    assert.equal(info.tables[0].maximum, 0xffff_ffff);
  });
  await t.step("negative and padded i32.const offsets", () => {
    const info = readWasm(
      module(
        section(S.memory, vec([[0x00, ...uleb(1)]])),
        section(
          S.data,
          vec([
            [0x00, 0x41, 0x7f, 0x0b, ...str("")], // -1
            [0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b, ...str("")], // 0, padded
            [0x00, 0x41, 0xff, 0xff, 0xff, 0xff, 0x07, 0x0b, ...str("")], // 2^31-1
          ]),
        ),
      ),
      PATH,
    );
    assert.deepEqual(info.dataSegments.map((d) => d.offset), [-1, 0, 0x7fff_ffff]);
  });
  await t.step("custom sections anywhere, with any valid UTF-8 name", () => {
    const info = readWasm(
      module(custom("", []), section(S.type, vec([])), custom("ünïcødé ✓", [1, 2, 3])),
      PATH,
    );
    assert.deepEqual(info.customSections, [
      { name: "", offset: 11, size: 0 },
      // 14 + id, size, name length and 15 bytes of UTF-8 name.
      { name: "ünïcødé ✓", offset: 32, size: 3 },
    ]);
  });
  await t.step("a name section it cannot read is ignored, as engines do", () => {
    const info = readWasm(
      module(custom("name", [0x00, 0x7f, 0x01]), custom("name", [0x00, 0x02, ...str("x")])),
      PATH,
    );
    assert.equal(info.name, undefined);
  });
  await t.step("a last note without its padding, as in ELF", () => {
    const record = note(2, "abc").slice(0, 12 + 12 + 4);
    const info = readWasm(module(custom("plugboard", record)), PATH);
    assert.equal(new TextDecoder().decode(info.notes[0].desc), "abc\0");
  });
});

interface Case {
  name: string;
  bytes: Uint8Array;
  code: ErrorCode;
  what: string;
  expected: string;
  found: string;
  hint?: string | RegExp;
}

/** A module whose first section is `id` with `content`, at offset 8. */
function one(id: number, content: Bytes, ...more: Bytes[]): Uint8Array {
  return module(section(id, content), ...more);
}

const ONE_FUNCTION = [
  section(S.type, vec([funcType([], [])])),
  section(S.function, vec([uleb(0)])),
];

const cases: Case[] = [
  {
    name: "an empty file",
    bytes: new Uint8Array(),
    code: "NOT_WASM",
    what: "not a WebAssembly module",
    expected: "a WebAssembly module (beginning 00 61 73 6d)",
    found: "an empty file",
    hint: /clang --target=wasm32/,
  },
  {
    name: "a text file",
    bytes: new TextEncoder().encode("hello world\n"),
    code: "NOT_WASM",
    what: "not a WebAssembly module",
    expected: "a WebAssembly module (beginning 00 61 73 6d)",
    found: 'text beginning "hello wo"',
  },
  {
    name: "WebAssembly text",
    bytes: new TextEncoder().encode(";; a plugin\n(module (func))\n"),
    code: "NOT_WASM",
    what: "not a WebAssembly module",
    expected: "a WebAssembly module (beginning 00 61 73 6d)",
    found: "WebAssembly text format (.wat)",
    hint: /wat2wasm/,
  },
  {
    name: "a native library",
    bytes: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
    code: "NOT_WASM",
    what: "not a WebAssembly module",
    expected: "a WebAssembly module (beginning 00 61 73 6d)",
    found: "an ELF file (a native library or program)",
    hint: "load a native plugin (.so) with openPlugin(), not as WebAssembly",
  },
  {
    name: "binary data",
    bytes: new Uint8Array([0x00, 0x61, 0x73, 0x00, 1, 2]),
    code: "NOT_WASM",
    what: "not a WebAssembly module",
    expected: "a WebAssembly module (beginning 00 61 73 6d)",
    found: "binary data beginning 00 61 73 00 01 02",
  },
  {
    name: "two bytes of the magic",
    bytes: new Uint8Array([0x00, 0x61]),
    code: "TRUNCATED",
    what: "truncated WebAssembly module (header)",
    expected: "8 bytes",
    found: "2 bytes",
    hint: TRUNCATED_HINT,
  },
  {
    name: "the magic without a version",
    bytes: new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01]),
    code: "TRUNCATED",
    what: "truncated WebAssembly module (header)",
    expected: "8 bytes",
    found: "5 bytes",
  },
  {
    name: "a component",
    bytes: new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]),
    code: "MALFORMED",
    what: "not a WebAssembly core module",
    expected: "a core module (version 1, layer 0)",
    found: "a WebAssembly component (version 0xd, layer 1)",
    hint: "plugboard loads WebAssembly core modules: build the plugin as a module " +
      "(`clang --target=wasm32`, or Rust's wasm32-unknown-unknown / wasm32-wasip1 targets), " +
      "not as a component (wasm32-wasip2, `wasm-tools component new`)",
  },
  {
    name: "version 2",
    bytes: new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]),
    code: "MALFORMED",
    what: "unsupported WebAssembly version",
    expected: "version 1",
    found: "version 2 (bytes 02 00 00 00)",
    hint: /WebAssembly 1.0/,
  },
  {
    name: "a section past the end of the file",
    bytes: new Uint8Array([...HEADER, S.type, 100, 0, 0, 0]),
    code: "TRUNCATED",
    what: "truncated WebAssembly module (type section at offset 0x8)",
    expected: "100 bytes of content",
    found: "3 bytes left in the file",
    hint: TRUNCATED_HINT,
  },
  {
    name: "a section size cut by the end of the file",
    bytes: new Uint8Array([...HEADER, S.code, 0x80]),
    code: "TRUNCATED",
    what: "truncated WebAssembly module (code section at offset 0x8)",
    expected: "a LEB128 integer (section size) at offset 0xa",
    found: "the end of the file at offset 0xa",
  },
  {
    name: "an unknown section id",
    bytes: one(14, []),
    code: "MALFORMED",
    what: "malformed WebAssembly module (section at offset 0x8)",
    expected: "a section id from 0 to 13",
    found: "id 14",
    hint: MALFORMED_HINT,
  },
  {
    name: "sections out of order",
    bytes: module(section(S.function, vec([])), section(S.import, vec([]))),
    code: "MALFORMED",
    what: "malformed WebAssembly module (import section at offset 0xb)",
    expected: "sections in the order type, import, function, table, memory, tag, global, " +
      "export, start, element, data count, code, data",
    found: "the import section after the function section",
  },
  {
    name: "the data count section after the code section",
    bytes: module(section(S.code, vec([])), section(S.dataCount, uleb(0))),
    code: "MALFORMED",
    what: "malformed WebAssembly module (data count section at offset 0xb)",
    expected: "sections in the order type, import, function, table, memory, tag, global, " +
      "export, start, element, data count, code, data",
    found: "the data count section after the code section",
  },
  {
    name: "two type sections",
    bytes: module(section(S.type, vec([])), section(S.type, vec([]))),
    code: "MALFORMED",
    what: "malformed WebAssembly module (type section at offset 0xb)",
    expected: "at most one type section",
    found: "a second one",
  },
  {
    name: "a LEB128 integer of 6 bytes",
    bytes: one(S.type, [0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
    code: "MALFORMED",
    what: "malformed WebAssembly module (types count at offset 0xa)",
    expected: "a u32 LEB128 integer of at most 5 bytes",
    found: "a longer encoding",
  },
  {
    name: "a LEB128 integer of more than 32 bits",
    bytes: one(S.type, [0xff, 0xff, 0xff, 0xff, 0x1f]),
    code: "MALFORMED",
    what: "malformed WebAssembly module (types count at offset 0xa)",
    expected: "a u32 LEB128 integer (last byte below 0x10)",
    found: "last byte 0x1f, a value of more than 32 bits",
  },
  {
    name: "an i32.const of more than 32 bits",
    bytes: module(
      section(S.memory, vec([[0x00, ...uleb(1)]])),
      section(S.data, vec([[0x00, 0x41, 0xff, 0xff, 0xff, 0xff, 0x4f, 0x0b, ...str("")]])),
    ),
    code: "MALFORMED",
    what: "malformed WebAssembly module (i32.const in the offset of data segment 0 at offset 0x12)",
    expected: "an s32 LEB128 integer of at most 5 bytes",
    found: "last byte 0x4f, a value of more than 32 bits",
  },
  {
    name: "a LEB128 integer past the end of its section",
    bytes: module(section(S.type, [0x80]), section(S.import, vec([]))),
    code: "MALFORMED",
    what: "malformed WebAssembly module (type section at offset 0x8)",
    expected: "a LEB128 integer (types count) inside it",
    found: "its end at offset 0xb",
  },
  {
    name: "a section longer than its content",
    bytes: one(S.type, [...vec([funcType([], [])]), 0x00]),
    code: "MALFORMED",
    what: "malformed WebAssembly module (type section at offset 0x8)",
    expected: "its content to end at offset 0xf, as its size says",
    found: "1 byte left over at offset 0xe",
  },
  {
    name: "a count of 2^32-1 in a 10-byte section",
    bytes: one(S.import, [...uleb(0xffff_ffff), 0, 0, 0, 0, 0]),
    code: "MALFORMED",
    what: "malformed WebAssembly module (import section at offset 0x8)",
    expected: "at most 1 imports in the 5 bytes left",
    found: "a count of 4294967295",
  },
  {
    name: "a parameter count larger than the section",
    bytes: one(S.type, [...vec([[0x60, ...uleb(1000), T.i32]])]),
    code: "MALFORMED",
    what: "malformed WebAssembly module (type 0)",
    expected: "at most 1 parameters in the 1 bytes left",
    found: "a parameter count of 1000",
  },
  {
    name: "a name longer than its section",
    bytes: one(S.import, vec([[...uleb(50), 0x61, 0, 0, 0]])),
    code: "MALFORMED",
    what: "malformed WebAssembly module (import section at offset 0x8)",
    expected: "50 bytes of module name of import 0 inside it",
    found: "its end at offset 0x10",
  },
  {
    name: "invalid UTF-8 in an import name",
    bytes: one(S.import, vec([[...str("env"), 0x02, 0xc3, 0x28, 0x00, 0x00]])),
    code: "MALFORMED",
    what: "malformed WebAssembly module (name of import 0 at offset 0xf)",
    expected: "UTF-8 text",
    found: "invalid UTF-8",
  },
  {
    name: "invalid UTF-8 in a custom section name",
    bytes: module(custom("x", []).map((b, i) => i === 3 ? 0xff : b)),
    code: "MALFORMED",
    what: "malformed WebAssembly module (custom section name at offset 0xa)",
    expected: "UTF-8 text",
    found: "invalid UTF-8",
  },
  {
    name: "a custom section name longer than the section",
    bytes: new Uint8Array([...HEADER, S.custom, 2, 5, 0x61, 0]),
    code: "MALFORMED",
    what: "malformed WebAssembly module (custom section at offset 0x8)",
    expected: "5 bytes of custom section name inside it",
    found: "its end at offset 0xc",
  },
  {
    name: "a function type of the GC proposal",
    bytes: one(S.type, vec([[0x4e, 0x00, 0x00]])),
    code: "MALFORMED",
    what: "malformed WebAssembly module (type 0 at offset 0xb)",
    expected: "a function type (0x60)",
    found: "0x4e (a recursive type group of the GC proposal)",
  },
  {
    name: "a typed function reference as a parameter",
    bytes: one(S.type, vec([funcType([0x63], [])])),
    code: "MALFORMED",
    what: "malformed WebAssembly module (parameter 0 of type 0 at offset 0xd)",
    expected: "a value type (i32 0x7f, i64 0x7e, f32 0x7d, f64 0x7c, v128 0x7b, funcref 0x70, " +
      "externref 0x6f)",
    found: "0x63 (a typed function reference)",
  },
  {
    name: "an import kind 5",
    bytes: one(S.import, vec([[...str("a"), ...str("b"), 0x05, 0x00]])),
    code: "MALFORMED",
    what: 'malformed WebAssembly module (import 0 ("a" "b") at offset 0xf)',
    expected: "an import kind from 0 to 4 (function, table, memory, global, tag)",
    found: "kind 0x5",
  },
  {
    name: "an imported function of a type that does not exist",
    bytes: one(S.import, vec([[...str("a"), ...str("b"), 0x00, ...uleb(3)]])),
    code: "MALFORMED",
    what: 'malformed WebAssembly module (import 0 ("a" "b") at offset 0x10)',
    expected: "no type index (the module has no type)",
    found: "index 3",
  },
  {
    name: "an export of a function that does not exist",
    bytes: module(...ONE_FUNCTION, section(S.export, vec([[...str("f"), 0x00, ...uleb(5)]]))),
    code: "MALFORMED",
    what: 'malformed WebAssembly module (export "f" at offset 0x18)',
    expected: "a function index below 1",
    found: "index 5",
  },
  {
    name: "two exports of the same name",
    bytes: module(
      ...ONE_FUNCTION,
      section(S.export, vec([[...str("f"), 0x00, 0x00], [...str("f"), 0x00, 0x00]])),
      section(S.code, vec([EMPTY_BODY])),
    ),
    code: "MALFORMED",
    what: 'malformed WebAssembly module (export "f" at offset 0x19)',
    expected: "unique export names",
    found: "a second export so named",
  },
  {
    name: "a start function with parameters",
    bytes: module(
      section(S.type, vec([funcType([T.i32], [])])),
      section(S.function, vec([uleb(0)])),
      section(S.start, uleb(0)),
      section(S.code, vec([EMPTY_BODY])),
    ),
    code: "MALFORMED",
    what: "malformed WebAssembly module (start section at offset 0x13)",
    expected: "a start function with no parameters and no results",
    found: "function 0 taking 1 and returning 0 values",
  },
  {
    name: "more functions than bodies",
    bytes: module(...ONE_FUNCTION),
    code: "MALFORMED",
    what: "malformed WebAssembly module (code section)",
    expected: "1 function body, one per function the function section declares",
    found: "0",
  },
  {
    name: "a data count that disagrees with the data section",
    bytes: module(section(S.dataCount, uleb(2))),
    code: "MALFORMED",
    what: "malformed WebAssembly module (data section)",
    expected: "2 data segments, as the data count section says",
    found: "0",
  },
  {
    name: "an active data segment without a memory",
    bytes: one(S.data, vec([[0x00, ...i32Const(0), ...str("")]])),
    code: "MALFORMED",
    what: "malformed WebAssembly module (data segment 0 at offset 0xc)",
    expected: "no memory index (the module has no memory)",
    found: "index 0",
  },
  {
    name: "a local.get in a constant expression",
    bytes: module(
      section(S.memory, vec([[0x00, ...uleb(1)]])),
      section(S.data, vec([[0x00, 0x20, 0x00, 0x0b, ...str("")]])),
    ),
    code: "MALFORMED",
    what: "malformed WebAssembly module (offset of data segment 0 at offset 0x11)",
    expected: "a constant instruction (i32/i64/f32/f64/v128.const, global.get, ref.null, " +
      "ref.func, i32/i64 add, sub or mul) or end (0x0b)",
    found: "opcode 0x20",
  },
  {
    name: "a memory whose maximum is below its initial size",
    bytes: one(S.memory, vec([[0x01, ...uleb(3), ...uleb(2)]])),
    code: "MALFORMED",
    what: "malformed WebAssembly module (memory 0 at offset 0xb)",
    expected: "a maximum size at least the initial size",
    found: "initial 3, maximum 2",
  },
  {
    name: "a 32-bit memory larger than 4 GiB",
    bytes: one(S.memory, vec([[0x00, ...uleb(65537)]])),
    code: "MALFORMED",
    what: "malformed WebAssembly module (memory 0 at offset 0xb)",
    expected: "initial size of at most 65536 pages (4 GiB)",
    found: "65537 pages",
  },
  {
    name: "a shared memory without a maximum",
    bytes: one(S.memory, vec([[0x02, ...uleb(1)]])),
    code: "MALFORMED",
    what: "malformed WebAssembly module (memory 0 at offset 0xb)",
    expected: "a maximum size for a shared memory",
    found: "none",
  },
  {
    name: "memory limits flags 8 (custom page sizes)",
    bytes: one(S.memory, vec([[0x08, ...uleb(1)]])),
    code: "MALFORMED",
    what: "malformed WebAssembly module (memory 0 at offset 0xb)",
    expected: "limits flags from 0 to 7 (bit 0 maximum, bit 1 shared, bit 2 memory64)",
    found: "flags 0x8",
  },
  {
    name: "a note longer than its plugboard section",
    bytes: module(custom("plugboard", [...u32(10), ...u32(100), ...u32(1), ...Array(12).fill(0)])),
    code: "MALFORMED",
    what: "malformed WebAssembly module (note at offset 0x14 in the plugboard section at " +
      "offset 0x14)",
    expected: "a note record inside the section's 24 bytes",
    found: "namesz 10 and descsz 100",
  },
  {
    name: "a plugboard section ending inside a note header",
    bytes: module(custom("plugboard", [...note(1, "abc"), 1, 2, 3, 4, 5])),
    code: "MALFORMED",
    what: "malformed WebAssembly module (note at offset 0x30 in the plugboard section at " +
      "offset 0x14)",
    expected: "a note record inside the section's 33 bytes",
    found: "5 bytes left",
  },
];

Deno.test("readWasm() refuses broken input with a LoadError that says why", async (t) => {
  for (const c of cases) {
    await t.step(c.name, () => {
      const err = loadError(() => readWasm(c.bytes, PATH));
      assert.equal(err.code, c.code, err.message);
      assert.equal(err.path, PATH);
      assert.equal(
        err.summary,
        `Cannot load plugin "${PATH}": ${c.what}: expected ${c.expected}, found ${c.found}`,
      );
      assert.equal(err.expected, c.expected);
      assert.equal(err.found, c.found);
      const hint = c.hint ?? (c.code === "MALFORMED" ? MALFORMED_HINT : undefined);
      if (typeof hint === "string") assert.equal(err.hint, hint);
      else if (hint) assert.match(err.hint ?? "", hint);
      assert.equal(err.cause, undefined, "the safety net caught it");
    });
  }
});

Deno.test("readWasm() refuses huge counts before allocating, in linear time", () => {
  // Counts of 2^32-1 in every kind of vector, each in a small section.
  const sections = [S.type, S.import, S.function, S.table, S.memory, S.global, S.export];
  const start = performance.now();
  for (const id of sections) {
    const err = loadError(() => readWasm(one(id, [...uleb(0xffff_ffff), 0, 0, 0, 0, 0]), PATH));
    assert.equal(err.code, "MALFORMED");
    assert.match(err.found, /a count of 4294967295/);
  }
  const refused = performance.now() - start;
  assert.ok(refused < 50, `refusing took ${refused.toFixed(0)} ms`);
  // A large, valid module: 100,000 exports of one function (1.1 MB).
  const exports: Bytes[] = [];
  for (let i = 0; i < 100_000; i++) exports.push([...str(`f${i}`), 0x00, 0x00]);
  const big = module(
    ...ONE_FUNCTION,
    section(S.export, vec(exports)),
    section(S.code, vec([EMPTY_BODY])),
  );
  const t0 = performance.now();
  const info = readWasm(big, PATH);
  const ms = performance.now() - t0;
  assert.equal(info.exports.length, 100_000);
  assert.ok(ms < 500, `reading ${big.length} bytes took ${ms.toFixed(0)} ms`);
});

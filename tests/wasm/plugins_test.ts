import assert from "node:assert/strict";
import { readMetadata } from "../../src/abi/read_metadata.ts";
import { readElf } from "../../src/elf/read_elf.ts";
import { readWasm, type WasmFunctionType, type WasmInfo } from "../../src/wasm/read_wasm.ts";
import { buildPlugin } from "../../tasks/build.ts";
import { BUILD, ROOT } from "../_paths.ts";
import {
  type Exports,
  getString,
  instantiate,
  NEEDS_TOOLCHAIN,
  putString,
  sample,
  WASI_TRAPS,
} from "./_build.ts";

const BUILD_ID = "0123456789abcdef";
const decoder = new TextDecoder();

async function read(path: string): Promise<WasmInfo> {
  return readWasm(await Deno.readFile(path), path);
}

const fn = (params: string[], results: string[]) => ({ params, results }) as WasmFunctionType;

/** The exports every plugin has, and their types. */
const SDK_EXPORTS = [
  { name: "memory", kind: "memory" },
  { name: "plugboard_take_error", kind: "function", type: fn([], ["i32"]) },
  { name: "plugboard_entry", kind: "function", type: fn([], ["i32"]) },
  { name: "plugboard_alloc", kind: "function", type: fn(["i32"], ["i32"]) },
  { name: "plugboard_free", kind: "function", type: fn(["i32", "i32"], []) },
];

/** The exports without their indexes, which depend on the linker. */
function exportsOf(info: WasmInfo) {
  return info.exports.map(({ index: _, ...e }) => e);
}

Deno.test(
  "the wasm32 samples export the SDK's functions and their own, typed",
  NEEDS_TOOLCHAIN,
  async (t) => {
    const table = { name: "__indirect_function_table", kind: "table" };
    const expected: Record<string, object[]> = {
      calc_add: [
        ...SDK_EXPORTS,
        { name: "name", kind: "function", type: fn([], ["i32"]) },
        { name: "apply", kind: "function", type: fn(["f64", "f64"], ["f64"]) },
        table,
      ],
      greeter: [
        ...SDK_EXPORTS,
        { name: "greet", kind: "function", type: fn(["i32"], ["i32"]) },
        table,
      ],
      myfunction: [
        ...SDK_EXPORTS,
        { name: "MyFunction", kind: "function", type: fn(["i32"], ["i32"]) },
        table,
      ],
    };
    for (const [name, exports] of Object.entries(expected)) {
      await t.step(name, async () => {
        const info = await read(await sample(name));
        assert.deepEqual(exportsOf(info), exports);
        assert.deepEqual(
          info.memories.map((m) => [m.exportedAs, m.shared, m.memory64, m.imported]),
          [
            [["memory"], false, false, false],
          ],
        );
        const [functionTable] = info.tables;
        assert.equal(functionTable.element, "funcref");
        assert.deepEqual(functionTable.exportedAs, ["__indirect_function_table"]);
        assert.equal(info.start, undefined, "no start function: nothing runs at instantiation");
        assert.deepEqual(info.customSections.filter((s) => s.name === "plugboard").length, 1);
      });
    }
  },
);

Deno.test(
  "a sample imports nothing; with wasi: true, the printf family imports 3 WASI functions",
  NEEDS_TOOLCHAIN,
  async () => {
    const wasi = (name: string, params: string[]) => ({
      module: "wasi_snapshot_preview1",
      name,
      kind: "function",
      typeIndex: undefined,
      type: fn(params, ["i32"]),
    });
    assert.deepEqual((await read(await sample("greeter"))).imports, []);
    const greeter = await read(await sample("greeter", { wasi: true }));
    assert.deepEqual(greeter.imports.map((i) => ({ ...i, typeIndex: undefined })), [
      wasi("fd_close", ["i32"]),
      wasi("fd_seek", ["i32", "i64", "i32", "i32"]),
      wasi("fd_write", ["i32", "i32", "i32", "i32"]),
    ]);
    assert.deepEqual((await read(await sample("myfunction"))).imports, []);
    assert.deepEqual((await read(await sample("calc_add"))).imports, []);
    assert.deepEqual((await read(await sample("calc_add", { libc: false }))).imports, []);
  },
);

Deno.test(
  "a wasm32 plugin carries the same plugboard notes as its ELF build",
  NEEDS_TOOLCHAIN,
  async (t) => {
    for (const name of ["greeter", "calc_add", "myfunction"]) {
      await t.step(name, async () => {
        const wasmPath = await sample(name, { buildId: BUILD_ID, libc: true });
        const soPath = `${BUILD}/wasm/elf/${name}.so`;
        await buildPlugin({
          source: `${ROOT}/plugins/${name}.c`,
          output: soPath,
          compiler: "clang",
          buildId: BUILD_ID,
        });
        const wasm = await read(wasmPath);
        const elf = readElf(await Deno.readFile(soPath), soPath);
        const records = (notes: typeof elf.notes) =>
          notes.filter((n) => n.owner === "plugboard").map((n) => ({
            type: n.type,
            size: n.size,
            text: decoder.decode(n.desc),
          }));
        assert.deepEqual(records(wasm.notes), records(elf.notes));
        assert.equal(wasm.notes.length, name === "greeter" ? 3 : name === "calc_add" ? 4 : 3);
        // Byte for byte: each record in the custom section equals the ELF one.
        const wasmBytes = await Deno.readFile(wasmPath);
        const elfBytes = await Deno.readFile(soPath);
        const plugboard = elf.notes.filter((n) => n.owner === "plugboard");
        wasm.notes.forEach((n, i) => {
          assert.deepEqual(
            wasmBytes.subarray(n.offset, n.offset + n.size),
            elfBytes.subarray(plugboard[i].offset, plugboard[i].offset + plugboard[i].size),
          );
        });
        // One metadata reader takes both.
        const fromWasm = readMetadata({ ...elf, notes: wasm.notes }, wasmPath);
        assert.deepEqual(fromWasm, readMetadata(elf, soPath));
        assert.equal(fromWasm.buildId, BUILD_ID);
        assert.match(fromWasm.compiler, /^clang 14\./);
      });
    }
  },
);

/** The descriptor plugboard_entry() returns, read from linear memory. */
function descriptor(e: Exports) {
  const at = e.plugboard_entry();
  const v = new DataView(e.memory.buffer);
  return {
    size: v.getUint32(at, true),
    abiMajor: v.getUint16(at + 4, true),
    abiMinor: v.getUint16(at + 6, true),
    init: v.getUint32(at + 8, true),
    shutdown: v.getUint32(at + 12, true),
    takeError: v.getUint32(at + 16, true),
  };
}

function call(e: Exports, tableIndex: number): number {
  const f = e.__indirect_function_table.get(tableIndex);
  assert.ok(f, `no function at table index ${tableIndex}`);
  return f();
}

Deno.test(
  "calc_add instantiates with no imports, with or without libc",
  NEEDS_TOOLCHAIN,
  async (t) => {
    for (const libc of [true, false]) {
      await t.step(libc ? "wasi-libc" : "no libc", async () => {
        const e = await instantiate(await sample("calc_add", { libc }));
        const d = descriptor(e);
        assert.deepEqual({ ...d, takeError: 0 }, {
          size: 20,
          abiMajor: 1,
          abiMinor: 0,
          init: 0,
          shutdown: 0,
          takeError: 0,
        });
        // No hook declared: no hook note, and table index 0 (a null function pointer).
        assert.deepEqual([d.init, d.shutdown], [0, 0]);
        assert.equal(e.apply(2, 3), 5);
        assert.equal(e.apply(0.5, 0.25), 0.75);
        assert.equal(getString(e, e.name()), "+");
        assert.equal(call(e, d.takeError), 0, "no pending error");
      });
    }
  },
);

Deno.test(
  "greeter greets a string copied in through plugboard_alloc",
  NEEDS_TOOLCHAIN,
  async () => {
    const e = await instantiate(await sample("greeter"), WASI_TRAPS);
    descriptor(e);
    const [address, size] = putString(e, "Ada");
    assert.equal(getString(e, e.greet(address)), "Hello, Ada");
    e.plugboard_free(address, size);
    const [again] = putString(e, "Grace Hopper");
    assert.equal(again, address, "the freed block is reused");
    assert.equal(getString(e, e.greet(again)), "Hello, Grace Hopper");
  },
);

Deno.test(
  "myfunction reports its error through plugboard_take_error",
  NEEDS_TOOLCHAIN,
  async () => {
    const e = await instantiate(await sample("myfunction"));
    const d = descriptor(e);
    const [hello] = putString(e, "hello");
    assert.equal(e.MyFunction(hello), 42);
    assert.equal(e.plugboard_take_error(), 0);
    const [empty] = putString(e, "");
    assert.equal(e.MyFunction(empty), 1);
    const error = call(e, d.takeError);
    const v = new DataView(e.memory.buffer);
    assert.deepEqual(
      { code: v.getInt32(error, true), length: v.getUint32(error + 4, true) },
      { code: 1, length: 14 },
    );
    assert.equal(getString(e, error + 8), "input is empty");
    assert.equal(e.plugboard_take_error(), 0, "taking the error clears it");
  },
);

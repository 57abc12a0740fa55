/**
 * WebAssembly modules in the check pipeline: metadata read without
 * compiling, the runtime's exports required, and every export's type
 * checked against its declared signature before anything runs.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../_assert.ts";
import {
  checkPlugin,
  defineInterface,
  inspectPlugin,
  LoadError,
  openPlugin,
  openPluginSync,
} from "../../mod.ts";
import { wasmFunctionType } from "../../src/check/formats.ts";
import { parseSignature } from "../../src/abi/signature.ts";
import { built } from "./_build.ts";
import { funcType, module, S, section, str, T, uleb, vec } from "./_builder.ts";
import { fn, pluginModule, RUNTIME } from "./_modules.ts";

const dir = Deno.realPathSync(await Deno.makeTempDir({ prefix: "plugboard-wasm-format-" }));
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const Add = defineInterface("demo.add", "1.0", { add: "i32 add(i32 a, i32 b)" });

function write(name: string, bytes: Uint8Array): string {
  const path = `${dir}/${name}`;
  Deno.writeFileSync(path, bytes, { mode: 0o644 });
  return path;
}

Deno.test("wasmFunctionType() lowers signatures to wasm32 value types", () => {
  const cases: [string, string[], string[]][] = [
    ["i32 add(i32 a, i32 b)", ["i32", "i32"], ["i32"]],
    ["cstring greet(cstring name)", ["i32"], ["i32"]],
    ["void f(bool a, i8 b, u16 c, u32 d)", ["i32", "i32", "i32", "i32"], []],
    ["u64 f(i64 a, usize b, isize c)", ["i64", "i32", "i32"], ["i64"]],
    ["f32 f(f64 a, buffer b, pointer c)", ["f64", "i32", "i32"], ["f32"]],
  ];
  for (const [text, params, results] of cases) {
    assertEquals(wasmFunctionType(parseSignature(text)), { params, results }, text);
  }
});

Deno.test("metadata is read without compiling: a module whose code is invalid still inspects", async () => {
  const bytes = await Deno.readFile(await built("calc_add"));
  // The first instruction of a function body becomes an i32.add with nothing to add:
  // well formed, but invalid code.
  const info = (await import("../../src/wasm/read_wasm.ts")).readWasm(bytes, "x");
  assert(info.summary.codeBytes > 0);
  const broken = bytes.slice();
  const code = findCodeBody(broken);
  broken[code] = 0x6a;
  const path = write("broken_code.wasm", broken);
  const real = WebAssembly.Module;
  let compiled = 0;
  (WebAssembly as { Module: unknown }).Module = function (...args: unknown[]) {
    compiled++;
    return Reflect.construct(real, args);
  };
  try {
    const report = inspectPlugin(path);
    assertEquals([report.kind, report.name, report.problems], ["wasm", "calc-add", []]);
    checkPlugin(path);
    assertEquals(compiled, 0, "nothing was compiled by the checks");
  } finally {
    (WebAssembly as { Module: unknown }).Module = real;
  }
  const err = assertThrows(() => openPluginSync(path), LoadError);
  assertEquals(err.code, "MALFORMED");
  assertMatch(
    err.summary,
    /^Cannot load plugin ".*broken_code\.wasm": the module does not compile: expected valid WebAssembly code, found /,
  );
});

/** The offset of the first instruction of the first function body with no locals. */
function findCodeBody(bytes: Uint8Array): number {
  let pos = 8;
  const leb = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b & 0x80)) return v;
    }
  };
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const size = leb();
    const end = pos + size;
    if (id === 10) {
      const n = leb();
      for (let i = 0; i < n; i++) {
        const bodySize = leb();
        const bodyEnd = pos + bodySize;
        if (bytes[pos] === 0) return pos + 1;
        pos = bodyEnd;
      }
    }
    pos = end;
  }
  throw new Error("no body without locals");
}

Deno.test("an export whose type is not its signature's is SIGNATURE_MISMATCH before anything runs", async (t) => {
  const path = write("wrong_type.wasm", pluginModule({ add: fn([T.f64, T.f64], [T.f64]) }));
  const expected =
    `Cannot load plugin "${path}": function "add" does not have the type of its signature: expected (func (param i32 i32) (result i32)), the wasm32 lowering of i32 add(i32, i32), found (func (param f64 f64) (result f64))`;
  await t.step("checkPlugin() with the interface", () => {
    const err = assertThrows(() => checkPlugin(path, { interfaces: [Add] }), LoadError);
    assertEquals([err.code, err.summary], ["SIGNATURE_MISMATCH", expected]);
  });
  await t.step("inspect reports it", () => {
    assertEquals(
      inspectPlugin(path, { interfaces: [Add] }).problems.map((e) => e.code),
      ["SIGNATURE_MISMATCH"],
    );
  });
  await t.step("the handle refuses the function", async () => {
    await using p = await openPlugin(path);
    const err = assertThrows(() => p.function("add"), LoadError);
    assertEquals([err.code, err.summary], ["SIGNATURE_MISMATCH", expected]);
  });
  await t.step("the right type is accepted", () => {
    const ok = write("right_type.wasm", pluginModule({ add: fn([T.i32, T.i32], [T.i32]) }));
    checkPlugin(ok, { interfaces: [Add] });
  });
});

Deno.test("a missing function is SYMBOL_MISSING, with the nearest exported names", () => {
  const path = write("missing.wasm", pluginModule({ addd: fn([T.i32, T.i32], [T.i32]) }));
  const err = assertThrows(() => checkPlugin(path, { interfaces: [Add] }), LoadError);
  assertEquals(err.code, "SYMBOL_MISSING");
  assertEquals(
    err.summary,
    `Cannot load plugin "${path}": function "add" is not exported by the module: expected an exported function "add", found no export of that name; did you mean "addd"?`,
  );
});

Deno.test("the runtime's exports are required, with their types: BAD_METADATA", async (t) => {
  const add = { add: fn([T.i32, T.i32], [T.i32]) };
  const cases: [string, Uint8Array, string][] = [
    [
      "no plugboard_alloc",
      pluginModule(add, {
        runtime: Object.fromEntries(
          Object.entries(RUNTIME).filter(([k]) => k !== "plugboard_alloc"),
        ),
      }),
      "expected an exported plugboard_alloc() (defined by PLUGBOARD_PLUGIN; see docs/abi.md), found no export of that name",
    ],
    [
      "plugboard_free of another type",
      pluginModule(add, { runtime: { ...RUNTIME, plugboard_free: fn([T.i32], []) } }),
      "found (func (param i32))",
    ],
    [
      "no function table",
      pluginModule(add, { table: false }),
      'expected an exported table named "__indirect_function_table" (link with -Wl,--export-table) (defined by PLUGBOARD_PLUGIN; see docs/abi.md), found no export of that name',
    ],
  ];
  for (const [name, bytes, found] of cases) {
    await t.step(name, () => {
      const path = write(`${name.replaceAll(" ", "_")}.wasm`, bytes);
      const err = assertThrows(() => checkPlugin(path), LoadError);
      assertEquals(err.code, "BAD_METADATA");
      assert(err.summary.endsWith(found), err.summary);
    });
  }
});

Deno.test("a module without plugboard metadata is NOT_A_PLUGIN, saying what it is", () => {
  const path = write(
    "plain.wasm",
    module(
      section(S.type, vec([funcType([], [])])),
      section(S.function, vec([uleb(0)])),
      section(S.export, vec([[...str("run"), 0x00, 0x00]])),
      section(S.code, vec([[2, 0x00, 0x0b]])),
    ),
  );
  const err = assertThrows(() => checkPlugin(path), LoadError);
  assertEquals(err.code, "NOT_A_PLUGIN");
  assertEquals(
    err.summary,
    `Cannot load plugin "${path}": no plugboard metadata: expected a "plugboard" custom section written by PLUGBOARD_PLUGIN(...), found a WebAssembly module without plugboard metadata (1 exported function, no "plugboard" custom section)`,
  );
});

Deno.test("the reader's refusals come through the pipeline: TRUNCATED, MALFORMED", async () => {
  const bytes = await Deno.readFile(await built("calc_add"));
  const truncated = write("truncated.wasm", bytes.subarray(0, bytes.length - 10));
  assertEquals(assertThrows(() => checkPlugin(truncated), LoadError).code, "TRUNCATED");
  const component = write("component.wasm", new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]));
  const err = assertThrows(() => checkPlugin(component), LoadError);
  assertEquals(err.code, "MALFORMED");
  assertMatch(err.summary, /not a WebAssembly core module/);
});

import assert from "node:assert/strict";
import { LoadError } from "../../src/errors/plugin_error.ts";
import { GROW_FAILED_EXPORT, INTERRUPT_EXPORT, prepareWasm } from "../../src/wasm/prepare_wasm.ts";
import { readWasm, type WasmInfo } from "../../src/wasm/read_wasm.ts";
import { WASM_SAMPLES } from "../../tasks/build_wasm.ts";
import { assertThrows } from "../_assert.ts";
import { built } from "./_build.ts";
import { funcType, module, S, section, str, T, uleb, vec } from "./_builder.ts";

function prepare(bytes: Uint8Array, options: Parameters<typeof prepareWasm>[3]) {
  return prepareWasm(bytes, readWasm(bytes, "x.wasm"), "x.wasm", options);
}

function body(locals: number[][], code: number[]): number[] {
  const b = [...vec(locals), ...code, 0x0b];
  return [...uleb(b.length), ...b];
}

/** A module with a memory (flags, initial, maximum) and the given functions, all exported. */
function moduleWith(
  memory: number[] | undefined,
  fns: { name: string; type: number[]; body: number[] }[],
): Uint8Array<ArrayBuffer> {
  return module(
    section(S.type, vec(fns.map((f) => f.type))),
    section(S.function, vec(fns.map((_, i) => uleb(i)))),
    ...(memory ? [section(S.memory, vec([memory]))] : []),
    section(
      S.export,
      vec([
        ...(memory ? [[...str("memory"), 0x02, 0x00]] : []),
        ...fns.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]),
      ]),
    ),
    section(S.code, vec(fns.map((f) => f.body))),
  );
}

/** grow(n): memory.grow by n pages. */
const GROW = {
  name: "grow",
  type: funcType([T.i32], [T.i32]),
  body: body([], [0x20, 0x00, 0x40, 0x00]),
};

/** countdown(n): a loop that runs n times, then returns 0. */
const COUNTDOWN = {
  name: "countdown",
  type: funcType([T.i32], [T.i32]),
  body: body([], [
    0x03,
    0x40, // loop
    0x20,
    0x00,
    0x41,
    0x01,
    0x6b,
    0x22,
    0x00, // local.get 0; i32.const 1; i32.sub; local.tee 0
    0x0d,
    0x00, // br_if 0
    0x0b, // end
    0x20,
    0x00,
  ]),
};

/** nested(n): two loops, the inner with a block parameter (multi-value). */
const NESTED = {
  name: "nested",
  type: funcType([T.i32], [T.i32]),
  body: body([[1, T.i32]], [
    0x03,
    0x40, // loop
    0x20,
    0x00, // local.get 0
    0x03,
    0x00, // loop (type 0: i32 -> i32)
    0x41,
    0x01,
    0x6a, // i32.const 1; i32.add
    0x0b, // end
    0x21,
    0x01, // local.set 1
    0x20,
    0x00,
    0x41,
    0x01,
    0x6b,
    0x22,
    0x00,
    0x0d,
    0x00, // local.get 0; i32.const 1; i32.sub; local.tee 0; br_if 0
    0x0b,
    0x20,
    0x01,
  ]),
};

Deno.test("prepareWasm() caps every memory's maximum and leaves smaller ones", async (t) => {
  const cases: { name: string; memory: number[]; cap: number; expected: number | undefined }[] = [
    { name: "no maximum", memory: [0x00, 2], cap: 10, expected: 10 },
    { name: "a larger maximum", memory: [0x01, 2, ...uleb(300)], cap: 10, expected: 10 },
    { name: "a smaller maximum", memory: [0x01, 2, 4], cap: 10, expected: 4 },
    { name: "no cap", memory: [0x00, 2], cap: NaN, expected: undefined },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const bytes = moduleWith(c.memory, [GROW]);
      const p = prepare(bytes, { maxPages: Number.isNaN(c.cap) ? undefined : c.cap });
      const [memory] = readWasm(p.bytes, "x.wasm").memories;
      assert.deepEqual([memory.initial, memory.maximum], [2, c.expected]);
      const e = new WebAssembly.Instance(new WebAssembly.Module(p.bytes)).exports as Record<
        string,
        (n: number) => number
      >;
      if (c.expected !== undefined) {
        assert.equal(e.grow(c.expected - 2), 2, "growing up to the maximum works");
        assert.equal(e.grow(1), -1, "growing past it fails");
      }
    });
  }
});

Deno.test("prepareWasm() records a failed memory.grow in an exported global", () => {
  const bytes = moduleWith([0x00, 1], [GROW]);
  const p = prepare(bytes, { maxPages: 3, growFlag: true });
  assert.equal(p.grows, 1);
  const e = new WebAssembly.Instance(new WebAssembly.Module(p.bytes)).exports;
  const grow = e.grow as (n: number) => number;
  const failed = e[GROW_FAILED_EXPORT] as WebAssembly.Global;
  assert.equal(grow(1), 1, "the result is passed through");
  assert.equal(failed.value, 0);
  assert.equal(grow(5), -1);
  assert.equal(failed.value, 1);
  assert.equal(grow(1), 2, "a later growth that fits still works");
  assert.equal(failed.value, 1, "the flag stays set until the host clears it");
});

Deno.test("prepareWasm() checks an interrupt flag at the head of every loop", () => {
  const bytes = moduleWith([0x00, 1], [COUNTDOWN, NESTED]);
  const p = prepare(bytes, { interrupt: true });
  assert.equal(p.loops, 3);
  const e = new WebAssembly.Instance(new WebAssembly.Module(p.bytes)).exports;
  const flag = new Int32Array((e[INTERRUPT_EXPORT] as WebAssembly.Memory).buffer);
  assert.ok(flag.buffer instanceof SharedArrayBuffer, "the flag is in shared memory");
  const countdown = e.countdown as (n: number) => number;
  const nested = e.nested as (n: number) => number;
  assert.equal(countdown(1000), 0);
  assert.equal(nested(5), 2, "a loop with a block parameter still computes");
  Atomics.store(flag, 0, 1);
  for (const f of [countdown, nested]) {
    assert.throws(() => f(5), (err: unknown) => {
      assert.ok(err instanceof WebAssembly.RuntimeError);
      assert.match(err.message, /unreachable/);
      return true;
    });
  }
  Atomics.store(flag, 0, 0);
  assert.equal(countdown(3), 0, "cleared, the code runs again");
});

Deno.test("prepareWasm() adds a memory to a module without one, and sections in order", () => {
  const bytes = moduleWith(undefined, [COUNTDOWN]);
  const p = prepare(bytes, { interrupt: true, growFlag: true });
  const info = readWasm(p.bytes, "x.wasm");
  assert.deepEqual(info.memories.map((m) => [m.initial, m.maximum, m.shared, m.exportedAs]), [
    [1, 1, true, [INTERRUPT_EXPORT]],
  ]);
  assert.deepEqual(info.globals.map((g) => [g.type, g.mutable, g.exportedAs]), [
    ["i32", true, []],
    ["i32", true, [GROW_FAILED_EXPORT]],
  ]);
  new WebAssembly.Module(p.bytes);
});

/** What must not change: types, imports, the original exports and their indexes, functions. */
function shape(info: WasmInfo) {
  return {
    types: info.types,
    imports: info.imports,
    exports: info.exports.filter((e) => !e.name.startsWith("plugboard:")),
    functions: info.summary.functions,
    notes: info.notes.map((n) => [n.type, new TextDecoder().decode(n.desc)]),
    data: info.dataSegments.map((d) => [d.offset, d.size]),
  };
}

Deno.test("prepareWasm() of every sample compiles and renumbers nothing", async (t) => {
  for (const sample of WASM_SAMPLES) {
    const name = sample.output.replace(/\.wasm$/, "");
    await t.step(name, async () => {
      const path = await built(name);
      const bytes = await Deno.readFile(path);
      const info = readWasm(bytes, path);
      const p = prepareWasm(bytes, info, path, { maxPages: 64, growFlag: true, interrupt: true });
      const after = readWasm(p.bytes, path);
      assert.deepEqual(shape(after), shape(info));
      assert.ok(p.grows >= 1, "plugboard_alloc grows the memory");
      new WebAssembly.Module(p.bytes);
      assert.deepEqual(
        after.exports.filter((e) => e.name.startsWith("plugboard:")).map((e) => e.name),
        [GROW_FAILED_EXPORT, INTERRUPT_EXPORT],
      );
    });
  }
});

Deno.test("prepareWasm() refuses an instruction it cannot decode with MALFORMED", async (t) => {
  const cases = [
    { name: "a GC opcode", code: [0xfb, 0x00], found: "opcode 0xfb" },
    { name: "an unknown 0xfc", code: [0xfc, 0x30], found: "opcode 0xfc 48" },
    { name: "a typed-reference block", code: [0x02, 0x64, 0x70, 0x0b], found: "GC proposals" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const bytes = moduleWith([0x00, 1], [{
        name: "f",
        type: funcType([], []),
        body: body([], c.code),
      }]);
      const err = assertThrows(() => prepare(bytes, { interrupt: true }), LoadError);
      assert.equal(err.code, "MALFORMED");
      assert.match(err.found, new RegExp(c.found));
      assert.match(err.summary, /^Cannot load plugin "x\.wasm": malformed WebAssembly module/);
      assert.match(err.hint ?? "", /rebuild the plugin/);
    });
  }
});

Deno.test("prepareWasm() on corrupted code throws only MALFORMED or TRUNCATED, never else", async () => {
  const path = await built("trap");
  const original = await Deno.readFile(path);
  const info = readWasm(original, path);
  // The code section: from the first function body to the data section.
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const code = { start: 0, end: 0 };
  for (let pos = 8; pos < original.length;) {
    const id = original[pos];
    let size = 0;
    let shift = 0;
    let p = pos + 1;
    for (;;) {
      const b = original[p++];
      size += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (id === 10) Object.assign(code, { start: p, end: p + size });
    pos = p + size;
  }
  assert.ok(code.end > code.start);
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const bytes = original.slice();
    for (let k = 0; k < 4; k++) {
      const at = code.start + Math.floor(random() * (code.end - code.start));
      bytes[at] = Math.floor(random() * 256);
    }
    try {
      prepareWasm(bytes, info, path, { interrupt: true, growFlag: true });
    } catch (e) {
      assert.ok(e instanceof LoadError, `expected a LoadError, got ${e}`);
      assert.ok(["MALFORMED", "TRUNCATED"].includes(e.code), e.code);
      refused++;
    }
  }
  assert.ok(refused > 0, "some corruptions are refused");
});

import assert from "node:assert/strict";
import { readWasm } from "../../src/wasm/read_wasm.ts";
import { BUILD, ROOT } from "../_paths.ts";
import {
  type Exports,
  getString,
  instantiate,
  NEEDS_TOOLCHAIN,
  putString,
  requireWasmToolchain,
  sample,
  wasmFixture,
} from "./_build.ts";

const FIXTURES = `${ROOT}/tests/wasm/fixtures`;

async function run(program: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `${program} ${args.join(" ")} failed:\n${stderr}`);
  return new TextDecoder().decode(out.stdout);
}

function table(e: Exports, index: number): number {
  const f = e.__indirect_function_table.get(index);
  assert.ok(f, `no function at table index ${index}`);
  return f();
}

Deno.test("plugboard.h has the wasm32 (ILP32) layout a host reads", NEEDS_TOOLCHAIN, async () => {
  // Built without libc and with -pedantic: the header needs only clang's own headers.
  const e = await instantiate(await wasmFixture("layout", { libc: false, flags: ["-pedantic"] }));
  const values = new Uint32Array(e.memory.buffer, e.layout(), e.count());
  const [major, minor, messageMax, ...rest] = values;
  assert.deepEqual({ major, minor, messageMax }, { major: 1, minor: 0, messageMax: 512 });
  assert.deepEqual(rest, [
    20, // sizeof(plugboard_descriptor)
    0, // size
    4, // abi_major
    6, // abi_minor
    8, // init: a 32-bit function table index
    12, // shutdown
    16, // take_error
    520, // sizeof(plugboard_error)
    0, // code
    4, // length
    8, // message
    4, // sizeof(void *)
    4, // sizeof(pb_usize): usize and isize are 32-bit on wasm32
  ]);
});

Deno.test(
  "a wasm32 plugin's hooks, constructor and errors work through the descriptor",
  NEEDS_TOOLCHAIN,
  async () => {
    const e = await instantiate(await wasmFixture("hooks"));
    assert.equal(e.constructor_ran(), 0, "constructors wait for plugboard_entry()");
    const at = e.plugboard_entry();
    assert.equal(e.constructor_ran(), 7, "plugboard_entry() ran the constructors");
    const v = new DataView(e.memory.buffer);
    const init = v.getUint32(at + 8, true);
    const shutdown = v.getUint32(at + 12, true);
    const takeError = v.getUint32(at + 16, true);
    assert.equal(table(e, init), 0, "the init hook saw the constructor's work");
    e.plugboard_entry();
    assert.equal(e.constructor_ran(), 7, "constructors run once");
    table(e, shutdown);
    table(e, shutdown);
    assert.equal(e.shutdown_count(), 2);

    assert.equal(e.fail_with(7, 1), 7);
    const error = table(e, takeError);
    assert.deepEqual(
      [v.getInt32(error, true), v.getUint32(error + 4, true), getString(e, error + 8)],
      [7, 13, "failed with 7"],
    );
    assert.equal(table(e, takeError), 0, "taken");
    assert.equal(e.fail_with(0, 1), -1, "code 0 becomes -1");
    e.plugboard_take_error();
    // A message longer than PLUGBOARD_ERROR_MESSAGE_MAX - 1 is cut.
    e.fail_with(3, 600);
    const long = e.plugboard_take_error();
    assert.equal(v.getUint32(long + 4, true), 511);
    assert.equal(getString(e, long + 8), "0".repeat(511));
  },
);

Deno.test(
  "pb_ types map to wasm32 value types (usize and pointers are i32)",
  NEEDS_TOOLCHAIN,
  async () => {
    const path = await wasmFixture("hooks");
    const info = readWasm(await Deno.readFile(path), path);
    const types = Object.fromEntries(
      info.exports.filter((x) => x.kind === "function").map((x) => [
        x.name,
        x.kind === "function" ? `${x.type.params.join(",")} -> ${x.type.results.join(",")}` : "",
      ]),
    );
    assert.deepEqual(
      [types.twice64, types.max_u64, types.half, types.negate, types.low_byte, types.length],
      ["i64 -> i64", " -> i64", "f32 -> f32", "i32 -> i32", "i32 -> i32", "i32 -> i32"],
    );
    assert.equal(types.touch, "i32,i32 -> i32");
    assert.deepEqual(info.imports, [], "malloc and strlen need no import");
    const e = await instantiate(path);
    e.plugboard_entry();
    assert.equal(e.twice64(21n as unknown as number), 42n);
    assert.equal(e.max_u64(), -1n, "a u64 comes back as a signed BigInt");
    assert.equal(e.half(5), 2.5);
    assert.equal(e.negate(0), 1);
    assert.equal(e.low_byte(0x1234), 0x34);
    const [s] = putString(e, "héllo");
    assert.equal(e.length(s), 6);
  },
);

/** Assert that no two blocks overlap. */
function assertDisjoint(blocks: [start: number, end: number][]) {
  blocks.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < blocks.length; i++) {
    assert.ok(blocks[i - 1][1] <= blocks[i][0], `blocks ${i - 1} and ${i} overlap`);
  }
}

Deno.test(
  "plugboard_alloc() without malloc in the module: its own size classes",
  NEEDS_TOOLCHAIN,
  async () => {
    const e = await instantiate(await sample("calc_add", { libc: false }));
    e.plugboard_entry();
    const a = e.plugboard_alloc(1);
    const b = e.plugboard_alloc(17);
    assert.ok(a > 0 && b > 0 && a !== b);
    for (const p of [a, b]) assert.equal(p % 16, 0, "16-byte aligned");
    e.plugboard_free(a, 1);
    assert.equal(e.plugboard_alloc(16), a, "a freed block of the same class is reused");
    assert.ok(e.plugboard_alloc(0) > 0, "size 0 gets a block too");
    const pages = e.memory.buffer.byteLength / 65536;
    const big = e.plugboard_alloc(3 * 65536 + 1);
    assert.ok(big > 0 && e.memory.buffer.byteLength / 65536 >= pages + 4, "memory grew");
    new Uint8Array(e.memory.buffer, big, 3 * 65536 + 1).fill(0xab);
    assert.equal(e.plugboard_alloc(0x8000_0001), 0, "more than 2 GiB: NULL");
    e.plugboard_free(0, 5); // NULL is ignored
    const blocks: [number, number][] = [[big, big + 3 * 65536 + 1]];
    for (let i = 0; i < 300; i++) {
      const size = 1 + (i * 37) % 5000;
      const p = e.plugboard_alloc(size);
      assert.ok(p > 0 && p % 16 === 0);
      blocks.push([p, p + size]);
      if (i % 3 === 0) {
        e.plugboard_free(p, size);
        blocks.pop();
      }
    }
    assertDisjoint(blocks);
  },
);

Deno.test(
  "plugboard_alloc() in a module that links malloc shares its heap",
  NEEDS_TOOLCHAIN,
  async () => {
    const e = await instantiate(await wasmFixture("hooks"));
    e.plugboard_entry();
    const p = e.plugboard_alloc(100);
    assert.ok(p > 0 && p % 16 === 0, `${p} is 16-byte aligned`);
    e.plugboard_free(p, 100);
    assert.equal(e.c_malloc(100), p, "malloc hands out the block plugboard_free gave back");
    assert.ok(e.plugboard_alloc(0) > 0, "size 0 gets a block too");
    assert.equal(e.plugboard_alloc(0x8000_0001), 0, "more than 2 GiB: NULL");
    // Interleaved with malloc, no block overlaps another, however memory grows.
    const blocks: [number, number][] = [];
    for (let i = 0; i < 300; i++) {
      const size = 24 + (i * 37) % 5000;
      const q = i % 2 ? e.c_malloc(size) : e.plugboard_alloc(size);
      assert.ok(q > 0);
      blocks.push([q, q + size]);
    }
    assertDisjoint(blocks);
  },
);

Deno.test("pb_fail() formats as glibc's snprintf does, without libc", NEEDS_TOOLCHAIN, async () => {
  // -fno-builtin: the fixture's own copy loops must not become memcpy calls.
  const wasm = await wasmFixture("format", { libc: false, flags: ["-fno-builtin", "-pedantic"] });
  const native = `${BUILD}/wasm/fixtures/format_native`;
  // The reference program: format warnings are the point of some cases.
  await run(Deno.env.get("CC")?.trim() || "cc", [
    "-std=c11",
    "-w",
    "-o",
    native,
    `${FIXTURES}/format_native.c`,
  ]);
  const expected = (await run(native, [])).split("\x1e");
  const e = await instantiate(wasm);
  e.plugboard_entry();
  const actual = getString(e, e.run_all()).split("\x1e");
  assert.equal(actual.length, 25);
  assert.deepEqual(actual, expected);
});

Deno.test(
  "pb_fail() needs nothing from outside the module, not even memcpy",
  NEEDS_TOOLCHAIN,
  async () => {
    // No -fno-builtin here: the SDK's formatter must not become memcpy calls.
    const path = await wasmFixture("fail", { libc: false });
    const info = readWasm(await Deno.readFile(path), path);
    assert.deepEqual(info.imports, []);
    const e = await instantiate(path);
    e.plugboard_entry();
    const [name] = putString(e, "probe");
    assert.equal(e.check(2.5, name), 4);
    const error = e.plugboard_take_error();
    assert.equal(
      getString(e, error + 8),
      "probe: 42 is 2.500 (2.5, 2.500000e+00, 2.50  |, 0xff, k,   pad)",
    );
  },
);

Deno.test(
  "plugboard.h builds a C++ plugin for wasm32 whose constructors run",
  NEEDS_TOOLCHAIN,
  async () => {
    await requireWasmToolchain();
    const dir = `${BUILD}/wasm/fixtures`;
    await Deno.mkdir(dir, { recursive: true });
    const output = `${dir}/cpp_plugin.wasm`;
    await run("clang++", [
      "--target=wasm32-wasi",
      "-std=c++17",
      "-O2",
      "-fno-exceptions",
      "-fvisibility=hidden",
      "-Wall",
      "-Wextra",
      "-Werror",
      `-I${ROOT}/native`,
      "-nostartfiles",
      "-nodefaultlibs",
      "-Wl,--no-entry",
      "-Wl,--export-table",
      "-o",
      output,
      `${FIXTURES}/cpp_plugin.cpp`,
      "-lc",
    ]);
    const info = readWasm(await Deno.readFile(output), output);
    assert.deepEqual(info.imports, []);
    assert.deepEqual(info.notes.map((n) => n.type), [1, 2, 3, 4]);
    const e = await instantiate(output);
    const at = e.plugboard_entry();
    assert.equal(e.answer(), 42, "the static object was constructed");
    assert.equal(table(e, new DataView(e.memory.buffer).getUint32(at + 8, true)), 0);
  },
);

Deno.test(
  "plugboard.h builds with the wasm feature flags plugins use",
  NEEDS_TOOLCHAIN,
  async (t) => {
    await requireWasmToolchain();
    const dir = `${BUILD}/wasm/fixtures`;
    await Deno.mkdir(dir, { recursive: true });
    const shared = ["-Wl,--shared-memory", "-Wl,--max-memory=1048576"];
    const variants: [name: string, flags: string[], sharedMemory: boolean][] = [
      ["bulk-memory", ["-mbulk-memory"], false],
      [
        "SIMD, multi-value, reference types",
        ["-msimd128", "-mmultivalue", "-mreference-types"],
        false,
      ],
      ["atomics, unshared memory", ["-matomics"], false],
      [
        "threads: atomics, bulk-memory, shared memory",
        ["-matomics", "-mbulk-memory", ...shared],
        true,
      ],
    ];
    for (const [name, flags, sharedMemory] of variants) {
      await t.step(name, async () => {
        const output = `${dir}/calc_add.${flags.join("").replace(/[^a-z0-9]+/g, "-")}.wasm`;
        await run("clang", [
          "--target=wasm32",
          "-nostdlib",
          ...flags,
          "-std=c11",
          "-O2",
          "-Wall",
          "-Wextra",
          "-Werror",
          `-I${ROOT}/native`,
          "-Wl,--no-entry",
          "-Wl,--export-table",
          "-o",
          output,
          `${ROOT}/plugins/calc_add.c`,
        ]);
        const info = readWasm(await Deno.readFile(output), output);
        assert.deepEqual(info.memories.map((m) => m.shared), [sharedMemory]);
        assert.deepEqual(info.imports, []);
        const e = await instantiate(output);
        assert.equal(e.apply(2, 3), 5);
        e.plugboard_entry();
        assert.equal(e.apply(-1, 0.5), -0.5);
      });
    }
  },
);

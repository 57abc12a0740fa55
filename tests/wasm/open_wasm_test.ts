import { assert, assertEquals, assertMatch, assertThrows } from "../_assert.ts";
import {
  CallError,
  defineInterface,
  LoadError,
  openPlugin,
  openPluginSync,
  PluginError,
} from "../../mod.ts";
import { checkPlugin } from "../../src/check/check_plugin.ts";
import { compileWasm } from "../../src/loader/open_wasm.ts";
import { BUILD, fixture, plugin } from "../_paths.ts";
import { built, NEEDS_TOOLCHAIN, wasmFixture } from "./_build.ts";

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
const My = defineInterface("myfunction", "1.0", {
  MyFunction: "fallible i32 MyFunction(cstring input)",
});
const Types = defineInterface("iso.types", "1.0", {
  not_bool: "bool not_bool(bool x)",
  neg_i8: "i8 neg_i8(i8 x)",
  inc_u8: "u8 inc_u8(u8 x)",
  neg_i16: "i16 neg_i16(i16 x)",
  inc_u16: "u16 inc_u16(u16 x)",
  neg_i32: "i32 neg_i32(i32 x)",
  inc_u32: "u32 inc_u32(u32 x)",
  neg_i64: "i64 neg_i64(i64 x)",
  inc_u64: "u64 inc_u64(u64 x)",
  neg_isize: "isize neg_isize(isize x)",
  inc_usize: "usize inc_usize(usize x)",
  half_f32: "f32 half_f32(f32 x)",
  half_f64: "f64 half_f64(f64 x)",
  mix: "f64 mix(i8 a, i64 b, f32 c, u16 d)",
  describe: "cstring describe(cstring s)",
  reverse: "fallible usize reverse(buffer input, usize len, buffer out, usize cap)",
});
const Trap = defineInterface("test.trap", "1.0", {
  count: "i32 count()",
  unreachable: "i32 unreachable(i32 x)",
  out_of_bounds: "i32 out_of_bounds(u32 address)",
  divide: "i32 divide(i32 a, i32 b)",
  overflow: "i32 overflow(i32 n)",
  exhaust: "i32 exhaust(i32 n)",
  bad_indirect: "i32 bad_indirect(i32 x)",
  quit: "i32 quit(i32 code)",
  endless: "cstring endless()",
  null_write: "i32 null_write(i32 x)",
});
const Hog = defineInterface("test.hog", "1.0", {
  held: "i32 held()",
  grow: "i32 grow(i32 mib)",
  try_grow: "fallible i32 try_grow(i32 mib)",
});

/** Call and return the value, or the error. */
function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    return e;
  }
}

Deno.test("openPlugin() runs a WebAssembly plugin in process behind the one handle", async () => {
  await using p = await openPlugin(await built("greeter"), { interfaces: [Greeter] });
  assertEquals([p.kind, p.isolation, p.calls, p.shared], ["wasm", "none", "sync", false]);
  assertEquals([p.metadata.name, p.metadata.version], ["greeter", "0.1.0"]);
  const { greet } = p.use(Greeter);
  assertEquals(greet("World"), "Hello, World");
  assertEquals(greet("Wörld ✓"), "Hello, Wörld ✓");
  assertEquals(greet("x".repeat(1000))?.length, 255, "the plugin's buffer holds 255 bytes");
  assertEquals(greet("World"), "Hello, World");
  assertEquals(p.function("greet"), p.function("greet"), "the same function by name");
});

/** Each function of iso_types, with arguments to call it with. */
const TYPE_CASES: [keyof typeof Types.declarations, unknown[][]][] = [
  ["not_bool", [[true], [false]]],
  ["neg_i8", [[0], [5], [-128], [127]]],
  ["inc_u8", [[0], [254], [255]]],
  ["neg_i16", [[-32768], [12345]]],
  ["inc_u16", [[65535], [7]]],
  ["neg_i32", [[-2147483648], [2147483647], [-0]]],
  ["inc_u32", [[4294967295], [0]]],
  ["neg_i64", [[5n], [-(2n ** 63n)], [2n ** 63n - 1n], [123], [-0]]],
  ["inc_u64", [[2n ** 64n - 1n], [2n ** 53n], [0]]],
  ["neg_isize", [[0], [-2147483647], [2147483647n]]],
  ["inc_usize", [[0], [4294967294], [65534n]]],
  ["half_f32", [[1 / 3], [NaN], [-0], [Infinity], [1e40]]],
  ["half_f64", [[1 / 3], [5e-324], [-Infinity]]],
  ["mix", [[-1, 2n ** 40n, 0.5, 65535], [127, -5, 1e-3, 0]]],
  ["describe", [["abc"], [""], ["Grüße ✓"], ["x".repeat(5000)]]],
];

Deno.test("every type crosses linear memory and comes back as from the native build", async (t) => {
  using wasm = openPluginSync(await built("fixtures/iso_types"), { interfaces: [Types] });
  using native = openPluginSync(fixture("iso_types"), { interfaces: [Types] });
  const w = wasm.use(Types) as unknown as Record<string, (...a: unknown[]) => unknown>;
  const n = native.use(Types) as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const [fn, calls] of TYPE_CASES) {
    await t.step(fn, () => {
      for (const args of calls) {
        const a = w[fn](...args);
        const b = n[fn](...args);
        assert(Object.is(a, b), `${fn}(${args.map(String)}): wasm ${a}, native ${b}`);
        assertEquals(typeof a, typeof b);
      }
    });
  }
  await t.step("buffers are copied in and back; a fallible error comes through", () => {
    for (const [plugin, f] of [["wasm", w], ["native", n]] as const) {
      const input = new TextEncoder().encode("hello");
      const out = new Uint8Array(8);
      assertEquals(f.reverse(input, 5, out, 8), 5n, plugin);
      assertEquals(new TextDecoder().decode(out.subarray(0, 5)), "olleh", plugin);
      const err = assertThrows(() => f.reverse(input, 5, new Uint8Array(2), 2), CallError);
      assertEquals([err.code, err.pluginCode], ["CALL_FAILED", 2]);
      assertMatch(err.summary, /failed: need 5 bytes, have 2$/);
    }
  });
  await t.step("usize and isize are 32 bits on wasm32: wider values are refused", () => {
    assertEquals(w.inc_usize(4294967295), 0n, "wraps as size_t does on wasm32");
    assertEquals(n.inc_usize(4294967295), 4294967296n, "native size_t is 64 bits");
    const err = assertThrows(() => w.inc_usize(2 ** 40), CallError);
    assertEquals(err.code, "INVALID_ARGUMENT");
    assertEquals(
      err.summary,
      `Call to "inc_usize" in plugin "${BUILD}/wasm/fixtures/iso_types.wasm" failed: argument 1 does not fit usize: expected an integer from 0 to 4294967295 (usize is 32 bits on wasm32), found number 1099511627776`,
    );
    assertEquals(w.neg_isize(-2147483648), -2147483648n, "wraps as intptr_t does on wasm32");
    const big = assertThrows(() => w.neg_isize(-(2n ** 40n)), CallError);
    assertMatch(
      big.summary,
      /does not fit isize: expected an integer from -2147483648 to 2147483647/,
    );
  });
});

Deno.test("arguments that do not fit are refused with the same INVALID_ARGUMENT as native", async (t) => {
  using wasm = openPluginSync(await built("fixtures/iso_types"), { interfaces: [Types] });
  using native = openPluginSync(fixture("iso_types"), { interfaces: [Types] });
  const w = wasm.use(Types) as unknown as Record<string, (...a: unknown[]) => unknown>;
  const n = native.use(Types) as unknown as Record<string, (...a: unknown[]) => unknown>;
  const cases: [string, unknown[]][] = [
    ["not_bool", [1]],
    ["neg_i8", [128]],
    ["neg_i8", [1.5]],
    ["inc_u8", [-1]],
    ["neg_i16", ["1"]],
    ["inc_u16", [65536]],
    ["neg_i32", [2 ** 31]],
    ["neg_i32", [1n]],
    ["inc_u32", [-1]],
    ["neg_i64", [2n ** 63n]],
    ["neg_i64", [0.5]],
    ["inc_u64", [-1n]],
    ["inc_usize", [-1]],
    ["neg_isize", [Symbol("x")]],
    ["half_f32", [undefined]],
    ["half_f64", [null]],
    ["mix", [1, 2, 3, 70000]],
    ["describe", ["a\0b"]],
    ["describe", [42]],
    ["reverse", ["abc", 3, new Uint8Array(3), 3]],
  ];
  for (const [fn, args] of cases) {
    await t.step(`${fn}(${args.map((a) => typeof a === "symbol" ? "symbol" : String(a))})`, () => {
      const a = outcome(() => w[fn](...args));
      const b = outcome(() => n[fn](...args));
      assert(a instanceof CallError && b instanceof CallError, `${a} / ${b}`);
      assertEquals(a.code, "INVALID_ARGUMENT");
      assertEquals(a.summary.replace(/\.wasm"/, '.so"').replace("/wasm/", "/"), b.summary);
      assertEquals(a.hint, b.hint);
    });
  }
});

Deno.test("a fallible function's error comes through the error slot", async (t) => {
  using p = openPluginSync(await built("myfunction"), { interfaces: [My] });
  const { MyFunction } = p.use(My);
  await t.step('"hello" is 42, other strings their length', () => {
    assertEquals(MyFunction("hello"), 42);
    assertEquals(MyFunction("abc"), 3);
  });
  await t.step('"" fails with the plugin\'s code and message', () => {
    const err = assertThrows(() => MyFunction(""), CallError);
    assertEquals([err.code, err.pluginCode, err.function], ["CALL_FAILED", 1, "MyFunction"]);
    assertEquals(
      err.summary,
      `Call to "MyFunction" in plugin "${BUILD}/wasm/myfunction.wasm" failed: input is empty`,
    );
    assertEquals(MyFunction("hello"), 42, "the error was taken: the next call is clean");
  });
});

Deno.test("every kind of trap is PLUGIN_TRAPPED and a fresh instance serves the next call", async (t) => {
  using p = openPluginSync(await built("trap"), { interfaces: [Trap] });
  const f = p.use(Trap);
  const cases: [string, () => unknown, string][] = [
    ["unreachable (abort)", () => f.unreachable(1), "unreachable"],
    ["out of bounds", () => f.out_of_bounds(0xfffffff0), "memory access out of bounds"],
    ["division by zero", () => f.divide(1, 0), "divide by zero"],
    ["INT32_MIN / -1", () => f.divide(-2147483648, -1), "divide result unrepresentable"],
    ["stack overflow (shadow stack)", () => f.overflow(0), "memory access out of bounds"],
    ["stack overflow (engine stack)", () => f.exhaust(0), "Maximum call stack size exceeded"],
    ["wrong function type", () => f.bad_indirect(1), "function signature mismatch"],
    ["exit() (proc_exit, stubbed)", () => f.quit(3), "unreachable"],
  ];
  for (const [name, call, trap] of cases) {
    await t.step(name, () => {
      const before = f.count();
      assertEquals(f.count(), before + 1);
      const err = assertThrows(call, CallError);
      assertEquals(err.code, "PLUGIN_TRAPPED");
      assertMatch(
        err.summary,
        new RegExp(
          `^Call to "\\w+" in plugin ".*/trap\\.wasm" failed: the plugin trapped: ${trap}$`,
        ),
      );
      assertMatch(err.hint ?? "", /a fresh instance serves the next call/);
      assertEquals(f.count(), 1, "a new instance: the count starts again");
    });
  }
  assertEquals(p.closed, false);
});

Deno.test("a string result with no NUL inside the memory is an error, not a hang", async () => {
  using p = openPluginSync(await built("trap"), { interfaces: [Trap] });
  const { endless, count } = p.use(Trap);
  const err = assertThrows(() => endless(), CallError);
  assertEquals(err.code, "CALL_FAILED");
  assertMatch(
    err.summary,
    /failed: the plugin returned a string at 0x[0-9a-f]+ with no NUL before the end of its memory$/,
  );
  assertEquals(count(), 1, "not a trap: the instance goes on");
});

Deno.test("a NULL write does not trap in wasm32: address 0 is memory", async () => {
  using p = openPluginSync(await built("trap"), { interfaces: [Trap] });
  assertEquals(p.use(Trap).null_write(5), 5);
});

Deno.test("the memory limit: refused at load, MEMORY_LIMIT when a trap follows failed growth", async (t) => {
  const hog = await built("hog");
  await t.step("growth within the limit works, past it is MEMORY_LIMIT", () => {
    using p = openPluginSync(hog, { interfaces: [Hog], wasm: { maxMemoryBytes: 8 << 20 } });
    const { grow, held, try_grow } = p.use(Hog);
    assertEquals(grow(4), 4);
    const err = assertThrows(() => grow(8), CallError);
    assertEquals(err.code, "MEMORY_LIMIT");
    assertMatch(
      err.summary,
      /failed: the plugin ran out of memory: it could not grow past \d+ bytes \(limit 8388608\) and then trapped: unreachable$/,
    );
    assertEquals(held(), 0, "a fresh instance");
    const failed = assertThrows(() => try_grow(20), CallError);
    assertEquals([failed.code, failed.pluginCode], ["CALL_FAILED", 12]);
    assertMatch(failed.summary, /failed: out of memory after [67] MiB$/);
  });
  await t.step("a module that starts with more memory than the limit is refused", () => {
    const err = assertThrows(
      () => openPluginSync(hog, { wasm: { maxMemoryBytes: 65536 } }),
      LoadError,
    );
    assertEquals(err.code, "MEMORY_LIMIT");
    assertEquals(
      err.summary,
      `Cannot load plugin "${hog}": the module needs more memory than it may have: expected at most 65536 bytes (wasm.maxMemoryBytes, 1 pages), found memory 0 starting at 131072 bytes (2 pages)`,
    );
  });
  await t.step("an argument that cannot fit is MEMORY_LIMIT", async () => {
    using p = openPluginSync(await built("greeter"), {
      interfaces: [Greeter],
      wasm: { maxMemoryBytes: 4 << 20 },
    });
    const err = assertThrows(() => p.use(Greeter).greet("x".repeat(8 << 20)), CallError);
    assertEquals(err.code, "MEMORY_LIMIT");
    assertMatch(err.summary, /argument 1 \(8388609 bytes\) does not fit in the plugin's memory/);
    assertEquals(p.use(Greeter).greet("Ada"), "Hello, Ada");
  });
  await t.step("a limit that is not a number of bytes is USAGE", () => {
    for (const bad of [0, 1000, -1, NaN, 2 ** 33]) {
      const err = assertThrows(
        () => openPluginSync(hog, { wasm: { maxMemoryBytes: bad } }),
        PluginError,
      );
      assertEquals(err.code, "USAGE");
      assertMatch(err.summary, /^Invalid option wasm\.maxMemoryBytes: expected a number of bytes/);
    }
  });
});

Deno.test("loading fails with the plugin's own problem: init hook, constructor trap", async (t) => {
  await t.step("an init hook that fails is INIT_FAILED with its message", async () => {
    const path = await built("fixtures/init_fail");
    const err = assertThrows(() => openPluginSync(path), LoadError);
    assertEquals(err.code, "INIT_FAILED");
    assertEquals(
      err.summary,
      `Cannot load plugin "${path}": the plugin's init hook failed: expected init to return 0, found 7: database not reachable`,
    );
  });
  await t.step("a constructor that traps is PLUGIN_TRAPPED while loading", async () => {
    const path = await built("start_trap");
    const err = assertThrows(() => openPluginSync(path), LoadError);
    assertEquals(err.code, "PLUGIN_TRAPPED");
    assertEquals(
      err.summary,
      `Cannot load plugin "${path}": the plugin trapped while loading: expected plugboard_entry() to return, found a trap: unreachable`,
    );
  });
});

Deno.test("each handle has its own instance; the compiled module is kept by SHA-256", async () => {
  const path = await built("trap");
  using a = openPluginSync(path, { interfaces: [Trap] });
  using b = openPluginSync(path, { interfaces: [Trap] });
  assertEquals([a.use(Trap).count(), a.use(Trap).count(), b.use(Trap).count()], [1, 2, 1]);
  const candidate = checkPlugin(path);
  const first = compileWasm(candidate, { maxMemoryBytes: 3 << 20 }, false);
  const again = compileWasm(candidate, { maxMemoryBytes: 3 << 20 }, false);
  assert(first.compileMs > 0);
  assertEquals(again.compileMs, 0, "the second compile is a cache hit");
  assertEquals(again.module, first.module);
  const other = compileWasm(candidate, { maxMemoryBytes: 5 << 20 }, false);
  assert(other.module !== first.module, "another limit is another compiled module");
});

Deno.test("close(): later calls throw CLOSED", async () => {
  const p = openPluginSync(await built("greeter"), { interfaces: [Greeter] });
  const { greet } = p.use(Greeter);
  assertEquals(await p.close(), { unloaded: true });
  const err = assertThrows(() => greet("x"), CallError);
  assertEquals(err.code, "CLOSED");
  assertEquals(assertThrows(() => p.use(Greeter), CallError).code, "CLOSED");
});

Deno.test("what a WebAssembly plugin cannot do is refused with USAGE", async (t) => {
  using p = openPluginSync(await built("greeter"));
  await t.step("variable()", () => {
    const err = assertThrows(() => p.variable("anything", "i32"), PluginError);
    assertEquals(err.code, "USAGE");
    assertMatch(err.summary, /expected a native plugin in this process, found a wasm plugin/);
  });
  await t.step("isolation: process", async () => {
    const err = await openPlugin(await built("greeter"), { isolation: "process" }).catch((e) => e);
    assert(err instanceof PluginError);
    assertEquals(err.code, "USAGE");
    assertEquals(
      err.summary,
      `Cannot open plugin "${BUILD}/wasm/greeter.wasm" in a child process: expected a native library or an executable, found a WebAssembly module`,
    );
    assertMatch(err.hint ?? "", /isolation: "worker"/);
  });
  await t.step("isolation: worker for a native plugin", async () => {
    const err = await openPlugin(plugin("greeter"), { isolation: "worker" }).catch((e) => e);
    assert(err instanceof PluginError);
    assertEquals(err.code, "USAGE");
    assertMatch(err.summary, /in a worker: expected a WebAssembly module, found a native library$/);
  });
});

Deno.test("a nonblocking declaration returns a Promise, run at once in process", async () => {
  using p = openPluginSync(await built("greeter"));
  const { greet } = p.functions({ greet: "nonblocking cstring greet(cstring name)" });
  const r = greet("Ada");
  assert(r instanceof Promise);
  assertEquals(await r, "Hello, Ada");
  await greet(5 as unknown as string).then(
    () => assert(false, "expected a rejection"),
    (e) => assertEquals((e as CallError).code, "INVALID_ARGUMENT"),
  );
});

Deno.test("a pointer cannot cross into a WebAssembly plugin: USAGE", NEEDS_TOOLCHAIN, async () => {
  using p = openPluginSync(await wasmFixture("hooks"));
  const err = assertThrows(() => p.function("touch"), PluginError);
  assertEquals(err.code, "USAGE");
  assertMatch(
    err.summary,
    /a pointer into a WebAssembly plugin's memory means nothing in the host/,
  );
});

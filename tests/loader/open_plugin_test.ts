import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "../_assert.ts";
import {
  CallError,
  defineInterface,
  LoadError,
  openPlugin,
  openPluginSync,
  PluginError,
} from "../../mod.ts";
import { BUILD, fixture, plugin } from "../_paths.ts";

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
const GreeterFormal = defineInterface("greeter", "1.1", {
  greet: "cstring greet(cstring name)",
  greet_formal: "cstring greet_formal(cstring name)",
});
const My = defineInterface("myfunction", "1.0", {
  MyFunction: "fallible i32 MyFunction(cstring input)",
});
const Counter = defineInterface("counter", "1.0", {
  inc: "i32 inc()",
  get: "i32 get()",
  reset: "void reset()",
  inc_slow: "nonblocking i32 inc_slow(i32 ms)",
});
const Bench = defineInterface("bench", "1.0", {
  noop: "void noop()",
  add: "i32 add(i32 a, i32 b)",
  upper: "usize upper(buffer data, usize len)",
  greet: "cstring greet(cstring name)",
});

async function tempCopy(src: string, patch: (b: Uint8Array) => Uint8Array): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-test-" });
  const out = `${dir}/patched.so`;
  await Deno.writeFile(out, patch(await Deno.readFile(src)));
  return out;
}

async function compile(args: string[]): Promise<void> {
  const r = await new Deno.Command("cc", { args, stderr: "piped" }).output();
  assert(r.success, new TextDecoder().decode(r.stderr));
}

Deno.test("openPlugin() loads the greeter and calls it through its interface", async () => {
  await using p = await openPlugin(plugin("greeter"), { interfaces: [Greeter] });
  const g = p.use(Greeter);
  assertEquals(g.greet("World"), "Hello, World");
  assertEquals(g.greet("Wörld ✓"), "Hello, Wörld ✓");
  assertEquals(g.greet("x".repeat(1000))?.length, 255, "the plugin's buffer holds 255 bytes");
  assertEquals(p.metadata.name, "greeter");
  assertEquals(p.metadata.version, "0.1.0");
  assertEquals(p.metadata.interfaces.map((i) => i.id), ["greeter"]);
  assertMatch(p.metadata.compiler, /^gcc \d+\.\d+/);
  assertMatch(p.sha256, /^[0-9a-f]{64}$/);
  assertStrictEquals(p.use(Greeter), g, "use() returns the same functions twice");
});

Deno.test("openPlugin() maps a fallible function's error to CALL_FAILED", async () => {
  await using p = await openPlugin(plugin("myfunction"), { interfaces: [My] });
  const { MyFunction } = p.use(My);
  assertEquals(MyFunction("hello"), 42);
  assertEquals(MyFunction("four"), 4);
  const e = assertThrows(() => MyFunction(""), CallError);
  assertEquals(e.code, "CALL_FAILED");
  assertEquals(e.pluginCode, 1);
  assertEquals(
    e.summary,
    `Call to "MyFunction" in plugin "${plugin("myfunction")}" failed: input is empty`,
  );
  assertEquals(MyFunction("hello"), 42, "the error does not stick to the next call");
});

Deno.test("openPlugin() refuses each broken file with its code", async (t) => {
  const text = await tempCopy(plugin("greeter"), () => new TextEncoder().encode("hello world\n"));
  const truncated = await tempCopy(plugin("greeter"), (b) => b.slice(0, 1000));
  const arm = await tempCopy(plugin("greeter"), (b) => {
    const c = b.slice();
    new DataView(c.buffer).setUint16(18, 183, true);
    return c;
  });
  const elf32 = await tempCopy(plugin("greeter"), (b) => {
    const c = b.slice();
    c[4] = 1;
    return c;
  });
  const exeDir = await Deno.makeTempDir({ prefix: "plugboard-test-" });
  await Deno.writeTextFile(`${exeDir}/main.c`, "int main(void) { return 0; }\n");
  await compile(["-no-pie", "-o", `${exeDir}/exe`, `${exeDir}/main.c`]);
  await compile(["-pie", "-fPIE", "-o", `${exeDir}/pie`, `${exeDir}/main.c`]);
  const cases: [string, string, string, RegExp][] = [
    ["a missing file", `${BUILD}/missing.so`, "NOT_FOUND", /no such file/],
    ["a directory", BUILD, "NOT_A_FILE", /found a directory/],
    ["a text file named .so", text, "NOT_ELF", /found text beginning "hello wo/],
    ["a truncated library", truncated, "TRUNCATED", /expected/],
    ["a library for aarch64", arm, "WRONG_ARCH", /expected x86_64, found aarch64/],
    ["a 32-bit library", elf32, "WRONG_ELF_CLASS", /ELFCLASS32/],
    ["an executable", `${exeDir}/exe`, "NOT_SHARED_OBJECT", /found an executable/],
    ["a PIE executable", `${exeDir}/pie`, "NOT_SHARED_OBJECT", /position-independent executable/],
    ["a library without metadata", fixture("plain"), "NOT_A_PLUGIN", /no plugboard metadata/],
    [
      "ABI major 2",
      fixture("abi2"),
      "ABI_MISMATCH",
      /ABI major version mismatch: expected ABI 1\.x, found ABI 2\.0/,
    ],
    [
      "ABI minor 9",
      fixture("abi_minor9"),
      "ABI_MISMATCH",
      /ABI minor version too new: expected ABI 1\.0 to 1\.0, found ABI 1\.9/,
    ],
    ["init failure", fixture("init_fail"), "INIT_FAILED", /found 7: database not reachable/],
  ];
  for (const [name, path, code, message] of cases) {
    await t.step(name, async () => {
      const e = await assertRejects(() => openPlugin(path), LoadError);
      assertEquals(e.code, code);
      assertMatch(e.summary, message);
      assert(e.summary.startsWith(`Cannot load plugin "${path}": `), e.summary);
      assert(e.hint && e.hint.length > 10, "every load error has a hint");
    });
  }
});

Deno.test("openPlugin() checks interfaces before loading, field by field", async (t) => {
  const cases: [string, string, ReturnType<typeof defineInterface>, string, string][] = [
    [
      "a plugin without the interface",
      fixture("no_interface"),
      Greeter,
      "INTERFACE_MISSING",
      `Cannot load plugin "${
        fixture("no_interface")
      }": plugin "fixture-no-interface" does not provide interface "greeter": expected greeter/1.0, found other/1.0`,
    ],
    [
      "a newer interface major",
      fixture("greeter_v2"),
      Greeter,
      "INTERFACE_MISMATCH",
      `Cannot load plugin "${
        fixture("greeter_v2")
      }": interface "greeter" major version mismatch: expected greeter/1.0, found greeter/2.0`,
    ],
    [
      "an older minor than the host needs",
      plugin("greeter"),
      GreeterFormal,
      "INTERFACE_MISMATCH",
      `Cannot load plugin "${
        plugin("greeter")
      }": interface "greeter" is older than the host needs: expected greeter/1.1 with greet, greet_formal, found greeter/1.0 without greet_formal`,
    ],
    [
      "a changed signature",
      fixture("greeter_sigchange"),
      Greeter,
      "SIGNATURE_MISMATCH",
      `Cannot load plugin "${
        fixture("greeter_sigchange")
      }": function "greet" of interface "greeter" has another signature: expected cstring greet(cstring), found i32 greet(i32)`,
    ],
  ];
  for (const [name, path, spec, code, summary] of cases) {
    await t.step(name, async () => {
      const e = await assertRejects(() => openPlugin(path, { interfaces: [spec] }), LoadError);
      assertEquals(e.code, code);
      assertEquals(e.summary, summary);
    });
  }
  await t.step("a newer minor serves a host that needs the older one", async () => {
    await using p = await openPlugin(fixture("greeter_v1_1"), { interfaces: [Greeter] });
    assertEquals(p.use(Greeter).greet("Ada"), "Hello, Ada");
    assertEquals(p.use(GreeterFormal).greet_formal("Ada"), "Good day, Ada");
  });
});

Deno.test("Plugin.functions() explains a missing symbol", async (t) => {
  await using p = await openPlugin(fixture("symbols"));
  const cases: [string, string, RegExp, RegExp][] = [
    [
      "a hidden function",
      "hidden_fn",
      /found a hidden function \(hidden visibility: it is in the file but not exported\)$/,
      /-fvisibility=hidden/,
    ],
    [
      "a static function",
      "static_fn",
      /found a static function \(local to its source file/,
      /remove "static"/,
    ],
    [
      "a function removed by the linker",
      "removed_fn",
      /found no symbol of that name, not even a local one$/,
      /--gc-sections/,
    ],
    ["a typo", "visibel", /did you mean "visible"\?/, /use the exported name "visible"/],
  ];
  for (const [name, fn, found, hint] of cases) {
    await t.step(name, () => {
      const e = assertThrows(() => p.functions({ [fn]: `i32 ${fn}(i32 x)` }), LoadError);
      assertEquals(e.code, "SYMBOL_MISSING");
      assertMatch(e.summary, found);
      assertMatch(e.hint!, hint);
    });
  }
  await t.step("a declared function with another signature", () => {
    const e = assertThrows(() => p.functions({ visible: "i64 visible(i64 x)" }), LoadError);
    assertEquals(e.code, "SIGNATURE_MISMATCH");
    assertMatch(e.summary, /expected i64 visible\(i64\), found i32 visible\(i32\)/);
  });
  assertEquals(p.functions({ visible: "i32 visible(i32 x)" }).visible(3), 7);
});

Deno.test("openPlugin() never lets a call reach unloaded code", async (t) => {
  await t.step("a call after close throws CLOSED", async () => {
    const p = await openPlugin(plugin("greeter"));
    const { greet } = p.use(Greeter);
    assertEquals(await p.close(), { unloaded: true });
    const e = assertThrows(() => greet("x"), CallError);
    assertEquals(e.code, "CLOSED");
    assertEquals(assertThrows(() => p.use(Greeter), CallError).code, "CLOSED");
    assertEquals(assertThrows(() => p.function("greet"), CallError).code, "CLOSED");
    assertEquals(await p.close(), { unloaded: true }, "closing twice is harmless");
  });
  await t.step("a variable after close throws CLOSED", async () => {
    const p = openPluginSync(plugin("counter"));
    const v = p.variable("counter_value", "i32");
    p.use(Counter).inc();
    assertEquals(v.get(), 1);
    v.set(41);
    assertEquals(p.use(Counter).inc(), 42);
    await p.close();
    assertEquals(assertThrows(() => v.get(), CallError).code, "CLOSED");
    assertEquals(assertThrows(() => v.set(1), CallError).code, "CLOSED");
  });
  await t.step("close waits for nonblocking calls in flight", async () => {
    const p = openPluginSync(plugin("counter"));
    const c = p.use(Counter);
    c.reset();
    const inflight = Array.from({ length: 4 }, () => c.inc_slow(50));
    const closed = p.close();
    assertEquals(assertThrows(() => c.inc(), CallError).code, "CLOSED");
    const results = (await Promise.all(inflight)).sort();
    assertEquals(results, [1, 2, 3, 4]);
    assertEquals(await closed, { unloaded: true });
    const late = c.inc_slow(1);
    assertInstanceOf(late, Promise, "a nonblocking call after close rejects, it does not throw");
    assertEquals((await assertRejects(() => late, CallError)).code, "CLOSED");
  });
  await t.step("using disposes the handle", () => {
    let greet: ((name: string) => string | null) | undefined;
    {
      using p = openPluginSync(plugin("greeter"));
      greet = p.use(Greeter).greet;
      assertEquals(greet("a"), "Hello, a");
    }
    assertEquals(assertThrows(() => greet!("b"), CallError).code, "CLOSED");
  });
});

Deno.test("openPlugin() shares one load between handles on the same file", async () => {
  const a = await openPlugin(plugin("counter"));
  const b = await openPlugin(plugin("counter"));
  assertEquals([a.shared, b.shared], [false, true]);
  const ca = a.use(Counter);
  const cb = b.use(Counter);
  ca.reset();
  ca.inc();
  assertEquals(cb.get(), 1, "both handles see one library's state");
  assertEquals(await a.close(), { unloaded: false, reason: "1 other handle(s) still open" });
  assertEquals(assertThrows(() => ca.inc(), CallError).code, "CLOSED");
  assertEquals(cb.inc(), 2, "the other handle keeps working");
  assertEquals(await b.close(), { unloaded: true });
  const e = await assertRejects(async () => {
    await using _c = await openPlugin(plugin("greeter"));
    await openPlugin(plugin("greeter"), { load: "path" });
  }, LoadError);
  assertEquals(e.code, "ALREADY_OPEN");
});

Deno.test("openPlugin() detects that glibc handed back an older build loaded by path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-test-" });
  const path = `${dir}/greeter.so`;
  await Deno.copyFile(plugin("greeter"), path);
  const raw = Deno.dlopen(path, { greet: { parameters: ["buffer"], result: "pointer" } });
  try {
    await Deno.copyFile(fixture("greeter_v1_1"), `${path}.new`);
    await Deno.rename(`${path}.new`, path);
    const e = await assertRejects(() => openPlugin(path, { load: "path" }), LoadError);
    assertEquals(e.code, "METADATA_MISMATCH");
    assertMatch(e.summary, /the library in memory is not the file that was checked/);
    await using fresh = await openPlugin(path);
    assertEquals(fresh.metadata.name, "fixture-greeter-v1-1", "memfd loads the new bytes");
  } finally {
    raw.close();
  }
});

Deno.test("typed functions validate arguments the same cold and hot", async (t) => {
  await using p = await openPlugin(plugin("noop"), { interfaces: [Bench] });
  const b = p.use(Bench);
  for (let i = 0; i < 20_000; i++) b.add(i, 1);
  const cases: [string, () => unknown, RegExp][] = [
    [
      "a fraction for i32",
      () => b.add(2.7, 3),
      /argument 1 does not fit i32: expected an integer from -2147483648 to 2147483647, found number 2\.7/,
    ],
    ["a string for i32", () => b.add("2" as unknown as number, 3), /found string "2"/],
    ["out of range i32", () => b.add(2 ** 31, 0), /found number 2147483648/],
    ["a negative usize", () => b.upper(new Uint8Array(4), -1), /argument 2 does not fit usize/],
    [
      "a usize beyond 2^64",
      () => b.upper(new Uint8Array(4), 1n << 64n),
      /argument 2 does not fit usize/,
    ],
    ["a NUL in a cstring", () => b.greet("a\0b"), /argument 1 does not fit cstring/],
    [
      "a number for a buffer",
      () => b.upper(5 as unknown as Uint8Array, 1),
      /argument 1 does not fit buffer/,
    ],
  ];
  for (const [name, call, message] of cases) {
    await t.step(name, () => {
      const e = assertThrows(call, CallError);
      assertEquals(e.code, "INVALID_ARGUMENT");
      assertMatch(e.summary, message);
    });
  }
  const data = new TextEncoder().encode("abc-xyz");
  assertEquals(b.upper(data, data.length), 7n);
  assertEquals(new TextDecoder().decode(data), "ABC-XYZ");
  assertEquals(b.upper(data, 2n), 2n);
  assertEquals(b.add(-5, 3), -2);
  assertEquals(b.noop(), undefined);
  assertEquals(
    b.greet("é".repeat(200)),
    "Hello, " + "é".repeat(124),
    "long non-ASCII strings go through encodeInto",
  );
});

Deno.test("errors are PluginErrors with stable codes and JSON", async () => {
  const e = await assertRejects(() => openPlugin(fixture("abi2")), PluginError);
  assertInstanceOf(e, LoadError);
  assertEquals(e.toJSON(), {
    code: "ABI_MISMATCH",
    message: `Cannot load plugin "${
      fixture("abi2")
    }": ABI major version mismatch: expected ABI 1.x, found ABI 2.0`,
    hint: "rebuild the plugin against plugboard.h 1.x (PLUGBOARD_ABI_MAJOR 1)",
    path: fixture("abi2"),
  });
  assertEquals(e.message, `${e.summary}\nhint: ${e.hint}`);
});

Deno.test("openPlugin() reads no memory of another library handed back by path", async (t) => {
  for (
    const [old, replacement] of [["wide32", "greeter"], ["greeter", "wide32"], ["noop", "counter"]]
  ) {
    await t.step(`${old} loaded, ${replacement} on disk`, async () => {
      const dir = await Deno.makeTempDir({ prefix: "plugboard-test-" });
      const path = `${dir}/p.so`;
      await Deno.copyFile(plugin(old), path);
      const raw = Deno.dlopen(path, { plugboard_entry: { type: "pointer" } });
      try {
        await Deno.copyFile(plugin(replacement), `${path}.new`);
        await Deno.rename(`${path}.new`, path);
        const e = await assertRejects(() => openPlugin(path, { load: "path" }), LoadError);
        assertEquals(e.code, "METADATA_MISMATCH");
      } finally {
        raw.close();
      }
    });
  }
});

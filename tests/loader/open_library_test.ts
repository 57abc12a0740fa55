import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "../_assert.ts";
import { CallError, LoadError, openLibrary, PluginError } from "../../mod.ts";
import { fixture } from "../_paths.ts";

Deno.test("openLibrary() calls an ordinary system library by soname", () => {
  using zlib = openLibrary("libz.so.1", {
    zlibVersion: "cstring zlibVersion()",
    crc32: "u64 crc32(u64 crc, buffer data, u32 len)",
  });
  assertMatch(zlib.symbols.zlibVersion()!, /^\d+\.\d+/);
  const hello = new TextEncoder().encode("hello");
  assertEquals(zlib.symbols.crc32(0, hello, hello.length), 0x3610a686n);
});

Deno.test("openLibrary() checks a library file and its symbols first", async (t) => {
  await t.step("a declared function it exports", () => {
    using lib = openLibrary(fixture("plain"), { add: "i32 add(i32 a, i32 b)" });
    assertEquals(lib.symbols.add(2, 3), 5);
  });
  await t.step("a function it does not export", () => {
    const e = assertThrows(
      () => openLibrary(fixture("plain"), { sub: "i32 sub(i32 a, i32 b)" }),
      LoadError,
    );
    assertEquals(e.code, "SYMBOL_MISSING");
    assertMatch(e.summary, /symbol "sub" is not an exported function/);
  });
  await t.step("a file that is not a library", async () => {
    const dir = await Deno.makeTempDir({ prefix: "plugboard-test-" });
    await Deno.writeTextFile(`${dir}/x.so`, "not a library\n");
    assertEquals(assertThrows(() => openLibrary(`${dir}/x.so`, {}), LoadError).code, "NOT_ELF");
  });
  await t.step("a fallible declaration (a plain library has no error channel)", () => {
    const e = assertThrows(
      () => openLibrary(fixture("plain"), { add: "fallible i32 add(i32 a, i32 b)" }),
      PluginError,
    );
    assertEquals(e.code, "USAGE");
    assertEquals(
      e.summary,
      `Cannot declare "add" of library "${
        fixture("plain")
      }" fallible: expected a plain signature, found "fallible", which needs plugboard's error channel (plugboard_take_error) that only plugins export`,
    );
  });
  await t.step("a soname the dynamic linker cannot find", () => {
    const e = assertThrows(() => openLibrary("libplugboard-nope.so.9", {}), LoadError);
    assertEquals(e.code, "LOAD_FAILED");
    assert(!e.summary.includes("Could not open library"), e.summary);
    assertMatch(e.summary, /libplugboard-nope\.so\.9/);
  });
});

Deno.test("openLibrary() functions throw CLOSED after close instead of crashing", async () => {
  const other = openLibrary(fixture("plain"), { add: "i32 add(i32 a, i32 b)" });
  const handle = openLibrary(fixture("plain"), { add: "i32 add(i32 a, i32 b)" });
  const { add } = handle.symbols;
  assertEquals(add(1, 1), 2);
  await handle.close();
  assertEquals(handle.closed, true);
  assertEquals(assertThrows(() => add(1, 1), CallError).code, "CLOSED");
  assertEquals(other.symbols.add(2, 2), 4, "another handle on the same file is unaffected");
  await other.close();
});

Deno.test("openLibrary() close waits for a nonblocking call in flight", async () => {
  const lib = openLibrary(fixture("plain"), { add: "nonblocking i32 add(i32 a, i32 b)" });
  const inflight = lib.symbols.add(20, 22);
  const closed = lib.close();
  assertEquals(await inflight, 42);
  await closed;
  const e = await assertRejects(() => lib.symbols.add(1, 2), CallError);
  assertEquals(e.code, "CLOSED");
});

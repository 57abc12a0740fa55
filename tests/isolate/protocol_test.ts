/**
 * The isolation protocol's building blocks: frames, values by signature
 * type, argument checks, and errors that keep their class and message
 * across the pipe.
 */
import assert from "node:assert/strict";
import { parseSignature, type TypeName } from "../../src/abi/signature.ts";
import { CallError, LoadError, PluginError } from "../../src/errors/plugin_error.ts";
import {
  assertIsolatable,
  Cursor,
  errorFromData,
  errorToData,
  fits,
  FrameWriter,
  HEADER_SIZE,
  Kind,
  readValue,
  writeValue,
} from "../../src/isolate/_protocol.ts";

Deno.test("FrameWriter writes length, id, kind and payload, and grows as needed", () => {
  const w = new FrameWriter();
  const start = w.begin(7, Kind.CALL);
  w.u16(3);
  w.string("x".repeat(100_000));
  w.end(start);
  const bytes = w.take();
  const view = new DataView(bytes.buffer);
  assert.equal(bytes.length, HEADER_SIZE + 2 + 4 + 100_000);
  assert.equal(view.getUint32(0, true), 2 + 4 + 100_000);
  assert.equal(view.getUint32(4, true), 7);
  assert.equal(bytes[8], Kind.CALL);
  assert.equal(view.getUint16(9, true), 3);
  assert.equal(w.length, 0);
});

Deno.test("writeValue() and readValue() carry every type intact", async (t) => {
  const cases: [TypeName, unknown][] = [
    ["bool", true],
    ["bool", false],
    ["i8", -128],
    ["u8", 255],
    ["i16", -32768],
    ["u16", 65535],
    ["i32", -2147483648],
    ["u32", 4294967295],
    ["i64", -(2n ** 63n)],
    ["u64", 2n ** 64n - 1n],
    ["isize", -1n],
    ["usize", 42n],
    ["f32", 1.5],
    ["f64", Math.PI],
    ["f64", -0],
    ["cstring", "ünïcödé ✓ and \n newlines"],
    ["cstring", ""],
    ["cstring", null],
    ["buffer", new Uint8Array([0, 1, 2, 255])],
    ["void", undefined],
  ];
  for (const [type, value] of cases) {
    await t.step(
      `${type} ${typeof value === "bigint" ? `${value}n` : JSON.stringify(value)}`,
      () => {
        const w = new FrameWriter();
        writeValue(w, type, value);
        writeValue(w, "u8", 99);
        const bytes = w.take();
        const c = new Cursor(bytes, new DataView(bytes.buffer), 0);
        assert.deepEqual(readValue(c, type), value);
        assert.equal(readValue(c, "u8"), 99);
        assert.equal(c.pos, bytes.length);
      },
    );
  }
  await t.step("64-bit numbers given as numbers arrive as bigints", () => {
    const w = new FrameWriter();
    writeValue(w, "i64", -5);
    writeValue(w, "u64", 2 ** 53 - 1);
    const bytes = w.take();
    const c = new Cursor(bytes, new DataView(bytes.buffer), 0);
    assert.equal(readValue(c, "i64"), -5n);
    assert.equal(readValue(c, "u64"), 2n ** 53n - 1n);
  });
});

Deno.test("fits() applies the in-process argument rules", async (t) => {
  const cases: [TypeName, unknown, boolean][] = [
    ["i8", 127, true],
    ["i8", 128, false],
    ["u8", -1, false],
    ["i32", 1.5, false],
    ["i32", "1", false],
    ["u32", 4294967295, true],
    ["u64", -1, false],
    ["u64", 2n ** 64n, false],
    ["u64", 2 ** 53, false],
    ["i64", -(2n ** 63n), true],
    ["i64", 2n ** 63n, false],
    ["f64", NaN, true],
    ["bool", 0, false],
    ["cstring", "a\0b", false],
    ["cstring", "ok", true],
    ["buffer", new Uint8Array(1), true],
    ["buffer", [1], false],
    ["pointer", null, true],
  ];
  for (const [type, value, ok] of cases) {
    await t.step(`${type} ${String(value)} -> ${ok}`, () => assert.equal(fits(type, value), ok));
  }
});

Deno.test("assertIsolatable() refuses pointers, which cannot cross a process boundary", async (t) => {
  assert.doesNotThrow(() => assertIsolatable(parseSignature("usize f(buffer b, usize n)"), "x.so"));
  const cases: [string, "plugin" | "library" | undefined, string][] = [
    [
      "pointer f(i32 x)",
      undefined,
      `Cannot call "f" of plugin "x.so" in a child process: expected values that can be copied, found a pointer (its result of "pointer f(i32)"), which cannot cross a process boundary`,
    ],
    [
      "i32 f(i32 a, pointer p)",
      "plugin",
      `Cannot call "f" of plugin "x.so" in a child process: expected values that can be copied, found a pointer (parameter 2 of "i32 f(i32, pointer)"), which cannot cross a process boundary`,
    ],
    [
      "i32 f(pointer p)",
      "library",
      `Cannot call "f" of library "x.so" in a child process: expected values that can be copied, found a pointer (parameter 1 of "i32 f(pointer)"), which cannot cross a process boundary`,
    ],
  ];
  for (const [text, subject, summary] of cases) {
    await t.step(`${subject ?? "(default)"}: ${text}`, () => {
      assert.throws(
        () => assertIsolatable(parseSignature(text), "x.so", subject),
        (e: unknown) =>
          e instanceof PluginError && e.code === "USAGE" && e.summary === summary &&
          e.hint ===
            `declare the data as buffer parameters (copied both ways), or open the ${
              subject ?? "plugin"
            } in this process`,
      );
    });
  }
});

Deno.test("errorFromData(errorToData()) keeps the class, code, message and fields", async (t) => {
  const cases: [string, PluginError][] = [
    [
      "LoadError",
      new LoadError("INIT_FAILED", {
        path: "a.so",
        what: "w",
        expected: "e",
        found: "f",
        hint: "h",
      }),
    ],
    [
      "CallError",
      new CallError("CALL_FAILED", "a.so", "fn", "broken", { pluginCode: 7, hint: "h" }),
    ],
    ["PluginError", new PluginError("USAGE", "bad", { path: "a.so" })],
  ];
  for (const [name, original] of cases) {
    await t.step(name, () => {
      const copy = errorFromData(JSON.parse(JSON.stringify(errorToData(original))));
      assert.equal(copy.constructor, original.constructor);
      assert.equal(copy.name, name);
      assert.equal(copy.code, original.code);
      assert.equal(copy.message, original.message);
      assert.equal(copy.hint, original.hint);
      assert.equal(copy.path, original.path);
      if (original instanceof LoadError) {
        assert.equal((copy as LoadError).expected, "e");
        assert.equal((copy as LoadError).found, "f");
      }
      if (original instanceof CallError) {
        assert.equal((copy as CallError).function, "fn");
        assert.equal((copy as CallError).pluginCode, 7);
      }
    });
  }
  await t.step("another error becomes an explained CALL_FAILED", () => {
    const copy = errorFromData(errorToData(new TypeError("oops")));
    assert.equal(copy.code, "CALL_FAILED");
    assert.equal(copy.summary, "Unexpected error in the isolation child: oops");
  });
});

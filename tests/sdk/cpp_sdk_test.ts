/**
 * C++ plugins with native/cpp/plugboard.hpp: the calc-max sample (std::string
 * and exceptions turned into pb_fail by plugboard::guard) and the cpp-kit
 * fixture are built with g++, then inspected, loaded, called and closed.
 *
 * @module
 */

import { CallError, inspectPlugin, openPlugin, struct } from "../../mod.ts";
import { assertEquals, assertStrictEquals, assertThrows } from "../_assert.ts";
import { captureCli } from "../_cli.ts";
import { ROOT } from "../_paths.ts";
import { aloneInDir, buildCpp, CALC_OP_HASH, CalcOp, mapped, run } from "./_toolchain.ts";

const SAMPLE = `${ROOT}/plugins/cpp/calc_max/calc_max.cpp`;

Deno.test("the C++ sample calc-max builds with g++", async () => {
  const built = await buildCpp(SAMPLE, "calc_max");
  // Figures for people, with PLUGBOARD_TIMINGS=1; a test run prints nothing.
  if (Deno.env.get("PLUGBOARD_TIMINGS")) {
    console.log(
      `calc_max: ${built.compiled ? "compiled" : "up to date"} in ${built.ms.toFixed(0)} ms`,
    );
  }
  assertEquals((await buildCpp(SAMPLE, "calc_max")).compiled, false, "a second build is a no-op");
});

Deno.test("inspectPlugin() reads the metadata of calc-max", async () => {
  const { path } = await buildCpp(SAMPLE, "calc_max");
  const gcc = (await run("g++", ["-dumpfullversion"])).stdout.trim();
  const report = inspectPlugin(path);
  assertEquals(
    {
      name: report.name,
      version: report.version,
      abi: report.abi,
      compiler: report.compiler,
      interfaces: report.interfaces,
      hooks: report.hooks,
      plugboardExports: report.exports.filter((e) => !e.startsWith("_Z")),
    },
    {
      name: "calc-max",
      version: "0.1.0",
      abi: "1.0",
      compiler: `gcc ${gcc}`,
      interfaces: [{
        id: "calc.op",
        version: "1.0",
        hash: CALC_OP_HASH,
        functions: ["fallible f64 apply(f64, f64)", "cstring name()"],
        declared: ["fallible f64 apply(f64 a, f64 b)", "cstring name()"],
      }],
      hooks: { init: false, shutdown: false },
      plugboardExports: [
        "apply",
        "name",
        "name__into",
        "plugboard_entry",
        "plugboard_into_copy",
        "plugboard_take_error",
      ],
    },
  );
});

Deno.test("openPlugin() calls calc-max, reports its exception, and close() unloads it", async (t) => {
  const { path } = await buildCpp(SAMPLE, "calc_max");
  const plugin = await openPlugin(path, { interfaces: [CalcOp] });
  const op = plugin.use(CalcOp);
  assertStrictEquals(op.name(), "max");
  for (const [a, b, expected] of [[7, 3, 7], [-7, 3, 3], [2.5, 2.25, 2.5], [-0.5, -2, -0.5]]) {
    await t.step(`apply(${a}, ${b}) is ${expected}`, () => {
      assertStrictEquals(op.apply(a, b), expected);
    });
  }
  await t.step("NaN fails with the exception's what() and code 1", () => {
    const e = assertThrows(() => op.apply(NaN, 2.5), CallError);
    assertEquals(
      { code: e.code, pluginCode: e.pluginCode, summary: e.summary },
      {
        code: "CALL_FAILED",
        pluginCode: 1,
        summary: `Call to "apply" in plugin "${path}" failed: max(nan, 2.5): NaN has no order`,
      },
    );
  });
  await t.step("close() unloads it and nothing stays mapped", async () => {
    assertEquals(await plugin.close(), { unloaded: true });
    assertEquals(mapped("calc-max"), false);
  });
});

Deno.test("plugboard calc takes max as an operator symbol", async () => {
  const { path } = await buildCpp(SAMPLE, "calc_max");
  const dir = await aloneInDir(path);
  try {
    const r = await captureCli(["calc", "--dir", dir, "7 max 3 max 9; -2 max -5; (1) max (2)"]);
    assertEquals(r, {
      code: 0,
      out: ["7 max 3 max 9 = 9", "-2 max -5 = -2", "(1) max (2) = 2"],
      err: [],
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("plugboard::guard turns each kind of exception into pb_fail (cpp-kit)", async (t) => {
  const { path } = await buildCpp(`${ROOT}/tests/sdk/cpp_kit.cpp`, "cpp_kit");
  const plugin = await openPlugin(path);
  const kit = plugin.functions({
    throws: "fallible i32 throws(i32 how)",
    text: "fallible cstring text(cstring s)",
  });
  const cases: { name: string; fn: string; call: () => unknown; code: number; message: string }[] =
    [
      {
        name: "plugboard::error keeps its code",
        fn: "throws",
        call: () => kit.throws(1),
        code: 7,
        message: "chosen code 7",
      },
      {
        name: "a std::exception has code 1 and its what()",
        fn: "throws",
        call: () => kit.throws(2),
        code: 1,
        message: "index 2",
      },
      {
        name: "anything else is an unknown exception",
        fn: "throws",
        call: () => kit.throws(3),
        code: 1,
        message: "unknown exception",
      },
      {
        name: "a pointer result fails as well",
        fn: "text",
        call: () => kit.text(""),
        code: 1,
        message: "empty text",
      },
    ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const e = assertThrows(c.call, CallError);
      assertEquals(
        { code: e.code, pluginCode: e.pluginCode, summary: e.summary },
        {
          code: "CALL_FAILED",
          pluginCode: c.code,
          summary: `Call to "${c.fn}" in plugin "${path}" failed: ${c.message}`,
        },
      );
    });
  }
  await t.step("a guarded body that returns normally returns its value", () => {
    assertStrictEquals(kit.throws(5), 5);
    assertStrictEquals(kit.text("ok"), "ok");
  });
  assertEquals(await plugin.close(), { unloaded: true });
  assertEquals(mapped("cpp-kit"), false);
});

Deno.test("PLUGBOARD_STRUCT and the author from C++ (cpp-kit)", async () => {
  const { path } = await buildCpp(`${ROOT}/tests/sdk/cpp_kit.cpp`, "cpp_kit");
  const report = inspectPlugin(path);
  assertEquals(report.author, "C++ Kit <kit@example.org>");
  assertEquals(report.structs, [
    "struct cpp_point { i32 x; i32 y; } (8 bytes, align 4)",
    "struct cpp_shape { u16 kind; f64 scale; struct at (8 bytes); pointer label; bool on; } (40 bytes, align 8)",
  ]);
  const Point = struct("cpp_point", { x: "i32", y: "i32" });
  await using plugin = await openPlugin(path);
  const { swap } = plugin.functions(
    { swap: "struct cpp_point swap(struct cpp_point p)" },
    { structs: [Point] },
  );
  assertEquals(swap({ x: 1, y: 2 }), { x: 2, y: 1 });
});

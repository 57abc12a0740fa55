/**
 * The Rust SDK (native/rust/plugboard.rs): the calc-pow sample and the
 * rust-kit fixture are built with cargo (offline, no dependencies), then
 * inspected, loaded, called and closed through plugboard.
 *
 * @module
 */

import {
  CallError,
  defineInterface,
  inspectPlugin,
  LoadError,
  openPlugin,
  struct,
} from "../../mod.ts";
import { compareLayouts } from "../../src/abi/struct_type.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "../_assert.ts";
import { captureCli } from "../_cli.ts";
import { ROOT } from "../_paths.ts";
import {
  aloneInDir,
  buildRust,
  CALC_OP_HASH,
  CalcOp,
  mapped,
  run,
  rustVersion,
} from "./_toolchain.ts";

const CALL_HINT =
  "the plugin reported this error; check the arguments or the plugin's documentation";

Deno.test("the Rust SDK: calc-pow builds with cargo --offline, without dependencies", async () => {
  const manifest = await Deno.readTextFile(`${ROOT}/plugins/rust/calc_pow/Cargo.toml`);
  assertMatch(manifest, /\[dependencies\]\n(#.*\n|\s*\n)*(\[|$)/, "no dependencies");
  assertMatch(manifest, /crate-type = \["cdylib"\]/);
  const built = await buildRust(`${ROOT}/plugins/rust/calc_pow`, "calc_pow");
  // Figures for people, with PLUGBOARD_TIMINGS=1; a test run prints nothing.
  if (Deno.env.get("PLUGBOARD_TIMINGS")) {
    console.log(
      `calc_pow: ${built.compiled ? "compiled" : "up to date"} in ${built.ms.toFixed(0)} ms`,
    );
  }
  const again = await buildRust(`${ROOT}/plugins/rust/calc_pow`, "calc_pow");
  assertEquals(again.compiled, false, "a second build is a no-op");
});

Deno.test("inspectPlugin() reads the metadata the Rust SDK declared for calc-pow", async () => {
  const { path } = await buildRust(`${ROOT}/plugins/rust/calc_pow`, "calc_pow");
  const report = inspectPlugin(path);
  assertEquals(
    {
      name: report.name,
      version: report.version,
      abi: report.abi,
      buildId: report.buildId,
      compiler: report.compiler,
      interfaces: report.interfaces.map(({ id, version, functions }) => ({
        id,
        version,
        functions,
      })),
      hooks: report.hooks,
      exports: report.exports,
    },
    {
      name: "calc-pow",
      version: "0.1.0",
      abi: "1.0",
      buildId: "",
      compiler: `rustc ${await rustVersion()}`,
      interfaces: [{
        id: "calc.op",
        version: "1.0",
        functions: ["fallible f64 apply(f64, f64)", "cstring name()"],
      }],
      hooks: { init: false, shutdown: false },
      exports: ["apply", "name", "plugboard_entry", "plugboard_take_error"],
    },
  );
  // The interface hash is the one a host computes for the same declaration.
  assertEquals(report.interfaces[0].hash, CALC_OP_HASH);
});

Deno.test("openPlugin() calls calc-pow, reports its pb_fail, and close() unloads it", async (t) => {
  const { path } = await buildRust(`${ROOT}/plugins/rust/calc_pow`, "calc_pow");
  const plugin = await openPlugin(path, { interfaces: [CalcOp] });
  const op = plugin.use(CalcOp);
  assertStrictEquals(op.name(), "^");
  for (const [a, b, expected] of [[2, 10, 1024], [-8, 3, -512], [9, 0.5, 3], [-2, -2, 0.25]]) {
    await t.step(`apply(${a}, ${b}) is ${expected}`, () => {
      assertStrictEquals(op.apply(a, b), expected);
    });
  }
  await t.step("a non-integer exponent of a negative base fails with the plugin's code", () => {
    const e = assertThrows(() => op.apply(-8, 0.5), CallError);
    assertEquals(
      { code: e.code, pluginCode: e.pluginCode, summary: e.summary, hint: e.hint },
      {
        code: "CALL_FAILED",
        pluginCode: 1,
        summary:
          `Call to "apply" in plugin "${path}" failed: non-integer exponent 0.5 of negative base -8`,
        hint: CALL_HINT,
      },
    );
    assertStrictEquals(op.apply(2, 3), 8, "the error was taken: the next call succeeds");
  });
  await t.step("close() unloads it and nothing stays mapped", async () => {
    assertEquals(await plugin.close(), { unloaded: true });
    assertEquals(mapped("calc-pow"), false);
  });
});

Deno.test("plugboard calc evaluates ^ with the Rust plugin, right to left", async () => {
  const { path } = await buildRust(`${ROOT}/plugins/rust/calc_pow`, "calc_pow");
  const dir = await aloneInDir(path);
  try {
    const r = await captureCli(["calc", "--dir", dir, "2 ^ 3 ^ 2; (-8) ^ 0.5"]);
    assertEquals(r.out, ["2 ^ 3 ^ 2 = 512"]);
    assertEquals(r.code, 1);
    assertMatch(r.err.join("\n"), /failed: non-integer exponent 0\.5 of negative base -8/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the Rust SDK: hooks, every type, cstring results, panics, long errors (rust-kit)", async (t) => {
  const { path } = await buildRust(`${ROOT}/tests/sdk/rust_kit`, "rust_kit");
  const report = inspectPlugin(path);
  await t.step("metadata: hooks, interface version, canonical signatures", () => {
    assertEquals(
      {
        version: report.version,
        hooks: report.hooks,
        interfaces: report.interfaces.map(({ id, version, functions }) => ({
          id,
          version,
          functions,
        })),
      },
      {
        version: "1.2.3-rc.1",
        hooks: { init: true, shutdown: true },
        interfaces: [{
          id: "rust.kit",
          version: "2.3",
          functions: [
            "fallible i32 boom(i32)",
            "cstring echo(cstring)",
            "fallible void long_error()",
            "void nothing()",
            "f64 pair_sum(pointer)",
            "i32 started()",
            "u64 sum(i8, u8, i16, u16, i32, u32, i64, u64, isize, usize, f32, bool, pointer, buffer)",
          ],
        }],
      },
    );
  });

  await t.step(
    "structure!() records the layout struct() computes; plugin!() the author",
    async () => {
      assertEquals(report.author, "Rust Kit <kit@example.org>");
      const Pair = struct("kit_pair", { flag: "bool", a: "i32", b: "f64", p: "pointer", c: "u16" });
      assertEquals(report.structs, [
        "struct kit_pair { bool flag; i32 a; f64 b; pointer p; u16 c; } (32 bytes, align 8)",
      ]);
      assertEquals(compareLayouts(Pair, report.structLayouts[0]), undefined);
      const Kit = defineInterface("rust.kit", "2.3", { pair_sum: "f64 pair_sum(pointer p)" }, {
        structs: [Pair],
      });
      await using p = await openPlugin(path, { interfaces: [Kit] });
      const bytes = Pair.encode({ flag: true, a: 2, b: 0.5, p: null, c: 10 });
      assertEquals(p.use(Kit).pair_sum(Deno.UnsafePointer.of(bytes)), 13.5);
    },
  );

  const log = await Deno.makeTempFile({ prefix: "plugboard-rust-kit-" });
  Deno.env.set("RUST_KIT_LOG", log);
  try {
    const plugin = await openPlugin(path);
    const kit = plugin.functions({
      started: "i32 started()",
      nothing: "void nothing()",
      echo: "cstring echo(cstring s)",
      boom: "fallible i32 boom(i32 x)",
      long_error: "fallible void long_error()",
      sum:
        "u64 sum(i8, u8, i16, u16, i32, u32, i64, u64, isize, usize, f32, bool, pointer, buffer)",
    });
    await t.step("init ran through the descriptor, once", () => {
      assertStrictEquals(kit.started(), 1);
    });
    await t.step("values of every type cross the ABI", () => {
      assertStrictEquals(kit.nothing(), undefined);
      assertStrictEquals(
        kit.sum(-1, 2, -3, 4, -5, 6, -7n, 8n, -9n, 10n, 11.5, true, null, new Uint8Array([20])),
        38n, // -1+2-3+4-5+6-7+8-9+10+11+1+1(null pointer)+20
      );
      assertStrictEquals(kit.echo("héllo"), "<héllo>");
      assertStrictEquals(kit.echo("x".repeat(100)), `<${"x".repeat(62)}`, "cut to 63 bytes");
    });
    await t.step("a panic in a fallible function is a CALL_FAILED with code -1", () => {
      const e = assertThrows(() => kit.boom(5), CallError);
      assertEquals(
        { code: e.code, pluginCode: e.pluginCode, summary: e.summary },
        {
          code: "CALL_FAILED",
          pluginCode: -1,
          summary: `Call to "boom" in plugin "${path}" failed: panicked: boom 5`,
        },
      );
      assertStrictEquals(kit.boom(-3), -3);
    });
    await t.step("a long message is cut to 511 bytes on a character boundary; code 0 is -1", () => {
      const e = assertThrows(() => kit.long_error(), CallError);
      assertEquals(e.pluginCode, -1);
      assertEquals(
        e.summary,
        `Call to "long_error" in plugin "${path}" failed: ${"é".repeat(255)}`,
      );
    });
    await t.step("close() runs shutdown and unloads, even after a panic", async () => {
      assertEquals(await plugin.close(), { unloaded: true });
      assertEquals(await Deno.readTextFile(log), "shutdown\n");
      assertEquals(mapped("rust-kit"), false, "no TLS destructor kept it mapped");
    });
  } finally {
    Deno.env.delete("RUST_KIT_LOG");
    await Deno.remove(log);
  }

  await t.step("an init hook that fails refuses the load with its message", async () => {
    Deno.env.set("RUST_KIT_REFUSE", "1");
    try {
      const e = await assertRejects(() => openPlugin(path), LoadError);
      assertEquals(
        { code: e.code, summary: e.summary },
        {
          code: "INIT_FAILED",
          summary:
            `Cannot load plugin "${path}": the plugin's init hook failed: expected init to return 0, found 7: refused: RUST_KIT_REFUSE is set`,
        },
      );
      assertEquals(mapped("rust-kit"), false);
    } finally {
      Deno.env.delete("RUST_KIT_REFUSE");
    }
  });
});

Deno.test("the Rust SDK refuses at compile time what the host would refuse", async (t) => {
  await rustVersion();
  const dir = await Deno.makeTempDir({ prefix: "plugboard-rust-fail-" });
  const sdk = `${ROOT}/native/rust/plugboard.rs`;
  const cases: { name: string; body: string; error: RegExp }[] = [
    {
      name: "a type outside the signature language",
      body: `plugboard::interface!(i, "i", 1, 0);
plugboard::function!(i, fn f(s: String) -> i32 { 0 });`,
      error: /unknown type `String`: use one of void, bool, i8/,
    },
    {
      name: "a buffer result",
      body: `plugboard::interface!(i, "i", 1, 0);
plugboard::function!(i, fn f() -> buffer { core::ptr::null_mut() });`,
      error: /buffer is an argument type only; return a pointer instead/,
    },
    {
      name: "a function of an undeclared interface",
      body: `plugboard::function!(nope, fn f() -> i32 { 0 });`,
      error: /cannot find type `nope`/,
    },
    {
      name: "a plugin name with capitals",
      body: `plugboard::plugin!("Calc", "0.1.0");`,
      error: /plugin name: use \[a-z0-9\._-\]/,
    },
    {
      name: "a version that is not semver",
      body: `plugboard::plugin!("calc", "1.0");`,
      error: /plugin version: use semver/,
    },
  ];
  try {
    for (const c of cases) {
      await t.step(c.name, async () => {
        const src = `${dir}/lib.rs`;
        await Deno.writeTextFile(
          src,
          `#[path = ${JSON.stringify(sdk)}]\nmod plugboard;\n${c.body}\n`,
        );
        const r = await run("rustc", [
          "--edition",
          "2021",
          "--crate-type",
          "cdylib",
          "--emit",
          "metadata",
          "--out-dir",
          dir,
          src,
        ]);
        assert(r.code !== 0, `rustc accepted ${c.name}`);
        assertMatch(r.stderr, c.error);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

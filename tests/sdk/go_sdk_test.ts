/**
 * The Go SDK (native/go/plugboard): the calc-mod sample is built with
 * `go build -buildmode=c-shared` (no network, no dependencies), then
 * inspected, loaded, called and closed through plugboard.
 *
 * A Go c-shared library starts a Go runtime when it is loaded and never
 * unloads (NODELETE), and it uses static TLS, of which glibc has a few
 * hundred bytes to spare: every load from a new memfd starts one more
 * runtime, and the fourth in one process failed here with "cannot allocate
 * memory in static TLS block". `deno test` runs all test files in one
 * process, so this file loads the Go plugin exactly once.
 *
 * @module
 */

import { CallError, inspectPlugin, openPlugin } from "../../mod.ts";
import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "../_assert.ts";
import { ROOT } from "../_paths.ts";
import {
  buildGo,
  CALC_OP_HASH,
  CalcOp,
  GO_ENV,
  goCommand,
  goVersion,
  mapped,
  run,
} from "./_toolchain.ts";

const SAMPLE = `${ROOT}/plugins/go/calc_mod`;

Deno.test("the Go SDK: calc-mod builds with go build -buildmode=c-shared, offline", async () => {
  const built = await buildGo(SAMPLE, "calc_mod");
  // Figures for people, with PLUGBOARD_TIMINGS=1; a test run prints nothing.
  if (Deno.env.get("PLUGBOARD_TIMINGS")) {
    console.log(
      `calc_mod: ${built.compiled ? "compiled" : "up to date"} in ${built.ms.toFixed(0)} ms`,
    );
  }
  const again = await buildGo(SAMPLE, "calc_mod");
  assertEquals(again.compiled, false, "a second build is a no-op");
});

Deno.test("inspectPlugin() reads the metadata the Go SDK declared for calc-mod", async () => {
  const { path } = await buildGo(SAMPLE, "calc_mod");
  const report = inspectPlugin(path);
  assertEquals(
    {
      name: report.name,
      version: report.version,
      abi: report.abi,
      compiler: report.compiler,
      interfaces: report.interfaces,
      hooks: report.hooks,
    },
    {
      name: "calc-mod",
      version: "0.1.0",
      abi: "1.0",
      compiler: `go ${await goVersion()}`,
      interfaces: [{
        id: "calc.op",
        version: "1.0",
        hash: CALC_OP_HASH,
        functions: ["fallible f64 apply(f64, f64)", "cstring name()"],
        declared: ["fallible f64 apply(f64 a, f64 b)", "cstring name()"],
      }],
      hooks: { init: false, shutdown: false },
    },
  );
  for (const name of ["apply", "name", "plugboard_entry", "plugboard_take_error"]) {
    assert(report.exports.includes(name), `${name} is exported`);
  }
});

Deno.test("openPlugin() calls calc-mod, reports its Fail, and close() says it stays loaded", async (t) => {
  const { path } = await buildGo(SAMPLE, "calc_mod");
  const plugin = await openPlugin(path, { interfaces: [CalcOp] });
  const op = plugin.use(CalcOp);
  assertStrictEquals(op.name(), "%");
  for (const [a, b, expected] of [[7, 3, 1], [-7, 3, -1], [7, -3, 1], [7.5, 2, 1.5]]) {
    await t.step(`apply(${a}, ${b}) is ${expected}`, () => {
      assertStrictEquals(op.apply(a, b), expected);
    });
  }
  await t.step("modulo by zero fails with the plugin's code and message", () => {
    const e = assertThrows(() => op.apply(1, 0), CallError);
    assertEquals(
      { code: e.code, pluginCode: e.pluginCode, summary: e.summary },
      {
        code: "CALL_FAILED",
        pluginCode: 1,
        summary: `Call to "apply" in plugin "${path}" failed: modulo by zero`,
      },
    );
    assertStrictEquals(op.apply(9, 4), 1, "the error was taken: the next call succeeds");
  });
  await t.step("close() reports NODELETE, and the library is indeed still mapped", async () => {
    assertEquals(await plugin.close(), {
      unloaded: false,
      reason:
        "linked with -z nodelete (DF_1_NODELETE): the dynamic linker never unloads it; its code and state stay in memory until the process exits",
    });
    assertEquals(mapped("calc-mod"), true);
    const e = assertThrows(() => op.apply(1, 2), CallError);
    assertEquals(e.code, "CLOSED");
  });
});

Deno.test("the Go SDK refuses at build time a Go function that drifts from its note", async (t) => {
  await goVersion();
  const cases: { name: string; edit: (main: string) => string; error: RegExp }[] = [
    {
      name: "other parameter types than the note declares",
      edit: (m) =>
        m.replace("func apply(a, b C.pb_f64) C.pb_f64", "func apply(a, b C.pb_f32) C.pb_f64"),
      error: /conflicting types for .apply./,
    },
    {
      name: "a declared function that is not //export'ed",
      edit: (m) => m.replace("//export apply\n", ""),
      error: /undefined reference to `apply'/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const dir = await Deno.makeTempDir({ prefix: "plugboard-go-drift-" });
      try {
        for (const f of ["calc_mod.c", "go.mod", "main.go"]) {
          let text = await Deno.readTextFile(`${SAMPLE}/${f}`);
          text = text.replaceAll("${SRCDIR}/../../..", ROOT).replace("=> ../../..", `=> ${ROOT}`);
          await Deno.writeTextFile(`${dir}/${f}`, f === "main.go" ? c.edit(text) : text);
        }
        const r = await run(goCommand(), ["build", "-buildmode=c-shared", "-o", "drift.so", "."], {
          cwd: dir,
          env: { ...GO_ENV },
        });
        assert(r.code !== 0, `go build accepted ${c.name}`);
        assertMatch(r.stderr, c.error);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

/**
 * Scenario "shared-api": two plugins implement one interface; the host
 * knows only the interface.
 *
 * @module
 */

import { CallError, defineInterface, openPlugin } from "../../mod.ts";
import { check, code, expectError, say } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios shared-api` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./shared_api.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "shared-api",
  title: "Shared API: two plugins behind one interface",
  description:
    "Declares the `calc.op/1.0` interface once on the host (`name()` and a fallible `apply(a, b)`) " +
    "and loads `calc_add` and `calc_mul` through it. The host code is one loop over file names: it " +
    "never mentions either plugin's symbols. Then `calc_div` shows the same interface reporting an " +
    "error (division by zero) as a typed `CallError`.",
  why:
    'Each plugin declares `PLUGBOARD_INTERFACE(calc_op, "calc.op", 1, 0)` and its functions with ' +
    "`PLUGBOARD_FN`, which writes the id, the version and every signature into ELF notes. The host's " +
    "`defineInterface` is the other half of the contract: `openPlugin(..., { interfaces })` compares " +
    "the two (interface present, same major, minor new enough, then each signature) before the " +
    "library is mapped, and `plugin.use(CalcOp)` hands back functions whose TypeScript types are " +
    'derived from the declaration text, so `apply("6", 3)` is a type error. This is the descriptor ' +
    "pattern of CLAP and LV2: the host programs against an interface id, not against a plugin; " +
    "adding an operator is adding a file. Fallible functions report errors through a thread-local " +
    "slot (`pb_fail`) that the wrapper reads after the call, so the error arrives as an exception " +
    "with the plugin's own code and message instead of a magic return value.",
  expect: {
    lines: [
      '> const CalcOp = defineInterface("calc.op", "1.0", { name: "cstring name()", apply: "fallible f64 apply(f64 a, f64 b)" })',
      "calc-add 0.1.0 provides calc.op/1.0: 6 + 3 = 9",
      "calc-mul 0.1.0 provides calc.op/1.0: 6 * 3 = 18",
      "ok: both results came through the interface: [9, 18]",
      "calc-div 0.1.0 provides calc.op/1.0: 6 / 3 = 2",
      "> op.apply(1, 0)",
      "throws CallError CALL_FAILED:",
      'Call to "apply" in plugin "build/calc_div.so" failed: division by zero',
      "hint: the plugin reported this error; check the arguments or the plugin's documentation",
      "ok: threw CallError CALL_FAILED",
      "ok: the plugin's own error code came through: 1",
    ],
  },
});

async function main(): Promise<void> {
  code(
    'const CalcOp = defineInterface("calc.op", "1.0", { name: "cstring name()", apply: "fallible f64 apply(f64 a, f64 b)" })',
  );
  const CalcOp = defineInterface("calc.op", "1.0", {
    name: "cstring name()",
    apply: "fallible f64 apply(f64 a, f64 b)",
  });
  code(
    "for (const file of files) { const op = (await openPlugin(file, { interfaces: [CalcOp] })).use(CalcOp); ... }",
  );
  const results: number[] = [];
  for (const file of ["build/calc_add.so", "build/calc_mul.so"]) {
    await using plugin = await openPlugin(file, { interfaces: [CalcOp] });
    const op = plugin.use(CalcOp);
    const r = op.apply(6, 3);
    results.push(r);
    say(
      `${plugin.metadata.name} ${plugin.metadata.version} provides calc.op/1.0: 6 ${op.name()} 3 = ${r}`,
    );
  }
  check(
    `both results came through the interface: [${results.join(", ")}]`,
    results[0] === 9 && results[1] === 18,
  );

  await using div = await openPlugin("build/calc_div.so", { interfaces: [CalcOp] });
  const op = div.use(CalcOp);
  say(
    `${div.metadata.name} ${div.metadata.version} provides calc.op/1.0: 6 ${op.name()} 3 = ${
      op.apply(6, 3)
    }`,
  );
  code("op.apply(1, 0)");
  const e = await expectError(() => op.apply(1, 0), CallError, "CALL_FAILED");
  check(`the plugin's own error code came through: ${e?.pluginCode}`, e?.pluginCode === 1);
}

if (import.meta.main) await main();

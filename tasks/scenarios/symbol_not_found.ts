/**
 * Scenario "symbol-not-found": four reasons a function is not there, each
 * with its own message, and the fix for the one the linker removed.
 *
 * @module
 */

import { LoadError, openPlugin } from "../../mod.ts";
import { build, check, code, expectError, heading, say, tempDir, writeFile } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios symbol-not-found` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./symbol_not_found.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "symbol-not-found",
  title: "Symbol not found: static, hidden, removed, misspelt",
  description:
    "Opens `tests/fixtures/symbols.c` (built with `-ffunction-sections -Wl,--gc-sections` on top of " +
    "the project's `-fvisibility=hidden`) and asks for four functions that a host cannot call: " +
    "`static_fn` (declared `static`), `hidden_fn` (external but hidden), `removed_fn` (defined but " +
    "dropped by the linker) and `visibel` (a typo for `visible`). Each gets its own message. Then " +
    "the fix for the removed one: the same source with `removed_fn` declared through " +
    "`PLUGBOARD_FN`, which exports it, so the linker keeps it.",
  why: "`dlsym`, and with it Deno FFI, sees only the dynamic symbol table (`.dynsym`): defined, " +
    "global, default-visibility symbols. A `static` function has internal linkage; it sits in the " +
    "full symbol table (`.symtab`) under its source file's name, if that table was not stripped. " +
    "A function compiled with `-fvisibility=hidden` has external linkage inside the library, but " +
    "the linker turns it into a local symbol and leaves it out of `.dynsym`. With " +
    "`-ffunction-sections` every function gets its own section, and `--gc-sections` discards the " +
    "sections nothing refers to: an unused, unexported function is not in the file at all, in " +
    'any table. Raw FFI reports all four the same way, "undefined symbol", after `dlopen` has ' +
    "already run the library's constructors. plugboard reads both symbol tables from the file " +
    "before loading it and tells the cases apart: static, hidden, not there (with the likely " +
    "cause), or a near miss of an exported name (edit distance up to a third of the name). " +
    'Exporting a function (`PLUGBOARD_FN` marks it `visibility("default")`) is also what keeps ' +
    "it through `--gc-sections`, because exported symbols are roots of the linker's reachability.",
  expect: {
    lines: [
      '> const plugin = await openPlugin("build/fixtures/symbols.so")',
      '> plugin.functions({ static_fn: "i32 static_fn(i32 x)" })',
      "throws LoadError SYMBOL_MISSING:",
      'Cannot load plugin "build/fixtures/symbols.so": symbol "static_fn" is not an exported function: expected an exported function "static_fn" (default visibility), found a static function (local to its source file, not exported)',
      'hint: remove "static" from static_fn and declare it with PLUGBOARD_FN(...)',
      '> plugin.functions({ hidden_fn: "i32 hidden_fn(i32 x)" })',
      'Cannot load plugin "build/fixtures/symbols.so": symbol "hidden_fn" is not an exported function: expected an exported function "hidden_fn" (default visibility), found a hidden function (hidden visibility: it is in the file but not exported)',
      'hint: export it: declare it with PLUGBOARD_FN(...) or mark it __attribute__((visibility("default"))); it is hidden by -fvisibility=hidden or a visibility attribute',
      '> plugin.functions({ removed_fn: "i32 removed_fn(i32 x)" })',
      'Cannot load plugin "build/fixtures/symbols.so": symbol "removed_fn" is not an exported function: expected an exported function "removed_fn" (default visibility), found no symbol of that name, not even a local one',
      "hint: if removed_fn is in the source, the linker removed it or it was never compiled: export it with PLUGBOARD_FN(...) (exported functions are kept) or mark it __attribute__((used)); check -ffunction-sections -Wl,--gc-sections and the build's file list",
      '> plugin.functions({ visibel: "i32 visibel(i32 x)" })',
      'Cannot load plugin "build/fixtures/symbols.so": symbol "visibel" is not an exported function: expected an exported function "visibel" (default visibility), found no symbol of that name, not even a local one; did you mean "visible"?',
      'hint: use the exported name "visible"',
      "ok: four refusals, each with the code SYMBOL_MISSING",
      "-int32_t removed_fn(int32_t x) { return 3 * x; }",
      "+PLUGBOARD_FN(sym, pb_i32, removed_fn, (pb_i32 x)) { return 3 * x; }",
      /^built \$TMP\/symbols-fixed\.so /,
      '> fixed.functions({ removed_fn: "i32 removed_fn(i32 x)" }).removed_fn(5)',
      "15",
      "ok: exported, removed_fn survives --gc-sections and answers",
    ],
  },
});

async function main(): Promise<void> {
  code('const plugin = await openPlugin("build/fixtures/symbols.so")');
  await using plugin = await openPlugin("build/fixtures/symbols.so");
  const asks: Record<string, string>[] = [
    { static_fn: "i32 static_fn(i32 x)" },
    { hidden_fn: "i32 hidden_fn(i32 x)" },
    { removed_fn: "i32 removed_fn(i32 x)" },
    { visibel: "i32 visibel(i32 x)" },
  ];
  let refused = 0;
  for (const ask of asks) {
    const [name, text] = Object.entries(ask)[0];
    heading(name);
    code(`plugin.functions({ ${name}: "${text}" })`);
    if (await expectError(() => plugin.functions(ask), LoadError, "SYMBOL_MISSING")) refused++;
  }
  check("four refusals, each with the code SYMBOL_MISSING", refused === 4, `${refused}`);

  heading("the fix for removed_fn: export it");
  const tmp = await tempDir();
  const original = await Deno.readTextFile("tests/fixtures/symbols.c");
  const before = "int32_t removed_fn(int32_t x) { return 3 * x; }";
  const after = "PLUGBOARD_FN(sym, pb_i32, removed_fn, (pb_i32 x)) { return 3 * x; }";
  if (!original.includes(before)) {
    check("tests/fixtures/symbols.c still defines removed_fn as expected", false, before);
    return;
  }
  say(`-${before}`, `+${after}`);
  const source = await writeFile(tmp, "symbols.c", original.replace(before, after));
  const output = `${tmp}/symbols-fixed.so`;
  await build({ source, output });
  await using fixed = await openPlugin(output);
  code('fixed.functions({ removed_fn: "i32 removed_fn(i32 x)" }).removed_fn(5)');
  const r = fixed.functions({ removed_fn: "i32 removed_fn(i32 x)" }).removed_fn(5);
  say(String(r));
  check("exported, removed_fn survives --gc-sections and answers", r === 15, String(r));
}

if (import.meta.main) await main();

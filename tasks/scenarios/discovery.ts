/**
 * Scenario "discovery": a directory of good and bad files; the host loads
 * the good ones and skips each bad one with its reason.
 *
 * @module
 */

import { defineInterface } from "../../mod.ts";
import { PluginHost, prettySink } from "../../src/host/mod.ts";
import { build, check, code, heading, say, shell, tempDir, writeFile } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios discovery` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./discovery.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "discovery",
  title: "Discovery: good plugins and four kinds of bad file",
  description:
    "Fills a directory with two good `calc.op` plugins (`calc_add.so`, `calc_mul.so`), a text file " +
    "renamed `notes.so`, a program compiled as an executable and named `tool.so`, an ordinary " +
    "shared library without plugboard metadata (`libplain.so`) and a `calc.op` plugin whose " +
    "`apply` takes and returns `pb_i32` instead of `pb_f64` (`calc_wrongsig.so`). A " +
    "`PluginHost` for `calc.op/1.0` discovers the directory: the good ones load and answer, each " +
    "bad one is skipped with a log record and a skip entry giving its error code and reason.",
  why:
    "A host that scans a directory sees whatever is there: stale builds, files copied by hand, " +
    "libraries dropped in by another tool. Handing each to `dlopen` would give Deno's errors " +
    '("file too short", "cannot dynamically load position-independent executable") or, worse, ' +
    "load a library and run its constructors before finding out it is not a plugin. plugboard " +
    "reads every candidate as data first: the ELF header (a text file is not ELF; an executable " +
    "is not a shared object), then the plugboard notes (a plain library has none), then the " +
    "interfaces the host asked for (same id, same major, minor new enough, then each signature), " +
    "all before anything is mapped. One bad file never stops the scan; the host keeps the reason " +
    "with the file, logs it once, and the summary says how many were found, loaded and skipped, " +
    "unlike GStreamer's sticky blacklist, which gives no reason.",
  expect: {
    lines: [
      "$ ls $TMP/plugins",
      "calc_add.so calc_mul.so calc_wrongsig.so libplain.so notes.so tool.so",
      '> const host = new PluginHost({ paths: ["$TMP/plugins"], env: false, interfaces: [CalcOp], log: prettySink(...) })',
      "> await host.discover()",
      'warn  skip    Cannot load plugin "$TMP/plugins/calc_wrongsig.so": function "apply" of interface "calc.op" has another signature: expected fallible f64 apply(f64, f64), found fallible i32 apply(i32, i32) [SIGNATURE_MISMATCH]',
      'warn  skip    Cannot load plugin "$TMP/plugins/libplain.so": no plugboard metadata: expected a ".note.plugboard" note written by PLUGBOARD_PLUGIN(...), found an ordinary shared library (1 exported symbol, no plugboard note) [NOT_A_PLUGIN]',
      'warn  skip    Cannot load plugin "$TMP/plugins/notes.so": not an ELF file: expected an ELF shared library (beginning 7f 45 4c 46), found text beginning "remember" [NOT_ELF]',
      'warn  skip    Cannot load plugin "$TMP/plugins/tool.so": not a shared library: expected a shared library (.so), found a position-independent executable (PIE) [NOT_SHARED_OBJECT]',
      "info  discover found 6 plugin files in 1 search path: 2 loaded, 4 skipped",
      "found 6, loaded 2, skipped 4",
      "skipped calc_wrongsig.so [SIGNATURE_MISMATCH]: hint: host and plugin disagree on calc.op/1; a changed signature needs a new interface major: rebuild the plugin from the same interface definition as the host, or update the host's declaration",
      /^skipped libplain\.so \[NOT_A_PLUGIN\]: hint: declare the plugin with PLUGBOARD_PLUGIN\(name, version\)/,
      /^skipped notes\.so \[NOT_ELF\]: hint: /,
      /^skipped tool\.so \[NOT_SHARED_OBJECT\]: hint: /,
      "calc-add: 6 + 3 = 9",
      "calc-mul: 6 * 3 = 18",
      "ok: the two good plugins loaded and answer",
      "ok: each bad file was skipped with its own code",
    ],
  },
});

const WRONG_SIGNATURE =
  `/* calc-wrongsig: claims calc.op 1.0, but apply takes and returns pb_i32. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("calc-wrongsig", "0.1.0");
PLUGBOARD_INTERFACE(calc_op, "calc.op", 1, 0);

PLUGBOARD_FN(calc_op, pb_cstring, name, (void)) { return "i+"; }

PLUGBOARD_FALLIBLE_FN(calc_op, pb_i32, apply, (pb_i32 a, pb_i32 b)) { return a + b; }
`;

async function main(): Promise<void> {
  const tmp = await tempDir();
  const dir = `${tmp}/plugins`;
  await Deno.mkdir(dir);
  await Deno.copyFile("build/calc_add.so", `${dir}/calc_add.so`);
  await Deno.copyFile("build/calc_mul.so", `${dir}/calc_mul.so`);
  await Deno.writeTextFile(`${dir}/notes.so`, "remember to rebuild the plugins\n");
  await Deno.copyFile("build/fixtures/plain.so", `${dir}/libplain.so`);
  const main = await writeFile(tmp, "tool.c", "int main(void) { return 0; }\n");
  const cc = Deno.env.get("CC")?.trim() || "cc";
  shell(`${cc} -o ${dir}/tool.so ${main}`);
  const compiled = await new Deno.Command(cc, { args: ["-o", `${dir}/tool.so`, main] }).output();
  check("the executable compiled", compiled.success);
  await build({
    source: await writeFile(tmp, "calc_wrongsig.c", WRONG_SIGNATURE),
    output: `${dir}/calc_wrongsig.so`,
  });
  shell(`ls ${dir}`);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => !n.startsWith("."));
  say(names.sort().join(" "));

  heading("discover");
  const CalcOp = defineInterface("calc.op", "1.0", {
    name: "cstring name()",
    apply: "fallible f64 apply(f64 a, f64 b)",
  });
  code(
    'const CalcOp = defineInterface("calc.op", "1.0", { name: "cstring name()", apply: "fallible f64 apply(f64 a, f64 b)" })',
  );
  code(
    `const host = new PluginHost({ paths: ["${dir}"], env: false, interfaces: [CalcOp], log: prettySink(...) })`,
  );
  await using host = new PluginHost({
    paths: [dir],
    env: false,
    interfaces: [CalcOp],
    log: prettySink((line) => console.log(line), { color: false, time: false }),
  });
  code("await host.discover()");
  const summary = await host.discover();
  say(`found ${summary.found}, loaded ${summary.loaded}, skipped ${summary.skipped.length}`);
  for (const s of summary.skipped) {
    say(`skipped ${s.path.slice(dir.length + 1)} [${s.code}]${s.hint ? `: hint: ${s.hint}` : ""}`);
  }

  heading("use what loaded");
  code("for (const p of host.plugins(CalcOp)) { const op = await p.use(CalcOp); op.apply(6, 3) }");
  const results: string[] = [];
  for (const p of host.plugins(CalcOp)) {
    const op = await p.use(CalcOp);
    const line = `${p.name}: 6 ${op.name()} 3 = ${op.apply(6, 3)}`;
    results.push(line);
    say(line);
  }
  check(
    "the two good plugins loaded and answer",
    results.join("|") === "calc-add: 6 + 3 = 9|calc-mul: 6 * 3 = 18",
    results.join("|"),
  );
  const codes = Object.fromEntries(
    summary.skipped.map((s) => [s.path.slice(dir.length + 1), s.code]),
  );
  check(
    "each bad file was skipped with its own code",
    JSON.stringify(codes) === JSON.stringify({
      "calc_wrongsig.so": "SIGNATURE_MISMATCH",
      "libplain.so": "NOT_A_PLUGIN",
      "notes.so": "NOT_ELF",
      "tool.so": "NOT_SHARED_OBJECT",
    }),
    JSON.stringify(codes),
  );
}

if (import.meta.main) await main();

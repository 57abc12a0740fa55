/**
 * Scenario "init-order": when a plugin's initialisation code runs relative
 * to the host's own code.
 *
 * @module
 */

import { defineInterface, inspectPlugin, openPlugin } from "../../mod.ts";
import { build, check, code, say, tempDir, writeFile } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios init-order` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./init_order.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "init-order",
  title: "Init order: when plugin code runs",
  description: "Builds two plugins, `alpha` and `beta`, each with an ELF constructor that prints " +
    "`plugin init: NAME` and a plugboard init hook that prints `plugin init hook: NAME` (both " +
    "flush stdout, and both also append to a log file the host checks after every step). The " +
    "host prints `host main start`, inspects both files (which must run nothing), then opens " +
    "them one after the other, printing `after open: NAME` after each.",
  why: "Go runs a plugin's `init` functions inside `plugin.Open`, and C runs a library's " +
    "constructors inside `dlopen`: initialisation happens at the open call, on the caller's " +
    "thread, never earlier, and never again on a second open of the same library. plugboard " +
    "keeps that order and adds a step: the ELF constructor runs during the `Deno.dlopen` of the " +
    "sealed copy, and only after the in-memory notes match the checked file does plugboard call " +
    "the plugin's `PLUGBOARD_INIT` hook, whose failure fails the open with `INIT_FAILED` and a " +
    "message. `inspectPlugin` and every check before the load read the file without mapping it, " +
    "so they run no plugin code at all. For plugins that do I/O at start (open a database, read " +
    "a config, start a thread), this means the work happens exactly at `openPlugin`, in the order " +
    "the host opens them, so it belongs in the init hook, where a failure is reported and can " +
    "be handled, rather than in a constructor, which runs before any check and cannot fail " +
    "cleanly.",
  expect: {
    lines: [
      "host main start",
      /^built \$TMP\/alpha\.so /,
      /^built \$TMP\/beta\.so /,
      '> inspectPlugin("$TMP/alpha.so"); inspectPlugin("$TMP/beta.so")',
      "inspected alpha 0.1.0 (init hook: true) and beta 0.1.0 (init hook: true)",
      "ok: inspecting ran no plugin code",
      '> const a = await openPlugin("$TMP/alpha.so", { interfaces: [Named] })',
      "plugin init: alpha",
      "plugin init hook: alpha",
      "after open: alpha",
      "ok: alpha's constructor, then its init hook, ran during its open",
      '> const b = await openPlugin("$TMP/beta.so", { interfaces: [Named] })',
      "plugin init: beta",
      "plugin init hook: beta",
      "after open: beta",
      "ok: beta's constructor, then its init hook, ran during its own open",
      "> a.use(Named).name(), b.use(Named).name()",
      "alpha beta",
      "ok: calls ran no more initialisation",
    ],
  },
});

function source(name: string): string {
  return `/* ${name}: prints when its constructor and its init hook run. */
#include "plugboard.h"

#include <stdio.h>
#include <stdlib.h>

PLUGBOARD_PLUGIN("${name}", "0.1.0");
PLUGBOARD_INTERFACE(named, "named", 1, 0);

static void note(const char *what) {
  printf("%s: ${name}\\n", what);
  fflush(stdout);
  const char *log = getenv("INIT_ORDER_LOG");
  FILE *f = log ? fopen(log, "a") : NULL;
  if (f) {
    fprintf(f, "%s: ${name}\\n", what);
    fclose(f);
  }
}

__attribute__((constructor)) static void on_load(void) { note("plugin init"); }

static int32_t init_hook(void) {
  note("plugin init hook");
  return 0;
}
PLUGBOARD_INIT(init_hook);

PLUGBOARD_FN(named, pb_cstring, name, (void)) { return "${name}"; }
`;
}

async function main(): Promise<void> {
  say("host main start");
  const tmp = await tempDir();
  const log = `${tmp}/init.log`;
  await Deno.writeTextFile(log, "");
  Deno.env.set("INIT_ORDER_LOG", log);
  const logged = async () => (await Deno.readTextFile(log)).split("\n").filter(Boolean);
  const alpha = `${tmp}/alpha.so`;
  const beta = `${tmp}/beta.so`;
  await build({ source: await writeFile(tmp, "alpha.c", source("alpha")), output: alpha });
  await build({ source: await writeFile(tmp, "beta.c", source("beta")), output: beta });

  code(`inspectPlugin("${alpha}"); inspectPlugin("${beta}")`);
  const ra = inspectPlugin(alpha);
  const rb = inspectPlugin(beta);
  say(
    `inspected ${ra.name} ${ra.version} (init hook: ${ra.hooks.init}) and ${rb.name} ${rb.version} (init hook: ${rb.hooks.init})`,
  );
  check("inspecting ran no plugin code", (await logged()).length === 0, String(await logged()));

  const Named = defineInterface("named", "1.0", { name: "cstring name()" });
  code(`const a = await openPlugin("${alpha}", { interfaces: [Named] })`);
  await using a = await openPlugin(alpha, { interfaces: [Named] });
  say("after open: alpha");
  const afterA = await logged();
  check(
    "alpha's constructor, then its init hook, ran during its open",
    afterA.join("|") === "plugin init: alpha|plugin init hook: alpha",
    afterA.join("|"),
  );

  code(`const b = await openPlugin("${beta}", { interfaces: [Named] })`);
  await using b = await openPlugin(beta, { interfaces: [Named] });
  say("after open: beta");
  const afterB = (await logged()).slice(2);
  check(
    "beta's constructor, then its init hook, ran during its own open",
    afterB.join("|") === "plugin init: beta|plugin init hook: beta",
    afterB.join("|"),
  );

  code("a.use(Named).name(), b.use(Named).name()");
  say(`${a.use(Named).name()} ${b.use(Named).name()}`);
  check("calls ran no more initialisation", (await logged()).length === 4, String(await logged()));
}

if (import.meta.main) await main();

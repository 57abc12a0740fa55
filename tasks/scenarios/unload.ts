/**
 * Scenario "unload": reopening a rebuilt plugin, unloading, a plugin that
 * cannot unload, and a call after close.
 *
 * @module
 */

import { CallError, defineInterface, LoadError, openPlugin } from "../../mod.ts";
import {
  build,
  check,
  code,
  expectError,
  heading,
  runDeno,
  say,
  showChild,
  tempDir,
  writeFile,
} from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios unload` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./unload.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "unload",
  title: "Unload and reload: what Go cannot do",
  description:
    'Builds a plugin whose `version_text()` returns "v1", opens it, then rebuilds the same path ' +
    'so it returns "v2". A raw `Deno.dlopen` of the path still gets v1; plugboard refuses to ' +
    "hand out v1 under the new file's name (`ALREADY_OPEN` while it holds the old build by path, " +
    "`METADATA_MISMATCH` when someone else does), loads v2 from a sealed copy while v1 is still " +
    "loaded, and loads v2 by path once every handle on v1 is closed. Then `fixtures/nodelete.so` " +
    "(linked with `-z nodelete`) reports that it stayed loaded, a call through a closed handle " +
    "throws `CLOSED`, and a grandchild shows raw Deno FFI dying of SIGSEGV on the same sequence.",
  why: "glibc's `dlopen` first looks for an already loaded library by name: while any handle on " +
    "`ver.so` is open, opening `ver.so` again returns that library, whatever is in the file now " +
    "(the rebuild wrote a new file and renamed it over the old one, so the old inode stays " +
    "mapped). Only when the reference count drops to zero does `dlclose` unmap it, and the next " +
    '`dlopen` reads the new file. plugboard guards both sides: with `load: "path"` it refuses a ' +
    "changed file while it holds the old build (`ALREADY_OPEN`), and after every load it compares " +
    "the notes in memory with the bytes it checked, which catches a library someone else keeps " +
    'loaded (`METADATA_MISMATCH`); the default `load: "memfd"` maps a sealed in-memory copy ' +
    "under a path of its own, so every build is a distinct library and old and new coexist. Go's " +
    "`plugin` package has no `Close` at all: a Go plugin stays loaded until the process exits. A " +
    "library linked with `-z nodelete` (or pinned by another) also never unloads; plugboard sees " +
    "that it is still mapped after `dlclose` and says so instead of claiming success. Finally, " +
    "after `dlclose` the plugin's code is gone: a raw FFI function still points at the unmapped " +
    "address, and calling it is a segmentation fault that kills the process (exit code 139, " +
    "128 + SIGSEGV 11). plugboard's functions check the handle's closed flag first and throw a " +
    "`CallError` with code `CLOSED`, and `close()` waits for nonblocking calls in flight before " +
    "it unloads.",
  expect: {
    lines: [
      /^built \$TMP\/ver\.so \(gcc [\d.]+, build id <hex>\)$/,
      '> const old = await openPlugin("$TMP/ver.so", { load: "path" })',
      "version_text() = v1",
      '> const raw1 = Deno.dlopen("$TMP/ver.so", { version_text: ... })',
      "raw1 version_text() = v1",
      /^built \$TMP\/ver\.so \(gcc [\d.]+, build id <hex>\)$/,
      '> const raw2 = Deno.dlopen("$TMP/ver.so", { version_text: ... })',
      "raw2 version_text() = v1",
      "ok: glibc handed back the old code for the rebuilt path",
      '> await openPlugin("$TMP/ver.so", { load: "path" })',
      "throws LoadError ALREADY_OPEN:",
      'Cannot load plugin "$TMP/ver.so": an older build of this file is still loaded by path: expected the file as loaded (SHA-256 <hex>), found a changed file (SHA-256 <hex>); glibc would hand back the old code',
      'hint: close every handle on the old build first, or load with { load: "memfd" } (the default)',
      "ok: threw LoadError ALREADY_OPEN",
      "> await old.close()",
      '> await openPlugin("$TMP/ver.so", { load: "path" })',
      "throws LoadError METADATA_MISMATCH:",
      /^Cannot load plugin "\$TMP\/ver\.so": the library in memory is not the file that was checked: expected the checked file \(inode <n>\), found another file mapped \(device <dev>, inode <n>\): the file changed after it was checked, or the dynamic linker returned a library loaded earlier from the same path$/,
      'hint: close every handle on the old build before reopening it by path, or load with { load: "memfd" }',
      "ok: threw LoadError METADATA_MISMATCH",
      '> await openPlugin("$TMP/ver.so")',
      "version_text() = v2",
      "ok: the sealed copy is the new build, while v1 is still loaded",
      "> raw1.close(); raw2.close()",
      '> await openPlugin("$TMP/ver.so", { load: "path" })',
      "version_text() = v2",
      "ok: closing every handle and reopening loads the new code",
      '> const nodelete = await openPlugin("build/fixtures/nodelete.so", { interfaces: [Greeter] })',
      "> await nodelete.close()",
      "{",
      "  unloaded: false,",
      '  reason: "linked with -z nodelete (DF_1_NODELETE): the dynamic linker never unloads it; its code and state stay in memory until the process exits"',
      "}",
      "ok: plugboard says the nodelete plugin stayed loaded",
      '> const greeter = await openPlugin("build/greeter.so", { interfaces: [Greeter] })',
      "> const { greet } = greeter.use(Greeter); await greeter.close()",
      "{ unloaded: true }",
      '> greet("again")',
      "throws CallError CLOSED:",
      'Call to "greet" in plugin "build/greeter.so" failed: the plugin handle is closed',
      "hint: open the plugin again; functions of a closed handle cannot be called",
      "ok: threw CallError CLOSED",
      "  | add(2, 3) = 5",
      "  | closed; calling add(2, 3) again",
      "child ended: exit code 139 (killed by SIGSEGV)",
      "ok: raw Deno FFI killed the process with SIGSEGV on a call after close",
    ],
  },
});

const SOURCE = `/* ver: returns the text it was built with. */
#include "plugboard.h"

PLUGBOARD_PLUGIN("ver", "0.1.0");
PLUGBOARD_INTERFACE(ver, "ver", 1, 0);

PLUGBOARD_FN(ver, pb_cstring, version_text, (void)) { return VERSION_TEXT; }
`;

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
const Ver = defineInterface("ver", "1.0", { version_text: "cstring version_text()" });
const RAW = { version_text: { parameters: [], result: "pointer" } } as const;

function rawText(lib: Deno.DynamicLibrary<typeof RAW>): string {
  return Deno.UnsafePointerView.getCString(lib.symbols.version_text()!);
}

async function main(): Promise<void> {
  const tmp = await tempDir();
  const source = await writeFile(tmp, "ver.c", SOURCE);
  const path = `${tmp}/ver.so`;

  heading("a rebuilt plugin at the same path");
  await build({ source, output: path, defines: { VERSION_TEXT: '"v1"' } });
  code(`const old = await openPlugin("${path}", { load: "path" })`);
  const old = await openPlugin(path, { load: "path" });
  say(`version_text() = ${old.use(Ver).version_text()}`);
  code(`const raw1 = Deno.dlopen("${path}", { version_text: ... })`);
  const raw1 = Deno.dlopen(path, RAW);
  say(`raw1 version_text() = ${rawText(raw1)}`);

  await build({ source, output: path, defines: { VERSION_TEXT: '"v2"' } });
  code(`const raw2 = Deno.dlopen("${path}", { version_text: ... })`);
  const raw2 = Deno.dlopen(path, RAW);
  const stale = rawText(raw2);
  say(`raw2 version_text() = ${stale}`);
  check("glibc handed back the old code for the rebuilt path", stale === "v1", stale);

  code(`await openPlugin("${path}", { load: "path" })`);
  await expectError(() => openPlugin(path, { load: "path" }), LoadError, "ALREADY_OPEN");
  code("await old.close()");
  await old.close();
  code(`await openPlugin("${path}", { load: "path" })`);
  await expectError(() => openPlugin(path, { load: "path" }), LoadError, "METADATA_MISMATCH");

  code(`await openPlugin("${path}")`);
  {
    await using fresh = await openPlugin(path);
    const text = fresh.use(Ver).version_text();
    say(`version_text() = ${text}`);
    check(
      "the sealed copy is the new build, while v1 is still loaded",
      text === "v2",
      String(text),
    );
  }

  code("raw1.close(); raw2.close()");
  raw1.close();
  raw2.close();
  code(`await openPlugin("${path}", { load: "path" })`);
  {
    await using reopened = await openPlugin(path, { load: "path" });
    const text = reopened.use(Ver).version_text();
    say(`version_text() = ${text}`);
    check("closing every handle and reopening loads the new code", text === "v2", String(text));
  }

  heading("a plugin that cannot unload");
  code(
    'const nodelete = await openPlugin("build/fixtures/nodelete.so", { interfaces: [Greeter] })',
  );
  const nodelete = await openPlugin("build/fixtures/nodelete.so", { interfaces: [Greeter] });
  code("await nodelete.close()");
  const kept = await nodelete.close();
  say(Deno.inspect(kept));
  check(
    "plugboard says the nodelete plugin stayed loaded",
    kept.unloaded === false && /nodelete/.test(kept.reason ?? ""),
  );

  heading("a call after close");
  code('const greeter = await openPlugin("build/greeter.so", { interfaces: [Greeter] })');
  const greeter = await openPlugin("build/greeter.so", { interfaces: [Greeter] });
  code("const { greet } = greeter.use(Greeter); await greeter.close()");
  const { greet } = greeter.use(Greeter);
  say(Deno.inspect(await greeter.close()));
  code('greet("again")');
  await expectError(() => greet("again"), CallError, "CLOSED");

  heading("the same sequence with raw Deno FFI, in a grandchild");
  const program = [
    `const lib = Deno.dlopen("build/noop.so", { add: { parameters: ["i32", "i32"], result: "i32" } });`,
    `console.log("add(2, 3) =", lib.symbols.add(2, 3));`,
    `lib.close();`,
    `console.log("closed; calling add(2, 3) again");`,
    `console.log("add(2, 3) =", lib.symbols.add(2, 3));`,
  ];
  say("grandchild program (deno eval):");
  for (const line of program) say(`  ${line}`);
  const run = await runDeno(program.join("\n"));
  showChild(run);
  check(
    "raw Deno FFI killed the process with SIGSEGV on a call after close",
    run.signal === "SIGSEGV" && run.code === 139,
    `code ${run.code}, signal ${run.signal}`,
  );
}

if (import.meta.main) await main();

/**
 * Scenario "tampering": a trusted plugin with one byte changed, and a file
 * swapped between the check and the load.
 *
 * @module
 */

import { defineInterface, inspectPlugin, LoadError, openPlugin } from "../../mod.ts";
import { Registry } from "../../src/registry/mod.ts";
import { build, check, code, expectError, heading, say, tempDir, writeFile } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios tampering` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./tampering.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "tampering",
  title: "Tampering: one byte changed, a file swapped after the check",
  description:
    "Copies `build/greeter.so` into a directory and trusts it in a lockfile there. First it " +
    'changes one byte of the copy (the `H` of `"Hello, %s"` becomes `J`): the file still loads ' +
    'without a registry and says "Jello", and with the lockfile it is refused with ' +
    "`CHECKSUM_MISMATCH`. Then it restores the file and swaps it for another build of `greeter` " +
    "0.1.0 (one whose constructor prints `evil constructor ran`) in the instant between the " +
    'registry\'s check and the load, from the `verify` hook. With the default `load: "memfd"` ' +
    'the checked bytes are what is loaded and the swapped file never runs; with `load: "path"` ' +
    "the loader checks the path again just before `dlopen` and refuses the swap " +
    "(`CHECKSUM_MISMATCH`), so the swapped file does not run either.",
  why: "A checksum only protects what is loaded if the bytes that were hashed are the bytes that " +
    "are mapped. Hashing a file and then passing its path to `dlopen` leaves a window in which " +
    "the file can be replaced (hashicorp/go-plugin checks the SHA-256 and then executes the " +
    "path). plugboard reads the file once; the registry's checks (ABI, version, interfaces, " +
    "toolchain, build id, then SHA-256) and every other check run on those bytes, and in the " +
    "default mode the very same bytes are written to a memfd that is sealed against any further " +
    "change and mapped from `/proc/self/fd/N`. Whatever happens to the file afterwards cannot " +
    "reach the process. A one-byte change is caught by the checksum even though the build id " +
    "in the notes is unchanged (the notes were not touched), which is why the lockfile pins the " +
    'bytes by default. In `load: "path"` mode the dynamic linker opens the path again: the ' +
    "loader stats the path just before `dlopen` (another inode, another size or time, a FIFO " +
    "or a device is refused) and afterwards asks the kernel (`/proc/self/maps`) which file it " +
    "mapped, refusing another one with `METADATA_MISMATCH`. A swap that lands in the " +
    "microseconds between that stat and the linker's own open is still mapped, and its ELF " +
    "constructors run inside `dlopen` before the second check refuses it: only sealed copies " +
    "keep unchecked code from running at all.",
  expect: {
    lines: [
      '> registry.trust(inspectPlugin("$TMP/greeter.so")); registry.save()',
      "trusted greeter@0.1.0 in $TMP/plugboard.lock",
      "-- one byte changed",
      'changed one byte: "Hello, %s" is now "Jello, %s"',
      'without a registry: greet("World") = "Jello, World"',
      '> await openPlugin("$TMP/greeter.so", { registry: "$TMP/plugboard.lock" })',
      "throws LoadError CHECKSUM_MISMATCH:",
      'Cannot load plugin "$TMP/greeter.so": plugin greeter@0.1.0: SHA-256 differs from the trusted file: expected <hex>… (trusted in $TMP/plugboard.lock), found <hex>…',
      "hint: its build id and metadata are unchanged, so the file was modified after it was built: restore the trusted file, or rebuild it from its sources; if the change is intended, trust the file: plugboard trust $TMP/greeter.so --lock $TMP/plugboard.lock",
      "ok: threw LoadError CHECKSUM_MISMATCH",
      "-- a file swapped between the check and the load",
      /^built \$TMP\/evil\.so /,
      '> await openPlugin("$TMP/greeter.so", { registry, verify: swap })',
      "swapped $TMP/greeter.so for $TMP/evil.so after the registry's check",
      'loaded the checked bytes: greet("World") = "Hello, World"',
      "ok: memfd: the trusted bytes were loaded and the swapped file never ran",
      '> await openPlugin("$TMP/greeter.so", { registry, verify: swap, load: "path" })',
      "swapped $TMP/greeter.so for $TMP/evil.so after the registry's check",
      "throws LoadError CHECKSUM_MISMATCH:",
      /^Cannot load plugin "\$TMP\/greeter\.so": the file changed between the checks and the load by path: expected the checked file \(SHA-256 <hex>, inode <n>\), found another file \(inode <n>\)$/,
      'hint: load with { load: "memfd" } (the default), which loads exactly the checked bytes; by path, keep the file unchanged while it loads',
      "ok: threw LoadError CHECKSUM_MISMATCH",
      "ok: path: the swap was refused before the swapped file ran",
    ],
  },
});

const EVIL = `/* evil: claims to be greeter 0.1.0 and runs code as soon as it is mapped. */
#include "plugboard.h"

#include <stdio.h>
#include <stdlib.h>

PLUGBOARD_PLUGIN("greeter", "0.1.0");
PLUGBOARD_INTERFACE(greeter, "greeter", 1, 0);

__attribute__((constructor)) static void evil(void) {
  fputs("evil constructor ran\\n", stdout);
  fflush(stdout);
  const char *log = getenv("EVIL_LOG");
  FILE *f = log ? fopen(log, "a") : NULL;
  if (f) {
    fputs("ran\\n", f);
    fclose(f);
  }
}

PLUGBOARD_FN(greeter, pb_cstring, greet, (pb_cstring name)) {
  (void)name;
  return "pwned";
}
`;

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

async function main(): Promise<void> {
  const tmp = await tempDir();
  const path = `${tmp}/greeter.so`;
  const lockfile = `${tmp}/plugboard.lock`;
  const original = await Deno.readFile("build/greeter.so");
  await Deno.writeFile(path, original);
  code(`const registry = Registry.fromLockfile("${lockfile}", { create: true })`);
  const registry = Registry.fromLockfile(lockfile, { create: true });
  code(`registry.trust(inspectPlugin("${path}")); registry.save()`);
  const trusted = registry.trust(inspectPlugin(path));
  registry.save();
  say(`trusted ${trusted.key} in ${lockfile}`);

  heading("one byte changed");
  const at = indexOf(original, new TextEncoder().encode("Hello, %s"));
  if (!check('the greeter contains "Hello, %s"', at >= 0)) return;
  const tampered = original.slice();
  tampered[at] = "J".charCodeAt(0);
  await Deno.writeFile(path, tampered);
  say('changed one byte: "Hello, %s" is now "Jello, %s"');
  {
    await using p = await openPlugin(path, { interfaces: [Greeter] });
    say(`without a registry: greet("World") = ${JSON.stringify(p.use(Greeter).greet("World"))}`);
  }
  code(`await openPlugin("${path}", { registry: "${lockfile}" })`);
  await expectError(() => openPlugin(path, { registry: lockfile }), LoadError, "CHECKSUM_MISMATCH");

  heading("a file swapped between the check and the load");
  await Deno.writeFile(path, original);
  const evil = `${tmp}/evil.so`;
  const evilLog = `${tmp}/evil.log`;
  await Deno.writeTextFile(evilLog, "");
  Deno.env.set("EVIL_LOG", evilLog);
  const evilRuns = async () =>
    (await Deno.readTextFile(evilLog)).split("\n").filter(Boolean).length;
  await build({ source: await writeFile(tmp, "evil.c", EVIL), output: evil });
  const swap = () => {
    Deno.copyFileSync(evil, `${path}.swap`);
    Deno.renameSync(`${path}.swap`, path);
    say(`swapped ${path} for ${evil} after the registry's check`);
  };
  code(`const swap = () => rename a copy of "${evil}" over "${path}"`);
  code(`await openPlugin("${path}", { registry, verify: swap })`);
  {
    await using p = await openPlugin(path, { registry, verify: swap, interfaces: [Greeter] });
    const text = p.use(Greeter).greet("World");
    say(`loaded the checked bytes: greet("World") = ${JSON.stringify(text)}`);
    check(
      "memfd: the trusted bytes were loaded and the swapped file never ran",
      text === "Hello, World" && await evilRuns() === 0,
      `${text}, swapped file ran ${await evilRuns()} time(s)`,
    );
  }

  await Deno.writeFile(path, original);
  code(`await openPlugin("${path}", { registry, verify: swap, load: "path" })`);
  const refused = await expectError(
    () => openPlugin(path, { registry, verify: swap, load: "path", interfaces: [Greeter] }),
    LoadError,
    "CHECKSUM_MISMATCH",
  );
  check(
    "path: the swap was refused before the swapped file ran",
    refused !== undefined && await evilRuns() === 0,
    `swapped file ran ${await evilRuns()} time(s)`,
  );
}

if (import.meta.main) await main();

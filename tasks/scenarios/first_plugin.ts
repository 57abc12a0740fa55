/**
 * Scenario "first-plugin": build the greeter, load it, call it, and show that
 * the plugin was built by the host machine's compiler.
 *
 * @module
 */

import { defineInterface, openPlugin } from "../../mod.ts";
import { BASE_FLAGS } from "../build.ts";
import { build, check, code, display, say, shell, tempDir } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios first-plugin` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./first_plugin.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "first-plugin",
  title: "First plugin: build, load, call",
  description:
    "Builds `plugins/greeter.c` with the project's build task (into a temporary directory, so it " +
    "is always a fresh build), prints the compiler command that ran, loads the plugin through the " +
    "`greeter/1.0` interface and calls `greet`. Then it prints the compiler recorded in the " +
    "plugin's metadata next to the host machine's `cc --version` and checks they are the same.",
  why: "A plugin is machine code the host jumps into, so both sides must agree on the calling " +
    "convention, the types and the layout of every structure they share. The calling convention " +
    "is fixed by the platform (System V AMD64 for Deno on Linux x86-64) and the types by " +
    "`native/plugboard.h`; what can still drift is the header version and the toolchain. " +
    "`PLUGBOARD_PLUGIN` stamps both into an ELF note (`abi`, `compiler`, `build_id`) that the host " +
    'reads without running the file, so "which compiler built this?" has an answer before the ' +
    "first call; Go's `plugin` package, by contrast, only says \"plugin was built with a " +
    'different version of package ..." after the fact. The build id is a hash of the compiler, ' +
    "the flags, the source and the header, so the same inputs give the same id on every machine.",
  expect: {
    lines: [
      '> buildPlugin({ source: "plugins/greeter.c", output: "$TMP/greeter.so" })',
      /^built \$TMP\/greeter\.so \(gcc \d+\.\d+\.\d+, build id <hex>\)$/,
      /^\$ cc -std=c11 -O2 -fPIC -shared .* -Inative -DPLUGBOARD_BUILD_ID="<hex>" -o \$TMP\/greeter\.so plugins\/greeter\.c$/,
      '> await using plugin = await openPlugin("$TMP/greeter.so", { interfaces: [Greeter] })',
      '> plugin.use(Greeter).greet("World")',
      '"Hello, World"',
      'ok: greet("World") returned "Hello, World"',
      /^plugin metadata: name=greeter version=0\.1\.0 abi=1\.0 build_id=<hex> compiler=gcc \d+\.\d+\.\d+$/,
      "$ cc --version",
      /^cc \(.*\) \d+\.\d+\.\d+/,
      "$ cc -dumpfullversion",
      /^\d+\.\d+\.\d+$/,
      /^ok: the plugin was built by the host's compiler \(gcc \d+\.\d+\.\d+\)$/,
      "ok: the build id in the file is the one the build task stamped",
    ],
  },
});

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });

async function output(program: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function main(): Promise<void> {
  const tmp = await tempDir();
  const out = `${tmp}/greeter.so`;
  const cc = Deno.env.get("CC")?.trim() || "cc";

  code(`buildPlugin({ source: "plugins/greeter.c", output: "${out}" })`);
  const built = await build({ source: "plugins/greeter.c", output: out });
  say("the compiler command it ran (flags from tasks/build.ts BASE_FLAGS):");
  shell(
    `${cc} ${BASE_FLAGS.join(" ")} -Inative -DPLUGBOARD_BUILD_ID="${built.buildId}" -o ${
      display(out)
    } plugins/greeter.c`,
  );

  code(
    'const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" })',
  );
  code(`await using plugin = await openPlugin("${out}", { interfaces: [Greeter] })`);
  await using plugin = await openPlugin(out, { interfaces: [Greeter] });
  code('plugin.use(Greeter).greet("World")');
  const greeting = plugin.use(Greeter).greet("World");
  say(JSON.stringify(greeting));
  check('greet("World") returned "Hello, World"', greeting === "Hello, World", String(greeting));

  const m = plugin.metadata;
  say(
    `plugin metadata: name=${m.name} version=${m.version} abi=${m.abi.major}.${m.abi.minor} ` +
      `build_id=${m.buildId} compiler=${m.compiler}`,
  );
  shell(`${cc} --version`);
  const versionText = await output(cc, ["--version"]);
  say(versionText.split("\n")[0]);
  shell(`${cc} -dumpfullversion`);
  const version = await output(cc, ["-dumpfullversion"]);
  say(version);
  const family = /clang/i.test(versionText) ? "clang" : "gcc";
  const host = `${family} ${version}`;
  check(
    `the plugin was built by the host's compiler (${host})`,
    m.compiler === host || m.compiler.startsWith(`${host} `),
    `plugin says ${JSON.stringify(m.compiler)}`,
  );
  check(
    "the build id in the file is the one the build task stamped",
    m.buildId === built.buildId,
    `${m.buildId} != ${built.buildId}`,
  );
}

if (import.meta.main) await main();

/**
 * Scenario "build-id": a host that requires one build of a plugin refuses
 * another build of the same name and version, before loading it.
 *
 * @module
 */

import { defineInterface, inspectPlugin, LoadError, openPlugin } from "../../mod.ts";
import { Registry } from "../../src/registry/mod.ts";
import { build, check, code, expectError, heading, say, tempDir } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios build-id` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./build_id.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "build-id",
  title: "Build id: another build of the same plugin",
  description:
    "Builds `plugins/greeter.c` twice with explicit build ids, `release-1` and `release-2` " +
    "(`buildPlugin({ buildId })`): same name, same version 0.1.0, same interfaces. A host whose " +
    "policy requires `release-1` for `greeter` (`requireBuildId`) loads the first and refuses the " +
    "second with `BUILD_ID_MISMATCH`. Then the same through a lockfile: a registry that trusted " +
    '`release-1` with `pin: "build-id"` refuses `release-2` too, and names the command that ' +
    "would trust it.",
  why: "Name and version say what a plugin claims to be; the build id says which build it is. " +
    "`plugboard build` (and this repository's `deno task build`, which uses it) derives it " +
    "from a hash of the compiler, the flags, the defines, the sources, `plugboard.h` and the " +
    "local headers they include, so the same inputs always give the same id and any change to " +
    "them gives another; a release process can also stamp its own. It is written into the " +
    "plugin note by `PLUGBOARD_PLUGIN`, so the host reads it from the file without running " +
    "anything, and the registry compares it after ABI, version, interfaces and toolchain and " +
    "before the checksum: a rebuilt file fails on the build id (the cause) rather than only on " +
    'its bytes. With `pin: "build-id"` a reproducible rebuild (same inputs, same id) loads even ' +
    'if the bytes are not identical, which `pin: "checksum"` would refuse. The refusal happens ' +
    "in the loader's verify step, before the library is mapped, so the refused build's " +
    "constructors never run.",
  expect: {
    lines: [
      /^built \$TMP\/greeter-release-1\.so \(gcc [\d.]+, build id release-1\)$/,
      /^built \$TMP\/greeter-release-2\.so \(gcc [\d.]+, build id release-2\)$/,
      "greeter 0.1.0 build_id=release-1 and greeter 0.1.0 build_id=release-2",
      '> const policy = { mode: "known", requireBuildId: { greeter: "release-1" } }',
      '> await openPlugin("$TMP/greeter-release-1.so", { policy, interfaces: [Greeter] })',
      'greet("build") = "Hello, build"',
      "ok: release-1 loads",
      '> await openPlugin("$TMP/greeter-release-2.so", { policy, interfaces: [Greeter] })',
      "throws LoadError BUILD_ID_MISMATCH:",
      'Cannot load plugin "$TMP/greeter-release-2.so": plugin greeter@0.1.0: build id differs from the one the host requires: expected release-1 (required by the host), found release-2',
      "hint: load the build with id release-1, or change the host's requireBuildId",
      "ok: threw LoadError BUILD_ID_MISMATCH",
      '> const registry = new Registry(); registry.trust(inspectPlugin("$TMP/greeter-release-1.so"))',
      '> await openPlugin("$TMP/greeter-release-2.so", { registry, policy: { pin: "build-id" } })',
      "throws LoadError BUILD_ID_MISMATCH:",
      'Cannot load plugin "$TMP/greeter-release-2.so": plugin greeter@0.1.0: build id differs from the trusted build: expected release-1 (trusted in the registry), found release-2',
      "hint: the file was built from other sources, flags or compiler; if the change is intended, trust the file: plugboard trust $TMP/greeter-release-2.so; otherwise rebuild the trusted sources or restore the trusted file",
      "ok: threw LoadError BUILD_ID_MISMATCH",
    ],
  },
});

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });

async function main(): Promise<void> {
  const tmp = await tempDir();
  const one = `${tmp}/greeter-release-1.so`;
  const two = `${tmp}/greeter-release-2.so`;
  code(
    'buildPlugin({ source: "plugins/greeter.c", output, buildId: "release-1" }) (and "release-2")',
  );
  await build({ source: "plugins/greeter.c", output: one, buildId: "release-1" });
  await build({ source: "plugins/greeter.c", output: two, buildId: "release-2" });
  const a = inspectPlugin(one);
  const b = inspectPlugin(two);
  say(
    `${a.name} ${a.version} build_id=${a.buildId} and ${b.name} ${b.version} build_id=${b.buildId}`,
  );

  heading("the host requires a build id");
  code('const policy = { mode: "known", requireBuildId: { greeter: "release-1" } }');
  const policy = { mode: "known", requireBuildId: { greeter: "release-1" } } as const;
  code(`await openPlugin("${one}", { policy, interfaces: [Greeter] })`);
  {
    await using p = await openPlugin(one, { policy, interfaces: [Greeter] });
    const text = p.use(Greeter).greet("build");
    say(`greet("build") = ${JSON.stringify(text)}`);
    check("release-1 loads", text === "Hello, build");
  }
  code(`await openPlugin("${two}", { policy, interfaces: [Greeter] })`);
  await expectError(
    () => openPlugin(two, { policy, interfaces: [Greeter] }),
    LoadError,
    "BUILD_ID_MISMATCH",
  );

  heading("the lockfile pins the build id");
  code(`const registry = new Registry(); registry.trust(inspectPlugin("${one}"))`);
  const registry = new Registry();
  registry.trust(inspectPlugin(one));
  code(`await openPlugin("${two}", { registry, policy: { pin: "build-id" } })`);
  await expectError(
    () => openPlugin(two, { registry, policy: { pin: "build-id" } }),
    LoadError,
    "BUILD_ID_MISMATCH",
  );
}

if (import.meta.main) await main();

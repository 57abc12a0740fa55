import { assertEquals, assertInstanceOf, assertStrictEquals, assertThrows } from "../_assert.ts";
import { inspectPlugin, LoadError, PluginError } from "../../mod.ts";
import {
  EXACT_POLICY,
  type LockEntry,
  Registry,
  type TrustPolicy,
} from "../../src/registry/mod.ts";
import { fixture, plugin } from "../_paths.ts";
import { copyInto, tamperedCopy, tempDir, trusting } from "./_helpers.ts";

const greeter = inspectPlugin(plugin("greeter"));
const rebuilt = inspectPlugin(fixture("reg_greeter_rebuilt"));
const v1_1 = inspectPlugin(fixture("reg_greeter_v1_1"));
const sigchange = inspectPlugin(fixture("reg_greeter_sigchange"));
const gcc11 = inspectPlugin(fixture("reg_greeter_gcc11"));
const g020 = inspectPlugin(fixture("greeter_0_2_0"));
const counter = inspectPlugin(plugin("counter"));
const tampered = inspectPlugin(tamperedCopy(plugin("greeter"), tempDir()));

Deno.test("Registry.trust() adds, updates and keeps entries, showing what changed", () => {
  const dir = tempDir();
  Deno.mkdirSync(`${dir}/build`);
  const registry = new Registry([], { lockfile: `${dir}/plugboard.lock` });
  const at = copyInto(plugin("greeter"), `${dir}/build`, "greeter.so");

  const added = registry.trust(inspectPlugin(at));
  assertStrictEquals(added.kind, "added");
  assertStrictEquals(added.key, "greeter@0.1.0");
  assertStrictEquals(added.entry.path, "build/greeter.so", "relative to the lockfile's directory");
  assertEquals(added.changes, []);

  const same = registry.trust(inspectPlugin(at));
  assertStrictEquals(same.kind, "unchanged");
  assertEquals(same.changes, []);

  copyInto(fixture("reg_greeter_rebuilt"), `${dir}/build`, "greeter.so");
  const updated = registry.trust(inspectPlugin(at));
  assertStrictEquals(updated.kind, "updated");
  assertEquals(updated.changes, [
    { field: "build id", from: greeter.buildId, to: rebuilt.buildId },
    {
      field: "sha256",
      from: `${greeter.sha256.slice(0, 12)}…`,
      to: `${rebuilt.sha256.slice(0, 12)}…`,
    },
  ]);
  assertEquals(updated.previous?.buildId, greeter.buildId);

  const extended = registry.trust(v1_1);
  assertStrictEquals(extended.kind, "updated");
  assertEquals(extended.changes.map((c) => c.field), [
    "interface greeter",
    "build id",
    "sha256",
    "path",
  ]);
  assertEquals(extended.changes[0], {
    field: "interface greeter",
    from: `greeter/1.0 (shape ${greeter.interfaces[0].hash.slice(0, 12)})`,
    to: `greeter/1.1 (shape ${
      v1_1.interfaces[0].hash.slice(0, 12)
    }) with +cstring greet_formal(cstring)`,
  });
  assertStrictEquals(
    extended.entry.path,
    fixture("reg_greeter_v1_1"),
    "outside the lockfile's directory: absolute",
  );
  assertEquals(registry.list().map((e) => `${e.name}@${e.version}`), ["greeter@0.1.0"]);
});

Deno.test("Registry.resolve() picks the highest trusted version in a semver range", async (t) => {
  const base = trusting(plugin("greeter"), fixture("greeter_0_2_0"), plugin("counter"));
  const e = base.get("greeter", "0.2.0")!;
  const registry = new Registry([
    ...base.list(),
    { ...e, version: "0.2.5-rc.1" },
    { ...e, version: "1.0.0" },
  ]);
  const cases: [string, string | undefined][] = [
    ["greeter@^0.2", "0.2.0"],
    ["greeter@~0.1", "0.1.0"],
    ["greeter@0.1.0", "0.1.0"],
    ["greeter@<1", "0.2.0"],
    ["greeter@>=0.1 <0.2", "0.1.0"],
    ["greeter@^0.2.5-rc.0", "0.2.5-rc.1"],
    ["greeter@^0.1 || ^0.2", "0.2.0"],
    ["greeter", "1.0.0"],
    ["greeter@*", "1.0.0"],
    ["greeter@2", undefined],
    ["counter@^0.1", "0.1.0"],
    ["nothing@*", undefined],
  ];
  for (const [spec, version] of cases) {
    await t.step(spec, () => assertStrictEquals(registry.resolve(spec)?.version, version));
  }
  await t.step("a malformed range is a USAGE error", () => {
    const err = assertThrows(() => registry.resolve("greeter@^^1"), PluginError);
    assertStrictEquals(err.code, "USAGE");
    assertStrictEquals(err.summary, 'Invalid plugin spec "greeter@^^1"');
  });
});

Deno.test("Registry.list() and pathOf() show what it holds and where", () => {
  const dir = tempDir();
  const at = copyInto(plugin("greeter"), dir, "greeter.so");
  const registry = new Registry([], { lockfile: `${dir}/plugboard.lock` });
  registry.trust(inspectPlugin(fixture("greeter_0_2_0")));
  registry.trust(inspectPlugin(at));
  const list = registry.list();
  assertEquals(list.map((e) => `${e.name}@${e.version} ${e.path}`), [
    "greeter@0.1.0 greeter.so",
    `greeter@0.2.0 ${fixture("greeter_0_2_0")}`,
  ]);
  assertStrictEquals(registry.size, 2);
  assertStrictEquals(registry.pathOf(list[0]), at);
  assertStrictEquals(registry.pathOf(list[1]), fixture("greeter_0_2_0"));
});

/** The first error of `differences`, checked to be what `check` throws. */
function refusal(
  registry: Registry,
  subject: Parameters<Registry["check"]>[0],
  policy?: TrustPolicy,
): LoadError {
  const err = assertThrows(() => registry.check(subject, policy), LoadError);
  assertStrictEquals(registry.differences(subject, policy)[0]?.summary, err.summary);
  return err;
}

Deno.test("Registry.check() refuses each mismatch with its own code, expected, found and fix", async (t) => {
  const registry = trusting(plugin("greeter"));
  const source = "the registry";

  await t.step("VERSION_MISMATCH: another version of a trusted name", () => {
    const e = refusal(registry, g020);
    assertStrictEquals(e.code, "VERSION_MISMATCH");
    assertStrictEquals(
      e.summary,
      `Cannot load plugin "${g020.path}": plugin greeter@0.2.0: version not trusted: expected 0.1.0 (trusted in ${source}), found 0.2.0`,
    );
    assertStrictEquals(
      e.hint,
      `if 0.2.0 is intended, trust it: plugboard trust ${g020.path}; otherwise load the trusted version`,
    );
  });
  await t.step("UNTRUSTED: a name the registry does not know", () => {
    const e = refusal(registry, counter);
    assertStrictEquals(e.code, "UNTRUSTED");
    assertStrictEquals(
      e.summary,
      `Cannot load plugin "${counter.path}": plugin counter@0.1.0: not trusted: expected an entry counter@0.1.0 in ${source}, found no entry for "counter"`,
    );
  });
  await t.step("INTERFACE_MISMATCH: a changed signature", () => {
    const e = refusal(registry, sigchange);
    assertStrictEquals(e.code, "INTERFACE_MISMATCH");
    const [t1, f1] = [
      greeter.interfaces[0].hash.slice(0, 12),
      sigchange.interfaces[0].hash.slice(0, 12),
    ];
    assertStrictEquals(
      e.expected,
      `greeter/1.0 (shape ${t1}) with cstring greet(cstring) (trusted in ${source})`,
    );
    assertStrictEquals(e.found, `greeter/1.0 (shape ${f1}) with i32 greet(i32)`);
    assertStrictEquals(
      e.hint,
      `if the change is intended, trust the file: plugboard trust ${sigchange.path}; otherwise rebuild the plugin against interface greeter 1.0 as trusted (a changed signature needs a new interface major)`,
    );
  });
  await t.step("TOOLCHAIN_MISMATCH: another compiler, when pinned", () => {
    const e = refusal(registry, gcc11, { pinToolchain: true });
    assertStrictEquals(e.code, "TOOLCHAIN_MISMATCH");
    assertStrictEquals(e.expected, `${greeter.compiler} (trusted in ${source})`);
    assertStrictEquals(e.found, "gcc 11.4.0");
    assertStrictEquals(
      e.hint,
      `rebuild the plugin with ${greeter.compiler}; if the new compiler is intended, trust the file: plugboard trust ${gcc11.path}`,
    );
  });
  await t.step("BUILD_ID_MISMATCH: rebuilt from changed sources", () => {
    const e = refusal(registry, rebuilt);
    assertStrictEquals(e.code, "BUILD_ID_MISMATCH");
    assertStrictEquals(
      e.summary,
      `Cannot load plugin "${rebuilt.path}": plugin greeter@0.1.0: build id differs from the trusted build: expected ${greeter.buildId} (trusted in ${source}), found ${rebuilt.buildId}`,
    );
  });
  await t.step("CHECKSUM_MISMATCH: one byte changed, metadata the same", () => {
    const e = refusal(registry, tampered);
    assertStrictEquals(e.code, "CHECKSUM_MISMATCH");
    assertStrictEquals(e.expected, `${greeter.sha256.slice(0, 12)}… (trusted in ${source})`);
    assertStrictEquals(e.found, `${tampered.sha256.slice(0, 12)}…`);
    assertStrictEquals(
      e.hint,
      `its build id and metadata are unchanged, so the file was modified after it was built: restore the trusted file, or rebuild it from its sources; if the change is intended, trust the file: plugboard trust ${tampered.path}`,
    );
  });
  await t.step(
    "ABI_MISMATCH: the entry was trusted with another ABI; nothing else is compared",
    () => {
      const entry = registry.get("greeter", "0.1.0")!;
      const other = new Registry([{ ...entry, abi: "1.1", sha256: "0".repeat(64) }], {
        lockfile: "/etc/plugboard.lock",
      });
      const e = refusal(other, greeter);
      assertStrictEquals(e.code, "ABI_MISMATCH");
      assertStrictEquals(e.expected, "ABI 1.1 (trusted in /etc/plugboard.lock)");
      assertStrictEquals(e.found, "ABI 1.0");
      assertStrictEquals(
        e.hint,
        `if the change is intended, trust the file: plugboard trust ${greeter.path} --lock /etc/plugboard.lock; otherwise rebuild it against plugboard.h 1.1, the ABI it was trusted with`,
      );
      assertEquals(other.differences(greeter).map((d) => d.code), ["ABI_MISMATCH"]);
    },
  );
  await t.step("the trusted file itself passes", () => {
    assertEquals(registry.differences(greeter, EXACT_POLICY), []);
    registry.check(greeter, EXACT_POLICY);
  });
});

Deno.test("Registry.differences() lists every difference in check order", async (t) => {
  const registry = trusting(plugin("greeter"));
  const cases: [string, typeof greeter, TrustPolicy, string[]][] = [
    ["a changed signature", sigchange, {}, [
      "INTERFACE_MISMATCH",
      "BUILD_ID_MISMATCH",
      "CHECKSUM_MISMATCH",
    ]],
    ["another compiler, pinned", gcc11, { pinToolchain: true }, [
      "TOOLCHAIN_MISMATCH",
      "BUILD_ID_MISMATCH",
      "CHECKSUM_MISMATCH",
    ]],
    ["another compiler, not pinned", gcc11, {}, ["BUILD_ID_MISMATCH", "CHECKSUM_MISMATCH"]],
    ["an extended interface, default policy", v1_1, {}, ["BUILD_ID_MISMATCH", "CHECKSUM_MISMATCH"]],
    ["an extended interface, exact policy", v1_1, EXACT_POLICY, [
      "INTERFACE_MISMATCH",
      "BUILD_ID_MISMATCH",
      "CHECKSUM_MISMATCH",
    ]],
    ["a tampered byte", tampered, EXACT_POLICY, ["CHECKSUM_MISMATCH"]],
  ];
  for (const [name, subject, policy, codes] of cases) {
    await t.step(name, () => {
      const errors = registry.differences(subject, policy);
      for (const e of errors) assertInstanceOf(e, LoadError);
      assertEquals(errors.map((e) => e.code), codes);
    });
  }
});

Deno.test("TrustPolicy decides what must match", async (t) => {
  const registry = trusting(plugin("greeter"));
  // [name, subject, policy, first code or null when accepted]
  const cases: [string, typeof greeter, TrustPolicy, string | null][] = [
    ['mode "known" loads plugins the registry does not know', counter, { mode: "known" }, null],
    ['mode "known" still checks known names', g020, { mode: "known" }, "VERSION_MISMATCH"],
    [
      "pinVersions: false makes a new version unknown (strict)",
      g020,
      { pinVersions: false },
      "UNTRUSTED",
    ],
    [
      'pinVersions: false with mode "known" loads it',
      g020,
      { pinVersions: false, mode: "known" },
      null,
    ],
    ['pin "build-id" accepts other bytes of the same build', tampered, { pin: "build-id" }, null],
    ['pin "build-id" refuses another build', rebuilt, { pin: "build-id" }, "BUILD_ID_MISMATCH"],
    ['pin "interfaces" accepts a rebuild', rebuilt, { pin: "interfaces" }, null],
    ['pin "interfaces" accepts an extended interface', v1_1, { pin: "interfaces" }, null],
    [
      'pin "interfaces" with interfaces "exact" refuses an extension',
      v1_1,
      { pin: "interfaces", interfaces: "exact" },
      "INTERFACE_MISMATCH",
    ],
    [
      'pin "interfaces" refuses a changed signature',
      sigchange,
      { pin: "interfaces" },
      "INTERFACE_MISMATCH",
    ],
    [
      "requireBuildId for every plugin",
      greeter,
      { requireBuildId: "0000000000000000" },
      "BUILD_ID_MISMATCH",
    ],
    [
      "requireBuildId by name, matching",
      greeter,
      { requireBuildId: { greeter: greeter.buildId } },
      null,
    ],
    ["requireBuildId by name, another plugin", greeter, { requireBuildId: { counter: "x" } }, null],
    [
      'requireBuildId applies to unknown plugins in mode "known"',
      counter,
      { mode: "known", requireBuildId: { counter: "x" } },
      "BUILD_ID_MISMATCH",
    ],
    ['pinToolchain "gcc 12" matches gcc 12.x', greeter, { pinToolchain: "gcc 12" }, null],
    ["pinToolchain with the exact compiler", greeter, { pinToolchain: greeter.compiler }, null],
    [
      'pinToolchain "gcc 1" does not match gcc 12',
      greeter,
      { pinToolchain: "gcc 1" },
      "TOOLCHAIN_MISMATCH",
    ],
    [
      "pinToolchain with another compiler",
      greeter,
      { pinToolchain: "gcc 11.4.0" },
      "TOOLCHAIN_MISMATCH",
    ],
  ];
  for (const [name, subject, policy, code] of cases) {
    await t.step(name, () => {
      assertStrictEquals(registry.differences(subject, policy)[0]?.code ?? null, code);
    });
  }
  await t.step("a host-required build id names the host as the source", () => {
    const e = assertThrows(
      () => registry.check(greeter, { requireBuildId: "0000000000000000" }),
      LoadError,
    );
    assertStrictEquals(e.expected, "0000000000000000 (required by the host)");
    assertStrictEquals(e.found, greeter.buildId);
    assertStrictEquals(
      e.hint,
      "load the build with id 0000000000000000, or change the host's requireBuildId",
    );
  });
});

Deno.test("Registry entries keep their fields through a lockfile", () => {
  const dir = tempDir();
  const registry = new Registry([], { lockfile: `${dir}/plugboard.lock` });
  registry.trust(greeter);
  registry.trust(g020);
  registry.save();
  const again = Registry.fromLockfile(`${dir}/plugboard.lock`);
  assertEquals(again.list(), registry.list());
  const entry: LockEntry = again.get("greeter", "0.2.0")!;
  assertStrictEquals(entry.sha256, g020.sha256);
  assertStrictEquals(entry.buildId, g020.buildId);
  assertEquals(Registry.fromLockfile(`${dir}/none.lock`, { create: true }).size, 0);
  const missing = assertThrows(() => Registry.fromLockfile(`${dir}/none.lock`), PluginError);
  assertStrictEquals(missing.code, "NOT_FOUND");
});

Deno.test("Registry keeps the builds of one version in several kinds apart", async () => {
  const { Registry } = await import("../../src/registry/mod.ts");
  const { inspectPlugin } = await import("../../mod.ts");
  const { plugin } = await import("../_paths.ts");
  const native = inspectPlugin(plugin("greeter"));
  const wasm = inspectPlugin(`${plugin("greeter").replace(/greeter\.so$/, "")}wasm/greeter.wasm`);
  assertEquals([native.name, wasm.name, native.version, wasm.version], [
    "greeter",
    "greeter",
    "0.1.0",
    "0.1.0",
  ]);
  const registry = new Registry();
  registry.trust(native);
  registry.trust(wasm);
  assertEquals(registry.list().map((e) => e.kind).sort(), ["native", "wasm"]);
  assertEquals(registry.differences(native), []);
  assertEquals(registry.differences(wasm), []);
  assertEquals(registry.get("greeter", "0.1.0")?.sha256, native.sha256);
  assertEquals(registry.get("greeter", "0.1.0", "wasm")?.sha256, wasm.sha256);
});

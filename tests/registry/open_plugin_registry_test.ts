/**
 * The loader with a registry: every registry code from real files, refusals
 * before any plugin code runs, the file swapped at the worst moment, side by
 * side versions, and interfaces that grow.
 */
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "../_assert.ts";
import {
  defineInterface,
  inspectPlugin,
  LoadError,
  openPlugin,
  openPluginSync,
  type PluginCandidate,
  PluginError,
} from "../../mod.ts";
import { Registry, type TrustPolicy } from "../../src/registry/mod.ts";
import { fixture, plugin } from "../_paths.ts";
import { copyInto, sha256Of, tamperedCopy, tempDir, trusting } from "./_helpers.ts";

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
const GreeterFormal = defineInterface("greeter", "1.1", {
  greet: "cstring greet(cstring name)",
  greet_formal: "cstring greet_formal(cstring name)",
});

Deno.test("openPlugin() refuses every registry mismatch from real files, with its code", async (t) => {
  const dir = tempDir();
  const registry = trusting(plugin("greeter"));
  const tampered = tamperedCopy(plugin("greeter"), dir);
  // [name, file, policy, code]
  const cases: [string, string, TrustPolicy, string][] = [
    ["ABI_MISMATCH (a newer ABI major)", fixture("abi2"), {}, "ABI_MISMATCH"],
    ["UNTRUSTED (not in the registry)", plugin("counter"), {}, "UNTRUSTED"],
    [
      "VERSION_MISMATCH (greeter 0.2.0, only 0.1.0 trusted)",
      fixture("greeter_0_2_0"),
      {},
      "VERSION_MISMATCH",
    ],
    [
      "INTERFACE_MISMATCH (greet's signature changed)",
      fixture("reg_greeter_sigchange"),
      {},
      "INTERFACE_MISMATCH",
    ],
    ["TOOLCHAIN_MISMATCH (built by gcc 11.4.0)", fixture("reg_greeter_gcc11"), {
      pinToolchain: true,
    }, "TOOLCHAIN_MISMATCH"],
    [
      "BUILD_ID_MISMATCH (rebuilt from changed sources)",
      fixture("reg_greeter_rebuilt"),
      {},
      "BUILD_ID_MISMATCH",
    ],
    ["BUILD_ID_MISMATCH (the host requires another build id)", plugin("greeter"), {
      requireBuildId: { greeter: "feedfacefeedface" },
    }, "BUILD_ID_MISMATCH"],
    ["CHECKSUM_MISMATCH (one byte changed)", tampered, {}, "CHECKSUM_MISMATCH"],
  ];
  for (const [name, file, policy, code] of cases) {
    await t.step(name, async () => {
      const e = await assertRejects(
        () => openPlugin(file, { registry, policy, interfaces: [Greeter] }),
        LoadError,
      );
      assertStrictEquals(e.code, code);
      assertStrictEquals(e.path, file);
    });
  }
  await t.step("the trusted file loads and runs", async () => {
    await using p = await openPlugin(plugin("greeter"), { registry, interfaces: [Greeter] });
    assertStrictEquals(p.use(Greeter).greet("World"), "Hello, World");
  });
  await t.step("the tampered file really runs other code when nothing checks it", async () => {
    await using p = await openPlugin(tampered, { interfaces: [Greeter] });
    assertStrictEquals(p.use(Greeter).greet("World"), "Jello, World");
  });
});

Deno.test("openPlugin() refuses before any plugin code runs: a crashing constructor never runs", async (t) => {
  // crash_ctor segfaults in its ELF constructor: were it mapped, this process would die.
  const entry = inspectPlugin(plugin("crash_ctor"));
  const cases: [string, Registry, string][] = [
    ["untrusted", trusting(plugin("greeter")), "UNTRUSTED"],
    [
      "trusted with other bytes",
      new Registry([{
        name: entry.name,
        version: entry.version,
        kind: "native",
        abi: entry.abi,
        interfaces: Object.fromEntries(entry.interfaces.map((i) => [i.id, i])),
        compiler: entry.compiler,
        buildId: entry.buildId,
        sha256: "0".repeat(64),
        path: entry.path,
      }]),
      "CHECKSUM_MISMATCH",
    ],
  ];
  for (const [name, registry, code] of cases) {
    await t.step(name, () => {
      const e = assertThrows(() => openPluginSync(plugin("crash_ctor"), { registry }), LoadError);
      assertStrictEquals(e.code, code);
    });
  }
});

Deno.test("openPlugin() reads a lockfile path as its registry", async () => {
  const dir = tempDir();
  const lock = `${dir}/plugboard.lock`;
  const registry = new Registry([], { lockfile: lock });
  registry.trust(inspectPlugin(plugin("greeter")));
  registry.save();
  await using p = await openPlugin(plugin("greeter"), { registry: lock, interfaces: [Greeter] });
  assertStrictEquals(p.use(Greeter).greet("lock"), "Hello, lock");
  const e = await assertRejects(() => openPlugin(plugin("counter"), { registry: lock }), LoadError);
  assertStrictEquals(e.code, "UNTRUSTED");
  assertStrictEquals(e.expected, `an entry counter@0.1.0 in ${lock}`);
  assertStrictEquals(
    e.hint,
    `review the plugin, then trust it: plugboard trust ${
      plugin("counter")
    } --lock ${lock}; or load with policy { mode: "known" } to allow plugins the lockfile does not know`,
  );
  const missing = await assertRejects(
    () => openPlugin(plugin("greeter"), { registry: `${dir}/none.lock` }),
    PluginError,
  );
  assertStrictEquals(missing.code, "NOT_FOUND");
  // A policy alone checks against an empty registry.
  const alone = await assertRejects(() => openPlugin(plugin("greeter"), { policy: {} }), LoadError);
  assertStrictEquals(alone.code, "UNTRUSTED");
});

Deno.test("openPlugin() loads exactly the bytes it checked, even when the file is swapped during the check", async (t) => {
  const checked = sha256Of(plugin("greeter"));
  const other = sha256Of(fixture("greeter_0_2_0"));
  const registry = trusting(plugin("greeter"), fixture("greeter_0_2_0"));
  /** After the registry check, before the load: rename another build over the path. */
  const swapOver = (path: string) => (c: PluginCandidate) => {
    assertStrictEquals(c.file.sha256, checked, "the bytes were read and hashed already");
    const next = copyInto(fixture("greeter_0_2_0"), tempDir(), "next.so");
    Deno.renameSync(next, path);
    assertStrictEquals(sha256Of(path), other, "the path now holds the other build");
  };

  await t.step('load: "memfd" runs the checked build', async () => {
    const path = copyInto(plugin("greeter"), tempDir(), "greeter.so");
    await using p = await openPlugin(path, {
      registry,
      verify: swapOver(path),
      interfaces: [Greeter],
    });
    assertStrictEquals(p.sha256, checked);
    assertStrictEquals(p.metadata.version, "0.1.0");
    assertStrictEquals(
      p.use(Greeter).greet("World"),
      "Hello, World",
      '0.2.0 would say "Hi, World!"',
    );
    assertStrictEquals(sha256Of(path), other);
  });
  await t.step('load: "path" refuses a path that no longer names the checked file', async () => {
    const path = copyInto(plugin("greeter"), tempDir(), "greeter.so");
    const e = await assertRejects(
      () =>
        openPlugin(path, { registry, load: "path", verify: swapOver(path), interfaces: [Greeter] }),
      LoadError,
    );
    assertStrictEquals(e.code, "CHECKSUM_MISMATCH");
    assert(
      e.summary.startsWith(
        `Cannot load plugin "${path}": the file changed between the checks and the load by path: expected the checked file (SHA-256 ${
          checked.slice(0, 12)
        }, inode `,
      ),
      e.summary,
    );
  });
});

Deno.test("openPlugin() survives the loaded file being overwritten in place (denoland/deno#20956)", async () => {
  const path = copyInto(plugin("greeter"), tempDir(), "greeter.so");
  const p = await openPlugin(path, { registry: trusting(path), interfaces: [Greeter] });
  const { greet } = p.use(Greeter);
  // Same inode, new bytes: what crashed Deno at exit when the file itself was mapped.
  const file = Deno.openSync(path, { write: true });
  file.writeSync(Deno.readFileSync(fixture("greeter_0_2_0")));
  file.close();
  assertStrictEquals(greet("again"), "Hello, again");
  assertEquals(await p.close(), { unloaded: true });
});

Deno.test("openPlugin() loads two versions of one plugin side by side, resolved by range", async () => {
  const dir = tempDir();
  const lock = `${dir}/plugboard.lock`;
  const registry = new Registry([], { lockfile: lock });
  registry.trust(inspectPlugin(copyInto(plugin("greeter"), dir, "greeter-0.1.0.so")));
  registry.trust(inspectPlugin(copyInto(fixture("greeter_0_2_0"), dir, "greeter-0.2.0.so")));
  registry.save();
  const reread = Registry.fromLockfile(lock);
  const v1 = reread.resolve("greeter@~0.1")!;
  const v2 = reread.resolve("greeter@^0.2")!;
  assertEquals([v1.path, v2.path], ["greeter-0.1.0.so", "greeter-0.2.0.so"]);
  await using a = await openPlugin(reread.pathOf(v1), { registry: reread, interfaces: [Greeter] });
  await using b = await openPlugin(reread.pathOf(v2), { registry: reread, interfaces: [Greeter] });
  const ga = a.use(Greeter).greet;
  const gb = b.use(Greeter).greet;
  assertStrictEquals(ga("Ada"), "Hello, Ada");
  assertStrictEquals(gb("Ada"), "Hi, Ada!");
  assertStrictEquals(ga("Bob"), "Hello, Bob");
  assertEquals([a.metadata.version, b.metadata.version], ["0.1.0", "0.2.0"]);
  assert(a.shared === false && b.shared === false);
  assertEquals(await a.close(), { unloaded: true });
  assertStrictEquals(gb("Cy"), "Hi, Cy!", "closing one version leaves the other working");
});

Deno.test("openPlugin() lets interfaces grow: older plugins load, changed signatures do not", async (t) => {
  await t.step(
    "host side: a host wanting greeter 1.0 loads a 1.1 plugin it does not fully need",
    async () => {
      const registry = trusting(fixture("greeter_v1_1"));
      await using p = await openPlugin(fixture("greeter_v1_1"), {
        registry,
        interfaces: [Greeter],
      });
      assertStrictEquals(p.use(Greeter).greet("Ada"), "Hello, Ada");
    },
  );
  await t.step("host side: a host wanting greeter 1.1 refuses a 1.0 plugin", async () => {
    const e = await assertRejects(
      () =>
        openPlugin(plugin("greeter"), {
          registry: trusting(plugin("greeter")),
          interfaces: [GreeterFormal],
        }),
      LoadError,
    );
    assertStrictEquals(e.code, "INTERFACE_MISMATCH");
  });
  await t.step("host side: a changed signature is refused even when trusted", async () => {
    const e = await assertRejects(
      () =>
        openPlugin(fixture("greeter_sigchange"), {
          registry: trusting(fixture("greeter_sigchange")),
          interfaces: [Greeter],
        }),
      LoadError,
    );
    assertStrictEquals(e.code, "SIGNATURE_MISMATCH");
  });
  const registry = trusting(plugin("greeter"));
  const rebuilds: TrustPolicy = { pin: "interfaces" };
  await t.step(
    'lockfile side: with pin "interfaces", an extended rebuild replaces the trusted one',
    async () => {
      await using p = await openPlugin(fixture("reg_greeter_v1_1"), {
        registry,
        policy: rebuilds,
        interfaces: [GreeterFormal],
      });
      assertStrictEquals(p.use(GreeterFormal).greet_formal("Ada"), "Good day, Ada");
    },
  );
  await t.step('lockfile side: with interfaces "exact", the extension is refused', async () => {
    const e = await assertRejects(
      () =>
        openPlugin(fixture("reg_greeter_v1_1"), {
          registry,
          policy: { ...rebuilds, interfaces: "exact" },
        }),
      LoadError,
    );
    assertStrictEquals(e.code, "INTERFACE_MISMATCH");
  });
  await t.step("lockfile side: a changed signature under the same version is refused", async () => {
    const e = await assertRejects(
      () => openPlugin(fixture("reg_greeter_sigchange"), { registry, policy: rebuilds }),
      LoadError,
    );
    assertStrictEquals(e.code, "INTERFACE_MISMATCH");
    assertInstanceOf(e, LoadError);
  });
});

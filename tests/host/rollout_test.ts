import assert from "node:assert/strict";
import { join } from "node:path";
import { CallError, PluginError } from "../../src/errors/plugin_error.ts";
import { PluginHost, type PluginHostOptions } from "../../src/host/plugin_host.ts";
import type { RolloutRule } from "../../src/host/_rollout.ts";
import { buildGeneration, deploy, Gen, Greeter, populate, recorder, tempDir } from "./_host.ts";

/** greeter 0.1.0 (plugins/greeter.c), greeter 0.2.0 (a fixture) and calc-add 0.1.0. */
function greeters(): Promise<string> {
  return tempDir().then((dir) =>
    populate(dir, {
      "greeter.so": { plugin: "greeter" },
      "greeter_0_2_0.so": { fixture: "greeter_0_2_0" },
      "calc_add.so": { plugin: "calc_add" },
    })
  );
}

const ENABLE_HINT =
  'enable it with host.setRollout("greeter", { enabled: true }), or drop enabled: false from the host\'s rollout option; the file stays where it is';

function isError(
  e: unknown,
  type: abstract new (...args: never[]) => PluginError,
  code: string,
  message: string,
): boolean {
  assert.ok(e instanceof type, `expected ${type.name}, found ${e}`);
  assert.equal((e as PluginError).code, code);
  assert.equal((e as PluginError).message, message);
  return true;
}

Deno.test("PluginHost.select() picks between versions side by side by semver range", async (t) => {
  const dir = await greeters();
  await using host = new PluginHost({ paths: [dir], env: false });
  assert.equal((await host.discover()).loaded, 3);
  await t.step("both versions are loaded and called", async () => {
    const v1 = host.select("greeter@^0.1");
    const v2 = host.select("greeter@^0.2");
    assert.deepEqual([v1.version, v1.path], ["0.1.0", join(dir, "greeter.so")]);
    assert.deepEqual([v2.version, v2.path], ["0.2.0", join(dir, "greeter_0_2_0.so")]);
    assert.equal((await v1.use(Greeter)).greet("Ada"), "Hello, Ada");
    assert.equal((await v2.use(Greeter)).greet("Ada"), "Hi, Ada!");
  });
  await t.step("each range gets the highest version it admits", () => {
    const cases: [string, string][] = [
      ["greeter", "0.2.0"],
      ["greeter@*", "0.2.0"],
      ["greeter@0.1.0", "0.1.0"],
      ["greeter@~0.1", "0.1.0"],
      ["greeter@>=0.1 <0.2", "0.1.0"],
      ["greeter@^0.1 || ^0.2", "0.2.0"],
      ["greeter@>0.1.0", "0.2.0"],
    ];
    for (const [spec, version] of cases) assert.equal(host.select(spec).version, version, spec);
  });
  await t.step("a spec that matches nothing is refused with its code", () => {
    const cases: [string, string, string][] = [
      [
        "greeter@^0.3",
        "VERSION_MISMATCH",
        'Cannot select plugin "greeter@^0.3": expected a version in ^0.3, found 0.1.0, 0.2.0\n' +
        "hint: ask for a range one of them is in, or add a build of greeter in ^0.3",
      ],
      [
        "nobody",
        "NOT_FOUND",
        'Cannot select plugin "nobody": expected a hosted plugin named "nobody", found none\n' +
        "hint: check the name (the one PLUGBOARD_PLUGIN declares) and the host's search paths; discover() must have run",
      ],
      [
        "greeter@^^0.1",
        "USAGE",
        'Invalid plugin spec "greeter@^^0.1"\n' +
        'hint: write NAME@RANGE, e.g. "greeter@^0.2", "greeter@~0.1.0", "greeter@>=0.1 <0.3" or "greeter"',
      ],
      [
        "@^0.1",
        "USAGE",
        'Invalid plugin spec "@^0.1"\n' +
        'hint: write NAME@RANGE, e.g. "greeter@^0.2", "greeter@~0.1.0", "greeter@>=0.1 <0.3" or "greeter"',
      ],
    ];
    for (const [spec, code, message] of cases) {
      assert.throws(() => host.select(spec), (e) => isError(e, PluginError, code, message));
    }
  });
  await host.close();
  assert.throws(
    () => host.select("greeter"),
    (e) => e instanceof CallError && e.code === "CLOSED",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost does not load a plugin disabled by configuration, and says how to enable it", async (t) => {
  const dir = await greeters();
  const rec = recorder();
  await using host = new PluginHost({
    paths: [dir],
    env: false,
    log: rec.sink,
    rollout: { greeter: { enabled: false } },
  });
  const summary = await host.discover();
  await t.step("both greeters are checked, not loaded; the others load", () => {
    assert.deepEqual(
      { loaded: summary.loaded, deferred: summary.deferred, disabled: summary.disabled },
      { loaded: 1, deferred: 0, disabled: 2 },
    );
    assert.deepEqual(rec.events("load").map((r) => r.message), ["loaded calc-add 0.1.0"]);
    assert.deepEqual(rec.events("rollout").map((r) => [r.level, r.message]), [
      ["info", "greeter 0.1.0 is disabled by configuration: checked, not loaded"],
      ["info", "greeter 0.2.0 is disabled by configuration: checked, not loaded"],
    ]);
    assert.equal(
      rec.events("discover")[0].message,
      "found 3 plugin files in 1 search path: 1 loaded, 2 disabled by configuration, 0 skipped",
    );
    assert.deepEqual(host.plugins().map((p) => p.name), ["calc-add"]);
    assert.deepEqual(host.rollout, { greeter: { enabled: false } });
  });
  await t.step("select() throws DISABLED, naming the way out", () => {
    for (const spec of ["greeter", "greeter@^0.2", "greeter@^9"]) {
      assert.throws(
        () => host.select(spec),
        (e) =>
          isError(
            e,
            PluginError,
            "DISABLED",
            'Cannot use plugin "greeter": it is disabled by configuration: expected enabled: true, found rollout rule { enabled: false }\n' +
              `hint: ${ENABLE_HINT}`,
          ),
      );
    }
  });
  await t.step("enabled at run time, it loads on its first use", async () => {
    host.setRollout("greeter", undefined);
    assert.deepEqual(host.rollout, {});
    const greeter = host.select("greeter");
    assert.deepEqual([greeter.version, greeter.state, greeter.enabled], ["0.2.0", "lazy", true]);
    assert.equal((await greeter.use(Greeter)).greet("Ada"), "Hi, Ada!");
    assert.equal(greeter.state, "loaded");
    assert.deepEqual(rec.events("load").map((r) => [r.message, r.mode]), [
      ["loaded calc-add 0.1.0", "eager"],
      ["loaded greeter 0.2.0", "lazy"],
    ]);
    assert.equal(rec.events("rollout").at(-1)!.message, "greeter: enabled");
    assert.deepEqual(host.plugins(Greeter).map((p) => p.version), ["0.1.0", "0.2.0"]);
  });
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost.setRollout() disables a loaded plugin's functions at once, and enables them again", async (t) => {
  const dir = await tempDir();
  const plugins = join(dir, "plugins");
  await Deno.mkdir(plugins);
  const gate = join(dir, "gate");
  await deploy(
    await buildGeneration(join(dir, "builds"), 1, { name: "rollout-gen" }),
    join(plugins, "gen.so"),
  );
  const rec = recorder();
  await using host = new PluginHost({ paths: [plugins], env: false, log: rec.sink });
  await host.discover();
  const hosted = host.select("rollout-gen");
  const fns = await hosted.use(Gen);
  assert.equal(fns.generation(), 1);
  const running = fns.generation_wait(gate);
  host.setRollout("rollout-gen", { enabled: false });
  const path = join(plugins, "gen.so");
  const hint =
    'hint: enable it with host.setRollout("rollout-gen", { enabled: true }), or drop enabled: false from the host\'s rollout option; the file stays where it is';
  await t.step("a synchronous function throws DISABLED", () => {
    assert.throws(
      () => fns.generation(),
      (e) =>
        isError(
          e,
          CallError,
          "DISABLED",
          `Call to "generation" in plugin ${
            JSON.stringify(path)
          } failed: plugin "rollout-gen" is disabled by configuration (rollout rule { enabled: false })\n${hint}`,
        ),
    );
  });
  await t.step("a nonblocking function rejects with DISABLED instead of throwing", async () => {
    const p = fns.generation_slow(1);
    assert.ok(p instanceof Promise);
    await assert.rejects(p, (e) => e instanceof CallError && e.code === "DISABLED");
  });
  await t.step(
    "use(), useLoaded() and load() throw DISABLED; the plugin stays loaded",
    async () => {
      const message = `Cannot use plugin "rollout-gen" (${
        JSON.stringify(path)
      }): it is disabled by configuration: expected enabled: true, found rollout rule { enabled: false }\n${hint}`;
      await assert.rejects(hosted.use(Gen), (e) => isError(e, PluginError, "DISABLED", message));
      assert.throws(
        () => hosted.useLoaded(Gen),
        (e) => isError(e, PluginError, "DISABLED", message),
      );
      await assert.rejects(hosted.load(), (e) => isError(e, PluginError, "DISABLED", message));
      assert.deepEqual([hosted.state, hosted.enabled], ["loaded", false]);
      assert.deepEqual(host.plugins(), []);
      assert.equal((await host.discover()).disabled, 1);
    },
  );
  await t.step("a call that was running when it was disabled finishes", async () => {
    await Deno.writeTextFile(gate, "");
    assert.equal(await running, 1);
  });
  await t.step("enabled again, the same functions call it", async () => {
    host.setRollout("rollout-gen", { enabled: true });
    assert.equal(fns.generation(), 1);
    assert.equal(await fns.generation_slow(1), 1);
    assert.equal(hosted.enabled, true);
    assert.deepEqual(rec.events("rollout").map((r) => r.message), [
      "rollout-gen: disabled by configuration",
      "rollout-gen: enabled",
    ]);
    assert.equal(rec.events("close").length, 0);
  });
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test('PluginHost with isolation "process": a disabled plugin\'s functions reject with DISABLED', async () => {
  const dir = await greeters();
  await using host = new PluginHost({
    paths: [dir],
    env: false,
    loadOptions: { isolation: "process" },
  });
  await host.discover();
  const { greet } = await host.select("greeter@^0.1").use(Greeter);
  assert.equal(await greet("Ada"), "Hello, Ada");
  host.setRollout("greeter", { enabled: false });
  const refused = greet("Ada");
  assert.ok(
    refused instanceof Promise,
    "an isolated function returns a Promise, also when refused",
  );
  await assert.rejects(refused, (e) => e instanceof CallError && e.code === "DISABLED");
  host.setRollout("greeter", { enabled: true });
  assert.equal(await greet("Ada"), "Hello, Ada");
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost keeps a disabled plugin's functions refusing across a reload", async () => {
  const dir = await tempDir();
  const plugins = join(dir, "plugins");
  await Deno.mkdir(plugins);
  const target = join(plugins, "gen.so");
  const builds = join(dir, "builds");
  await deploy(await buildGeneration(builds, 1, { name: "rollout-reload" }), target);
  await using host = new PluginHost({ paths: [plugins], env: false });
  await host.discover();
  const fns = await host.select("rollout-reload").use(Gen);
  host.setRollout("rollout-reload", { enabled: false });
  await deploy(await buildGeneration(builds, 2, { name: "rollout-reload" }), target);
  assert.deepEqual((await host.refresh()).reloaded, [target]);
  assert.throws(() => fns.generation(), (e) => e instanceof CallError && e.code === "DISABLED");
  host.setRollout("rollout-reload", undefined);
  assert.equal(fns.generation(), 2);
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost weights share selections between versions exactly", async (t) => {
  const dir = await greeters();
  const weights = (share: number): RolloutRule => ({
    weights: { "^0.1": 100 - share, "^0.2": share },
  });
  await using host = new PluginHost({
    paths: [dir],
    env: false,
    rollout: { greeter: weights(10) },
  });
  await host.discover();
  const keys = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
  const onNew = (share: number) => {
    host.setRollout("greeter", weights(share));
    return new Set(keys.filter((key) => host.select("greeter", { key }).version === "0.2.0"));
  };
  await t.step("10% / 90% over 1000 keyed selections: 103 on 0.2.0, 897 on 0.1.0", () => {
    const counts: Record<string, number> = {};
    for (const key of keys) {
      const v = host.select("greeter", { key }).version;
      counts[v] = (counts[v] ?? 0) + 1;
    }
    assert.deepEqual(counts, { "0.1.0": 897, "0.2.0": 103 });
  });
  await t.step("the same key always gets the same version", async () => {
    for (const key of ["user-1", "user-7", "user-42"]) {
      const first = host.select("greeter", { key });
      for (let i = 0; i < 20; i++) assert.strictEqual(host.select("greeter", { key }), first);
    }
    assert.deepEqual(
      ["user-0", "user-1", "user-2", "user-3", "user-4", "user-5"].map((key) =>
        host.select("greeter", { key }).version
      ),
      ["0.1.0", "0.1.0", "0.1.0", "0.1.0", "0.1.0", "0.2.0"],
    );
    const greet = (key: string) => host.select("greeter", { key }).use(Greeter);
    assert.equal((await greet("user-5")).greet("Ada"), "Hi, Ada!");
    assert.equal((await greet("user-0")).greet("Ada"), "Hello, Ada");
  });
  await t.step("raising the new version's share only moves keys onto it", () => {
    const ten = onNew(10);
    const quarter = onNew(25);
    const all = onNew(100);
    assert.deepEqual([ten.size, quarter.size, all.size], [103, 246, 1000]);
    assert.ok([...ten].every((k) => quarter.has(k)));
  });
  await t.step("unkeyed selections follow the weights exactly in every 100", () => {
    host.setRollout("greeter", weights(10));
    const picks = Array.from({ length: 200 }, () => host.select("greeter").version);
    const at = picks.flatMap((v, i) => v === "0.2.0" ? [i] : []);
    assert.deepEqual(at, [
      5,
      15,
      25,
      35,
      45,
      55,
      65,
      75,
      85,
      95,
      105,
      115,
      125,
      135,
      145,
      155,
      165,
      175,
      185,
      195,
    ]);
  });
  await t.step("a range in the request narrows the choice before the weights", () => {
    for (const key of keys.slice(0, 100)) {
      assert.equal(host.select("greeter@^0.1", { key }).version, "0.1.0");
    }
    host.setRollout("greeter", { weights: { "^0.1": 0, "^0.2": 1 } });
    assert.equal(host.select("greeter@~0.1", { key: "user-1" }).version, "0.1.0");
    assert.equal(host.select("greeter", { key: "user-1" }).version, "0.2.0");
  });
  await t.step("a weighted range with no hosted version is left out", () => {
    host.setRollout("greeter", { weights: { "^0.1": 50, "^0.9": 50 } });
    assert.ok(keys.every((key) => host.select("greeter", { key }).version === "0.1.0"));
  });
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost refuses malformed rollout rules with USAGE", async (t) => {
  const cases: [string, RolloutRule, string][] = [
    [
      "a range that is not one",
      { weights: { "^^0.1": 1 } },
      'Invalid rollout rule for plugin "greeter": expected a semver range as each key of weights, found "^^0.1"\n' +
      'hint: write ranges such as "^0.2", "0.1.x" or "1.4.2"',
    ],
    [
      "a negative weight",
      { weights: { "^0.1": -1 } },
      'Invalid rollout rule for plugin "greeter": expected a finite weight of 0 or more for "^0.1", found -1\n' +
      "hint: weights are relative shares, e.g. 90 and 10",
    ],
    [
      "an infinite weight",
      { weights: { "^0.1": Infinity } },
      'Invalid rollout rule for plugin "greeter": expected a finite weight of 0 or more for "^0.1", found Infinity\n' +
      "hint: weights are relative shares, e.g. 90 and 10",
    ],
    [
      "only zero weights",
      { weights: { "^0.1": 0, "^0.2": 0 } },
      'Invalid rollout rule for plugin "greeter": expected weights that sum to more than 0, found only zero weights\n' +
      "hint: give the version that should serve a positive weight, or leave weights out",
    ],
    [
      "no weights",
      { weights: {} },
      'Invalid rollout rule for plugin "greeter": expected weights that sum to more than 0, found no weights\n' +
      "hint: give the version that should serve a positive weight, or leave weights out",
    ],
    [
      "enabled that is not a boolean",
      { enabled: "no" as unknown as boolean },
      'Invalid rollout rule for plugin "greeter": expected enabled to be true or false, found "no"\n' +
      "hint: write enabled: false",
    ],
  ];
  for (const [what, rule, message] of cases) {
    await t.step(what, () => {
      const options: PluginHostOptions = { env: false, rollout: { greeter: rule } };
      assert.throws(
        () => new PluginHost(options),
        (e) => isError(e, PluginError, "USAGE", message),
      );
      const host = new PluginHost({ env: false });
      assert.throws(
        () => host.setRollout("greeter", rule),
        (e) => isError(e, PluginError, "USAGE", message),
      );
      assert.deepEqual(host.rollout, {});
    });
  }
});

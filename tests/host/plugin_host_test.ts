import assert from "node:assert/strict";
import { join } from "node:path";
import { CallError, LoadError, PluginError } from "../../src/errors/plugin_error.ts";
import { defineInterface } from "../../src/abi/define_interface.ts";
import { PluginHost } from "../../src/host/plugin_host.ts";
import { CalcOp, Greeter, Hook, populate, recorder, tempDir } from "./_host.ts";
import { ROOT } from "../_paths.ts";

Deno.test("PluginHost discovers plugins by file name, then path", async () => {
  const root = await tempDir();
  const one = await populate(join(root, "one"), {
    "calc_sub.so": { plugin: "calc_sub" },
    "calc_add.so": { plugin: "calc_add" },
    "README.md": { text: "not a plugin file: ignored" },
    ".hidden.so": { text: "hidden: ignored" },
  });
  const two = await populate(join(root, "two"), {
    "calc_add.so": { plugin: "calc_add" },
    "greeter.so": { plugin: "greeter" },
  });
  await using host = new PluginHost({ paths: [two, one], env: false });
  const summary = await host.discover();
  assert.deepEqual(summary, {
    paths: [two, one],
    missing: [],
    found: 4,
    loaded: 4,
    deferred: 0,
    disabled: 0,
    skipped: [],
  });
  assert.deepEqual(host.plugins().map((p) => p.path), [
    join(one, "calc_add.so"),
    join(two, "calc_add.so"),
    join(one, "calc_sub.so"),
    join(two, "greeter.so"),
  ]);
  assert.deepEqual(host.plugins().map((p) => p.name), [
    "calc-add",
    "calc-add",
    "calc-sub",
    "greeter",
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("PluginHost skips every file it cannot load, says why, and loads the rest", async (t) => {
  const dir = await tempDir();
  const rec = recorder();
  const cases = [
    { name: "a_text.so", spec: { text: "just some notes\n" }, code: "NOT_ELF" },
    { name: "b_empty.so", spec: { text: "" }, code: "NOT_ELF" },
    { name: "c_tool.so", spec: { copy: "/usr/bin/true" }, code: "NOT_SHARED_OBJECT" },
    { name: "d_plain.so", spec: { fixture: "plain" }, code: "NOT_A_PLUGIN" },
    { name: "e_abi2.so", spec: { fixture: "abi2" }, code: "ABI_MISMATCH" },
    { name: "f_v2.so", spec: { fixture: "greeter_v2" }, code: "INTERFACE_MISMATCH" },
    { name: "g_sigchange.so", spec: { fixture: "greeter_sigchange" }, code: "SIGNATURE_MISMATCH" },
    { name: "h_other.so", spec: { fixture: "no_interface" }, code: "INTERFACE_MISSING" },
    { name: "i_init_fail.so", spec: { fixture: "init_fail" }, code: "INIT_FAILED" },
    { name: "j_dangling.so", spec: { symlink: join(dir, "nowhere.so") }, code: "NOT_FOUND" },
    // Its constructor crashes the process: the host must refuse it before mapping it.
    { name: "k_crash_ctor.so", spec: { plugin: "crash_ctor" }, code: "INTERFACE_MISSING" },
  ] as const;
  await populate(dir, {
    ...Object.fromEntries(cases.map((c) => [c.name, c.spec])),
    "greeter.so": { plugin: "greeter" },
  });
  await using host = new PluginHost({
    paths: [dir],
    env: false,
    interfaces: [Greeter],
    log: rec.sink,
  });
  const summary = await host.discover();
  assert.equal(summary.found, cases.length + 1);
  assert.equal(summary.loaded, 1);
  assert.deepEqual(
    summary.skipped.map((s) => [s.path, s.code]),
    cases.map((c) => [join(dir, c.name), c.code]),
  );
  const skips = rec.events("skip");
  for (const c of cases) {
    await t.step(`${c.name}: ${c.code}`, () => {
      const path = join(dir, c.name);
      const skipped = summary.skipped.find((s) => s.path === path)!;
      assert.ok(
        skipped.message.startsWith(`Cannot load plugin ${JSON.stringify(path)}: `),
        skipped.message,
      );
      const record = skips.find((r) => r.path === path);
      assert.ok(record, `a skip record for ${c.name}`);
      // A valid plugin for other interfaces is expected in a shared directory: debug, not warn.
      const others = c.name === "h_other.so" || c.name === "k_crash_ctor.so";
      assert.equal(record.level, others ? "debug" : "warn");
      assert.equal(skipped.forOtherInterfaces ?? false, others);
      assert.equal(record.code, c.code);
      assert.equal(record.message, skipped.message);
    });
  }
  await t.step("the exact messages of a few", () => {
    const msg = (name: string) => summary.skipped.find((s) => s.path === join(dir, name))!.message;
    assert.equal(
      msg("e_abi2.so"),
      `Cannot load plugin "${
        join(dir, "e_abi2.so")
      }": ABI major version mismatch: expected ABI 1.x, found ABI 2.0`,
    );
    assert.equal(
      msg("i_init_fail.so"),
      `Cannot load plugin "${
        join(dir, "i_init_fail.so")
      }": the plugin's init hook failed: expected init to return 0, found 7: database not reachable`,
    );
    assert.equal(
      msg("h_other.so"),
      `Cannot load plugin "${
        join(dir, "h_other.so")
      }": plugin "fixture-no-interface" provides none of the host's interfaces: expected greeter/1.0, found other/1.0`,
    );
  });
  await t.step("the good plugin works", async () => {
    const [greeter] = host.plugins(Greeter);
    assert.equal(greeter.path, join(dir, "greeter.so"));
    assert.equal((await greeter.use(Greeter)).greet("Ada"), "Hello, Ada");
  });
  await t.step("a discover record sums it up", () => {
    const [d] = rec.events("discover");
    assert.equal(
      d.message,
      "found 12 plugin files in 1 search path: 1 loaded, 11 skipped (2 for other interfaces)",
    );
  });
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost reads search paths from PLUGBOARD_PATH", async (t) => {
  const root = await tempDir();
  const one = await populate(join(root, "one"), { "calc_add.so": { plugin: "calc_add" } });
  const two = await populate(join(root, "two"), { "greeter.so": { plugin: "greeter" } });
  const code = `
    import { PluginHost } from ${JSON.stringify(join(ROOT, "src/host/plugin_host.ts"))};
    const env = Deno.args[0] === "env";
    await using host = new PluginHost({ paths: [${JSON.stringify(one)}], env });
    await host.discover();
    console.log(JSON.stringify({ paths: host.paths, names: host.plugins().map((p) => p.name) }));
  `;
  const run = async (arg: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-check", code, arg],
      env: { PLUGBOARD_PATH: `${two}::${one}` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout));
  };
  await t.step("after the paths given in code, empty entries and repeats dropped", async () => {
    assert.deepEqual(await run("env"), { paths: [one, two], names: ["calc-add", "greeter"] });
  });
  await t.step("not with { env: false }", async () => {
    assert.deepEqual(await run("noenv"), { paths: [one], names: ["calc-add"] });
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("PluginHost.plugins() returns only the plugins that provide an interface", async (t) => {
  const dir = await populate(await tempDir(), {
    "calc_add.so": { plugin: "calc_add" },
    "calc_div.so": { plugin: "calc_div" },
    "greeter.so": { plugin: "greeter" },
    "greeter_v1_1.so": { fixture: "greeter_v1_1" },
    "text_upper.so": { plugin: "text_upper" },
  });
  await using host = new PluginHost({ paths: [dir], env: false });
  await host.discover();
  const names = (ref: Parameters<typeof host.plugins>[0]) => host.plugins(ref).map((p) => p.name);
  const cases = [
    { ref: "calc.op/1", names: ["calc-add", "calc-div"] },
    { ref: "calc.op/1.0", names: ["calc-add", "calc-div"] },
    { ref: CalcOp, names: ["calc-add", "calc-div"] },
    { ref: "calc.op/2", names: [] },
    { ref: "calc.op/1.1", names: [] },
    { ref: "greeter/1", names: ["greeter", "fixture-greeter-v1-1"] },
    { ref: "greeter/1.1", names: ["fixture-greeter-v1-1"] },
    { ref: "text.processor/1", names: ["text-upper"] },
    {
      ref: defineInterface("calc.op", "1.0", { apply: "f64 apply(f64 a, f64 b)" }),
      names: [],
    },
  ];
  for (const c of cases) {
    const label = typeof c.ref === "string" ? c.ref : `spec ${c.ref.id}`;
    await t.step(`${label} -> [${c.names.join(", ")}]`, () => {
      assert.deepEqual(names(c.ref), c.names);
    });
  }
  await t.step("a reference without a version is a USAGE error", () => {
    assert.throws(
      () => host.plugins("calc.op"),
      (e) =>
        e instanceof PluginError && e.code === "USAGE" &&
        e.summary === 'Invalid interface reference "calc.op"',
    );
  });
  await t.step("use() of an interface the plugin lacks is refused without calling it", async () => {
    const [add] = host.plugins("calc.op/1");
    await assert.rejects(
      add.use(Greeter),
      (e) => e instanceof LoadError && e.code === "INTERFACE_MISSING",
    );
    assert.equal(add.provides("text.processor/1"), false);
    assert.equal(add.provides(CalcOp), true);
  });
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

/**
 * Two plugins whose hooks append to the file named by
 * PLUGBOARD_HOST_HOOK_LOG (set here; tests delete it when done), with a
 * plugin whose init fails between them.
 */
async function hookPlugins(): Promise<{ dir: string; hookLog: string }> {
  const dir = await populate(await tempDir(), {
    "hook_1.so": { fixture: "host_hook_a" },
    "hook_2.so": { fixture: "init_fail" },
    "hook_3.so": { fixture: "host_hook_b" },
  });
  const hookLog = join(dir, "hooks.log");
  await Deno.writeTextFile(hookLog, "");
  Deno.env.set("PLUGBOARD_HOST_HOOK_LOG", hookLog);
  return { dir, hookLog };
}

Deno.test("PluginHost runs init hooks in discovery order and shutdown hooks in reverse", async (t) => {
  const { dir, hookLog } = await hookPlugins();
  try {
    const rec = recorder();
    const host = new PluginHost({ paths: [dir], env: false, log: rec.sink });
    const summary = await host.discover();
    await t.step("a failing init skips that plugin only", async () => {
      assert.equal(summary.loaded, 2);
      assert.deepEqual(summary.skipped.map((s) => [s.path, s.code]), [
        [join(dir, "hook_2.so"), "INIT_FAILED"],
      ]);
      const which = await Promise.all(
        host.plugins(Hook).map(async (p) => (await p.use(Hook)).which()),
      );
      assert.deepEqual(which, ["a", "b"]);
    });
    await t.step("init ran in discovery order", async () => {
      assert.equal(await Deno.readTextFile(hookLog), "init a\ninit b\n");
      assert.deepEqual(rec.events("init").map((r) => r.plugin), ["host-hook-a", "host-hook-b"]);
    });
    const result = await host.close();
    await t.step("shutdown ran in reverse order at close", async () => {
      assert.deepEqual(result, { closed: 2, kept: [] });
      assert.equal(await Deno.readTextFile(hookLog), "init a\ninit b\nshutdown b\nshutdown a\n");
      assert.deepEqual(
        rec.events("close").map((r) => [r.plugin ?? null, r.unloaded ?? null]),
        [["host-hook-b", true], ["host-hook-a", true], [null, null]],
      );
    });
  } finally {
    Deno.env.delete("PLUGBOARD_HOST_HOOK_LOG");
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost in lazy mode loads a plugin on its first use, once", async (t) => {
  const { dir, hookLog } = await hookPlugins();
  try {
    const rec = recorder();
    await using host = new PluginHost({ paths: [dir], env: false, mode: "lazy", log: rec.sink });
    const summary = await host.discover();
    await t.step("discovery checks without loading", async () => {
      assert.deepEqual(
        { found: summary.found, loaded: summary.loaded, deferred: summary.deferred },
        { found: 3, loaded: 0, deferred: 3 },
      );
      assert.deepEqual(host.plugins().map((p) => p.state), ["lazy", "lazy", "lazy"]);
      assert.equal(rec.events("load").length, 0);
      assert.equal(await Deno.readTextFile(hookLog), "");
    });
    await t.step("concurrent first callers share one load", async () => {
      const [a] = host.plugins(Hook);
      const all = await Promise.all(Array.from({ length: 8 }, () => a.use(Hook)));
      assert.ok(all.every((fns) => fns === all[0]));
      assert.equal(all[0].which(), "a");
      assert.equal(a.state, "loaded");
      assert.equal(rec.events("load").length, 1);
      assert.equal(await Deno.readTextFile(hookLog), "init a\n");
      await a.load();
      assert.equal(rec.events("load").length, 1);
    });
    await t.step("a failing init fails that plugin only, once", async () => {
      const failing = host.plugins().find((p) => p.path.endsWith("hook_2.so"))!;
      for (let i = 0; i < 2; i++) {
        await assert.rejects(
          failing.load(),
          (e) =>
            e instanceof LoadError && e.code === "INIT_FAILED" &&
            e.found === "7: database not reachable",
        );
      }
      assert.equal(failing.state, "failed");
      assert.equal(failing.error?.code, "INIT_FAILED");
      assert.deepEqual(rec.events("skip").map((r) => [r.path, r.code]), [[
        failing.path,
        "INIT_FAILED",
      ]]);
      assert.deepEqual(host.plugins().map((p) => p.name), ["host-hook-a", "host-hook-b"]);
      const [, b] = host.plugins(Hook);
      assert.equal((await b.use(Hook)).which(), "b");
      assert.equal(await Deno.readTextFile(hookLog), "init a\ninit b\n");
    });
    await host.close();
    assert.equal(await Deno.readTextFile(hookLog), "init a\ninit b\nshutdown b\nshutdown a\n");
  } finally {
    Deno.env.delete("PLUGBOARD_HOST_HOOK_LOG");
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost.close() drains calls in flight, then closes; later calls throw CLOSED", async (t) => {
  const Counter = defineInterface("counter", "1.0", {
    inc_slow: "nonblocking i32 inc_slow(i32 ms)",
    get: "i32 get()",
  });
  const dir = await populate(await tempDir(), { "counter.so": { plugin: "counter" } });
  const rec = recorder();
  const host = new PluginHost({ paths: [dir], env: false, log: rec.sink });
  await host.discover();
  const [counter] = host.plugins(Counter);
  const fns = await counter.use(Counter);
  const start = fns.get();
  const order: string[] = [];
  const slow = fns.inc_slow(150).then((v) => {
    order.push("call returned");
    return v;
  });
  const closing = host.close().then((r) => {
    order.push("host closed");
    return r;
  });
  await t.step("new calls are refused at once", () => {
    assert.throws(
      () => fns.get(),
      (e) =>
        e instanceof CallError && e.code === "CLOSED" &&
        e.summary ===
          `Call to "get" in plugin ${
            JSON.stringify(join(dir, "counter.so"))
          } failed: the plugin host is closed`,
    );
  });
  const [value, result] = await Promise.all([slow, closing]);
  await t.step("the call in flight finished first", () => {
    assert.equal(value, start + 1);
    assert.deepEqual(order, ["call returned", "host closed"]);
    assert.deepEqual(result, { closed: 1, kept: [] });
    assert.equal(counter.state, "closed");
  });
  await t.step("nothing works after close, and nothing crashes", async () => {
    assert.throws(() => fns.get(), (e) => e instanceof CallError && e.code === "CLOSED");
    await assert.rejects(fns.inc_slow(1), (e) => e instanceof CallError && e.code === "CLOSED");
    await assert.rejects(
      counter.use(Counter),
      (e) => e instanceof CallError && e.code === "CLOSED",
    );
    await assert.rejects(host.discover(), (e) => e instanceof CallError && e.code === "CLOSED");
    assert.deepEqual(await host.close(), result);
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost logs loads and, with logCalls, each call", async (t) => {
  const dir = await populate(await tempDir(), { "calc_div.so": { plugin: "calc_div" } });
  const rec = recorder();
  await using host = new PluginHost({ paths: [dir], env: false, log: rec.sink, logCalls: true });
  await host.discover();
  const [div] = host.plugins(CalcOp);
  const op = await div.use(CalcOp);
  assert.equal(op.apply(10, 5), 2);
  assert.throws(() => op.apply(1, 0), (e) => e instanceof CallError && e.code === "CALL_FAILED");
  await t.step("the load record", () => {
    const [load] = rec.events("load");
    assert.equal(load.level, "info");
    assert.equal(load.message, "loaded calc-div 0.1.0");
    assert.equal(load.plugin, "calc-div");
    assert.equal(load.version, "0.1.0");
    assert.equal(load.path, div.path);
    assert.equal(load.buildId, div.buildId);
    assert.equal(load.sha256, div.sha256.slice(0, 12));
    assert.equal(typeof load.durationMs, "number");
    assert.deepEqual(load.interfaces, ["calc.op/1.0"]);
  });
  await t.step("one record per call, failures with their code", () => {
    const calls = rec.events("call");
    assert.deepEqual(
      calls.map((r) => [r.level, r.function, r.code ?? null, r.message]),
      [
        ["info", "apply", null, "apply() of calc-div 0.1.0"],
        [
          "warn",
          "apply",
          "CALL_FAILED",
          `apply() of calc-div 0.1.0 failed: Call to "apply" in plugin ${
            JSON.stringify(div.path)
          } failed: division by zero`,
        ],
      ],
    );
    for (const r of calls) {
      assert.equal(r.sha256, div.sha256.slice(0, 12));
      assert.equal(r.buildId, div.buildId);
      assert.equal(typeof r.durationMs, "number");
    }
  });
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost detects a plugin linked with -z nodelete", async () => {
  const dir = await populate(await tempDir(), { "nodelete.so": { fixture: "nodelete" } });
  const rec = recorder();
  const host = new PluginHost({ paths: [dir], env: false, log: rec.sink });
  await host.discover();
  const [p] = host.plugins(Greeter);
  assert.equal(p.nodelete, true);
  const [load] = rec.events("load");
  assert.equal(load.level, "warn");
  assert.equal(load.nodelete, true);
  assert.match(load.message, /linked with -z nodelete: it can never be unloaded/);
  const result = await host.close();
  assert.equal(result.closed, 1);
  assert.deepEqual(result.kept.map((k) => k.path), [p.path]);
  assert.match(
    result.kept[0].reason,
    /^linked with -z nodelete \(DF_1_NODELETE\): the dynamic linker never unloads it/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost reports missing search paths and duplicate files", async () => {
  const dir = await populate(await tempDir(), {
    "greeter.so": { plugin: "greeter" },
  });
  await populate(dir, { "greeting.so": { symlink: join(dir, "greeter.so") } });
  const missing = join(dir, "no-such-dir");
  const rec = recorder();
  await using host = new PluginHost({ paths: [dir, missing], env: false, log: rec.sink });
  const summary = await host.discover();
  assert.deepEqual(summary.missing, [missing]);
  assert.deepEqual(rec.events("path").map((r) => [r.level, r.code, r.path]), [
    ["warn", "NOT_FOUND", missing],
  ]);
  assert.equal(summary.loaded, 1);
  assert.deepEqual(summary.skipped.map((s) => [s.path, s.code]), [
    [join(dir, "greeting.so"), "ALREADY_OPEN"],
  ]);
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost passes isolation through: a crash in a child process leaves the host running", async () => {
  const Faulty = defineInterface("faulty", "1.0", {
    ok: "i32 ok(i32 x)",
    crash: "i32 crash(i32 x)",
  });
  const dir = await populate(await tempDir(), {
    "calc_add.so": { plugin: "calc_add" },
    "crash_call.so": { plugin: "crash_call" },
  });
  const rec = recorder();
  await using host = new PluginHost({
    paths: [dir],
    env: false,
    log: rec.sink,
    loadOptions: { isolation: "process", timeoutMs: 10_000 },
  });
  assert.equal((await host.discover()).loaded, 2);
  const faulty = await host.plugins(Faulty)[0].use(Faulty);
  const calc = await host.plugins(CalcOp)[0].use(CalcOp);
  assert.equal(await faulty.ok(41), 42);
  await assert.rejects(
    faulty.crash(1),
    (e) => e instanceof PluginError && e.code === "PLUGIN_CRASHED",
  );
  assert.equal(await calc.apply(2, 3), 5);
  const result = await host.close();
  assert.equal(result.closed, 2);
  assert.deepEqual(
    rec.events("close").filter((r) => r.unloaded !== undefined).map((r) => r.message),
    [
      "closed crash_call 0.1.0 (host closed, child processes stopped)",
      "closed calc-add 0.1.0 (host closed, child processes stopped)",
    ],
  );
  await Deno.remove(dir, { recursive: true });
});

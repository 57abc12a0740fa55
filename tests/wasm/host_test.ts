/**
 * WebAssembly plugins in the rest of plugboard: a host discovers and
 * reloads them beside native ones, the calculator mixes them, and inspect,
 * trust, verify and probe treat a `.wasm` as they treat a `.so`.
 */
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { join } from "node:path";
import { defineInterface, inspectPlugin, openPlugin } from "../../mod.ts";
import { CalcOp } from "../../src/cli/calc_command.ts";
import { PluginHost } from "../../src/host/plugin_host.ts";
import { probePlugin } from "../../src/isolate/probe_plugin.ts";
import { Registry, verifyFiles } from "../../src/registry/mod.ts";
import { captureCli } from "../_cli.ts";
import { plugin } from "../_paths.ts";
import { built } from "./_build.ts";

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });

const root = Deno.realPathSync(await Deno.makeTempDir({ prefix: "plugboard-wasm-host-" }));
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

/** A directory (mode 0700) with copies of built files. */
async function directory(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, name);
  await Deno.mkdir(dir, { mode: 0o700 });
  for (const [file, from] of Object.entries(files)) {
    await Deno.copyFile(from, join(dir, file));
    await Deno.chmod(join(dir, file), 0o644);
  }
  return dir;
}

/** Put a file in place by copy and rename, as a build does. */
async function deploy(from: string, to: string): Promise<void> {
  await Deno.copyFile(from, `${to}.tmp`);
  await Deno.chmod(`${to}.tmp`, 0o644);
  await Deno.rename(`${to}.tmp`, to);
}

const mixed = await directory("mixed", {
  "calc_add.so": plugin("calc_add"),
  "calc_sub.wasm": await built("calc_sub"),
  "calc_mul.wasm": await built("calc_mul"),
  "calc_div.so": plugin("calc_div"),
  "greeter.wasm": await built("greeter"),
});

Deno.test("a host discovers .wasm beside .so and runs both in this process", async (t) => {
  for (const isolation of ["none", "auto"] as const) {
    await t.step(`isolation: "${isolation}"`, async () => {
      await using host = new PluginHost({
        paths: [mixed],
        env: false,
        interfaces: [CalcOp, Greeter],
        loadOptions: { isolation },
      });
      const summary = await host.discover();
      assertEquals(summary.skipped, []);
      const ops = host.plugins(CalcOp);
      assertEquals(ops.map((p) => p.path.split("/").pop()), [
        "calc_add.so",
        "calc_div.so",
        "calc_mul.wasm",
        "calc_sub.wasm",
      ]);
      const results: Record<string, number> = {};
      for (const p of ops) {
        const op = await p.use(CalcOp);
        results[String(await op.name())] = await op.apply(6, 3);
      }
      assertEquals(results, { "+": 9, "/": 2, "*": 18, "-": 3 });
      const [greeter] = host.plugins(Greeter);
      assertEquals(await (await greeter.use(Greeter)).greet("Ada"), "Hello, Ada");
    });
  }
});

Deno.test('a host with isolation: "process" runs .wasm in workers, .so in child processes', async () => {
  await using host = new PluginHost({
    paths: [mixed],
    env: false,
    interfaces: [CalcOp],
    loadOptions: { isolation: "process", timeoutMs: 5000 },
  });
  await host.discover();
  const results: Record<string, number> = {};
  for (const p of host.plugins(CalcOp)) {
    const op = await p.use(CalcOp);
    const r = op.apply(6, 3);
    assert(r instanceof Promise, "isolated functions return Promises");
    results[(await op.name())!] = await r;
  }
  assertEquals(results, { "+": 9, "/": 2, "*": 18, "-": 3 });
});

Deno.test("plugboard calc --dir gives the same answers with WebAssembly operators", async () => {
  const native = await directory("calc-native", {
    "calc_add.so": plugin("calc_add"),
    "calc_sub.so": plugin("calc_sub"),
    "calc_mul.so": plugin("calc_mul"),
    "calc_div.so": plugin("calc_div"),
  });
  const wasm = await directory("calc-mixed", {
    "calc_add.wasm": await built("calc_add"),
    "calc_sub.so": plugin("calc_sub"),
    "calc_mul.wasm": await built("calc_mul"),
    "calc_div.wasm": await built("calc_div"),
  });
  const expressions = "2 + 3 * 4; (1 + 2) * -4; 10 - 2 - 3; 0.1 + 0.2; 9 / 4; 1 / 0; 1e308 * 10";
  const a = await captureCli(["calc", "--dir", native, expressions]);
  const b = await captureCli(["calc", "--dir", wasm, expressions]);
  assertEquals(b.out, a.out);
  assertEquals(b.out.slice(0, 3), ["2 + 3 * 4 = 14", "(1 + 2) * -4 = -12", "10 - 2 - 3 = 5"]);
  assertEquals([a.code, b.code], [a.code, a.code]);
  assertEquals(
    b.err.map((l) => l.replaceAll(wasm, "DIR").replace(".wasm", ".so")),
    a.err.map((l) => l.replaceAll(native, "DIR")),
  );
  assertMatch(b.err.join("\n"), /calc_div\.wasm" failed: division by zero/);
});

Deno.test("a host reloads a replaced .wasm: the same functions call the new build", async () => {
  const dir = await directory("reload", {});
  const target = join(dir, "greeter.wasm");
  await deploy(await built("greeter"), target);
  await using host = new PluginHost({ paths: [dir], env: false, interfaces: [Greeter] });
  await host.discover();
  const [hosted] = host.plugins(Greeter);
  const { greet } = await hosted.use(Greeter);
  assertEquals([greet("Ada"), hosted.version], ["Hello, Ada", "0.1.0"]);
  await deploy(await built("fixtures/greeter_0_2_0"), target);
  const summary = await host.refresh();
  await host.settled();
  assertEquals(summary.reloaded, [target]);
  assertEquals([greet("Ada"), hosted.version], ["Hi, Ada!", "0.2.0"]);
});

Deno.test("two versions of a WebAssembly plugin side by side, resolved by range", async () => {
  const dir = await directory("versions", {
    "greeter-0.1.0.wasm": await built("greeter"),
    "greeter-0.2.0.wasm": await built("fixtures/greeter_0_2_0"),
  });
  const lock = join(dir, "plugboard.lock");
  const registry = new Registry([], { lockfile: lock });
  registry.trust(inspectPlugin(join(dir, "greeter-0.1.0.wasm")));
  registry.trust(inspectPlugin(join(dir, "greeter-0.2.0.wasm")));
  registry.save();
  const reread = Registry.fromLockfile(lock);
  const v1 = reread.resolve("greeter@~0.1")!;
  const v2 = reread.resolve("greeter@^0.2")!;
  await using a = await openPlugin(reread.pathOf(v1), { registry: reread, interfaces: [Greeter] });
  await using b = await openPlugin(reread.pathOf(v2), { registry: reread, interfaces: [Greeter] });
  assertEquals([a.use(Greeter).greet("Ada"), b.use(Greeter).greet("Ada")], [
    "Hello, Ada",
    "Hi, Ada!",
  ]);
  assertEquals([a.kind, b.kind], ["wasm", "wasm"]);
});

Deno.test("inspect, trust and verify treat a .wasm as a .so", async (t) => {
  const dir = await directory("trust", {
    "greeter.wasm": await built("greeter"),
    "calc_add.so": plugin("calc_add"),
  });
  const path = join(dir, "greeter.wasm");
  await t.step("inspect", () => {
    const report = inspectPlugin(path);
    assertEquals(
      [report.kind, report.machine, report.name, report.version, report.imports],
      ["wasm", "wasm32", "greeter", "0.1.0", []],
    );
    assertEquals(report.interfaces[0].declared, ["cstring greet(cstring name)"]);
    assertEquals(
      report.interfaces[0].hash,
      inspectPlugin(plugin("greeter")).interfaces[0].hash,
      "the same interface hash as the native build",
    );
    assert(report.exports.includes("greet") && report.exports.includes("memory"));
    assertMatch(report.compiler, /^clang 14/);
  });
  const lock = join(dir, "plugboard.lock");
  await t.step("trust, then verify the directory: .wasm and .so alike", () => {
    const registry = new Registry([], { lockfile: lock });
    assertEquals(registry.trust(inspectPlugin(path)).kind, "added");
    registry.trust(inspectPlugin(join(dir, "calc_add.so")));
    registry.save();
    const report = verifyFiles([dir], { registry: lock });
    assertEquals(report.files.map((f) => [f.path.split("/").pop(), f.status, f.identity?.kind]), [
      ["calc_add.so", "ok", "native"],
      ["greeter.wasm", "ok", "wasm"],
    ]);
  });
  await t.step("a changed .wasm fails verify with CHECKSUM_MISMATCH", async () => {
    const bytes = await Deno.readFile(path);
    const at = new TextDecoder("latin1").decode(bytes).indexOf("Hello, %s");
    assert(at > 0);
    bytes[at] = "J".charCodeAt(0);
    await Deno.writeFile(`${path}.tmp`, bytes, { mode: 0o644 });
    await Deno.rename(`${path}.tmp`, path);
    const report = verifyFiles([path], { registry: lock });
    assertEquals(report.files[0].errors.map((e) => e.code), ["CHECKSUM_MISMATCH"]);
    const err = await openPlugin(path, { registry: lock }).catch((e) => e);
    assertEquals(err.code, "CHECKSUM_MISMATCH");
  });
});

Deno.test("probePlugin(): ok, crashed (a trap at start) and hung (a loop at start)", async (t) => {
  const cases: [string, string, string][] = [
    ["greeter", "ok", ""],
    ["start_trap", "crashed", "PLUGIN_TRAPPED"],
    ["start_loop", "hung", "PLUGIN_TIMEOUT"],
  ];
  for (const [name, status, code] of cases) {
    await t.step(name, async () => {
      const probe = await probePlugin(await built(name), { quarantine: false, timeoutMs: 500 });
      assertEquals([probe.status, probe.error?.code ?? ""], [status, code]);
      if (status !== "ok") assertEquals(probe.record?.reason.phase, "load");
    });
  }
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { CallError, PluginError } from "../../src/errors/plugin_error.ts";
import { PluginHost } from "../../src/host/plugin_host.ts";
import { buildGeneration, deploy, Gen, mappedBuilds, recorder, tempDir } from "./_host.ts";

/** Build generations 1..n of a generated plugin into `<dir>/builds`. */
async function builds(dir: string, name: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let g = 1; g <= n; g++) out.push(await buildGeneration(join(dir, "builds"), g, { name }));
  return out;
}

Deno.test("PluginHost.refresh() reloads a replaced file and routes new calls to the new build", async (t) => {
  const dir = await tempDir();
  const [gen1, gen2] = await builds(dir, "host-reload-a", 2);
  const plugins = join(dir, "plugins");
  await Deno.mkdir(plugins);
  const target = join(plugins, "gen.so");
  await deploy(gen1, target);
  const rec = recorder();
  await using host = new PluginHost({ paths: [plugins], env: false, log: rec.sink });
  await host.discover();
  const [hosted] = host.plugins(Gen);
  const fns = await hosted.use(Gen);
  assert.equal(fns.generation(), 1);
  const oldSha = hosted.sha256;

  await deploy(gen2, target);
  const summary = await host.refresh();
  await host.settled();
  await t.step("the same functions now call the new build", () => {
    assert.deepEqual(summary, {
      added: [],
      reloaded: [target],
      removed: [],
      refused: [],
      skipped: [],
    });
    assert.equal(fns.generation(), 2);
    assert.equal(hosted.version, "1.0.2");
    assert.equal(hosted.generation, 1);
    assert.notEqual(hosted.sha256, oldSha);
    assert.strictEqual(host.plugins(Gen)[0], hosted);
  });
  await t.step("a reload record, then the old build's close record", () => {
    const reload = rec.events("reload")[0];
    assert.equal(reload.level, "info");
    assert.match(
      reload.message,
      /^reloaded ".*gen\.so": host-reload-a 1\.0\.1 \(build [0-9a-f]{16}\) -> host-reload-a 1\.0\.2 \(build [0-9a-f]{16}\)$/,
    );
    assert.equal(reload.previousSha256, oldSha.slice(0, 12));
    assert.equal(reload.sha256, hosted.sha256.slice(0, 12));
    const close = rec.events("close").at(-1)!;
    assert.equal(close.version, "1.0.1");
    assert.equal(close.unloaded, true);
    assert.equal(close.message, "closed host-reload-a 1.0.1 (replaced by a new build, unloaded)");
  });
  await t.step("an unchanged file is left alone", async () => {
    const again = await host.refresh();
    assert.deepEqual(again.reloaded, []);
    await Deno.utime(target, new Date(), new Date(Date.now() + 5000));
    const touched = await host.refresh();
    assert.deepEqual(touched.reloaded, []);
    assert.equal(hosted.generation, 1);
  });
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost refuses a new build that fails its checks or init; the old one keeps serving", async (t) => {
  const dir = await tempDir();
  const name = "host-reload-b";
  const bdir = join(dir, "builds");
  const [gen1] = await builds(dir, name, 1);
  const bad = {
    init: await buildGeneration(bdir, 2, { name, initFails: true }),
    sig: await buildGeneration(bdir, 3, { name, sigchange: true }),
    abi: await buildGeneration(bdir, 4, { name, abi2: true }),
    untrusted: await buildGeneration(bdir, 5, { name }),
  };
  const text = join(bdir, "notes.txt");
  await Deno.writeTextFile(text, "not a library\n");
  const untrustedSha = await sha256(bad.untrusted);
  const plugins = join(dir, "plugins");
  await Deno.mkdir(plugins);
  const target = join(plugins, "gen.so");
  await deploy(gen1, target);
  const rec = recorder();
  await using host = new PluginHost({
    paths: [plugins],
    env: false,
    interfaces: [Gen],
    log: rec.sink,
    loadOptions: {
      verify(candidate) {
        if (candidate.file.sha256 === untrustedSha) {
          throw new PluginError(
            "UNTRUSTED",
            `Plugin ${JSON.stringify(candidate.file.path)} is not trusted`,
          );
        }
      },
    },
  });
  await host.discover();
  const [hosted] = host.plugins(Gen);
  const fns = await hosted.use(Gen);
  const cases = [
    {
      name: "init fails",
      file: bad.init,
      code: "INIT_FAILED",
      detail: "found 3: generation 2 refuses to start",
    },
    {
      name: "signature changed",
      file: bad.sig,
      code: "SIGNATURE_MISMATCH",
      detail: 'function "generation"',
    },
    { name: "ABI major 2", file: bad.abi, code: "ABI_MISMATCH", detail: "found ABI 2.0" },
    {
      name: "the verify hook refuses it",
      file: bad.untrusted,
      code: "UNTRUSTED",
      detail: "is not trusted",
    },
    { name: "a text file", file: text, code: "NOT_ELF", detail: "not an ELF file" },
  ];
  for (const c of cases) {
    await t.step(`${c.name}: ${c.code}`, async () => {
      const before = rec.events("reload").length;
      await deploy(c.file, target);
      const summary = await host.refresh();
      assert.deepEqual(summary.reloaded, []);
      assert.deepEqual(summary.refused.map((r) => [r.path, r.code]), [[target, c.code]]);
      const records = rec.events("reload").slice(before);
      assert.equal(records.length, 1);
      assert.equal(records[0].level, "error");
      assert.equal(records[0].code, c.code);
      assert.ok(
        records[0].message.startsWith(
          `refused the new build of ${JSON.stringify(target)}; ${name} 1.0.1 keeps serving: `,
        ),
        records[0].message,
      );
      assert.ok(records[0].message.includes(c.detail), records[0].message);
      assert.equal(fns.generation(), 1);
      assert.equal(hosted.version, "1.0.1");
      assert.equal(hosted.generation, 0);
    });
  }
  await t.step("a good build afterwards is taken", async () => {
    const [, gen2] = await builds(dir, name, 2);
    await deploy(gen2, target);
    assert.deepEqual((await host.refresh()).reloaded, [target]);
    assert.equal(fns.generation(), 2);
  });
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost lets calls in flight on the old build finish there", async () => {
  const dir = await tempDir();
  const [gen1, gen2] = await builds(dir, "host-reload-c", 2);
  const plugins = join(dir, "plugins");
  await Deno.mkdir(plugins);
  const target = join(plugins, "gen.so");
  const gate = join(dir, "gate");
  await deploy(gen1, target);
  const rec = recorder();
  await using host = new PluginHost({ paths: [plugins], env: false, log: rec.sink });
  await host.discover();
  const fns = await host.plugins(Gen)[0].use(Gen);
  const order: string[] = [];
  // Runs on the first build until the gate file exists.
  const waiting = fns.generation_wait(gate).then((g) => {
    order.push(`waiting call returned ${g}`);
    return g;
  });
  await deploy(gen2, target);
  assert.deepEqual((await host.refresh()).reloaded, [target]);
  order.push(`new call returned ${fns.generation()}`);
  assert.equal(rec.events("close").length, 0, "the old build stays open while a call runs on it");
  await Deno.writeTextFile(gate, "");
  assert.equal(await waiting, 1);
  await host.settled();
  const close = rec.events("close").find((r) => r.version === "1.0.1");
  assert.ok(close, "the old build was closed");
  assert.equal(close.unloaded, true);
  order.push("old build closed");
  assert.deepEqual(order, ["new call returned 2", "waiting call returned 1", "old build closed"]);
  assert.equal(await fns.generation_slow(1), 2);
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test('PluginHost with isolation "process" closes a replaced build only after its calls return', async () => {
  const dir = await tempDir();
  const [gen1, gen2] = await builds(dir, "host-reload-iso", 2);
  const plugins = join(dir, "plugins");
  await Deno.mkdir(plugins);
  const target = join(plugins, "gen.so");
  const gate = join(dir, "gate");
  await deploy(gen1, target);
  const rec = recorder();
  await using host = new PluginHost({
    paths: [plugins],
    env: false,
    log: rec.sink,
    // A call that outlives the grace period of close() would be killed if
    // the host closed the old build before its calls returned.
    loadOptions: { isolation: "process", closeGraceMs: 100 },
  });
  await host.discover();
  const fns = await host.plugins(Gen)[0].use(Gen);
  assert.equal(await fns.generation(), 1);
  const order: string[] = [];
  const waiting = fns.generation_wait(gate).then((g) => {
    order.push(`waiting call returned ${g}`);
    return g;
  });
  await deploy(gen2, target);
  assert.deepEqual((await host.refresh()).reloaded, [target]);
  order.push(`new call returned ${await fns.generation()}`);
  await new Promise((r) => setTimeout(r, 400));
  const closedOld = () =>
    rec.events("close").some((r) => r.version === "1.0.1" && r.unloaded !== undefined);
  assert.equal(closedOld(), false, "the old build stays open while a call runs on it");
  await Deno.writeTextFile(gate, "");
  assert.equal(await waiting, 1);
  await host.settled();
  assert.equal(closedOld(), true, "the old build was closed");
  order.push("old build closed");
  assert.deepEqual(order, ["new call returned 2", "waiting call returned 1", "old build closed"]);
  const close = rec.events("close").find((r) => r.version === "1.0.1" && r.unloaded !== undefined)!;
  assert.equal(
    close.message,
    "closed host-reload-iso 1.0.1 (replaced by a new build, child processes stopped)",
  );
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost.watch() notices added, replaced and removed plugin files", async (t) => {
  const dir = await tempDir();
  const name = "host-reload-d";
  const [gen1, gen2] = await builds(dir, name, 2);
  const plugins = join(dir, "plugins");
  await Deno.mkdir(plugins);
  const target = join(plugins, "gen.so");
  const rec = recorder();
  await using host = new PluginHost({ paths: [plugins], env: false, log: rec.sink });
  assert.equal((await host.discover()).found, 0);
  await using _watcher = host.watch({ debounceMs: 30 });

  await t.step("added", async () => {
    await deploy(gen1, target);
    await rec.waitFor((r) => r.event === "load" && r.path === target, "the load of the added file");
    assert.equal((await host.plugins(Gen)[0].use(Gen)).generation(), 1);
  });
  const fns = await host.plugins(Gen)[0].use(Gen);
  await t.step("replaced", async () => {
    await deploy(gen2, target);
    await rec.waitFor((r) => r.event === "reload" && r.version === "1.0.2", "the reload");
    assert.equal(fns.generation(), 2);
  });
  await t.step("a file that is not a plugin is skipped, once", async () => {
    await Deno.writeTextFile(join(plugins, "notes.so"), "notes\n");
    const skip = await rec.waitFor((r) => r.event === "skip", "the skip record");
    assert.equal(skip.code, "NOT_ELF");
    assert.equal(skip.path, join(plugins, "notes.so"));
  });
  await t.step("removed", async () => {
    await Deno.remove(target);
    await rec.waitFor(
      (r) => r.event === "close" && r.version === "1.0.2",
      "the close of the removed plugin",
    );
    assert.deepEqual(host.plugins(), []);
    assert.throws(
      () => fns.generation(),
      (e) =>
        e instanceof CallError && e.code === "CLOSED" &&
        e.summary.endsWith(`failed: the plugin file ${JSON.stringify(target)} was removed`),
    );
    assert.equal(mappedBuilds(name).size, 0);
  });
  await host.close();
  assert.equal(rec.events("skip").length, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PluginHost in lazy mode takes a replaced file without loading it", async () => {
  const dir = await tempDir();
  const name = "host-reload-e";
  const [gen1, gen2] = await builds(dir, name, 2);
  const plugins = join(dir, "plugins");
  await Deno.mkdir(plugins);
  const target = join(plugins, "gen.so");
  await deploy(gen1, target);
  const rec = recorder();
  await using host = new PluginHost({ paths: [plugins], env: false, mode: "lazy", log: rec.sink });
  await host.discover();
  const [hosted] = host.plugins(Gen);
  assert.equal(hosted.version, "1.0.1");
  await deploy(gen2, target);
  assert.deepEqual((await host.refresh()).reloaded, [target]);
  assert.equal(hosted.state, "lazy");
  assert.equal(hosted.version, "1.0.2");
  assert.equal(rec.events("load").length, 0);
  assert.equal((await hosted.use(Gen)).generation(), 2);
  assert.equal(rec.events("load").length, 1);
  await host.close();
  await Deno.remove(dir, { recursive: true });
});

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

import assert from "node:assert/strict";
import { join } from "node:path";
import { PluginHost } from "../../src/host/plugin_host.ts";
import { buildGeneration, deploy, Gen, mappedBuilds, recorder, tempDir } from "./_host.ts";

const NAME = "host-stress";
const GENERATIONS = 25;
const SYNC_CALLERS = 4;
const ASYNC_CALLERS = 3;

Deno.test("PluginHost keeps serving every call while a plugin is rebuilt and reloaded 24 times", async (t) => {
  const dir = await tempDir();
  const bdir = join(dir, "builds");
  const builds: string[] = [];
  // Build every generation first, two compilers at a time.
  for (let g = 1; g <= GENERATIONS; g += 2) {
    const batch = [g, g + 1].filter((n) => n <= GENERATIONS);
    builds.push(...await Promise.all(batch.map((n) => buildGeneration(bdir, n, { name: NAME }))));
  }
  const plugins = join(dir, "plugins");
  await Deno.mkdir(plugins);
  const target = join(plugins, "stress.so");
  await deploy(builds[0], target);

  const mappedBefore = mappedBuilds(NAME).size;
  const rec = recorder();
  const host = new PluginHost({ paths: [plugins], env: false, interfaces: [Gen], log: rec.sink });
  await host.discover();
  const watcher = host.watch({ debounceMs: 20 });
  const fns = await host.plugins(Gen)[0].use(Gen);
  assert.equal(fns.generation(), 1);

  /** The generation the test has seen the host switch to. */
  let confirmed = 1;
  let stop = false;
  const failures: string[] = [];
  let syncCalls = 0;
  let asyncCalls = 0;
  const check = (caller: string, result: number, before: number, last: number) => {
    if (result !== before && result !== before + 1) {
      failures.push(`${caller}: got ${result} while generation ${before} or ${before + 1} served`);
    }
    if (result < last) failures.push(`${caller}: got ${result} after ${last}`);
  };
  const syncCaller = async (id: number) => {
    let last = 0;
    while (!stop) {
      for (let i = 0; i < 50; i++) {
        const before = confirmed;
        try {
          const r = fns.generation();
          check(`sync ${id}`, r, before, last);
          last = r;
          syncCalls++;
        } catch (e) {
          failures.push(`sync ${id}: ${e}`);
        }
      }
      await new Promise((r) => setTimeout(r, 0));
    }
  };
  const asyncCaller = async (id: number) => {
    let last = 0;
    while (!stop) {
      const before = confirmed;
      try {
        const r = await fns.generation_slow(1 + id);
        check(`nonblocking ${id}`, r, before, last);
        last = r;
        asyncCalls++;
      } catch (e) {
        failures.push(`nonblocking ${id}: ${e}`);
      }
    }
  };
  const callers = [
    ...Array.from({ length: SYNC_CALLERS }, (_, i) => syncCaller(i)),
    ...Array.from({ length: ASYNC_CALLERS }, (_, i) => asyncCaller(i)),
  ];

  for (let g = 2; g <= GENERATIONS; g++) {
    await deploy(builds[g - 1], target);
    await rec.waitFor(
      (r) => r.event === "reload" && r.version === `1.0.${g}`,
      `the reload of generation ${g}`,
      15_000,
    );
    confirmed = g;
    // Let the callers run on the new build for a moment.
    await new Promise((r) => setTimeout(r, 5));
  }
  stop = true;
  await Promise.all(callers);
  await host.settled();

  await t.step("every call returned a result of the old or the new build; none failed", () => {
    assert.deepEqual(failures, []);
    assert.ok(
      syncCalls > 0 && asyncCalls > 0,
      `${syncCalls} sync and ${asyncCalls} nonblocking calls`,
    );
    assert.equal(fns.generation(), GENERATIONS);
  });
  await t.step("24 reloads, none refused, every old build closed and unloaded", () => {
    const reloads = rec.events("reload");
    assert.equal(reloads.length, GENERATIONS - 1);
    assert.ok(reloads.every((r) => r.level === "info"));
    const closes = rec.events("close");
    // An old build closes when its last call returns: not always in order.
    const patch = (v: unknown) => Number(String(v).split(".")[2]);
    assert.deepEqual(
      closes.map((r) => [r.version, r.unloaded]).sort((a, b) => patch(a[0]) - patch(b[0])),
      Array.from({ length: GENERATIONS - 1 }, (_, i) => [`1.0.${i + 1}`, true]),
    );
    assert.equal(host.plugins(Gen)[0].generation, GENERATIONS - 1);
  });
  await t.step("no library handle leaked: one build mapped, none after close", async () => {
    assert.equal(mappedBuilds(NAME).size, mappedBefore + 1);
    await watcher.close();
    assert.deepEqual(await host.close(), { closed: 1, kept: [] });
    assert.equal(mappedBuilds(NAME).size, mappedBefore);
  });
  await Deno.remove(dir, { recursive: true });
});

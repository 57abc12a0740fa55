/**
 * probePlugin(): plugins run in a throwaway child first; the ones that crash
 * or hang while loading or shutting down are quarantined with the reason,
 * answered from the list afterwards, and probed again once rebuilt. A plain
 * library (no plugboard metadata) is probed the same way.
 */
import assert from "node:assert/strict";
import { LoadError } from "../../src/errors/plugin_error.ts";
import { CrashError } from "../../src/errors/crash_error.ts";
import { defineInterface } from "../../src/abi/define_interface.ts";
import { probePlugin, type ProbePluginOptions } from "../../src/isolate/probe_plugin.ts";
import { openQuarantine } from "../../src/isolate/quarantine.ts";
import { fixture, plugin } from "../_paths.ts";
import { collectLog } from "./_helpers.ts";

async function withQuarantine(fn: (path: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-probe-test-" });
  try {
    await fn(`${dir}/quarantine.json`, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("probePlugin() passes a plugin that loads and shuts down cleanly", async () => {
  await withQuarantine(async (q) => {
    const log = collectLog();
    const r = await probePlugin(plugin("counter"), { quarantine: q, log: log.sink });
    assert.equal(r.status, "ok");
    assert.equal(r.error, undefined);
    assert.equal(r.record, undefined);
    assert.deepEqual(r.plugin, { name: "counter", version: "0.1.0" });
    assert.match(r.sha256!, /^[0-9a-f]{64}$/);
    assert.deepEqual(r.stderrTail, [
      "plugin constructor: counter",
      "plugin init: counter",
      "plugin shutdown: counter",
    ]);
    assert.deepEqual(log.lines("stderr"), [...r.stderrTail]);
    assert.deepEqual(openQuarantine(q).list(), []);
  });
});

Deno.test("probePlugin() quarantines plugins that crash or hang, with the reason", async (t) => {
  await withQuarantine(async (q) => {
    const cases: [string, string, string, Record<string, unknown>][] = [
      ["a constructor that segfaults", plugin("crash_ctor"), "crashed", {
        kind: "crash",
        phase: "load",
        signal: "SIGSEGV",
        signalNumber: 11,
        exitCode: null,
        stderrTail: [],
      }],
      ["a constructor that hangs", fixture("iso_hang_ctor"), "hung", {
        kind: "timeout",
        phase: "load",
        signal: "SIGKILL",
        signalNumber: 9,
        exitCode: null,
        stderrTail: [],
      }],
      ["a shutdown hook that segfaults", fixture("iso_crash_shutdown"), "crashed", {
        kind: "crash",
        phase: "shutdown",
        signal: "SIGSEGV",
        signalNumber: 11,
        exitCode: null,
        stderrTail: ["shutting down badly"],
      }],
    ];
    for (const [name, path, status, reason] of cases) {
      await t.step(name, async () => {
        const r = await probePlugin(path, { quarantine: q, timeoutMs: 3000 });
        assert.equal(r.status, status);
        assert.equal(r.error?.code, status === "hung" ? "PLUGIN_TIMEOUT" : "PLUGIN_CRASHED");
        const { message, ...rest } = r.record!.reason;
        assert.deepEqual(rest, reason);
        assert.equal(message, r.error!.summary);
        assert.equal(r.record!.path, path);
        assert.equal(r.record!.sha256, r.sha256);
        assert.deepEqual(openQuarantine(q).get(r.sha256!), r.record);
      });
    }
    await t.step("the crash error names what the child was doing", async () => {
      const r = await probePlugin(fixture("iso_crash_shutdown"), { quarantine: false });
      assert.ok(r.error instanceof CrashError);
      assert.match(
        r.error.summary,
        /crashed: expected the plugin to shut down, found the child \(pid \d+\) killed by SIGSEGV \(signal 11\)$/,
      );
    });
    await t.step("a quarantined file is answered from the list, without running it", async () => {
      const first = openQuarantine(q).find(plugin("crash_ctor"))[0];
      const log = collectLog();
      const r = await probePlugin(plugin("crash_ctor"), { quarantine: q, log: log.sink });
      assert.equal(r.status, "quarantined");
      assert.deepEqual(r.record, first);
      assert.ok(r.error instanceof LoadError);
      assert.equal(r.error.code, "QUARANTINED");
      assert.deepEqual(log.records, []);
    });
    await t.step("force probes it again", async () => {
      const r = await probePlugin(plugin("crash_ctor"), { quarantine: q, force: true });
      assert.equal(r.status, "crashed");
    });
  });
});

Deno.test("probePlugin() probes a rebuilt file (new hash) again", async () => {
  await withQuarantine(async (q, dir) => {
    const path = `${dir}/plugin.so`;
    await Deno.copyFile(plugin("crash_ctor"), path);
    assert.equal((await probePlugin(path, { quarantine: q })).status, "crashed");
    assert.equal((await probePlugin(path, { quarantine: q })).status, "quarantined");
    // "Rebuild": new bytes at the same path, as the build task writes them.
    await Deno.copyFile(plugin("greeter"), `${path}.tmp`);
    await Deno.rename(`${path}.tmp`, path);
    const r = await probePlugin(path, { quarantine: q });
    assert.equal(r.status, "ok");
    assert.equal(openQuarantine(q).list().length, 1);
  });
});

Deno.test("probePlugin() reports refusals without quarantining them", async (t) => {
  await withQuarantine(async (q) => {
    const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
    const cases: [string, string, ProbePluginOptions, string][] = [
      ["a failing init hook (run in the child)", fixture("init_fail"), {}, "INIT_FAILED"],
      ["a newer ABI (no child needed)", fixture("abi2"), {}, "ABI_MISMATCH"],
      [
        "a plain library when interfaces are asked for",
        fixture("plain"),
        { interfaces: [Greeter] },
        "NOT_A_PLUGIN",
      ],
    ];
    for (const [name, path, options, code] of cases) {
      await t.step(name, async () => {
        const r = await probePlugin(path, { quarantine: q, ...options });
        assert.equal(r.status, "refused");
        assert.ok(r.error instanceof LoadError);
        assert.equal(r.error.code, code);
        assert.equal(r.record, undefined);
        assert.equal(r.library, undefined);
      });
    }
    assert.deepEqual(openQuarantine(q).list(), []);
  });
});

Deno.test("probePlugin() probes a plain library (no plugboard metadata) in a child too", async (t) => {
  await withQuarantine(async (q) => {
    await t.step("a clean one is ok, reported as a plain library", async (t) => {
      const cases: [string, number][] = [[fixture("plain"), 1], [fixture("plain_iso"), 7]];
      for (const [path, functions] of cases) {
        await t.step(path, async () => {
          const r = await probePlugin(path, { quarantine: q });
          assert.equal(r.status, "ok");
          assert.equal(r.error, undefined);
          assert.equal(r.plugin, undefined);
          assert.deepEqual(r.library, { functions });
          assert.equal(r.sha256, await sha256Of(path));
          assert.deepEqual(r.stderrTail, []);
        });
      }
    });
    await t.step("one whose constructor segfaults is quarantined with the signal", async () => {
      const path = fixture("plain_crash_ctor");
      const r = await probePlugin(path, { quarantine: q });
      assert.equal(r.status, "crashed");
      assert.deepEqual(r.library, { functions: 1 });
      assert.ok(r.error instanceof CrashError);
      assert.equal(r.error.code, "PLUGIN_CRASHED");
      assert.equal(r.error.signal, "SIGSEGV");
      assert.match(
        r.error.summary,
        /^Plugin ".*\/plain_crash_ctor\.so" crashed: expected the plugin to load, found the child \(pid \d+\) killed by SIGSEGV \(signal 11\)$/,
      );
      const { message, ...reason } = r.record!.reason;
      assert.equal(message, r.error.summary);
      assert.deepEqual(reason, {
        kind: "crash",
        phase: "load",
        signal: "SIGSEGV",
        signalNumber: 11,
        exitCode: null,
        stderrTail: ["plain_crash_ctor: constructor running"],
      });
      assert.equal(r.record!.path, path);
      assert.equal(r.record!.sha256, await sha256Of(path));
      assert.equal(r.record!.name, undefined);
      assert.equal(r.record!.version, undefined);
      assert.deepEqual(openQuarantine(q).get(r.sha256!), r.record);
    });
    await t.step("and answered from the list afterwards, without running it", async () => {
      const log = collectLog();
      const r = await probePlugin(fixture("plain_crash_ctor"), { quarantine: q, log: log.sink });
      assert.equal(r.status, "quarantined");
      assert.deepEqual(r.library, { functions: 1 });
      assert.ok(r.error instanceof LoadError);
      assert.equal(r.error.code, "QUARANTINED");
      assert.deepEqual(log.records, []);
    });
  });
});

async function sha256Of(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

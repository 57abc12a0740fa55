/**
 * The quarantine list: where it lives, records with their reasons, atomic
 * writes, clearing by file, path or hash, and refusing quarantined files.
 */
import assert from "node:assert/strict";
import { LoadError, PluginError } from "../../src/errors/plugin_error.ts";
import {
  defaultQuarantinePath,
  describeQuarantineReason,
  openQuarantine,
  type QuarantineRecord,
} from "../../src/isolate/quarantine.ts";
import { plugin } from "../_paths.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "plugboard-quarantine-test-" });
}

function record(sha256: string, fields: Partial<QuarantineRecord> = {}): QuarantineRecord {
  return {
    sha256,
    path: "/plugins/x.so",
    name: "x",
    version: "0.1.0",
    reason: {
      kind: "crash",
      phase: "load",
      signal: "SIGSEGV",
      signalNumber: 11,
      exitCode: null,
      stderrTail: ["boom"],
      message: 'Plugin "x.so" crashed: ...',
    },
    time: "2025-01-01T00:00:00.000Z",
    ...fields,
  };
}

Deno.test("defaultQuarantinePath() follows PLUGBOARD_QUARANTINE, then XDG_STATE_HOME, then HOME", async (t) => {
  const cases: [string, Record<string, string>, string][] = [
    [
      "PLUGBOARD_QUARANTINE",
      { PLUGBOARD_QUARANTINE: "/q.json", XDG_STATE_HOME: "/s", HOME: "/h" },
      "/q.json",
    ],
    ["XDG_STATE_HOME", { XDG_STATE_HOME: "/s", HOME: "/h" }, "/s/plugboard/quarantine.json"],
    ["HOME", { HOME: "/h" }, "/h/.local/state/plugboard/quarantine.json"],
  ];
  for (const [name, env, expected] of cases) {
    await t.step(name, () => assert.equal(defaultQuarantinePath(env), expected));
  }
  await t.step("none of them", () => {
    assert.throws(
      () => defaultQuarantinePath({}),
      (e: unknown) => e instanceof PluginError && e.code === "USAGE",
    );
  });
});

Deno.test("Quarantine keeps records by hash, with their reasons, in an atomically written file", async () => {
  const dir = await tempDir();
  try {
    const q = openQuarantine(`${dir}/state/quarantine.json`);
    assert.deepEqual(q.list(), []);
    const a = record("a".repeat(64), { time: "2025-01-02T00:00:00.000Z" });
    const b = record("b".repeat(64), {
      path: "/plugins/y.so",
      reason: { ...record("").reason, kind: "timeout", signal: "SIGKILL", signalNumber: 9 },
    });
    q.add(a);
    q.add(b);
    assert.deepEqual(q.list(), [b, a]);
    assert.deepEqual(q.get("a".repeat(64)), a);
    assert.equal(q.get("c".repeat(64)), undefined);
    const onDisk = JSON.parse(await Deno.readTextFile(q.path));
    assert.deepEqual(onDisk, { version: 1, plugins: { ["a".repeat(64)]: a, ["b".repeat(64)]: b } });
    // No temporary file is left; the lock sidecar that serializes writers stays.
    assert.deepEqual([...Deno.readDirSync(`${dir}/state`)].map((e) => e.name).sort(), [
      ".quarantine.json.lock",
      "quarantine.json",
    ]);
    // Another handle on the same file sees the same records.
    assert.deepEqual(openQuarantine(q.path).list(), [b, a]);
    assert.deepEqual(q.find("/plugins/y.so"), [b]);
    assert.deepEqual(q.find("aaaaaaaa"), [a]);
    assert.deepEqual(q.find("aaaa"), []);
    assert.equal(q.remove(["a".repeat(64), "d".repeat(64)]), 1);
    assert.deepEqual(q.list(), [b]);
    assert.equal(q.clear(), 1);
    assert.deepEqual(q.list(), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Quarantine.check() refuses a quarantined file with the reason and the way out", async () => {
  const dir = await tempDir();
  try {
    const q = openQuarantine(`${dir}/q.json`);
    const path = plugin("greeter");
    const sha = await sha256(path);
    assert.deepEqual(q.find(path), []);
    q.check(path);
    q.add(record(sha, { path }));
    const err = (() => {
      try {
        q.check(path);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof LoadError);
    assert.equal(err.code, "QUARANTINED");
    assert.equal(
      err.summary,
      `Cannot load plugin "${path}": the plugin is quarantined: expected a plugin that did not crash or hang when probed, found a crash while loading: killed by SIGSEGV (signal 11) on 2025-01-01T00:00:00.000Z (SHA-256 ${
        sha.slice(0, 12)
      })`,
    );
    assert.equal(
      err.hint,
      `fix and rebuild it (a new build is probed again), or run \`plugboard quarantine clear ${path}\` to probe it again`,
    );
    assert.deepEqual(q.find(path).map((r) => r.sha256), [sha]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Quarantine refuses a file that is not a quarantine list", async (t) => {
  const dir = await tempDir();
  try {
    const cases: [string, string, string][] = [
      ["not JSON", "{oops", "expected JSON, found text that is not JSON"],
      [
        "another shape",
        '{"version": 2, "plugins": {}}',
        'expected { "version": 1, "plugins": {...} }, found another shape',
      ],
    ];
    for (const [name, text, detail] of cases) {
      await t.step(name, async () => {
        const path = `${dir}/${name.replace(/ /g, "_")}.json`;
        await Deno.writeTextFile(path, text);
        assert.throws(
          () => openQuarantine(path).list(),
          (e: unknown) =>
            e instanceof PluginError && e.code === "QUARANTINE_INVALID" &&
            e.summary === `Cannot read the quarantine list ${JSON.stringify(path)}: ${detail}`,
        );
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("describeQuarantineReason() says what happened in a few words", async (t) => {
  const base = record("").reason;
  const cases: [string, typeof base, string][] = [
    ["a signal while loading", base, "a crash while loading: killed by SIGSEGV (signal 11)"],
    ["an exit in a call", {
      ...base,
      phase: "call",
      function: "crash",
      signal: null,
      signalNumber: null,
      exitCode: 3,
    }, "a crash in crash(): exited with code 3"],
    [
      "a hang while shutting down",
      { ...base, kind: "timeout", phase: "shutdown" },
      "a hang while shutting down",
    ],
  ];
  for (const [name, reason, text] of cases) {
    await t.step(name, () => assert.equal(describeQuarantineReason(reason), text));
  }
});

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * openExecPlugin(): exec plugins speak the plugboard-exec line protocol for
 * text.processor/1; texts survive any byte, the handshake is checked, and
 * crashes, hangs, errors and protocol violations reject calls with typed
 * errors while the host keeps running.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { CallError, LoadError } from "../../src/errors/plugin_error.ts";
import { CrashError } from "../../src/errors/crash_error.ts";
import { openExecPlugin } from "../../src/isolate/open_exec_plugin.ts";
import { ROOT } from "../_paths.ts";
import { collectLog, waitGone } from "./_helpers.ts";

const SHOUT = `${ROOT}/plugins/text_shout.sh`;
const script = (name: string) => `${ROOT}/tests/fixtures/${name}.sh`;
const quiet = { log: () => {} };

Deno.test("openExecPlugin() runs the text_shout.sh sample", async (t) => {
  await using shout = await openExecPlugin(SHOUT, quiet);
  await t.step("the handshake names the plugin", async () => {
    assert.deepEqual(shout.handshake, {
      protocol: 1,
      interface: "text.processor/1",
      name: "shout",
    });
    assert.equal(await shout.name(), "shout");
  });
  const cases: [string, string][] = [
    ["hello\nworld", "HELLO\nWORLD!"],
    ["", "!"],
    ["ünï\n\n", "üNï\n\n!"],
    ["tab\tand \\ backslash", "TAB\tAND \\ BACKSLASH!"],
    ["crlf\r\nend\r\n", "CRLF\r\nEND\r\n!"],
    ["  spaces  ", "  SPACES  !"],
  ];
  for (const [input, output] of cases) {
    await t.step(JSON.stringify(input), async () => {
      assert.equal(await shout.process(input), output);
    });
  }
  await t.step("calls in flight are answered in order", async () => {
    const out = await Promise.all(Array.from({ length: 12 }, (_, i) => shout.process(`n${i}`)));
    assert.deepEqual(out, Array.from({ length: 12 }, (_, i) => `N${i}!`));
  });
  await t.step("a non-string argument is refused", async () => {
    const err = await (shout.process as (x: unknown) => Promise<string>)(42).catch((e) => e);
    assert.ok(err instanceof CallError);
    assert.equal(err.code, "INVALID_ARGUMENT");
  });
});

Deno.test("openExecPlugin() checks the handshake", async (t) => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      "iso_exec_garbage",
      {},
      "HANDSHAKE_FAILED",
      /: expected a first line "plugboard-exec VERSION text\.processor\/1 NAME" with version 1, found "hello there"$/,
    ],
    [
      "iso_exec_silent",
      { startTimeoutMs: 300 },
      "HANDSHAKE_FAILED",
      /, found nothing within 300 ms$/,
    ],
    ["iso_exec_v2", {}, "HANDSHAKE_FAILED", /, found protocol version 2$/],
    [
      "iso_exec_other",
      {},
      "INTERFACE_MISMATCH",
      /: the program implements another interface: expected text\.processor\/1, found text\.other\/1$/,
    ],
    [
      "iso_exec_dies",
      {},
      "HANDSHAKE_FAILED",
      /, found the program \(pid \d+\) exited with code 4 before answering; its stderr ended with "iso_exec_dies: missing configuration"$/,
    ],
  ];
  for (const [name, options, code, summary] of cases) {
    await t.step(name, async () => {
      const err = await openExecPlugin(script(name), { ...options, ...quiet }).catch((e) => e);
      assert.ok(err instanceof LoadError, String(err));
      assert.equal(err.code, code);
      assert.match(err.summary, summary);
      assert.ok(err.summary.startsWith(`Cannot load plugin "${script(name)}": `));
    });
  }
});

Deno.test("openExecPlugin() checks the program before starting it", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-exec-test-" });
  try {
    const plain = `${dir}/not_executable.sh`;
    await Deno.copyFile(SHOUT, plain);
    await Deno.chmod(plain, 0o644);
    const sha = createHash("sha256").update(await Deno.readFile(SHOUT)).digest("hex");
    const cases: [string, string, Record<string, unknown>, string][] = [
      ["a missing program", `${dir}/missing.sh`, {}, "NOT_FOUND"],
      ["a file without an execute bit", plain, {}, "PERMISSION_DENIED"],
      ["a directory", dir, {}, "NOT_A_FILE"],
      ["another checksum", SHOUT, { sha256: "0".repeat(64) }, "CHECKSUM_MISMATCH"],
    ];
    for (const [name, path, options, code] of cases) {
      await t.step(name, async () => {
        const err = await openExecPlugin(path, { ...options, ...quiet }).catch((e) => e);
        assert.ok(err instanceof LoadError, String(err));
        assert.equal(err.code, code);
      });
    }
    await t.step("the pinned checksum", async () => {
      await using shout = await openExecPlugin(SHOUT, { sha256: sha, ...quiet });
      assert.equal(await shout.process("ok"), "OK!");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openExecPlugin() survives a misbehaving program", async (t) => {
  const path = script("iso_exec_faulty");
  await t.step(
    "an error line rejects the call with CALL_FAILED, and the plugin keeps serving",
    async () => {
      const log = collectLog();
      await using p = await openExecPlugin(path, { log: log.sink });
      const err = await p.process("fail").catch((e) => e);
      assert.ok(err instanceof CallError);
      assert.equal(err.code, "CALL_FAILED");
      assert.equal(
        err.summary,
        `Call to "process" in plugin "${path}" failed: something went wrong`,
      );
      assert.equal(await p.process("fine\n"), "fine\n");
      assert.deepEqual(log.lines("stderr"), ["faulty: started"]);
    },
  );
  await t.step("a crash rejects the pending calls with PLUGIN_CRASHED", async () => {
    const log = collectLog();
    await using p = await openExecPlugin(path, { log: log.sink });
    const [crashed, behind] = await Promise.allSettled([p.process("crash"), p.process("x")]);
    for (const r of [crashed, behind]) {
      const e = (r as PromiseRejectedResult).reason;
      assert.ok(e instanceof CrashError, String(e));
      assert.equal(e.code, "PLUGIN_CRASHED");
      assert.equal(e.signal, "SIGSEGV");
      assert.equal(e.signalNumber, 11);
      assert.deepEqual(e.stderrTail, ["faulty: started"]);
      assert.equal(
        e.summary,
        `Plugin "${path}" crashed: expected a reply to process(), found the program (pid ${p.pid}) killed by SIGSEGV (signal 11)`,
      );
    }
    assert.equal((await p.process("again").catch((e) => e)).code, "PLUGIN_CRASHED");
    assert.equal(log.lines("crash").length, 1);
  });
  await t.step("a hang rejects the call with PLUGIN_TIMEOUT and kills the program", async () => {
    await using p = await openExecPlugin(path, { timeoutMs: 300, ...quiet });
    const err = await p.process("hang").catch((e) => e);
    assert.ok(err instanceof CallError);
    assert.equal(err.code, "PLUGIN_TIMEOUT");
    assert.equal(
      err.summary,
      `Call to "process" in plugin "${path}" failed: expected a reply within 300 ms, found none: the program (pid ${p.pid}) was killed`,
    );
    assert.equal(await waitGone(p.pid), true);
  });
  await t.step("a line outside the protocol kills the program", async () => {
    await using p = await openExecPlugin(path, quiet);
    const err = await p.process("garbage").catch((e) => e);
    assert.ok(err instanceof CrashError, String(err));
    assert.equal(
      err.summary,
      `Plugin "${path}" crashed: expected a reply to process(), found the line "garbage"; the program (pid ${p.pid}) was killed`,
    );
  });
});

Deno.test("ExecPlugin.close() ends the program; later calls reject with CLOSED", async () => {
  const p = await openExecPlugin(SHOUT, quiet);
  const pending = p.process("last");
  await p.close();
  assert.equal(await pending, "LAST!");
  assert.equal(await waitGone(p.pid), true);
  const err = await p.process("x").catch((e) => e);
  assert.ok(err instanceof CallError);
  assert.equal(err.code, "CLOSED");
  assert.equal((await p.name().catch((e) => e)).code, "CLOSED");
  await p.close();
});

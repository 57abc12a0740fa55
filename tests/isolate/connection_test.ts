/**
 * The isolation child and its handshake: the child refuses to run without
 * the magic cookie, without its parent, or without a common protocol
 * version; the host refuses a child that prints anything else than the
 * handshake, or nothing within the start timeout.
 */
import assert from "node:assert/strict";
import { LoadError, PluginError } from "../../src/errors/plugin_error.ts";
import { childCommand, ChildConnection } from "../../src/isolate/_connection.ts";
import {
  EXIT_NO_COOKIE,
  EXIT_NO_VERSION,
  EXIT_ORPHANED,
  MAGIC_COOKIE,
  MAGIC_COOKIE_ENV,
} from "../../src/isolate/_protocol.ts";
import { plugin } from "../_paths.ts";

const GREETER = plugin("greeter");
const LOAD = {
  path: GREETER,
  sha256: "0".repeat(64),
  load: "memfd" as const,
  init: true,
  allowInsecurePermissions: false,
};

function start(command: string, args: string[], startTimeoutMs = 5000) {
  const conn = new ChildConnection({
    command,
    args,
    env: { [MAGIC_COOKIE_ENV]: MAGIC_COOKIE },
    path: GREETER,
    load: LOAD,
    startTimeoutMs,
    onStderr: () => {},
    onEnd: () => {},
  });
  return conn.start().then(() => conn, (e) => e);
}

Deno.test("ChildConnection.start() refuses a child that does not complete the handshake", async (t) => {
  const cases: [string, string, number, RegExp][] = [
    [
      "anything else than the handshake",
      "echo 'Welcome!'; exec sleep 5",
      5000,
      /, found "Welcome!"$/,
    ],
    ["nothing within the start timeout", "exec sleep 5", 300, /, found nothing within 300 ms$/],
    [
      "another protocol version",
      'echo "plugboard-isolate|99|$$"; exec sleep 5',
      5000,
      /, found protocol version 99$/,
    ],
    [
      "another process's handshake",
      'echo "plugboard-isolate|1|1"; exec sleep 5',
      5000,
      /, found the handshake of process 1$/,
    ],
    [
      "an exit before answering",
      "echo 'cannot start: no FFI' >&2; exit 9",
      5000,
      /, found the child \(pid \d+\) exited with code 9 before answering; its stderr ended with "cannot start: no FFI"$/,
    ],
  ];
  for (const [name, sh, ms, found] of cases) {
    await t.step(name, async () => {
      const err = await start("sh", ["-c", sh], ms);
      assert.ok(err instanceof LoadError, String(err));
      assert.equal(err.code, "HANDSHAKE_FAILED");
      assert.ok(
        err.summary.startsWith(
          `Cannot load plugin "${GREETER}": the isolation child did not complete the handshake: expected a line "plugboard-isolate|VERSION|PID" with version 1, found `,
        ),
        err.summary,
      );
      assert.match(err.summary, found);
    });
  }
});

Deno.test("the isolation child refuses to serve a host it cannot trust", async (t) => {
  const { command, args } = childCommand(GREETER, GREETER);
  const run = async (argv: string[], env: Record<string, string>) => {
    const out = await new Deno.Command(command, {
      args: argv,
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  };
  await t.step("started by hand, without the magic cookie", async () => {
    const r = await run(args, {});
    assert.equal(r.code, EXIT_NO_COOKIE);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      "plugboard isolation child: this program is started by plugboard to isolate a plugin; it is not meant to be run by hand\n",
    );
  });
  await t.step("with a parent that is not its parent", async () => {
    const r = await run([...args.slice(0, -2), "1", "1"], { [MAGIC_COOKIE_ENV]: MAGIC_COOKIE });
    assert.equal(r.code, EXIT_ORPHANED);
    assert.equal(r.stderr, "plugboard isolation child: the parent process 1 is gone\n");
  });
  await t.step("with no protocol version in common", async () => {
    const argv = [...args.slice(0, -1), "7,99"];
    const r = await run(argv, { [MAGIC_COOKIE_ENV]: MAGIC_COOKIE });
    assert.equal(r.code, EXIT_NO_VERSION);
    assert.equal(
      r.stderr,
      "plugboard isolation child: the host offers protocol versions 7,99, this child speaks 1\n",
    );
    const err = await start(command, argv);
    assert.ok(err instanceof LoadError);
    assert.equal(err.code, "HANDSHAKE_FAILED");
    assert.match(
      err.summary,
      /exited with code 72 before answering; its stderr ended with "plugboard isolation child: the host offers protocol versions 7,99, this child speaks 1"$/,
    );
  });
});

Deno.test("childCommand() refuses to start children from a process started as one", () => {
  Deno.env.set(MAGIC_COOKIE_ENV, MAGIC_COOKIE);
  try {
    assert.throws(
      () => childCommand(GREETER, GREETER),
      (e: unknown) =>
        e instanceof PluginError && e.code === "USAGE" &&
        e.summary ===
          `Cannot isolate plugin "${GREETER}": this process was started as an isolation child`,
    );
  } finally {
    Deno.env.delete(MAGIC_COOKIE_ENV);
  }
  assert.equal(childCommand(GREETER, GREETER).env[MAGIC_COOKIE_ENV], MAGIC_COOKIE);
});

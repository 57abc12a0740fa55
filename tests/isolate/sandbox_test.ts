/**
 * The OS sandbox of isolated plugins, through the public options: a native
 * plugin in a child process and a subprocess plugin (a bash program) are
 * refused by the kernel what the policy does not grant, while what it grants
 * works; `plugboard probe` runs unknown plugins confined by default.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { CrashError, defineInterface, openPlugin } from "../../mod.ts";
import { probePlugin } from "../../src/isolate/mod.ts";
import { fixture, ROOT } from "../_paths.ts";
import { tempDir } from "../registry/_helpers.ts";

const EACCES = -13;
const EPERM = -1;

const Probe = defineInterface("sandbox.probe", "1.0", {
  add: "i32 add(i32 a, i32 b)",
  read_file: "i32 read_file(cstring path)",
  write_file: "i32 write_file(cstring path)",
  tcp_connect: "i32 tcp_connect(i32 port)",
  do_fork: "i32 do_fork()",
  make_thread: "i32 make_thread()",
});
const ScriptProbe = defineInterface("sandbox.probe", "1.0", {
  read_file: "i32 read_file(cstring path)",
  write_file: "i32 write_file(cstring path)",
  connect_tcp: "i32 connect_tcp(i32 port)",
  spawn: "i32 spawn()",
});

const dir = tempDir();
const secret = `${dir}/secret.txt`;
Deno.writeTextFileSync(secret, "top secret");
const out = `${dir}/out`;
Deno.mkdirSync(out);
const quiet = { log: () => {} };

function listen(): { port: number; close(): void } {
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of server) c.close();
  })().catch(() => {});
  return { port: server.addr.port, close: () => server.close() };
}

Deno.test("a native plugin isolated with a sandbox is refused what the policy does not grant", async () => {
  const server = listen();
  try {
    const run = async (sandbox: boolean | Record<string, unknown>) => {
      await using p = await openPlugin(fixture("sandbox_probe"), {
        isolation: "process",
        sandbox,
        ...quiet,
      });
      const f = p.functions(Probe.declarations);
      return [
        await f.add(2, 3),
        await f.read_file(secret),
        await f.read_file("/etc/passwd"),
        await f.write_file(`${out}/x`),
        await f.tcp_connect(server.port),
        await f.do_fork(),
        await f.make_thread(),
      ];
    };
    assertEquals(await run(false), [5, 0, 0, 0, 0, 0, 0]);
    assertEquals(await run(true), [5, EACCES, EACCES, EACCES, EPERM, EPERM, 0]);
    assertEquals(
      await run({ read: [secret], write: [out], network: true, processes: true }),
      [5, 0, EACCES, 0, 0, 0, 0],
    );
  } finally {
    server.close();
  }
});

Deno.test("a subprocess plugin is confined before its program starts", async () => {
  const server = listen();
  const program = `${ROOT}/tests/fixtures/sandbox_probe.sh`;
  try {
    await using free = await openPlugin(program, { isolation: "process", ...quiet });
    const f = free.use(ScriptProbe);
    assertEquals(
      [await f.read_file(secret), await f.write_file(`${out}/y`), await f.connect_tcp(server.port)],
      [0, 0, 0],
    );
    assertEquals(await f.spawn(), 0);

    await using confined = await openPlugin(program, {
      isolation: "process",
      sandbox: true,
      ...quiet,
    });
    const g = confined.use(ScriptProbe);
    // 1: refused (bash builtins report no errno).
    assertEquals(
      [await g.read_file(secret), await g.write_file(`${out}/y`), await g.connect_tcp(server.port)],
      [1, 1, 1],
    );
    // bash exits when fork(2) fails: the host gets the crash, with the kernel's refusal.
    const e = await g.spawn().catch((e) => e);
    assertEquals(e instanceof CrashError && e.code, "PLUGIN_CRASHED");
    assertEquals(/fork: Operation not permitted/.test(e.message), true, e.message);
  } finally {
    server.close();
  }
});

Deno.test("probePlugin() runs an unknown plugin confined unless told otherwise", async () => {
  const confined = await probePlugin(fixture("sandbox_init"), { quarantine: false });
  assertEquals([confined.status, confined.error], ["ok", undefined]);
  const free = await probePlugin(fixture("sandbox_init"), { quarantine: false, sandbox: false });
  assertEquals([free.status, free.error?.code], ["refused", "INIT_FAILED"]);
});

/**
 * plugboard's own isolation child, unchanged, confined before its first line
 * (`_isolation_child.ts` imports the sandbox, then `src/isolate/_child.ts`):
 * the handshake over pipes, the load from a sealed memfd through
 * /proc/self/fd, bind, calls and shutdown all work, and the plugin inside is
 * refused what the policy does not allow. Also: Deno writing its caches at
 * exit does not stall a confined process.
 */
import assert from "node:assert/strict";
import { parseSignature } from "../../src/abi/signature.ts";
import { ChildConnection } from "../../src/isolate/_connection.ts";
import { childCommand } from "../../src/isolate/_connection.ts";
import { sha256Hex } from "../../src/file/sha256.ts";
import { E, ensureProbeBuilt, PROBE, runChild } from "./_probe.ts";

await ensureProbeBuilt();

const WRAPPER = new URL("./_isolation_child.ts", import.meta.url).href;

Deno.test("the isolation child serves a plugin from inside the sandbox", async () => {
  const base = childCommand(PROBE, await Deno.realPath(PROBE));
  // The standard command, with the wrapper as the script and its variable allowed.
  const args = base.args.map((a) =>
    /\/_child\.[jt]s$/.test(a) // .js when the suite runs against dist/
      ? WRAPPER
      : a.startsWith("--allow-env=")
      ? `${a},PLUGBOARD_TEST_SANDBOX`
      : a
  );
  const policy = { read: [PROBE], write: [], network: false, processes: false };
  const stderr: string[] = [];
  const conn = new ChildConnection({
    ...base,
    args,
    env: { ...base.env, PLUGBOARD_TEST_SANDBOX: JSON.stringify({ policy }) },
    path: PROBE,
    load: {
      path: PROBE,
      sha256: sha256Hex(await Deno.readFile(PROBE)),
      load: "memfd",
      init: true,
      allowInsecurePermissions: false,
    },
    startTimeoutMs: 20_000,
    onStderr: (line) => stderr.push(line),
    onEnd: () => {},
  });
  await conn.start();
  const fns = [
    "i32 add(i32 a, i32 b)",
    "i32 read_file(cstring path)",
    "i32 do_fork()",
    "i32 make_thread()",
  ].map((text, index) => ({ index, sig: parseSignature(text), buffers: [] }));
  await conn.bind(fns);
  assert.equal(await conn.call(fns[0], [2, 3], 5000), 5);
  assert.equal(await conn.call(fns[1], ["/etc/passwd"], 5000), E.ACCES);
  assert.equal(await conn.call(fns[1], [PROBE], 5000), 0);
  assert.equal(await conn.call(fns[2], [], 5000), E.PERM);
  assert.equal(await conn.call(fns[3], [], 5000), 0);
  // Every thread, the one the plugin just started included: no_new_privs,
  // no capabilities, the seccomp filter (mode 2). (Landlock shows nowhere in
  // /proc; sandbox_test.ts sees it refuse Deno's reads in the blocking pool.)
  const threads = [...Deno.readDirSync(`/proc/${conn.pid}/task`)].map((e) => e.name);
  assert.ok(threads.length > 1, `threads: ${threads}`);
  for (const tid of threads) {
    const status = Deno.readTextFileSync(`/proc/${conn.pid}/task/${tid}/status`);
    const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(status)?.[1];
    assert.deepEqual(
      [field("NoNewPrivs"), field("CapEff"), field("CapPrm"), field("Seccomp")],
      ["1", "0000000000000000", "0000000000000000", "2"],
      `thread ${tid}`,
    );
  }
  const end = await conn.shutdown(5000);
  assert.equal(end.reason, "closed");
  assert.equal(end.exit.exitCode, 0);
  assert.equal(end.exit.signal, null);
  assert.deepEqual(stderr, []);
});

Deno.test("a confined process exits at once when Deno writes its caches at exit", async () => {
  // A fresh DENO_DIR makes Deno write its caches, some of them at exit,
  // through the descriptors the sandbox revoked: they must not block.
  const denoDir = await Deno.makeTempDir({ prefix: "plugboard-sandbox-denodir-" });
  try {
    const started = performance.now();
    const run = await runChild(
      {
        plugin: PROBE,
        policy: { read: [PROBE], write: [], network: false, processes: false },
        probes: [["thread", "make_thread"]],
      },
      { DENO_DIR: denoDir },
    );
    const ms = performance.now() - started;
    assert.deepEqual(run.out.results, { thread: 0 });
    assert.equal(run.code, 0);
    assert.equal(run.stderr, "");
    // It took 166 s when revoked descriptors pointed at a read-only /dev/null
    // (SQLite retried each refused lock for its busy timeout).
    assert.ok(ms < 20_000, `the confined child took ${ms.toFixed(0)} ms`);
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});

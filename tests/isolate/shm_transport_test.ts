/**
 * The shared-memory transport of isolated plugins and synchronous isolated
 * calls: calls really travel through a memfd both processes map (and pipes
 * when asked or when it cannot be had), every value crosses intact, values
 * larger than a ring slot cross in pieces, crashes, hangs and a child killed
 * from outside while the host waits end in PLUGIN_CRASHED / PLUGIN_TIMEOUT
 * and never hang the host, pools, close with calls in flight (and the
 * mapping gone afterwards), many hosts waiting at once (pipe bells beyond
 * the futex waiters), the sandbox, and the options' checks.
 *
 * @module
 */

import assert from "node:assert/strict";
import { defineInterface } from "../../src/abi/define_interface.ts";
import { CallError, LoadError, PluginError } from "../../src/errors/plugin_error.ts";
import { CrashError } from "../../src/errors/crash_error.ts";
import { openPlugin } from "../../src/open/open_plugin.ts";
import { ChildConnection } from "../../src/isolate/_connection.ts";
import { asyncWaitersInFlight, MAX_ASYNC_WAITERS } from "../../src/isolate/_shm.ts";
import { fixture, plugin, ROOT } from "../_paths.ts";
import { collectLog, isAlive, waitGone } from "./_helpers.ts";

const Bench = defineInterface("bench", "1.0", {
  noop: "void noop()",
  add: "i32 add(i32 a, i32 b)",
  upper: "usize upper(buffer data, usize len)",
  greet: "cstring greet(cstring name)",
});
const Types = defineInterface("iso.types", "1.0", {
  not_bool: "bool not_bool(bool x)",
  neg_i8: "i8 neg_i8(i8 x)",
  inc_u8: "u8 inc_u8(u8 x)",
  neg_i16: "i16 neg_i16(i16 x)",
  inc_u16: "u16 inc_u16(u16 x)",
  neg_i32: "i32 neg_i32(i32 x)",
  inc_u32: "u32 inc_u32(u32 x)",
  neg_i64: "i64 neg_i64(i64 x)",
  inc_u64: "u64 inc_u64(u64 x)",
  neg_isize: "isize neg_isize(isize x)",
  inc_usize: "usize inc_usize(usize x)",
  half_f32: "f32 half_f32(f32 x)",
  half_f64: "f64 half_f64(f64 x)",
  mix: "f64 mix(i8 a, i64 b, f32 c, u16 d)",
  describe: "cstring describe(cstring s)",
  reverse: "fallible usize reverse(buffer in, usize len, buffer out, usize cap)",
});
const Big = defineInterface("iso.big", "1.0", {
  repeat: "cstring repeat(cstring s, u32 times)",
  stamp: "u64 stamp(buffer data, usize len, u8 seed)",
});
const Hang = defineInterface("faulty", "1.0", {
  ok: "i32 ok(i32 x)",
  crash: "i32 crash(i32 x)",
  sleep_ms: "i32 sleep_ms(i32 ms)",
});
const Faulty = defineInterface("faulty", "1.0", {
  ok: "i32 ok(i32 x)",
  crash: "i32 crash(i32 x)",
});
const Counter = defineInterface("counter", "1.0", {
  inc: "i32 inc()",
  get: "i32 get()",
  inc_slow: "i32 inc_slow(i32 ms)",
});

const quiet = { log: () => {} };
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Whether a process maps plugboard's shared memory (`/memfd:plugboard-shm`). */
function mapsShm(pid: number | "self"): boolean {
  return Deno.readTextFileSync(`/proc/${pid}/maps`).includes("/memfd:plugboard-shm");
}

/** Every value of iso_types, as in-process calls give it. */
const TYPE_CASES: [keyof typeof Types.declarations, unknown[], unknown][] = [
  ["not_bool", [true], false],
  ["neg_i8", [-128], -128],
  ["inc_u8", [255], 0],
  ["neg_i16", [-32767], 32767],
  ["inc_u16", [65535], 0],
  ["neg_i32", [7], -7],
  ["inc_u32", [4294967295], 0],
  ["neg_i64", [2n ** 62n], -(2n ** 62n)],
  ["inc_u64", [2n ** 64n - 1n], 0n],
  ["neg_isize", [-9007199254740991], 9007199254740991n],
  ["inc_usize", [41], 42n],
  ["half_f32", [3], 1.5],
  ["half_f64", [-0.5], -0.25],
  ["mix", [-1, 2n ** 40n, 0.5, 7], -1 + 2 ** 40 + 0.5 + 7],
  ["describe", ["ünï\nline"], "10:ünï\nline"],
  ["describe", [""], null],
];

Deno.test("openPlugin() with isolation: process carries calls over shared memory, or pipes when asked", async (t) => {
  for (const transport of ["auto", "shared-memory", "pipe"] as const) {
    await t.step(`transport: ${transport}`, async () => {
      await using p = await openPlugin(fixture("iso_types"), {
        isolation: "process",
        interfaces: [Types],
        transport,
        ...quiet,
      });
      const expected = transport === "pipe" ? "pipe" : "shared-memory";
      const pid = p.processes!.pids[0];
      assert.deepEqual(p.processes!.transports, [expected]);
      // The child maps the memfd; the host too, while the child lives.
      assert.equal(mapsShm(pid), expected === "shared-memory");
      const f = p.use(Types) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      for (const [fn, args, value] of TYPE_CASES) assert.deepEqual(await f[fn](...args), value);
      const out = new Uint8Array(8);
      assert.equal(await f.reverse(enc.encode("hello"), 5n, out, 8n), 5n);
      assert.equal(dec.decode(out), "olleh\0\0\0");
      const err = await f.reverse(enc.encode("hello"), 5n, new Uint8Array(2), 2n).catch((e) => e);
      assert.ok(err instanceof CallError);
      assert.equal(err.code, "CALL_FAILED");
      assert.equal(
        err.summary,
        `Call to "reverse" in plugin "${fixture("iso_types")}" failed: need 5 bytes, have 2`,
      );
    });
  }
});

Deno.test('openPlugin() with calls: "sync" returns values, not Promises, with the same results', async (t) => {
  await using p = await openPlugin(fixture("iso_types"), {
    isolation: "process",
    calls: "sync",
    interfaces: [Types],
    ...quiet,
  });
  assert.equal(p.calls, "sync");
  assert.equal(p.isolation, "process");
  assert.deepEqual(p.processes!.transports, ["shared-memory"]);
  const f = p.use(Types) as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const [fn, args, value] of TYPE_CASES) {
    await t.step(`${fn}(${args.map(String).join(", ")})`, () => {
      const got = f[fn](...args);
      assert.ok(!(got instanceof Promise));
      assert.deepEqual(got, value);
    });
  }
  await t.step("buffers are copied back; a fallible function throws CALL_FAILED", () => {
    const out = new Uint8Array(5);
    assert.equal(f.reverse(enc.encode("hello"), 5n, out, 5n), 5n);
    assert.equal(dec.decode(out), "olleh");
    assert.throws(
      () => f.reverse(enc.encode("hello"), 5n, new Uint8Array(2), 2n),
      (e: unknown) =>
        e instanceof CallError && e.code === "CALL_FAILED" && e.pluginCode === 2 &&
        e.summary ===
          `Call to "reverse" in plugin "${fixture("iso_types")}" failed: need 5 bytes, have 2`,
    );
  });
  await t.step("arguments are checked with the in-process messages, and thrown", () => {
    assert.throws(
      () => f.neg_i8(128),
      (e: unknown) =>
        e instanceof CallError && e.code === "INVALID_ARGUMENT" &&
        e.summary.startsWith(`Call to "neg_i8" in plugin "${fixture("iso_types")}" failed: `),
    );
  });
  await t.step("by name, too", () => {
    assert.equal(p.function("neg_i32")(5), -5);
  });
});

Deno.test("isolated calls carry values larger than a ring slot, both ways, over shared memory", async (t) => {
  for (const calls of ["async", "sync"] as const) {
    await t.step(calls, async () => {
      await using p = await openPlugin(fixture("iso_big"), {
        isolation: "process",
        calls,
        interfaces: [Big],
        ...quiet,
      });
      const { repeat, stamp } = p.use(Big) as unknown as {
        repeat: (s: string, n: number) => unknown;
        stamp: (d: Uint8Array, len: bigint, seed: number) => unknown;
      };
      for (const size of [100, 16_400, 1 << 20, 3 << 20]) {
        const data = new Uint8Array(size).fill(1);
        assert.equal(await stamp(data, BigInt(size), 7), BigInt(size));
        assert.ok(data.every((b, i) => b === (i + 7) % 251), `${size} bytes came back wrong`);
      }
      const unit = "plugboard-ü-";
      for (const times of [1, 2000, 100_000]) {
        assert.equal(await repeat(unit, times), unit.repeat(times));
      }
      // A large argument, a large result.
      assert.equal(await repeat(unit.repeat(5000), 20), unit.repeat(100_000));
      assert.equal(await repeat("x", 9 << 20), null);
      assert.deepEqual(p.processes!.transports, ["shared-memory"]);
    });
  }
});

Deno.test("isolated calls over shared memory multiplex many in flight, and a pool of two each has its own state", async (t) => {
  await t.step("500 calls in flight on one child", async () => {
    await using p = await openPlugin(plugin("noop"), {
      isolation: "process",
      interfaces: [Bench],
      ...quiet,
    });
    const { add, greet } = p.use(Bench);
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => add(i, 1000)));
    assert.deepEqual(results, Array.from({ length: 500 }, (_, i) => i + 1000));
    const big = "é".repeat(100);
    const texts = await Promise.all(Array.from({ length: 300 }, (_, i) => greet(`${i}${big}`)));
    assert.deepEqual(texts, Array.from({ length: 300 }, (_, i) => `Hello, ${i}${big}`));
  });
  await t.step("a pool of two", async () => {
    await using p = await openPlugin(plugin("counter"), {
      isolation: "process",
      interfaces: [Counter],
      pool: 2,
      ...quiet,
    });
    assert.deepEqual(p.processes!.transports, ["shared-memory", "shared-memory"]);
    const { inc } = p.use(Counter);
    assert.deepEqual(await Promise.all([inc(), inc(), inc(), inc()]), [1, 1, 2, 2]);
  });
  await t.step(
    'a pool of two with calls: "sync": the first free child serves each call',
    async () => {
      await using p = await openPlugin(plugin("counter"), {
        isolation: "process",
        calls: "sync",
        interfaces: [Counter],
        pool: 2,
        ...quiet,
      });
      const { inc, get } = p.use(Counter);
      assert.deepEqual([inc(), inc(), inc(), get()], [1, 2, 3, 3]);
      assert.equal(p.processes!.pids.length, 2);
    },
  );
});

Deno.test("a crash during a call over shared memory is PLUGIN_CRASHED, async and sync", async (t) => {
  const path = plugin("stderr_crash");
  const tail = ["about to crash: step 1", "about to crash: step 2"];
  await t.step("async", async () => {
    await using p = await openPlugin(path, {
      isolation: "process",
      interfaces: [Faulty],
      ...quiet,
    });
    const { ok, crash } = p.use(Faulty);
    const pid = p.processes!.pids[0];
    assert.deepEqual(p.processes!.transports, ["shared-memory"]);
    const [before, crashed, behind] = await Promise.allSettled([ok(1), crash(1), ok(2)]);
    assert.deepEqual(before, { status: "fulfilled", value: 2 });
    const err = (crashed as PromiseRejectedResult).reason;
    assert.ok(err instanceof CrashError);
    assert.equal(err.signal, "SIGSEGV");
    assert.deepEqual(err.stderrTail, tail);
    assert.equal(
      err.summary,
      `Plugin "${path}" crashed: expected a reply to crash(), found the child (pid ${pid}) killed by SIGSEGV (signal 11)`,
    );
    const err2 = (behind as PromiseRejectedResult).reason;
    assert.ok(err2 instanceof CrashError);
    assert.equal(
      err2.summary,
      `Plugin "${path}" crashed: expected a reply to ok(), found the child (pid ${pid}) killed by SIGSEGV (signal 11) during crash(); this call had not started`,
    );
  });
  await t.step("sync: thrown at once; the stderr lines reach the log and lastCrash", async () => {
    const log = collectLog();
    await using p = await openPlugin(path, {
      isolation: "process",
      calls: "sync",
      interfaces: [Faulty],
      log: log.sink,
    });
    const { ok, crash } = p.use(Faulty);
    const pid = p.processes!.pids[0];
    assert.equal(ok(1), 2);
    let err: unknown;
    try {
      crash(1);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof CrashError, String(err));
    assert.equal(err.code, "PLUGIN_CRASHED");
    assert.equal(err.pid, pid);
    assert.equal(err.function, "crash");
    assert.equal(err.signal, "SIGSEGV");
    assert.equal(err.signalNumber, 11);
    assert.equal(err.exitCode, null);
    assert.equal(
      err.summary,
      `Plugin "${path}" crashed: expected a reply to crash(), found the child (pid ${pid}) killed by SIGSEGV (signal 11)`,
    );
    // The next synchronous call, before the event loop has run.
    assert.throws(
      () => ok(2),
      (e: unknown) =>
        e instanceof CrashError &&
        e.summary ===
          `Plugin "${path}" crashed: expected a running child to call ok(), found none: the child (pid ${pid}) has just ended, and restarts are off`,
    );
    assert.equal(await waitGone(pid), true);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(p.processes!.status, "crashed");
    assert.deepEqual(p.processes!.lastCrash?.exit.stderrTail, tail);
    assert.deepEqual(log.lines("stderr"), tail);
  });
});

Deno.test("a hanging call over shared memory times out with PLUGIN_TIMEOUT, async and sync", async (t) => {
  const path = plugin("hang_call");
  await t.step("async", async () => {
    await using p = await openPlugin(path, {
      isolation: "process",
      interfaces: [Hang],
      timeoutMs: 300,
      ...quiet,
    });
    const pid = p.processes!.pids[0];
    const err = await p.use(Hang).crash(1).catch((e) => e);
    assert.ok(err instanceof CallError);
    assert.equal(err.code, "PLUGIN_TIMEOUT");
    assert.equal(
      err.summary,
      `Call to "crash" in plugin "${path}" failed: expected a reply within 300 ms, found none: the child (pid ${pid}) was killed`,
    );
    assert.equal(await waitGone(pid), true);
  });
  await t.step(
    "sync: the caller gets its thread back at the deadline; a restart follows",
    async () => {
      const log = collectLog();
      await using p = await openPlugin(path, {
        isolation: "process",
        calls: "sync",
        interfaces: [Hang],
        timeoutMs: 300,
        restart: { backoffMs: 10 },
        log: log.sink,
      });
      const { ok, crash, sleep_ms } = p.use(Hang);
      const pid = p.processes!.pids[0];
      assert.equal(sleep_ms(20), 20);
      const t0 = performance.now();
      assert.throws(
        () => crash(1),
        (e: unknown) =>
          e instanceof CallError && e.code === "PLUGIN_TIMEOUT" &&
          e.summary ===
            `Call to "crash" in plugin "${path}" failed: expected a reply within 300 ms, found none: the child (pid ${pid}) was killed`,
      );
      const took = performance.now() - t0;
      assert.ok(took >= 299 && took < 1500, `took ${took} ms`);
      assert.throws(
        () => ok(1),
        (e: unknown) =>
          e instanceof CrashError &&
          e.summary ===
            `Plugin "${path}" crashed: expected a running child to call ok(), found none: the child (pid ${pid}) has just ended, and a new one will start (restart 1 of 5)`,
      );
      assert.equal(await waitGone(pid), true);
      for (let i = 0; i < 100 && p.processes!.status !== "ready"; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(ok(2), 3);
      assert.equal(p.processes!.restarts, 1);
      assert.equal(p.processes!.lastCrash?.reason, "timeout");
      assert.deepEqual(log.lines("timeout"), [
        `hang_call: a call to crash() timed out; killed the child (pid ${pid})`,
      ]);
    },
  );
});

Deno.test("a call longer than the host's one-second futex waits still returns its value", async () => {
  await using p = await openPlugin(plugin("hang_call"), {
    isolation: "process",
    interfaces: [Hang],
    ...quiet,
  });
  const { sleep_ms, ok } = p.use(Hang);
  assert.deepEqual(await Promise.all([sleep_ms(1300), ok(1)]), [1300, 2]);
});

Deno.test("a child killed from outside while the host waits on the futex: PLUGIN_CRASHED, never a hang", async (t) => {
  const path = plugin("hang_call");
  await t.step("async: the exit watcher wakes the waiting host", async () => {
    await using p = await openPlugin(path, {
      isolation: "process",
      interfaces: [Hang],
      ...quiet,
    });
    const pid = p.processes!.pids[0];
    const pending = p.use(Hang).sleep_ms(30_000);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    Deno.kill(pid, "SIGKILL");
    const err = await pending.catch((e) => e);
    assert.ok(performance.now() - t0 < 2000);
    assert.ok(err instanceof CrashError);
    assert.equal(
      err.summary,
      `Plugin "${path}" crashed: expected a reply to sleep_ms(), found the child (pid ${pid}) killed by SIGKILL (signal 9)`,
    );
  });
  await t.step("sync: the caller notices between its sleeps", async () => {
    await using p = await openPlugin(path, {
      isolation: "process",
      calls: "sync",
      interfaces: [Hang],
      timeoutMs: 20_000,
      ...quiet,
    });
    const pid = p.processes!.pids[0];
    // This thread is blocked in the call: another process kills the child.
    const killer = new Deno.Command("sh", { args: ["-c", `sleep 0.3; kill -9 ${pid}`] }).spawn();
    const t0 = performance.now();
    let err: unknown;
    try {
      p.use(Hang).sleep_ms(15_000);
    } catch (e) {
      err = e;
    }
    const took = performance.now() - t0;
    await killer.status;
    assert.ok(took < 3000, `took ${took} ms`);
    assert.ok(err instanceof CrashError, String(err));
    assert.equal(err.signal, "SIGKILL");
    assert.equal(
      err.summary,
      `Plugin "${path}" crashed: expected a reply to sleep_ms(), found the child (pid ${pid}) killed by SIGKILL (signal 9)`,
    );
  });
});

Deno.test("close() over shared memory drains calls in flight, then unmaps the memory", async (t) => {
  await t.step("a slow call finishes, the shutdown hook runs", async () => {
    const log = collectLog();
    const p = await openPlugin(plugin("counter"), {
      isolation: "process",
      interfaces: [Counter],
      log: log.sink,
    });
    const { inc_slow, inc } = p.use(Counter);
    const pid = p.processes!.pids[0];
    assert.equal(mapsShm("self"), true);
    const calls = [inc_slow(100), inc(), inc_slow(50)];
    await p.close();
    assert.deepEqual(await Promise.all(calls), [1, 2, 3]);
    assert.equal(isAlive(pid), false);
    assert.deepEqual(log.lines("stderr").at(-1), "plugin shutdown: counter");
    assert.equal(mapsShm("self"), false);
  });
  await t.step("a hung call is killed after the grace period and rejects with CLOSED", async () => {
    const path = plugin("hang_call");
    const p = await openPlugin(path, {
      isolation: "process",
      interfaces: [Hang],
      closeGraceMs: 200,
      ...quiet,
    });
    const pid = p.processes!.pids[0];
    const hung = p.use(Hang).crash(1);
    await p.close();
    const err = await hung.catch((e) => e);
    assert.ok(err instanceof CallError);
    assert.equal(err.code, "CLOSED");
    assert.equal(
      err.summary,
      `Call to "crash" in plugin "${path}" failed: the plugin was closed before the call returned: its child (pid ${pid}) did not shut down within 200 ms and was killed`,
    );
    assert.equal(mapsShm("self"), false);
  });
  await t.step('a closed handle with calls: "sync" throws CLOSED', async () => {
    const p = await openPlugin(plugin("noop"), {
      isolation: "process",
      calls: "sync",
      interfaces: [Bench],
      ...quiet,
    });
    const { add } = p.use(Bench);
    assert.equal(add(1, 2), 3);
    await p.close();
    assert.throws(
      () => add(1, 2),
      (e: unknown) =>
        e instanceof CallError && e.code === "CLOSED" &&
        e.summary ===
          `Call to "add" in plugin "${plugin("noop")}" failed: the plugin handle is closed`,
    );
  });
});

Deno.test(`more hosts waiting than ${MAX_ASYNC_WAITERS} futex waiters: the rest wait for pipe bells`, async () => {
  const n = MAX_ASYNC_WAITERS + 3;
  await using p = await openPlugin(plugin("hang_call"), {
    isolation: "process",
    interfaces: [Hang],
    pool: n,
    ...quiet,
  });
  const { sleep_ms } = p.use(Hang);
  const t0 = performance.now();
  // Each child gets one slow call: n hosts' waits at once.
  const calls = Array.from({ length: n }, (_, i) => sleep_ms(300 + i));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(asyncWaitersInFlight(), MAX_ASYNC_WAITERS);
  const results = await Promise.all(calls);
  assert.deepEqual(results, Array.from({ length: n }, (_, i) => 300 + i));
  assert.equal(asyncWaitersInFlight(), 0);
  assert.ok(performance.now() - t0 < 5000);
  // Rounds of fast calls, every child, after the slow ones.
  for (let round = 0; round < 3; round++) {
    const r = await Promise.all(Array.from({ length: n }, (_, i) => sleep_ms(i % 3)));
    assert.deepEqual(r, Array.from({ length: n }, (_, i) => i % 3));
  }
});

Deno.test("a sandboxed child maps the shared memory before its sandbox applies", async () => {
  const Probe = defineInterface("sandbox.probe", "1.0", {
    add: "i32 add(i32 a, i32 b)",
    read_file: "i32 read_file(cstring path)",
  });
  for (const calls of ["async", "sync"] as const) {
    await using p = await openPlugin(fixture("sandbox_probe"), {
      isolation: "process",
      calls,
      sandbox: true,
      ...quiet,
    });
    const f = p.functions(Probe.declarations) as unknown as Record<
      string,
      (...a: unknown[]) => unknown
    >;
    assert.deepEqual(p.processes!.transports, ["shared-memory"]);
    assert.equal(await f.add(2, 3), 5);
    // Still confined: /etc/hostname is not granted.
    assert.equal(await f.read_file("/etc/hostname"), -13);
  }
});

Deno.test("a child that cannot map the memory: pipes with auto, HANDSHAKE_FAILED with shared-memory", async (t) => {
  const start = (transport: "auto" | "shared-memory") => {
    const conn = new ChildConnection({
      command: Deno.execPath(),
      args: ["run", "--quiet", new URL("./_attach_refusing_child.ts", import.meta.url).pathname],
      env: {},
      path: "fake.so",
      load: {
        path: "fake.so",
        sha256: "0".repeat(64),
        load: "memfd",
        init: true,
        allowInsecurePermissions: false,
      },
      startTimeoutMs: 10_000,
      onStderr: () => {},
      onEnd: () => {},
      transport,
    });
    return { conn, started: conn.start().then(() => undefined, (e) => e) };
  };
  await t.step("auto", async () => {
    const { conn, started } = start("auto");
    assert.equal(await started, undefined);
    assert.equal(conn.transport, "pipe");
    await conn.shutdown(1000);
  });
  await t.step("shared-memory", async () => {
    const { conn, started } = start("shared-memory");
    const err = await started;
    assert.ok(err instanceof LoadError, String(err));
    assert.equal(err.code, "HANDSHAKE_FAILED");
    assert.equal(
      err.summary,
      `Cannot load plugin "fake.so": the host and the isolation child could not share memory: expected the child to map the host's shared memory, found cannot open the memfd: refused by the test`,
    );
    await conn.kill();
  });
});

Deno.test("a host without --allow-ffi isolates over pipes and refuses synchronous calls", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-run",
      new URL("./_no_ffi_host.ts", import.meta.url).pathname,
      plugin("noop"),
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  assert.deepEqual(JSON.parse(dec.decode(out.stdout)), {
    transports: ["pipe"],
    sum: 5,
    refusal: {
      code: "USAGE",
      summary: `Cannot open plugin "${
        plugin("noop")
      }" with calls: "sync": expected shared memory between the host and its children, found no unrestricted --allow-ffi`,
      hint: "run the host with --allow-ffi (without a path list), or leave the option out",
    },
  });
});

Deno.test("openPlugin() checks the transport and calls options", async (t) => {
  const noop = plugin("noop");
  const cases: [string, Record<string, unknown>, string, string][] = [
    [
      'calls: "sync" over pipes',
      { calls: "sync", transport: "pipe" },
      `Cannot open plugin "${noop}" with calls: "sync" over pipes: expected transport "auto" or "shared-memory", found "pipe"`,
      "a synchronous call waits on shared memory: leave transport out",
    ],
    [
      'calls: "sync" without a deadline',
      { calls: "sync", timeoutMs: Infinity },
      'Invalid option timeoutMs: expected a finite number with calls: "sync", found Infinity',
      "a synchronous call that never returns would freeze this thread: give it a deadline",
    ],
    [
      "an unknown transport",
      { transport: "carrier-pigeon" },
      'Invalid option transport: expected "auto", "shared-memory" or "pipe", found carrier-pigeon',
      "leave it out for the default",
    ],
    [
      "an unknown call mode",
      { calls: "later" },
      'Invalid option calls: expected "async" or "sync", found later',
      "leave it out for the default",
    ],
  ];
  for (const [name, options, summary, hint] of cases) {
    await t.step(name, async () => {
      const log = collectLog();
      const err = await openPlugin(noop, {
        isolation: "process",
        ...options,
        log: log.sink,
      } as never).catch((e) => e);
      assert.ok(err instanceof PluginError);
      assert.equal(err.code, "USAGE");
      assert.equal(err.summary, summary);
      assert.equal(err.hint, hint);
      assert.deepEqual(log.lines("spawn"), []);
    });
  }
  await t.step('calls: "sync" for a subprocess plugin', async () => {
    const program = `${ROOT}/plugins/rpc/calc_sub.sh`;
    const err = await openPlugin(program, { isolation: "process", calls: "sync" }).catch((e) => e);
    assert.ok(err instanceof PluginError, String(err));
    assert.equal(err.code, "USAGE");
    assert.equal(
      err.summary,
      `Cannot open plugin "${program}" with calls: "sync": expected a native library (.so), found an executable (a subprocess plugin)`,
    );
  });
});

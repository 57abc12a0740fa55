/**
 * isolated() / openPlugin(path, { isolation: "process" }): calls
 * cross the process boundary with the same types and results as in-process
 * calls; crashes, aborts, exits and hangs in a plugin reject the pending calls
 * with PLUGIN_CRASHED / PLUGIN_TIMEOUT and leave the host running; restarts,
 * pools, close and the no-orphans guarantee.
 */
import assert from "node:assert/strict";
import { defineInterface } from "../../src/abi/define_interface.ts";
import { CallError, LoadError, PluginError } from "../../src/errors/plugin_error.ts";
import { CrashError } from "../../src/errors/crash_error.ts";
import { type OpenIsolatedOptions, openPlugin } from "../../src/open/open_plugin.ts";

/** Open a plugin in child processes. */
function isolated(path: string, options: Omit<OpenIsolatedOptions, "isolation"> = {}) {
  return openPlugin(path, { ...options, isolation: "process" });
}
import { fixture, plugin, ROOT } from "../_paths.ts";
import { collectLog, isAlive, waitGone } from "./_helpers.ts";

const Bench = defineInterface("bench", "1.0", {
  noop: "void noop()",
  add: "i32 add(i32 a, i32 b)",
  upper: "usize upper(buffer data, usize len)",
  greet: "cstring greet(cstring name)",
});
const Faulty = defineInterface("faulty", "1.0", {
  ok: "i32 ok(i32 x)",
  crash: "i32 crash(i32 x)",
});
const Hang = defineInterface("faulty", "1.0", {
  ok: "i32 ok(i32 x)",
  crash: "i32 crash(i32 x)",
  sleep_ms: "i32 sleep_ms(i32 ms)",
});
const Counter = defineInterface("counter", "1.0", {
  inc: "i32 inc()",
  get: "i32 get()",
  inc_slow: "i32 inc_slow(i32 ms)",
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
const TextProcessor = defineInterface("text.processor", "1.0", {
  name: "cstring name()",
  process: "fallible usize process(buffer input, usize input_len, buffer output, usize output_cap)",
});

const quiet = { log: () => {} };
const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("openPlugin() with isolation: process calls functions with the same results as in-process", async (t) => {
  await using isolated = await openPlugin(fixture("iso_types"), {
    isolation: "process",
    interfaces: [Types],
    ...quiet,
  });
  await using local = await openPlugin(fixture("iso_types"), { interfaces: [Types] });
  const remote = isolated.use(Types);
  const here = local.use(Types);
  const cases: [keyof typeof Types.declarations, unknown[], unknown][] = [
    ["not_bool", [true], false],
    ["neg_i8", [-128], -128],
    ["inc_u8", [255], 0],
    ["neg_i16", [-32767], 32767],
    ["inc_u16", [65535], 0],
    ["neg_i32", [7], -7],
    ["inc_u32", [4294967295], 0],
    ["neg_i64", [2n ** 62n], -(2n ** 62n)],
    ["neg_i64", [-5], 5n],
    ["inc_u64", [2n ** 64n - 1n], 0n],
    ["neg_isize", [-9007199254740991], 9007199254740991n],
    ["inc_usize", [41], 42n],
    ["half_f32", [3], 1.5],
    ["half_f64", [1e300], 5e299],
    ["half_f64", [-0.5], -0.25],
    ["mix", [-1, 2n ** 40n, 0.5, 7], -1 + 2 ** 40 + 0.5 + 7],
    ["describe", ["abc"], "3:abc"],
    ["describe", ["ünï\nline"], "10:ünï\nline"],
    ["describe", [""], null],
  ];
  for (const [fn, args, expected] of cases) {
    await t.step(`${fn}(${args.map(String).join(", ")})`, async () => {
      const f = remote[fn] as (...a: unknown[]) => Promise<unknown>;
      const g = here[fn] as (...a: unknown[]) => unknown;
      assert.deepEqual(await f(...args), expected);
      assert.deepEqual(g(...args), expected);
    });
  }
  await t.step("buffers are copied back into the caller's arrays", async () => {
    const input = enc.encode("hello");
    const out = new Uint8Array(8);
    assert.equal(await remote.reverse(input, 5n, out, 8n), 5n);
    assert.equal(dec.decode(out.subarray(0, 5)), "olleh");
    assert.deepEqual([...out.subarray(5)], [0, 0, 0]);
    assert.equal(dec.decode(input), "hello");
  });
  await t.step(
    "a fallible function's error arrives as CALL_FAILED with the plugin's code",
    async () => {
      const err = await remote.reverse(enc.encode("hello"), 5n, new Uint8Array(2), 2n).catch((e) =>
        e
      );
      assert.ok(err instanceof CallError);
      assert.equal(err.code, "CALL_FAILED");
      assert.equal(err.pluginCode, 2);
      assert.equal(err.function, "reverse");
      assert.equal(
        err.summary,
        `Call to "reverse" in plugin "${fixture("iso_types")}" failed: need 5 bytes, have 2`,
      );
    },
  );
});

Deno.test("openIsolatedPlugin() rejects arguments that do not fit, with the in-process message", async (t) => {
  await using remotePlugin = await isolated(fixture("iso_types"), {
    interfaces: [Types],
    ...quiet,
  });
  await using local = await openPlugin(fixture("iso_types"), { interfaces: [Types] });
  const remote = remotePlugin.use(Types);
  const here = local.use(Types);
  const cases: [keyof typeof Types.declarations, unknown[]][] = [
    ["neg_i8", [128]],
    ["inc_u8", [-1]],
    ["neg_i32", [1.5]],
    ["inc_u32", [2 ** 32]],
    ["inc_u64", [-1]],
    ["inc_u64", [2n ** 64n]],
    ["neg_i64", [2 ** 60]],
    ["not_bool", [1]],
    ["half_f64", ["1"]],
    ["describe", ["a\0b"]],
    ["reverse", ["text", 1n, new Uint8Array(1), 1n]],
  ];
  for (const [fn, args] of cases) {
    await t.step(
      `${fn}(${args.map((a) => typeof a === "bigint" ? `${a}n` : JSON.stringify(a)).join(", ")})`,
      async () => {
        let expected: unknown;
        try {
          (here[fn] as (...a: unknown[]) => unknown)(...args);
        } catch (e) {
          expected = e;
        }
        assert.ok(expected instanceof CallError);
        const err = await (remote[fn] as (...a: unknown[]) => Promise<unknown>)(...args).catch((
          e,
        ) => e);
        assert.ok(err instanceof CallError);
        assert.equal(err.code, "INVALID_ARGUMENT");
        assert.equal(err.message, (expected as CallError).message);
      },
    );
  }
  await t.step("the wrong number of arguments", async () => {
    const f = remote.neg_i32 as unknown as (...a: unknown[]) => Promise<number>;
    const err = await f(1, 2).catch((e) => e);
    assert.ok(err instanceof CallError);
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.equal(
      err.summary,
      `Call to "neg_i32" in plugin "${
        fixture("iso_types")
      }" failed: expected 1 argument(s), found 2`,
    );
  });
});

Deno.test("openIsolatedPlugin() serves text.processor plugins, output buffers included", async () => {
  await using p = await isolated(plugin("text_upper"), {
    interfaces: [TextProcessor],
    ...quiet,
  });
  const tp = p.use(TextProcessor);
  const input = enc.encode("héllo, wörld");
  const output = new Uint8Array(64);
  const n = await tp.process(input, BigInt(input.length), output, 64n);
  assert.equal(await tp.name(), "upper");
  assert.equal(dec.decode(output.subarray(0, Number(n))), "HéLLO, WöRLD");
});

Deno.test("openIsolatedPlugin() multiplexes many concurrent calls on one child", async () => {
  await using p = await isolated(plugin("noop"), { interfaces: [Bench], ...quiet });
  const { add, greet, noop } = p.use(Bench);
  const results = await Promise.all(Array.from({ length: 500 }, (_, i) => add(i, 1000)));
  assert.deepEqual(results, Array.from({ length: 500 }, (_, i) => i + 1000));
  const mixed = await Promise.all([greet("a"), noop(), add(1, 2), greet("ü".repeat(300))]);
  assert.deepEqual(mixed, ["Hello, a", undefined, 3, `Hello, ${"ü".repeat(124)}`]);
  assert.equal(p.processes!.pending, 0);
  assert.equal(p.processes!.pids.length, 1);
});

Deno.test("openIsolatedPlugin() spreads calls over a pool of children, each with its own state", async () => {
  await using p = await isolated(plugin("counter"), {
    interfaces: [Counter],
    pool: 2,
    ...quiet,
  });
  const { inc } = p.use(Counter);
  assert.equal(p.processes!.pids.length, 2);
  assert.notEqual(p.processes!.pids[0], p.processes!.pids[1]);
  const values = await Promise.all([inc(), inc(), inc(), inc()]);
  assert.deepEqual(values, [1, 1, 2, 2]);
});

Deno.test("openIsolatedPlugin() checks the plugin before starting a child", async (t) => {
  const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
  const CalcOp = defineInterface("calc.op", "1.0", { apply: "fallible f64 apply(f64 a, f64 b)" });
  const cases: [string, string, Record<string, unknown>, string][] = [
    ["a missing interface", plugin("greeter"), { interfaces: [CalcOp] }, "INTERFACE_MISSING"],
    ["a newer ABI", fixture("abi2"), {}, "ABI_MISMATCH"],
    ["a missing file", `${ROOT}/build/missing.so`, {}, "NOT_FOUND"],
    ["a verify hook that refuses", plugin("greeter"), {
      verify: () => {
        throw new LoadError("UNTRUSTED", {
          path: "x",
          what: "no",
          expected: "yes",
          found: "no",
          hint: "none",
        });
      },
    }, "UNTRUSTED"],
  ];
  for (const [name, path, options, code] of cases) {
    await t.step(name, async () => {
      const log = collectLog();
      const err = await isolated(path, { ...options, log: log.sink }).catch((e) => e);
      assert.ok(err instanceof LoadError, String(err));
      assert.equal(err.code, code);
      assert.deepEqual(log.lines("spawn"), []);
    });
  }
  await t.step("a signature that differs from the plugin's", async () => {
    await using p = await isolated(plugin("greeter"), quiet);
    assert.throws(
      () => p.use(defineInterface("greeter", "1.0", { greet: "i32 greet(cstring name)" })),
      (e: unknown) => e instanceof LoadError && e.code === "SIGNATURE_MISMATCH",
    );
    assert.throws(
      () => p.functions({ greet: "cstring greet(i32 name)" }),
      (e: unknown) => e instanceof LoadError && e.code === "SIGNATURE_MISMATCH",
    );
    assert.equal(await p.use(Greeter).greet("Ada"), "Hello, Ada");
    assert.equal(await p.function("greet")("Bob"), "Hello, Bob");
  });
});

Deno.test("openIsolatedPlugin() refuses a file that changed after the host checked it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-isolate-test-" });
  try {
    const path = `${dir}/greeter.so`;
    await Deno.copyFile(plugin("greeter"), path);
    const err = await isolated(path, {
      ...quiet,
      verify: () => {
        // Replace the file (a new inode, as a rebuild does) between the
        // host's checks and the child's load.
        Deno.copyFileSync(fixture("greeter_v1_1"), `${path}.new`);
        Deno.renameSync(`${path}.new`, path);
      },
    }).catch((e) => e);
    assert.ok(err instanceof LoadError, String(err));
    assert.equal(err.code, "CHECKSUM_MISMATCH");
    assert.match(
      err.summary,
      /^Cannot load plugin ".*": the file changed between the host's checks and the child's load: expected SHA-256 [0-9a-f]{64}, found SHA-256 [0-9a-f]{64}$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openIsolatedPlugin() reports a failing init hook and a crashing constructor", async (t) => {
  await t.step("INIT_FAILED arrives as the in-process LoadError", async () => {
    const err = await isolated(fixture("init_fail"), quiet).catch((e) => e);
    assert.ok(err instanceof LoadError);
    assert.equal(err.code, "INIT_FAILED");
    assert.equal(err.found, "7: database not reachable");
    assert.equal(
      err.summary,
      `Cannot load plugin "${
        fixture("init_fail")
      }": the plugin's init hook failed: expected init to return 0, found 7: database not reachable`,
    );
  });
  await t.step("a constructor that segfaults rejects the open with PLUGIN_CRASHED", async () => {
    const err = await isolated(plugin("crash_ctor"), quiet).catch((e) => e);
    assert.ok(err instanceof CrashError, String(err));
    assert.equal(err.code, "PLUGIN_CRASHED");
    assert.equal(err.signal, "SIGSEGV");
    assert.equal(err.signalNumber, 11);
    assert.equal(err.exitCode, null);
    assert.equal(
      err.summary,
      `Plugin "${
        plugin("crash_ctor")
      }" crashed: expected the plugin to load, found the child (pid ${err.pid}) killed by SIGSEGV (signal 11)`,
    );
  });
  await t.step("a constructor that hangs rejects the open with PLUGIN_TIMEOUT", async () => {
    const err = await isolated(fixture("iso_hang_ctor"), {
      startTimeoutMs: 3000,
      ...quiet,
    })
      .catch((e) => e);
    assert.ok(err instanceof LoadError, String(err));
    assert.equal(err.code, "PLUGIN_TIMEOUT");
    assert.equal(err.expected, "it to load within 3000 ms");
    assert.match(err.found, /^no reply; the child \(pid \d+\) was killed$/);
  });
});

Deno.test("openIsolatedPlugin() survives crashing plugins: pending calls reject with PLUGIN_CRASHED", async (t) => {
  const cases: [string, string | null, number | null, number | null, string[]][] = [
    ["crash_call", "SIGSEGV", 11, null, []],
    ["abort_call", "SIGABRT", 6, null, []],
    ["exit_call", null, null, 3, []],
    ["stderr_crash", "SIGSEGV", 11, null, ["about to crash: step 1", "about to crash: step 2"]],
  ];
  for (const [name, signal, signalNumber, exitCode, tail] of cases) {
    await t.step(name, async () => {
      const log = collectLog();
      const path = plugin(name);
      await using p = await isolated(path, { interfaces: [Faulty], log: log.sink });
      const { ok, crash } = p.use(Faulty);
      const pid = p.processes!.pids[0];
      assert.equal(await ok(1), 2);
      const [before, crashed, behind] = await Promise.allSettled([ok(2), crash(1), ok(3)]);
      assert.deepEqual(before, { status: "fulfilled", value: 3 });
      assert.equal(crashed.status, "rejected");
      assert.equal(behind.status, "rejected");
      const err = (crashed as PromiseRejectedResult).reason;
      const err2 = (behind as PromiseRejectedResult).reason;
      const how = signal
        ? `killed by ${signal} (signal ${signalNumber})`
        : `exited with code ${exitCode}`;
      for (const e of [err, err2]) {
        assert.ok(e instanceof CrashError);
        assert.equal(e.code, "PLUGIN_CRASHED");
        assert.equal(e.pid, pid);
        assert.equal(e.signal, signal);
        assert.equal(e.signalNumber, signalNumber);
        assert.equal(e.exitCode, exitCode);
        assert.deepEqual(e.stderrTail, tail);
      }
      assert.equal(err.function, "crash");
      assert.equal(
        err.summary,
        `Plugin "${path}" crashed: expected a reply to crash(), found the child (pid ${pid}) ${how}`,
      );
      assert.equal(
        err2.summary,
        `Plugin "${path}" crashed: expected a reply to ok(), found the child (pid ${pid}) ${how} during crash(); this call had not started`,
      );
      assert.equal(
        err.message.split("\n").slice(1, 1 + tail.length).join("\n"),
        tail.map((l) => `  stderr: ${l}`).join("\n"),
      );
      // Without restarts, the handle stays crashed and says why.
      assert.equal(p.processes!.status, "crashed");
      assert.equal(p.processes!.lastCrash?.reason, "crash");
      assert.equal(p.processes!.lastCrash?.function, "crash");
      assert.equal(p.processes!.lastCrash?.exit.signal, signal);
      const after = await ok(4).catch((e) => e);
      assert.ok(after instanceof CrashError);
      assert.equal(
        after.summary,
        `Plugin "${path}" crashed: expected a running child to call ok(), found none: the child (pid ${pid}) ${how} earlier during crash(), and restarts are off`,
      );
      assert.deepEqual(log.lines("crash"), [
        `${p.metadata.name} crashed during crash(): the child (pid ${pid}) ${how}`,
      ]);
      assert.deepEqual(log.lines("stderr"), tail);
      assert.equal(await waitGone(pid), true);
    });
  }
});

Deno.test("openIsolatedPlugin() restarts crashed children with backoff, up to maxRestarts", async () => {
  const log = collectLog();
  await using p = await isolated(plugin("crash_call"), {
    interfaces: [Faulty],
    restart: { maxRestarts: 2, backoffMs: 20 },
    log: log.sink,
  });
  const { ok, crash } = p.use(Faulty);
  const first = p.processes!.pids[0];
  assert.equal((await crash(1).catch((e) => e)).code, "PLUGIN_CRASHED");
  assert.equal(p.processes!.status, "restarting");
  // A call made while restarting waits for the new child.
  assert.equal(await ok(10), 11);
  assert.equal(p.processes!.status, "ready");
  assert.equal(p.processes!.restarts, 1);
  assert.notEqual(p.processes!.pids[0], first);
  assert.equal((await crash(1).catch((e) => e)).code, "PLUGIN_CRASHED");
  assert.equal(await ok(20), 21);
  assert.equal(p.processes!.restarts, 2);
  assert.equal((await crash(1).catch((e) => e)).code, "PLUGIN_CRASHED");
  assert.equal(p.processes!.status, "crashed");
  assert.equal(p.processes!.restarts, 2);
  const err = await ok(30).catch((e) => e);
  assert.ok(err instanceof CrashError);
  assert.match(err.summary, /, and all 2 restart\(s\) are used$/);
  assert.deepEqual(log.lines("restart"), [
    "crash_call: starting a new child in 20 ms (restart 1 of 2)",
    "crash_call: starting a new child in 40 ms (restart 2 of 2)",
    "crash_call: not restarting, 2 restart(s) used of 2",
  ]);
});

Deno.test("openIsolatedPlugin() times out a hanging call with PLUGIN_TIMEOUT and kills the child", async (t) => {
  await t.step("with a restart, a fresh child serves the next calls", async () => {
    const log = collectLog();
    const path = plugin("hang_call");
    await using p = await isolated(path, {
      interfaces: [Hang],
      timeoutMs: 400,
      restart: { backoffMs: 10 },
      log: log.sink,
    });
    const { ok, crash, sleep_ms } = p.use(Hang);
    const pid = p.processes!.pids[0];
    assert.equal(await sleep_ms(50), 50);
    const [hung, behind] = await Promise.allSettled([crash(1), ok(1)]);
    const err = (hung as PromiseRejectedResult).reason;
    const err2 = (behind as PromiseRejectedResult).reason;
    assert.ok(err instanceof CallError);
    assert.equal(err.code, "PLUGIN_TIMEOUT");
    assert.equal(
      err.summary,
      `Call to "crash" in plugin "${path}" failed: expected a reply within 400 ms, found none: the child (pid ${pid}) was killed`,
    );
    assert.ok(err2 instanceof CallError);
    assert.equal(err2.code, "PLUGIN_TIMEOUT");
    assert.equal(
      err2.summary,
      `Call to "ok" in plugin "${path}" failed: expected a reply, found none: the child (pid ${pid}) was killed because the call crash() before this one timed out after 400 ms; this call had not started`,
    );
    assert.equal(await waitGone(pid), true);
    assert.equal(await ok(2), 3);
    assert.equal(p.processes!.restarts, 1);
    assert.equal(p.processes!.lastCrash?.reason, "timeout");
    assert.equal(p.processes!.lastCrash?.exit.signal, "SIGKILL");
    assert.deepEqual(log.lines("timeout"), [
      `hang_call: a call to crash() timed out; killed the child (pid ${pid})`,
    ]);
  });
  await t.step("without one, the handle is crashed", async () => {
    await using p = await isolated(plugin("hang_call"), {
      interfaces: [Hang],
      timeoutMs: 300,
      ...quiet,
    });
    const { ok, crash } = p.use(Hang);
    assert.equal((await crash(1).catch((e) => e)).code, "PLUGIN_TIMEOUT");
    assert.equal(p.processes!.status, "crashed");
    assert.equal((await ok(1).catch((e) => e)).code, "PLUGIN_CRASHED");
  });
});

Deno.test("IsolatedPlugin.close() drains calls, runs the shutdown hook and forwards the plugin's output", async () => {
  const log = collectLog();
  const p = await isolated(plugin("counter"), { interfaces: [Counter], log: log.sink });
  const { inc_slow, get } = p.use(Counter);
  const pid = p.processes!.pids[0];
  const slow = inc_slow(100);
  await p.close();
  assert.equal(await slow, 1);
  assert.deepEqual(log.lines("stderr"), [
    "plugin constructor: counter",
    "plugin init: counter",
    "plugin shutdown: counter",
  ]);
  for (const r of log.records.filter((r) => r.event === "stderr")) {
    assert.equal(r.level, "info");
    assert.equal(r.plugin, "counter");
    assert.equal(r.pid, pid);
    assert.equal(r.path, plugin("counter"));
  }
  assert.equal(isAlive(pid), false);
  assert.equal(p.processes!.status, "closed");
  const err = await get().catch((e) => e);
  assert.ok(err instanceof CallError);
  assert.equal(err.code, "CLOSED");
  assert.throws(
    () => p.use(Counter),
    (e: unknown) => e instanceof CallError && e.code === "CLOSED",
  );
  await p.close();
});

Deno.test("IsolatedPlugin.close() kills a child that does not finish within the grace period", async () => {
  const path = plugin("hang_call");
  const p = await isolated(path, { interfaces: [Hang], closeGraceMs: 200, ...quiet });
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
  assert.equal(await waitGone(pid), true);
});

Deno.test("openIsolatedPlugin() leaves no orphan when the host dies", async (t) => {
  const host = (mode: string) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        new URL("./_orphan_host.ts", import.meta.url).pathname,
        plugin("hang_call"),
        mode,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  const firstLine = async (child: Deno.ChildProcess) => {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    return { pids: JSON.parse(text.split("\n")[0]).pids as number[], reader };
  };
  await t.step("a host killed with SIGKILL takes its busy child with it", async () => {
    const child = host("hang");
    const { pids, reader } = await firstLine(child);
    assert.equal(pids.length, 1);
    assert.equal(isAlive(pids[0]), true);
    child.kill("SIGKILL");
    assert.equal((await child.status).signal, "SIGKILL");
    await reader.cancel();
    assert.equal(await waitGone(pids[0], 5000), true, `child ${pids[0]} outlived its host`);
  });
  await t.step("a host that never closes its plugin still exits, and its child too", async () => {
    const child = host("leave");
    const { pids, reader } = await firstLine(child);
    const status = await child.status;
    await reader.cancel();
    assert.equal(status.code, 0);
    assert.equal(await waitGone(pids[0], 5000), true, `child ${pids[0]} outlived its host`);
  });
});

Deno.test("openIsolatedPlugin() validates its options", async (t) => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["pool 0", { pool: 0 }, "Invalid option pool: expected a positive number, found 0"],
    ["pool 1.5", { pool: 1.5 }, "Invalid option pool: expected a positive number, found 1.5"],
    [
      "timeoutMs -1",
      { timeoutMs: -1 },
      "Invalid option timeoutMs: expected a positive number, found -1",
    ],
    [
      "restart.backoffMs NaN",
      { restart: { backoffMs: NaN } },
      "Invalid option restart.backoffMs: expected a positive number, found NaN",
    ],
  ];
  for (const [name, options, summary] of cases) {
    await t.step(name, async () => {
      const err = await isolated(plugin("greeter"), options).catch((e) => e);
      assert.ok(err instanceof PluginError);
      assert.equal(err.code, "USAGE");
      assert.equal(err.summary, summary);
    });
  }
});

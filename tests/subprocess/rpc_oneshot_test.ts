/**
 * openOneShot(): a program run once per call as `PROGRAM FUNCTION ARG...`:
 * values as text both ways, exit status as the error code with stderr's
 * last line, signals, hangs, floods, close.
 */
import assert from "node:assert/strict";
import { defineInterface } from "../../src/abi/define_interface.ts";
import { CallError, PluginError } from "../../src/errors/plugin_error.ts";
import { CrashError } from "../../src/errors/crash_error.ts";
import { openOneShot } from "../../src/isolate/_rpc_oneshot.ts";
import { readSidecar } from "../../src/isolate/read_sidecar.ts";
import { CalcOp, collectLog, FIXTURES, RPC, waitGone } from "./_helpers.ts";

const ONESHOT = `${FIXTURES}/oneshot.sh`;
const OneShot = defineInterface("oneshot", "1.0", {
  echo_f64: "f64 echo_f64(f64 x)",
  echo_i64: "i64 echo_i64(i64 x)",
  echo_bool: "bool echo_bool(bool x)",
  echo_cstring: "cstring echo_cstring(cstring s)",
  echo_u8: "u8 echo_u8(u8 x)",
  fail: "i32 fail(i32 code)",
  segv: "i32 segv()",
  hang: "i32 hang()",
  garbage: "f64 garbage()",
  big: "cstring big()",
  nothing: "void nothing()",
  env: "i32 env()",
});
const quiet = { log: () => {} };

async function rejects<E extends Error>(
  p: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const e = await p.then(() => undefined, (e) => e);
  assert.ok(e instanceof type, `expected ${type.name}, got ${e}`);
  return e;
}

Deno.test("openOneShot() runs calc_mod.sh once per call", async (t) => {
  const sidecar = readSidecar(`${RPC}/calc_mod.sh`);
  await using mod = openOneShot(sidecar.program, sidecar.metadata, { launcher: false, ...quiet });
  const { name, apply } = mod.use(CalcOp);
  await t.step("values", async () => {
    assert.equal(await name(), "%");
    const cases: [number, number, number][] = [
      [7, 2, 1],
      [-7.5, 2, -1.5],
      [5.5, -2, 1.5],
      [5, Infinity, 5],
      [NaN, 2, NaN],
      [Infinity, 2, NaN],
    ];
    for (const [a, b, r] of cases) assert.ok(Object.is(await apply(a, b), r), `${a} % ${b}`);
  });
  await t.step(
    "a failure: the exit status is the code, stderr's last line the message",
    async () => {
      const e = await rejects(apply(7, 0), CallError);
      assert.equal(e.code, "CALL_FAILED");
      assert.equal(e.pluginCode, 1);
      assert.equal(
        e.summary,
        `Call to "apply" in plugin "${sidecar.program}" failed: division by zero`,
      );
    },
  );
  await t.step("calls run side by side", async () => {
    const out = await Promise.all(Array.from({ length: 6 }, (_, i) => apply(i + 10, 4)));
    assert.deepEqual(out, [2, 3, 0, 1, 2, 3]);
  });
});

Deno.test("openOneShot() carries values as text", async (t) => {
  await using p = openOneShot(ONESHOT, readSidecar(ONESHOT).metadata, {
    launcher: false,
    ...quiet,
  });
  const f = p.use(OneShot);
  await t.step("numbers, booleans, strings", async () => {
    for (const x of [0.1, -0, 1e21, 5e-324, NaN, -Infinity]) {
      assert.ok(Object.is(await f.echo_f64(x), x), String(x));
    }
    assert.equal(await f.echo_i64(-(2n ** 63n)), -(2n ** 63n));
    assert.equal(await f.echo_bool(true), true);
    assert.equal(await f.echo_u8(255), 255);
    assert.equal(
      await f.echo_cstring("two words, ünïcode\nand a line"),
      "two words, ünïcode\nand a line",
    );
    assert.equal(await f.echo_cstring(""), "");
    assert.equal(await f.nothing(), undefined);
  });
  await t.step("the protocol's environment", async () => {
    assert.equal(await f.env(), 1);
  });
  await t.step("arguments are checked first", async () => {
    const e = await rejects(f.echo_u8(256), CallError);
    assert.equal(e.code, "INVALID_ARGUMENT");
  });
  await t.step("an exit status with stderr's last line", async () => {
    const e = await rejects(f.fail(42), CallError);
    assert.equal(e.pluginCode, 42);
    assert.equal(e.summary, `Call to "fail" in plugin "${ONESHOT}" failed: failed with 42`);
  });
  await t.step("output that is not the result type", async () => {
    const e = await rejects(f.garbage(), CrashError);
    assert.equal(
      e.summary,
      `Plugin "${ONESHOT}" crashed: expected a result of garbage(), found a standard output that is not a decimal number, NaN or (-)Infinity (f64): "abc"`,
    );
  });
  await t.step("too much output", async () => {
    const e = await rejects(f.big(), CrashError);
    assert.match(
      e.summary,
      /found a standard output longer than the limit of 1048576 bytes; the program \(pid \d+\) was killed$/,
    );
  });
  await t.step("a signal", async () => {
    const e = await rejects(f.segv(), CrashError);
    assert.equal(e.signal, "SIGSEGV");
  });
});

Deno.test("openOneShot() kills a hanging call and its group", async (t) => {
  for (const launcher of [true, false]) {
    await t.step(launcher ? "launcher" : "direct", async () => {
      const log = collectLog();
      await using p = openOneShot(ONESHOT, readSidecar(ONESHOT).metadata, {
        launcher,
        // Long enough for the program to start and say what it started, on a busy machine.
        timeoutMs: 2000,
        log: log.sink,
      });
      const start = performance.now();
      const e = await rejects(p.use(OneShot).hang(), CallError);
      const took = performance.now() - start;
      assert.equal(e.code, "PLUGIN_TIMEOUT");
      assert.match(
        e.summary,
        /failed: expected a result within 2000 ms, found none: the program \(pid \d+\) was killed$/,
      );
      assert.ok(took >= 1990, `the call was given its time: took ${took} ms`);
      const sleeper = Number(
        log.lines("stderr").find((l) => l.startsWith("oneshot: sleeping"))!
          .split(" ").pop(),
      );
      assert.ok(await waitGone([sleeper], 1000) !== undefined, "the grandchild is gone");
    });
  }
});

Deno.test("openOneShot() close() kills running calls", async () => {
  const log = collectLog();
  const p = openOneShot(ONESHOT, readSidecar(ONESHOT).metadata, { launcher: false, log: log.sink });
  const running = p.use(OneShot).hang();
  while (!log.lines("stderr").some((l) => l.startsWith("oneshot: sleeping"))) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await p.close();
  const e = await rejects(running, CallError);
  assert.equal(e.code, "CLOSED");
  const after = await rejects(p.use(OneShot).env(), CallError);
  assert.equal(after.code, "CLOSED");
});

Deno.test("openOneShot() refuses rpc metadata and buffers", () => {
  const rpc = readSidecar(`${RPC}/calc_mul.py`);
  assert.throws(() => openOneShot(rpc.program, rpc.metadata), (e) => {
    assert.ok(e instanceof PluginError);
    assert.equal(e.code, "USAGE");
    assert.equal(
      e.summary,
      `Cannot run plugin "${rpc.program}" once per call: its metadata declares mode "rpc"`,
    );
    return true;
  });
  const p = openOneShot(ONESHOT, readSidecar(ONESHOT).metadata);
  assert.throws(() => p.function("usize f(buffer b)"), (e) => {
    assert.ok(e instanceof PluginError);
    assert.equal(e.code, "USAGE");
    assert.equal(
      e.summary,
      `Cannot call "f" of one-shot plugin "${ONESHOT}": a buffer parameter cannot be copied back from a one-shot call`,
    );
    return true;
  });
});

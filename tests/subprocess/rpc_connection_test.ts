/**
 * openRpcConnection(): subprocess plugins speaking plugboard-rpc/1: the
 * reference plugins in three languages, every type through a real JSON
 * implementation, the handshake's checks, crashes, hangs, floods, protocol
 * violations, and the process group: no process outlives close() or the
 * host, with and without the launcher.
 */
import assert from "node:assert/strict";
import { CallError, LoadError, PluginError } from "../../src/errors/plugin_error.ts";
import { defineInterface } from "../../src/abi/define_interface.ts";
import { CrashError } from "../../src/errors/crash_error.ts";
import { openRpcConnection } from "../../src/isolate/_rpc_connection.ts";
import { bindFunction } from "../../src/isolate/_rpc_target.ts";
import { parseRpcMetadata } from "../../src/isolate/_rpc_protocol.ts";
import { readSidecar } from "../../src/isolate/read_sidecar.ts";
import {
  buildGoPlugin,
  CalcOp,
  collectLog,
  Faulty,
  FIXTURES,
  isAlive,
  killAll,
  RPC,
  TextProcessor,
  waitGone,
} from "./_helpers.ts";

const FAULTY = `${FIXTURES}/faulty.sh`;
const quiet = { log: () => {} };
const LAUNCH = [true, false] as const;
const mode = (launcher: boolean) => launcher ? "launcher" : "direct";

async function rejects<E extends Error>(
  p: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const e = await p.then(() => undefined, (e) => e);
  assert.ok(e instanceof type, `expected ${type.name}, got ${e}`);
  return e;
}

Deno.test("openRpcConnection() calls the reference calc plugins in bash, Python and Go", async (t) => {
  const go = await buildGoPlugin();
  const plugins: [string, string, string][] = [
    [`${RPC}/calc_sub.sh`, "calc-sub-bash", "-"],
    [`${RPC}/calc_mul.py`, "calc-mul-python", "*"],
    [go, "calc-div-go", "/"],
  ];
  const ops: Record<string, (a: number, b: number) => number> = {
    "-": (a, b) => a - b,
    "*": (a, b) => a * b,
    "/": (a, b) => a / b,
  };
  const inputs: [number, number][] = [
    [6, 3],
    [0.1, 0.3],
    [-0, 0.5],
    [1e308, 1e-308],
    [5e-324, 3],
    [NaN, 1],
    [Infinity, 2],
    [-Infinity, Infinity],
    [2 ** 53 + 1, 7],
    [-123.456, -0.001],
  ];
  for (const [path, name, symbol] of plugins) {
    await t.step(`${name} (${symbol})`, async () => {
      const sidecar = readSidecar(path);
      await using conn = await openRpcConnection(path, { expected: sidecar.metadata, ...quiet });
      assert.equal(conn.metadata.name, name);
      const { name: opName, apply } = conn.use(CalcOp);
      assert.equal(await opName(), symbol);
      for (const [a, b] of inputs) {
        assert.ok(
          Object.is(await apply(a, b), ops[symbol](a, b)),
          `${a} ${symbol} ${b}: expected ${ops[symbol](a, b)}`,
        );
      }
      // Many calls in flight, answered by id.
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => apply(i, 2)));
      assert.deepEqual(many, Array.from({ length: 20 }, (_, i) => ops[symbol](i, 2)));
    });
  }
  await t.step("a fallible call fails with the plugin's code: Go divides by zero", async () => {
    await using conn = await openRpcConnection(go, quiet);
    const { apply } = conn.use(CalcOp);
    const e = await rejects(apply(1, 0), CallError);
    assert.equal(e.code, "CALL_FAILED");
    assert.equal(e.pluginCode, 1);
    assert.equal(e.summary, `Call to "apply" in plugin "${go}" failed: division by zero`);
    assert.equal(await apply(1, 4), 0.25, "the plugin keeps serving");
  });
});

Deno.test("openRpcConnection() reports the reference plugins' protocol errors with their codes", async (t) => {
  const go = await buildGoPlugin();
  for (const path of [`${RPC}/calc_sub.sh`, `${RPC}/calc_mul.py`, go]) {
    await t.step(path.split("/").pop()!, async () => {
      await using conn = await openRpcConnection(path, quiet);
      // The host would never send these: declare the functions differently.
      const meta = parseRpcMetadata(
        {
          "plugboard-rpc": 1,
          name: "x",
          version: "1.0.0",
          abi: "1.0",
          interfaces: [{
            id: "calc.op",
            version: "1.0",
            functions: ["f64 nope()", "fallible f64 apply(f64 a)"],
          }],
        },
        path,
        "sidecar",
      );
      const target = { path, metadata: meta, call: conn.call.bind(conn) };
      const nope = bindFunction(target, "f64 nope()");
      const e1 = await rejects(conn.call(nope, []), CallError);
      assert.equal(e1.code, "CALL_FAILED");
      assert.equal(e1.pluginCode, -32601);
      assert.match(e1.hint!, /did not understand the request \(code -32601\)/);
      const apply1 = bindFunction(target, "fallible f64 apply(f64 a)");
      const e2 = await rejects(conn.call(apply1, [1]), CallError);
      assert.equal(e2.pluginCode, -32602);
    });
  }
});

Deno.test("openRpcConnection() runs the text.processor port of text_shout.sh", async (t) => {
  const path = `${RPC}/text_shout.sh`;
  await using conn = await openRpcConnection(path, {
    expected: readSidecar(path).metadata,
    ...quiet,
  });
  const { name, process } = conn.use(TextProcessor);
  assert.equal(await name(), "shout");
  const shout = async (text: string, cap?: number) => {
    const input = new TextEncoder().encode(text);
    const output = new Uint8Array(cap ?? input.length + 8).fill(0x2e);
    const n = await process(input, BigInt(input.length), output, BigInt(output.length));
    return { text: new TextDecoder().decode(output.subarray(0, Number(n))), output };
  };
  const cases: [string, string][] = [
    ["hello\nworld", "HELLO\nWORLD!"],
    ["", "!"],
    ["ünï\n\n", "üNï\n\n!"],
    ["tab\tand \\ backslash", "TAB\tAND \\ BACKSLASH!"],
    ["crlf\r\nend\r\n", "CRLF\r\nEND\r\n!"],
    ["nul\0byte", "NUL\0BYTE!"],
  ];
  for (const [input, output] of cases) {
    await t.step(JSON.stringify(input), async () => {
      assert.equal((await shout(input)).text, output);
    });
  }
  await t.step("bytes after the output are left as they were", async () => {
    const { output } = await shout("ab", 6);
    assert.deepEqual([...output], [65, 66, 33, 0x2e, 0x2e, 0x2e]);
  });
  await t.step("a small output buffer fails with code 1, the buffer untouched", async () => {
    const input = new TextEncoder().encode("abc");
    const output = new Uint8Array(3).fill(7);
    const e = await rejects(process(input, 3n, output, 3n), CallError);
    assert.equal(e.pluginCode, 1);
    assert.equal(
      e.summary,
      `Call to "process" in plugin "${path}" failed: output buffer too small: need 4 bytes`,
    );
    assert.deepEqual([...output], [7, 7, 7]);
  });
});

Deno.test("openRpcConnection() carries every type both ways (Python's json)", async (t) => {
  const Types = defineInterface("types", "1.0", {
    id_bool: "bool id_bool(bool x)",
    id_i8: "i8 id_i8(i8 x)",
    id_u8: "u8 id_u8(u8 x)",
    id_i16: "i16 id_i16(i16 x)",
    id_u16: "u16 id_u16(u16 x)",
    id_i32: "i32 id_i32(i32 x)",
    id_u32: "u32 id_u32(u32 x)",
    id_i64: "i64 id_i64(i64 x)",
    id_u64: "u64 id_u64(u64 x)",
    id_isize: "isize id_isize(isize x)",
    id_usize: "usize id_usize(usize x)",
    id_f32: "f32 id_f32(f32 x)",
    id_f64: "f64 id_f64(f64 x)",
    id_cstring: "cstring id_cstring(cstring x)",
    maybe: "cstring maybe(bool some)",
    fill: "usize fill(buffer b, u8 v)",
    swap: "usize swap(buffer a, buffer b)",
    nothing: "void nothing()",
    wrong_u8: "u8 wrong_u8()",
    short_buffer: "usize short_buffer(buffer b)",
  });
  await using conn = await openRpcConnection(`${FIXTURES}/types.py`, quiet);
  const f = conn.use(Types);
  const same = async (fn: (x: never) => Promise<unknown>, values: unknown[], want?: unknown[]) => {
    for (const [i, v] of values.entries()) {
      const got = await fn(v as never);
      const expected = want ? want[i] : typeof v === "number" && f !== undefined ? v : v;
      assert.ok(Object.is(got, expected) || got === expected, `${String(v)}: got ${String(got)}`);
    }
  };
  await t.step("bool, 8 to 32-bit integers at their edges", async () => {
    await same(f.id_bool, [true, false]);
    await same(f.id_i8, [-128, 0, 127]);
    await same(f.id_u8, [0, 255]);
    await same(f.id_i16, [-32768, 32767]);
    await same(f.id_u16, [0, 65535]);
    await same(f.id_i32, [-(2 ** 31), -1, 2 ** 31 - 1]);
    await same(f.id_u32, [0, 2 ** 32 - 1]);
  });
  await t.step("64-bit integers as decimal strings, results as bigint", async () => {
    await same(f.id_i64, [-(2n ** 63n), 2n ** 63n - 1n, -5, 0], [
      -(2n ** 63n),
      2n ** 63n - 1n,
      -5n,
      0n,
    ]);
    await same(f.id_u64, [2n ** 64n - 1n, 0n, 2 ** 53 - 1], [2n ** 64n - 1n, 0n, 2n ** 53n - 1n]);
    await same(f.id_isize, [-(2n ** 63n)], [-(2n ** 63n)]);
    await same(f.id_usize, [2n ** 64n - 1n], [2n ** 64n - 1n]);
  });
  await t.step("floats: non-finite values, -0, denormals, f32 rounding", async () => {
    await same(f.id_f64, [NaN, Infinity, -Infinity, -0, 0, 5e-324, 1.7976931348623157e308, 0.1]);
    await same(f.id_f32, [0.1, NaN, -0, 1e39, 3.4028234663852886e38], [
      Math.fround(0.1),
      NaN,
      -0,
      Infinity,
      3.4028234663852886e38,
    ]);
  });
  await t.step("strings: UTF-8, escapes, a lone surrogate becomes U+FFFD, null", async () => {
    await same(f.id_cstring, ["", "héllo wörld ✓ 𝄞", 'quote " backslash \\ \n\t\r', "\u2028"]);
    assert.equal(await f.id_cstring("a\ud800b"), "a\ufffdb");
    assert.equal(await f.maybe(true), "some");
    assert.equal(await f.maybe(false), null);
  });
  await t.step("buffers are copied back into the caller's Uint8Array", async () => {
    const b = new Uint8Array(1000);
    assert.equal(await f.fill(b, 7), 1000n);
    assert.ok(b.every((x) => x === 7));
    const x = new Uint8Array([1, 2, 3]);
    const y = new Uint8Array([4, 5, 6]);
    await f.swap(x, y);
    assert.deepEqual([[...x], [...y]], [[4, 5, 6], [1, 2, 3]]);
    const empty = new Uint8Array(0);
    assert.equal(await f.fill(empty, 1), 0n);
  });
  await t.step("void", async () => {
    assert.equal(await f.nothing(), undefined);
  });
  await t.step("arguments are checked before anything is sent", async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [
        () => f.id_u8(256),
        "argument 1 does not fit u8: expected an integer from 0 to 255, found number 256",
      ],
      [
        () => f.id_i64(2n ** 63n),
        "argument 1 does not fit i64: expected a safe integer or a bigint in the 64-bit signed range, found bigint 9223372036854775808n",
      ],
      [
        () => f.id_cstring("a\0b"),
        'argument 1 does not fit cstring: expected a string without NUL characters, found string "a\\u0000b"',
      ],
      [
        () => (f.id_i32 as (...a: unknown[]) => Promise<number>)(1, 2),
        "expected 1 argument(s), found 2",
      ],
    ];
    for (const [call, detail] of cases) {
      const e = await rejects(call(), CallError);
      assert.equal(e.code, "INVALID_ARGUMENT");
      assert.ok(e.summary.endsWith(detail), `${e.summary}\n  does not end with\n${detail}`);
    }
    assert.equal(await f.id_i32(5), 5, "the plugin is still fine");
  });
  await t.step("a result out of range is a protocol violation", async () => {
    const e = await rejects(f.wrong_u8(), CrashError);
    assert.equal(
      e.summary,
      `Plugin "${FIXTURES}/types.py" crashed: expected a reply to wrong_u8(), found a result that is not an integer in the u8 range 0 to 255: "256"; the program (pid ${conn.pid}) was killed`,
    );
    const after = await rejects(f.id_i32(1), CallError);
    assert.equal(after.code, "CLOSED");
  });
});

Deno.test("openRpcConnection() refuses a buffer of the wrong length without touching the caller's", async () => {
  const ShortBuf = defineInterface("types", "1.0", {
    short_buffer: "usize short_buffer(buffer b)",
  });
  await using conn = await openRpcConnection(`${FIXTURES}/types.py`, quiet);
  const b = new Uint8Array([1, 2, 3]);
  const e = await rejects(conn.use(ShortBuf).short_buffer(b), CrashError);
  assert.match(e.summary, /found buffer 1 \(argument 1\) of 2 bytes; it was sent with 3;/);
  assert.deepEqual([...b], [1, 2, 3]);
});

Deno.test("openRpcConnection() checks the handshake", async (t) => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    [
      "no handshake in time",
      { env: { FAULTY_START: "silent" }, startTimeoutMs: 300 },
      "HANDSHAKE_FAILED",
      `Cannot load plugin "${FAULTY}": the program did not complete the plugboard-rpc handshake: expected a first line {"plugboard-rpc": 1, "name": ..., "interfaces": [...]} on stdout, found nothing within 300 ms`,
    ],
    [
      "garbage",
      { env: { FAULTY_START: "garbage" } },
      "HANDSHAKE_FAILED",
      `Cannot load plugin "${FAULTY}": the program did not complete the plugboard-rpc handshake: expected a first line {"plugboard-rpc": 1, "name": ..., "interfaces": [...]} on stdout, found a first line that is not JSON: "hello there"`,
    ],
    [
      "another protocol version",
      { env: { FAULTY_START: "v2" } },
      "HANDSHAKE_FAILED",
      `Cannot load plugin "${FAULTY}": the program's handshake is invalid: expected plugboard-rpc version 1, found plugboard-rpc version 2`,
    ],
    [
      "another ABI",
      { env: { FAULTY_START: "abi2" } },
      "ABI_MISMATCH",
      `Cannot load plugin "${FAULTY}": ABI major version mismatch: expected ABI 1.x, found ABI 2.0`,
    ],
    [
      "a field missing",
      { env: { FAULTY_START: "noname" } },
      "HANDSHAKE_FAILED",
      `Cannot load plugin "${FAULTY}": the program's handshake is invalid: expected a "name" of 1 to 128 characters from [a-z0-9._-], found none`,
    ],
    [
      "an exit before the handshake",
      { env: { FAULTY_START: "exit" } },
      "HANDSHAKE_FAILED",
      `Cannot load plugin "${FAULTY}": the program did not complete the plugboard-rpc handshake: expected a first line {"plugboard-rpc": 1, "name": ..., "interfaces": [...]} on stdout, found the program (pid PID) exited with code 3 before answering; its stderr ended with "faulty: cannot start / faulty: giving up"`,
    ],
    [
      "a first line over the cap",
      { env: { FAULTY_START: "long" } },
      "HANDSHAKE_FAILED",
      `Cannot load plugin "${FAULTY}": the program did not complete the plugboard-rpc handshake: expected a first line {"plugboard-rpc": 1, "name": ..., "interfaces": [...]} on stdout, found a line longer than the limit of 1048576 bytes`,
    ],
  ];
  for (const launcher of LAUNCH) {
    for (const [name, options, code, summary] of cases) {
      await t.step(`${name} (${mode(launcher)})`, async () => {
        const start = performance.now();
        const e = await rejects(
          openRpcConnection(FAULTY, { ...options, launcher, ...quiet }),
          LoadError,
        );
        assert.equal(e.code, code);
        assert.equal(e.summary.replace(/\(pid \d+\)/, "(pid PID)"), summary);
        assert.ok(e.hint);
        assert.ok(performance.now() - start < 3000, "refused quickly");
      });
    }
  }
  await t.step("a handshake that differs from the sidecar", async () => {
    const sidecar = readSidecar(`${RPC}/calc_sub.sh`);
    const cases: [Record<string, unknown>, string][] = [
      [
        { name: "calc-minus" },
        'the handshake differs from "SIDECAR" in the name: expected "calc-minus", found "calc-sub-bash"',
      ],
      [
        { version: "0.2.0" },
        'the handshake differs from "SIDECAR" in the version: expected "0.2.0", found "0.1.0"',
      ],
      [
        {
          interfaces: [{
            id: "calc.op",
            version: "1.1",
            functions: ["cstring name()", "fallible f64 apply(f64 a, f64 b)"],
          }],
        },
        'the handshake differs from "SIDECAR" in the interfaces: expected calc.op/1.1, found calc.op/1.0',
      ],
      [
        {
          interfaces: [{
            id: "calc.op",
            version: "1.0",
            functions: ["cstring name()", "f64 apply(f64 a, f64 b)"],
          }],
        },
        'the handshake differs from "SIDECAR" in the functions of "calc.op": expected cstring name(); f64 apply(f64, f64), found cstring name(); fallible f64 apply(f64, f64)',
      ],
    ];
    for (const [change, what] of cases) {
      const raw = JSON.parse(Deno.readTextFileSync(sidecar.path));
      const expected = parseRpcMetadata({ ...raw, ...change }, sidecar.program, "sidecar");
      const e = await rejects(
        openRpcConnection(sidecar.program, { expected, sidecarPath: "SIDECAR", ...quiet }),
        LoadError,
      );
      assert.equal(e.code, "METADATA_MISMATCH");
      assert.equal(e.summary, `Cannot load plugin "${sidecar.program}": ${what}`);
    }
  });
  await t.step("a one-shot sidecar is refused", async () => {
    const sidecar = readSidecar(`${RPC}/calc_mod.sh`);
    const e = await rejects(
      openRpcConnection(sidecar.program, { expected: sidecar.metadata, ...quiet }),
      PluginError,
    );
    assert.equal(e.code, "USAGE");
  });
  await t.step("a missing or non-executable program", async () => {
    const e1 = await rejects(openRpcConnection(`${FIXTURES}/nope`, quiet), LoadError);
    assert.equal(e1.code, "NOT_FOUND");
    const e2 = await rejects(
      openRpcConnection(`${FIXTURES}/oneshot.sh.plugboard.json`, quiet),
      LoadError,
    );
    assert.equal(e2.code, "PERMISSION_DENIED");
  });
});

Deno.test("openRpcConnection() survives a crash mid-call", async (t) => {
  for (const launcher of LAUNCH) {
    await t.step(`exit code and stderr tail (${mode(launcher)})`, async () => {
      const log = collectLog();
      const conn = await openRpcConnection(FAULTY, { launcher, log: log.sink });
      const { crash, echo } = conn.use(Faulty);
      const crashing = crash(3);
      const queued = echo(1); // sent after crash(3): never answered
      const e = await rejects(crashing, CrashError);
      assert.equal(e.code, "PLUGIN_CRASHED");
      assert.equal(e.exitCode, 3);
      assert.equal(e.signal, null);
      assert.deepEqual(e.stderrTail, ["faulty: about to crash", "faulty: exiting with 3"]);
      assert.equal(
        e.message,
        [
          `Plugin "${FAULTY}" crashed: expected a reply to crash(), found the program (pid ${conn.pid}) exited with code 3`,
          "  stderr: faulty: about to crash",
          "  stderr: faulty: exiting with 3",
          "hint: the host kept running; fix the plugin (its stderr above may say why) and open it again",
        ].join("\n"),
      );
      // The call behind it never ran: it rejects too.
      const behind = await rejects(queued, CrashError);
      assert.equal(
        behind.summary,
        `Plugin "${FAULTY}" crashed: expected a reply to echo(), found the program (pid ${conn.pid}) exited with code 3`,
      );
      const later = await rejects(echo(2), CallError);
      assert.equal(later.code, "CLOSED");
      assert.equal(
        later.summary,
        `Call to "echo" in plugin "${FAULTY}" failed: the program (pid ${conn.pid}) is gone: it crashed`,
      );
      const end = await conn.ended;
      assert.equal(end.reason, "crash");
      assert.equal(log.records.filter((r) => r.event === "crash").length, 1);
    });
    await t.step(`a signal (${mode(launcher)})`, async () => {
      await using conn = await openRpcConnection(FAULTY, { launcher, ...quiet });
      const e = await rejects(conn.use(Faulty).segv(), CrashError);
      assert.equal(e.signal, "SIGSEGV");
      assert.equal(e.signalNumber, 11);
      assert.equal(
        e.summary,
        `Plugin "${FAULTY}" crashed: expected a reply to segv(), found the program (pid ${conn.pid}) killed by SIGSEGV (signal 11)`,
      );
    });
  }
});

Deno.test("openRpcConnection() kills a plugin that breaks the protocol", async (t) => {
  const cases: [keyof typeof Faulty.declarations, string][] = [
    ["garbage", 'a line that is not JSON: "not json"'],
    ["wrong_id", "a reply to request 999999, which is not pending"],
    [
      "bad_value",
      'a result that is not an integer in the i32 range -2147483648 to 2147483647: "\\"abc\\""',
    ],
  ];
  for (const [fn, found] of cases) {
    await t.step(fn, async () => {
      const log = collectLog();
      const conn = await openRpcConnection(FAULTY, { log: log.sink });
      const call = conn.use(Faulty)[fn] as () => Promise<number>;
      const e = await rejects(call(), CrashError);
      assert.equal(
        e.summary,
        `Plugin "${FAULTY}" crashed: expected a reply to ${fn}(), found ${found}; the program (pid ${conn.pid}) was killed`,
      );
      assert.equal((await conn.ended).reason, "protocol");
    });
  }
  await t.step("a plugin error code other than an int32 is a violation", async () => {
    await using conn = await openRpcConnection(FAULTY, quiet);
    const e = await rejects(conn.use(Faulty).fail(0), CrashError);
    assert.match(e.summary, /whose "error" is not \{"code": non-zero int32, "message": string\}/);
  });
  await t.step("replies in any order are matched by id", async () => {
    await using conn = await openRpcConnection(FAULTY, quiet);
    const { defer, echo } = conn.use(Faulty);
    const order: number[] = [];
    const results = await Promise.all([
      defer(1).then((v) => (order.push(v), v)),
      echo(2).then((v) => (order.push(v), v)),
    ]);
    assert.deepEqual(results, [1, 2]);
    assert.deepEqual(order, [2, 1], "the reply to echo(2) came first");
  });
  await t.step("a plugin error with its code", async () => {
    await using conn = await openRpcConnection(FAULTY, quiet);
    const e = await rejects(conn.use(Faulty).fail(42), CallError);
    assert.equal(e.code, "CALL_FAILED");
    assert.equal(e.pluginCode, 42);
    assert.equal(e.summary, `Call to "fail" in plugin "${FAULTY}" failed: failed on purpose`);
  });
});

Deno.test("openRpcConnection() times out on time and kills the whole group", async (t) => {
  for (const launcher of LAUNCH) {
    await t.step(`a hang (${mode(launcher)})`, async () => {
      const log = collectLog();
      const conn = await openRpcConnection(FAULTY, { launcher, timeoutMs: 300, log: log.sink });
      const { hang, pid } = conn.use(Faulty);
      const plugin = await pid();
      const start = performance.now();
      const e = await rejects(hang(), CallError);
      const took = performance.now() - start;
      assert.equal(e.code, "PLUGIN_TIMEOUT");
      assert.equal(
        e.summary,
        `Call to "hang" in plugin "${FAULTY}" failed: expected a reply within 300 ms, found none: the program (pid ${conn.pid}) was killed`,
      );
      assert.ok(took >= 290 && took < 1300, `timed out after ${took} ms`);
      const end = await conn.ended;
      assert.equal(end.reason, "timeout");
      const sleeper = Number(
        log.lines("stderr").find((l) => l.startsWith("faulty: sleeping"))!
          .split(" ").pop(),
      );
      assert.ok(
        await waitGone([conn.pid, plugin, sleeper], 3000) !== undefined,
        "the group is gone",
      );
    });
  }
  await t.step("while the plugin floods stdout with empty lines", async () => {
    const conn = await openRpcConnection(FAULTY, { timeoutMs: 300, ...quiet });
    const start = performance.now();
    const e = await rejects(conn.use(Faulty).blank_flood(), CallError);
    const took = performance.now() - start;
    assert.equal(e.code, "PLUGIN_TIMEOUT");
    assert.ok(took >= 290 && took < 1300, `timed out after ${took} ms`);
    await conn.ended;
  });
  await t.step("while the plugin floods stderr", async () => {
    const conn = await openRpcConnection(FAULTY, { timeoutMs: 300, ...quiet });
    const start = performance.now();
    const e = await rejects(conn.use(Faulty).stderr_flood(), CallError);
    const took = performance.now() - start;
    assert.equal(e.code, "PLUGIN_TIMEOUT");
    assert.ok(took >= 290 && took < 1300, `timed out after ${took} ms`);
    await conn.ended;
  });
  await t.step("while the plugin floods stdout without a newline, under a large cap", async () => {
    const conn = await openRpcConnection(FAULTY, {
      timeoutMs: 300,
      maxLineBytes: 512 * 2 ** 20,
      ...quiet,
    });
    const start = performance.now();
    const e = await rejects(conn.use(Faulty).flood(), CallError);
    const took = performance.now() - start;
    assert.equal(e.code, "PLUGIN_TIMEOUT");
    assert.ok(took >= 290 && took < 1300, `timed out after ${took} ms`);
    await conn.ended;
  });
  await t.step("calls pending behind the late one reject with it", async () => {
    const conn = await openRpcConnection(FAULTY, { timeoutMs: 300, ...quiet });
    const { hang, echo } = conn.use(Faulty);
    const [a, b] = await Promise.all([
      hang().catch((e) => e),
      echo(1).catch((e) => e),
    ]);
    assert.equal(a.code, "PLUGIN_TIMEOUT");
    assert.equal(b.code, "PLUGIN_TIMEOUT");
    assert.equal(
      b.summary,
      `Call to "echo" in plugin "${FAULTY}" failed: expected a reply, found none: the program (pid ${conn.pid}) was killed because the call hang() timed out after 300 ms`,
    );
    await conn.ended;
  });
  await t.step("a per-call deadline shorter than the connection's", async () => {
    const conn = await openRpcConnection(FAULTY, { timeoutMs: 60_000, ...quiet });
    const start = performance.now();
    const e = await rejects(conn.call(conn.function("i32 hang()"), [], 200), CallError);
    assert.equal(e.code, "PLUGIN_TIMEOUT");
    assert.ok(performance.now() - start < 1200);
    await conn.ended;
  });
});

Deno.test("openRpcConnection() refuses a flood without newlines quickly, in bounded memory", async () => {
  const before = Deno.memoryUsage().rss;
  const conn = await openRpcConnection(FAULTY, quiet);
  const start = performance.now();
  const e = await rejects(conn.use(Faulty).flood(), CrashError);
  const took = performance.now() - start;
  assert.equal(
    e.summary,
    `Plugin "${FAULTY}" crashed: expected a reply to flood(), found a line longer than the limit of 1048576 bytes; the program (pid ${conn.pid}) was killed`,
  );
  assert.ok(took < 3000, `refused after ${took} ms`);
  const grown = (Deno.memoryUsage().rss - before) / 2 ** 20;
  assert.ok(grown < 64, `the host grew by ${grown.toFixed(1)} MiB`);
  await conn.ended;
});

Deno.test("openRpcConnection() closes: no grandchild keeps the pipes or outlives it", async (t) => {
  for (const launcher of LAUNCH) {
    await t.step(`a grandchild holding the pipes (${mode(launcher)})`, async () => {
      const conn = await openRpcConnection(FAULTY, { launcher, closeGraceMs: 1000, ...quiet });
      const { spawn_child, pid } = conn.use(Faulty);
      const pids = [conn.pid, await pid(), await spawn_child()];
      try {
        assert.ok(pids.every(isAlive));
        const start = performance.now();
        const end = await conn.close();
        const took = performance.now() - start;
        assert.equal(end.reason, "closed");
        assert.equal(end.exit.exitCode, 0);
        assert.ok(took < 1000 + 1000, `close() took ${took} ms`);
        assert.ok(await waitGone(pids, 1000) !== undefined, "every process is gone");
      } finally {
        killAll(pids);
      }
    });
    await t.step(`a plugin that ignores the end of its input (${mode(launcher)})`, async () => {
      const conn = await openRpcConnection(FAULTY, {
        launcher,
        closeGraceMs: 300,
        env: { FAULTY_IGNORE_EOF: "1" },
        ...quiet,
      });
      const { spawn_child, pid } = conn.use(Faulty);
      const pids = [conn.pid, await pid(), await spawn_child()];
      try {
        const start = performance.now();
        const end = await conn.close();
        const took = performance.now() - start;
        assert.equal(end.reason, "closed");
        assert.equal(end.killed, true);
        assert.ok(took >= 290 && took < 300 + 1500, `close() took ${took} ms`);
        assert.ok(await waitGone(pids, 1000) !== undefined, "every process is gone");
      } finally {
        killAll(pids);
      }
    });
  }
  await t.step("with the launcher, a daemon that left the group dies too", async () => {
    const conn = await openRpcConnection(FAULTY, quiet);
    const daemon = await conn.use(Faulty).spawn_daemon();
    try {
      await conn.close();
      assert.ok(await waitGone([daemon], 1000) !== undefined, `daemon ${daemon} outlived close()`);
    } finally {
      killAll([daemon]);
    }
  });
  await t.step("calls after close() reject with CLOSED", async () => {
    const conn = await openRpcConnection(FAULTY, quiet);
    const { echo } = conn.use(Faulty);
    const pending = echo(7);
    await conn.close();
    assert.equal(await pending, 7, "a call made before close() is answered");
    const e = await rejects(echo(1), CallError);
    assert.equal(e.code, "CLOSED");
    assert.equal(e.summary, `Call to "echo" in plugin "${FAULTY}" failed: the plugin is closed`);
    assert.equal(await conn.close(), await conn.ended, "closing twice is harmless");
  });
});

Deno.test("openRpcConnection() applies a sandbox through the launcher's seam", async (t) => {
  const module = new URL("./fixtures/test_sandbox.ts", import.meta.url);
  await t.step("applied before the plugin starts, inherited by it", async () => {
    const log = collectLog();
    await using conn = await openRpcConnection(FAULTY, {
      sandbox: { module, policy: { note: "x" } },
      log: log.sink,
    });
    assert.deepEqual(log.lines("stderr"), ['test sandbox applied: {"note":"x"}']);
    const plugin = await conn.use(Faulty).pid();
    const status = Deno.readTextFileSync(`/proc/${plugin}/status`);
    assert.match(status, /^NoNewPrivs:\s+1$/m);
  });
  await t.step("a sandbox that cannot be applied: the plugin never starts", async () => {
    const e = await rejects(
      openRpcConnection(FAULTY, { sandbox: { module, policy: { fail: "no landlock" } }, ...quiet }),
      LoadError,
    );
    assert.equal(e.code, "HANDSHAKE_FAILED");
    assert.match(
      e.summary,
      /found the program \(pid \d+\) exited with code 75 before answering; its stderr ended with "plugboard launcher: cannot apply the sandbox: no landlock"$/,
    );
  });
  await t.step("no sandbox without the launcher", async () => {
    const e = await rejects(
      openRpcConnection(FAULTY, { sandbox: { module, policy: {} }, launcher: false, ...quiet }),
      PluginError,
    );
    assert.equal(e.code, "USAGE");
    assert.equal(e.summary, `Cannot sandbox plugin "${FAULTY}" without the launcher`);
  });
});

async function hostScript(mode: string): Promise<{ child: Deno.ChildProcess; pids: number[] }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", new URL("./_host.ts", import.meta.url).pathname, FAULTY, mode],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  void child.stdout.cancel().catch(() => {});
  return { child, pids: JSON.parse(text.split("\n")[0]).pids };
}

Deno.test("openRpcConnection() leaves no orphan when the host dies", async (t) => {
  await t.step(
    "a host killed with SIGKILL takes the plugin and its descendants with it",
    async () => {
      const { child, pids } = await hostScript("hang");
      try {
        assert.equal(pids.length, 4);
        assert.ok(pids.every(isAlive), "launcher, plugin, grandchild and daemon run");
        child.kill("SIGKILL");
        assert.equal((await child.status).signal, "SIGKILL");
        const took = await waitGone(pids, 1000);
        assert.ok(took !== undefined, `still alive a second later: ${pids.filter(isAlive)}`);
      } finally {
        killAll(pids);
      }
    },
  );
  await t.step("a host that never closes its plugin still exits, and the plugin too", async () => {
    const { child, pids } = await hostScript("leave");
    try {
      const status = await child.status;
      assert.equal(status.code, 0);
      assert.ok(await waitGone(pids, 2000) !== undefined, `left behind: ${pids.filter(isAlive)}`);
    } finally {
      killAll(pids);
    }
  });
});

Deno.test("openRpcConnection() logs stderr lines and the lifecycle", async () => {
  const log = collectLog();
  const conn = await openRpcConnection(FAULTY, { log: log.sink });
  await conn.use(Faulty).crash(5).catch(() => {});
  await conn.ended;
  assert.deepEqual(log.lines("stderr"), ["faulty: about to crash", "faulty: exiting with 5"]);
  const stderr = log.records.find((r) => r.event === "stderr")!;
  assert.equal(stderr.plugin, "faulty");
  assert.equal(stderr.pid, conn.pid);
  const crash = log.records.find((r) => r.event === "crash")!;
  assert.equal(crash.level, "error");
  assert.equal(crash.exitCode, 5);
});

/**
 * The plugboard-rpc/1 codec: every type both ways (JSON and one-shot text),
 * edge values and their refusals, request lines, reply envelopes, buffers,
 * and the metadata checks with their exact errors.
 */
import assert from "node:assert/strict";
import { checkInterface } from "../../src/abi/define_interface.ts";
import { parseSignature, type TypeName } from "../../src/abi/signature.ts";
import { CallError, LoadError, PluginError } from "../../src/errors/plugin_error.ts";
import {
  bindRpcFunction,
  compareRpcMetadata,
  decodeBuffers,
  decodeResult,
  decodeTextResult,
  encodeRequest,
  metadataToJson,
  parseReply,
  parseRpcMetadata,
  ProtocolViolation,
  type RpcMetadata,
  toPluginMetadata,
  valueToJson,
  valueToText,
} from "../../src/isolate/_rpc_protocol.ts";
import { CalcOp } from "./_helpers.ts";

const P = "plugins/rpc/x";

function violation(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ProtocolViolation, `expected a ProtocolViolation, got ${e}`);
    return e.found;
  }
  assert.fail("expected a ProtocolViolation, nothing was thrown");
}

function thrown<E extends Error>(fn: () => unknown, type: abstract new (...a: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof type, `expected ${type.name}, got ${e}`);
    return e;
  }
  assert.fail(`expected ${type.name}, nothing was thrown`);
}

const meta = (over: Record<string, unknown> = {}, source: "handshake" | "sidecar" = "sidecar") =>
  parseRpcMetadata(
    {
      "plugboard-rpc": 1,
      name: "x",
      version: "1.0.0",
      abi: "1.0",
      interfaces: [{
        id: "calc.op",
        version: "1.0",
        functions: ["cstring name()", "fallible f64 apply(f64 a, f64 b)"],
      }],
      ...over,
    },
    P,
    source,
  );

Deno.test("valueToJson() writes every type, and JSON.parse + decodeResult() read it back", async (t) => {
  const cases: [TypeName, unknown, string, unknown][] = [
    ["bool", true, "true", true],
    ["bool", false, "false", false],
    ["i8", -128, "-128", -128],
    ["u8", 255, "255", 255],
    ["i16", -32768, "-32768", -32768],
    ["u16", 65535, "65535", 65535],
    ["i32", -2147483648, "-2147483648", -2147483648],
    ["u32", 4294967295, "4294967295", 4294967295],
    ["i64", -(2n ** 63n), '"-9223372036854775808"', -(2n ** 63n)],
    ["i64", 2 ** 53 - 1, '"9007199254740991"', 2n ** 53n - 1n],
    ["u64", 2n ** 64n - 1n, '"18446744073709551615"', 2n ** 64n - 1n],
    ["isize", -1, '"-1"', -1n],
    ["usize", 0n, '"0"', 0n],
    ["f64", 0.1, "0.1", 0.1],
    ["f64", -0, "-0.0", -0],
    ["f64", 5e-324, "5e-324", 5e-324],
    ["f64", 1.7976931348623157e308, "1.7976931348623157e+308", 1.7976931348623157e308],
    ["f64", NaN, '"NaN"', NaN],
    ["f64", Infinity, '"Infinity"', Infinity],
    ["f64", -Infinity, '"-Infinity"', -Infinity],
    ["f32", 0.1, "0.10000000149011612", Math.fround(0.1)],
    ["f32", 1e39, '"Infinity"', Infinity],
    ["f32", -0, "-0.0", -0],
    ["cstring", "", '""', ""],
    ["cstring", 'é "q" \\ \n ✓ 𝄞', '"é \\"q\\" \\\\ \\n ✓ 𝄞"', 'é "q" \\ \n ✓ 𝄞'],
    ["cstring", "a\ud800b", '"a\ufffdb"', "a\ufffdb"],
  ];
  for (const [type, value, json, back] of cases) {
    await t.step(`${type} ${String(value)}`, () => {
      assert.equal(valueToJson(type, value), json);
      assert.ok(Object.is(decodeResult(type, JSON.parse(json)), back));
    });
  }
  await t.step("buffer as base64", () => {
    assert.equal(valueToJson("buffer", new Uint8Array([0, 1, 254, 255])), '"AAH+/w=="');
    assert.equal(valueToJson("buffer", new Uint8Array(0)), '""');
  });
});

Deno.test("decodeResult() accepts the other spellings and refuses what does not fit", async (t) => {
  await t.step("accepted", () => {
    assert.equal(decodeResult("i64", 42), 42n, "a safe integer for a 64-bit type");
    assert.equal(decodeResult("u64", "007"), 7n);
    assert.equal(decodeResult("void", null), undefined);
    assert.equal(decodeResult("void", undefined), undefined);
    assert.equal(decodeResult("cstring", null), null);
    assert.equal(decodeResult("i32", 2.0), 2);
  });
  const refused: [TypeName, unknown, string][] = [
    ["u8", 256, 'a result that is not an integer in the u8 range 0 to 255: "256"'],
    ["i8", -129, 'a result that is not an integer in the i8 range -128 to 127: "-129"'],
    [
      "i32",
      1.5,
      'a result that is not an integer in the i32 range -2147483648 to 2147483647: "1.5"',
    ],
    ["u32", "1", 'a result that is not an integer in the u32 range 0 to 4294967295: "\\"1\\""'],
    ["i16", undefined, "a result that is not an integer in the i16 range -32768 to 32767: none"],
    [
      "u64",
      "18446744073709551616",
      'a result that is not a decimal string or a safe integer in the u64 range: "\\"18446744073709551616\\""',
    ],
    ["u64", -1, 'a result that is not a decimal string or a safe integer in the u64 range: "-1"'],
    [
      "i64",
      2 ** 53,
      'a result that is not a decimal string or a safe integer in the i64 range: "9007199254740992"',
    ],
    [
      "i64",
      "1e3",
      'a result that is not a decimal string or a safe integer in the i64 range: "\\"1e3\\""',
    ],
    [
      "f64",
      "nan",
      'a result that is not a number or "NaN", "Infinity", "-Infinity" (f64): "\\"nan\\""',
    ],
    ["f64", null, 'a result that is not a number or "NaN", "Infinity", "-Infinity" (f64): "null"'],
    ["bool", 1, 'a result that is not true or false: "1"'],
    ["cstring", 5, 'a result that is not a string without NUL, or null: "5"'],
    ["cstring", "a\0b", 'a result that is not a string without NUL, or null: "\\"a\\\\u0000b\\""'],
    ["void", 0, 'a result that is not null or absent (void): "0"'],
  ];
  for (const [type, value, found] of refused) {
    await t.step(`${type} ${JSON.stringify(value)}`, () => {
      assert.equal(violation(() => decodeResult(type, value)), found);
    });
  }
});

Deno.test("encodeRequest() writes one compact line and checks the arguments", async (t) => {
  const m = parseRpcMetadata(
    {
      "plugboard-rpc": 1,
      name: "x",
      version: "1.0.0",
      abi: "1.0",
      interfaces: [{
        id: "t",
        version: "1.0",
        functions: ["usize f(buffer b, u64 n, cstring s, f64 x, bool y)", "void g()"],
      }],
    },
    P,
    "handshake",
  );
  const f = bindRpcFunction(
    m,
    parseSignature("usize f(buffer b, u64 n, cstring s, f64 x, bool y)"),
    P,
  );
  const g = bindRpcFunction(m, parseSignature("void g()"), P);
  await t.step("the exact shape", () => {
    assert.equal(
      encodeRequest(7, f, [new Uint8Array([104, 105]), 5n, 'a"b', -0, true], P),
      '{"id":7,"call":"f","args":["aGk=","5","a\\"b",-0.0,true]}',
    );
    assert.equal(
      encodeRequest(9007199254740991, g, [], P),
      '{"id":9007199254740991,"call":"g","args":[]}',
    );
    assert.deepEqual(f.buffers, [0]);
  });
  const bad: [unknown[], string][] = [
    [[], "expected 5 argument(s), found 0"],
    [
      [new Uint8Array(1), -1, "", 0, true],
      "argument 2 does not fit u64: expected a non-negative safe integer or a bigint below 2^64, found number -1",
    ],
    [
      [new Uint8Array(1), 1, "", 0, 1],
      "argument 5 does not fit bool: expected a boolean, found number 1",
    ],
    [
      [[1], 1, "", 0, true],
      "argument 1 does not fit buffer: expected a Uint8Array, found object 1",
    ],
  ];
  for (const [args, detail] of bad) {
    await t.step(detail, () => {
      const e = thrown(() => encodeRequest(1, f, args, P), CallError);
      assert.equal(e.code, "INVALID_ARGUMENT");
      assert.equal(e.summary, `Call to "f" in plugin "${P}" failed: ${detail}`);
    });
  }
});

Deno.test("parseReply() reads reply envelopes and refuses the rest", async (t) => {
  await t.step("a result, buffers, an error", () => {
    assert.deepEqual(parseReply('{"id":3,"result":5}'), {
      id: 3,
      error: undefined,
      result: 5,
      buffers: undefined,
    });
    assert.deepEqual(parseReply('{"id":3,"result":"1","buffers":[null,"AA=="]}').buffers, [
      null,
      "AA==",
    ]);
    assert.deepEqual(parseReply('{"id":4,"error":{"code":-7,"message":"no"}}'), {
      id: 4,
      error: { code: -7, message: "no" },
    });
    assert.deepEqual(parseReply('{"id":4,"error":{"code":2}}').error, { code: 2, message: "" });
    assert.equal(parseReply('{"id":4,"extra":true}').id, 4, "unknown fields are ignored");
  });
  const bad: [string, string][] = [
    ["hello", 'a line that is not JSON: "hello"'],
    ["[1]", 'a line that is not a JSON object: "[1]"'],
    ['{"result":1}', 'a reply without a valid "id": "{\\"result\\":1}"'],
    ['{"id":0,"result":1}', 'a reply without a valid "id": "{\\"id\\":0,\\"result\\":1}"'],
    ['{"id":"1","result":1}', 'a reply without a valid "id": "{\\"id\\":\\"1\\",\\"result\\":1}"'],
    [
      '{"id":1,"result":1,"error":{"code":1}}',
      'a reply to request 1 with both "error" and a result',
    ],
    [
      '{"id":1,"error":{"code":0,"message":"x"}}',
      'a reply to request 1 whose "error" is not {"code": non-zero int32, "message": string}: "{\\"code\\":0,\\"message\\":\\"x\\"}"',
    ],
    [
      '{"id":1,"error":{"code":2147483648}}',
      'a reply to request 1 whose "error" is not {"code": non-zero int32, "message": string}: "{\\"code\\":2147483648}"',
    ],
    [
      '{"id":1,"error":"bad"}',
      'a reply to request 1 whose "error" is not {"code": non-zero int32, "message": string}: "\\"bad\\""',
    ],
  ];
  for (const [line, found] of bad) {
    await t.step(line, () => assert.equal(violation(() => parseReply(line)), found));
  }
});

Deno.test("decodeBuffers() checks every entry before anything is copied", async (t) => {
  const m = parseRpcMetadata(
    {
      "plugboard-rpc": 1,
      name: "x",
      version: "1.0.0",
      abi: "1.0",
      interfaces: [{ id: "t", version: "1.0", functions: ["void f(buffer a, i32 n, buffer b)"] }],
    },
    P,
    "handshake",
  );
  const f = bindRpcFunction(m, parseSignature("void f(buffer a, i32 n, buffer b)"), P);
  const args = [new Uint8Array(2), 0, new Uint8Array(3)];
  await t.step("entries, null and absent", () => {
    assert.deepEqual(decodeBuffers(f, args, ["AQI=", "AwQF"]), [
      new Uint8Array([1, 2]),
      new Uint8Array([3, 4, 5]),
    ]);
    assert.deepEqual(decodeBuffers(f, args, [null, "AwQF"]), [
      undefined,
      new Uint8Array([3, 4, 5]),
    ]);
    assert.deepEqual(decodeBuffers(f, args, undefined), [undefined, undefined]);
  });
  const bad: [unknown, string][] = [
    [
      ["AQI="],
      '"buffers" that is not an array of 2 entries (one per buffer parameter): "[\\"AQI=\\"]"',
    ],
    [["AQI", null], 'buffer 1 (argument 1) that is not padded base64: "\\"AQI\\""'],
    [[null, "AwQ="], "buffer 2 (argument 3) of 2 bytes; it was sent with 3"],
    [[null, 5], 'buffer 2 (argument 3) that is not padded base64: "5"'],
  ];
  for (const [value, found] of bad) {
    await t.step(JSON.stringify(value), () => {
      assert.equal(violation(() => decodeBuffers(f, args, value)), found);
    });
  }
});

Deno.test("valueToText() and decodeTextResult(): the one-shot text forms", async (t) => {
  const out: [TypeName, unknown, string][] = [
    ["bool", true, "true"],
    ["i8", -5, "-5"],
    ["u64", 2n ** 64n - 1n, "18446744073709551615"],
    ["i64", -3, "-3"],
    ["f64", -0, "-0"],
    ["f64", 1e21, "1e+21"],
    ["f64", NaN, "NaN"],
    ["f64", -Infinity, "-Infinity"],
    ["f32", 0.1, "0.10000000149011612"],
    ["cstring", "two words\nand a line", "two words\nand a line"],
  ];
  for (const [type, value, text] of out) {
    await t.step(
      `out: ${type} ${String(value)}`,
      () => assert.equal(valueToText(type, value), text),
    );
  }
  const back: [TypeName, string, unknown][] = [
    ["f64", "0.25", 0.25],
    ["f64", " 1e-3 ", 0.001],
    ["f64", "-0", -0],
    ["f64", "nan", NaN],
    ["f64", "-nan", NaN],
    ["f64", "inf", Infinity],
    ["f64", "-Infinity", -Infinity],
    ["f64", "5.", 5],
    ["f32", "0.1", Math.fround(0.1)],
    ["i32", "+12", 12],
    ["u8", "255", 255],
    ["i64", "-9223372036854775808", -(2n ** 63n)],
    ["bool", "1", true],
    ["bool", "false", false],
    ["cstring", "  kept as is ", "  kept as is "],
    ["void", "anything", undefined],
  ];
  for (const [type, text, value] of back) {
    await t.step(`in: ${type} ${JSON.stringify(text)}`, () => {
      assert.ok(Object.is(decodeTextResult(type, text), value));
    });
  }
  const bad: [TypeName, string, string][] = [
    [
      "f64",
      "abc",
      'a standard output that is not a decimal number, NaN or (-)Infinity (f64): "abc"',
    ],
    [
      "f64",
      "0x10",
      'a standard output that is not a decimal number, NaN or (-)Infinity (f64): "0x10"',
    ],
    ["u8", "256", 'a standard output that is not a decimal integer in the u8 range: "256"'],
    ["i32", "1.0", 'a standard output that is not a decimal integer in the i32 range: "1.0"'],
    ["u64", "-1", 'a standard output that is not a decimal integer in the u64 range: "-1"'],
    ["bool", "yes", 'a standard output that is not true, false, 1 or 0: "yes"'],
    ["cstring", "a\0b", 'a standard output that is not text without NUL: "a\\u0000b"'],
  ];
  for (const [type, text, found] of bad) {
    await t.step(`refused: ${type} ${JSON.stringify(text)}`, () => {
      assert.equal(violation(() => decodeTextResult(type, text)), found);
    });
  }
});

Deno.test("parseRpcMetadata() checks a metadata object, version first", async (t) => {
  await t.step("a valid one", () => {
    const m = meta({ "x-extra": "ignored" });
    assert.equal(m.protocol, 1);
    assert.equal(m.mode, "rpc");
    assert.deepEqual(m.abi, { major: 1, minor: 0 });
    assert.deepEqual([...m.functions.keys()], ["name", "apply"]);
    assert.equal(m.functions.get("apply")!.fallible, true);
    assert.equal(m.functions.get("apply")!.interface, "calc.op");
    assert.deepEqual(metadataToJson(m), {
      "plugboard-rpc": 1,
      name: "x",
      version: "1.0.0",
      abi: "1.0",
      mode: "rpc",
      interfaces: [{
        id: "calc.op",
        version: "1.0",
        functions: ["cstring name()", "fallible f64 apply(f64, f64)"],
      }],
    });
  });
  const iface = (functions: unknown[], extra: Record<string, unknown> = {}) => ({
    interfaces: [{ id: "t", version: "1.0", functions, ...extra }],
  });
  const bad: [unknown, string, string, string][] = [
    [[1], "HANDSHAKE_FAILED", "a JSON object", 'an array "[1]"'],
    [
      { "plugboard-rpc": "1" },
      "HANDSHAKE_FAILED",
      'a "plugboard-rpc" field with the protocol version',
      '"1"',
    ],
    [
      { "plugboard-rpc": 2 },
      "HANDSHAKE_FAILED",
      "plugboard-rpc version 1",
      "plugboard-rpc version 2",
    ],
    [{ abi: "1" }, "HANDSHAKE_FAILED", 'an "abi" field "MAJOR.MINOR"', '"1"'],
    [{ abi: "1.1" }, "ABI_MISMATCH", "ABI 1.0 to 1.0", "ABI 1.1"],
    [
      { name: "Calc" },
      "HANDSHAKE_FAILED",
      'a "name" of 1 to 128 characters from [a-z0-9._-]',
      '"Calc"',
    ],
    [{ version: "1.0" }, "HANDSHAKE_FAILED", 'a semver "version" such as "0.1.0"', '"1.0"'],
    [
      { mode: "oneshot" },
      "HANDSHAKE_FAILED",
      'no "mode" or "mode": "rpc" in a handshake',
      '"oneshot"',
    ],
    [
      { mode: "daemon" },
      "HANDSHAKE_FAILED",
      '"mode" "rpc" or "oneshot" (or none: "rpc")',
      '"daemon"',
    ],
    [{ interfaces: [] }, "HANDSHAKE_FAILED", '"interfaces": a non-empty array', 'an array "[]"'],
    [
      { interfaces: [{ id: "Calc", version: "1.0", functions: ["void f()"] }] },
      "HANDSHAKE_FAILED",
      'interfaces[0]: an "id" from [a-z0-9._-], e.g. "calc.op"',
      '"Calc"',
    ],
    [
      { interfaces: [{ id: "t", version: "1", functions: ["void f()"] }] },
      "HANDSHAKE_FAILED",
      'interfaces[0]: a "version" "MAJOR.MINOR" for "t"',
      '"1"',
    ],
    [
      iface(["int f()"]),
      "HANDSHAKE_FAILED",
      'interfaces[0]: signatures such as "fallible f64 apply(f64 a, f64 b)"',
      'Invalid signature "int f()": unknown type "int"; use one of pb_void, pb_bool, pb_i8, pb_u8, pb_i16, pb_u16, pb_i32, pb_u32, pb_i64, pb_u64, pb_isize, pb_usize, pb_f32, pb_f64, pb_pointer, pb_buffer, pb_cstring, or struct NAME',
    ],
    [
      iface(["pointer f()"]),
      "HANDSHAKE_FAILED",
      "interfaces[0]: no pointer types (a pointer cannot cross a process boundary)",
      '"pointer f()"',
    ],
    [
      iface(["nonblocking void f()"]),
      "HANDSHAKE_FAILED",
      'interfaces[0]: signatures without "nonblocking" (a host-side choice)',
      '"nonblocking void f()"',
    ],
    [
      iface(["void f()", "i32 f(i32)"]),
      "HANDSHAKE_FAILED",
      "function names unique across interfaces",
      '"f" twice',
    ],
    [iface([5]), "HANDSHAKE_FAILED", "interfaces[0]: signatures as strings", "the number 5"],
    [
      {
        interfaces: [
          { id: "t", version: "1.0", functions: ["void f()"] },
          { id: "t", version: "2.0", functions: ["void g()"] },
        ],
      },
      "HANDSHAKE_FAILED",
      "unique interface ids",
      '"t" twice',
    ],
  ];
  for (const [value, code, expected, found] of bad) {
    await t.step(`${JSON.stringify(value)}`, () => {
      const v = Array.isArray(value) ? value : { ...metadataToJson(meta()), ...(value as object) };
      if (!Array.isArray(value)) delete (v as Record<string, unknown>).mode;
      if (!Array.isArray(value) && "mode" in (value as object)) {
        (v as Record<string, unknown>).mode = (value as Record<string, unknown>).mode;
      }
      const e = thrown(() => parseRpcMetadata(v, P, "handshake"), LoadError);
      assert.equal(e.code, code);
      assert.equal(e.expected, expected);
      assert.equal(e.found, found);
    });
  }
  await t.step("the same problems in a sidecar are BAD_METADATA, naming the sidecar", () => {
    const e = thrown(
      () => parseRpcMetadata({ ...metadataToJson(meta()), name: "" }, P, "sidecar"),
      LoadError,
    );
    assert.equal(e.code, "BAD_METADATA");
    assert.equal(
      e.summary,
      `Cannot load plugin "${P}": the sidecar "${P}.plugboard.json" is invalid: expected a "name" of 1 to 128 characters from [a-z0-9._-], found ""`,
    );
    assert.equal(
      e.hint,
      "rewrite the sidecar with `plugboard describe PROGRAM --run --write` (docs/subprocess.md describes the format)",
    );
  });
  await t.step("a one-shot plugin cannot declare buffers", () => {
    const e = thrown(
      () =>
        parseRpcMetadata(
          { ...metadataToJson(meta()), mode: "oneshot", ...iface(["void f(buffer b)"]) },
          P,
          "sidecar",
        ),
      LoadError,
    );
    assert.equal(
      e.expected,
      "interfaces[0]: no buffer parameters in one-shot mode (a one-shot call cannot return them)",
    );
  });
  await t.step("a newer protocol's hint says to update the host", () => {
    const e = thrown(() => meta({ "plugboard-rpc": 3 }, "handshake"), LoadError);
    assert.match(e.hint!, /^the plugin speaks a newer protocol than this host/);
  });
});

Deno.test("compareRpcMetadata() ignores order and parameter names", () => {
  const a = meta();
  const b = meta({
    interfaces: [{
      id: "calc.op",
      version: "1.0",
      functions: ["fallible f64 apply(f64, f64)", "pb_cstring name(void)"],
    }],
  });
  compareRpcMetadata(a, b, P, "S");
  const e = thrown(
    () => compareRpcMetadata(a, meta({ abi: "1.0", version: "1.0.1" }), P, "S"),
    LoadError,
  );
  assert.equal(e.code, "METADATA_MISMATCH");
  assert.equal(e.expected, '"1.0.0"');
  assert.equal(e.found, '"1.0.1"');
});

Deno.test("toPluginMetadata() lets the host's interface checks run unchanged", async (t) => {
  const m: RpcMetadata = meta();
  const pm = toPluginMetadata(m);
  await t.step("the shape", () => {
    assert.equal(pm.compiler, "plugboard-rpc/1");
    assert.equal(pm.buildId, "");
    assert.equal(pm.interfaces[0].symbol, "calc.op");
    assert.deepEqual(pm.interfaces[0].functions.map((f) => f.name), ["apply", "name"]);
    assert.equal(pm.interfaces[0].hash.length, 64);
  });
  await t.step("checkInterface() accepts calc.op/1.0", () => {
    assert.equal(checkInterface(pm, CalcOp, P).id, "calc.op");
  });
});

Deno.test("bindRpcFunction() checks the host's declaration against the plugin's", async (t) => {
  const m = meta();
  const cases: [string, string, string][] = [
    [
      "pointer f()",
      "USAGE",
      `Cannot call "f" of plugin "${P}" in a subprocess: a pointer cannot cross a process boundary`,
    ],
    [
      "f64 nope()",
      "SYMBOL_MISSING",
      `Cannot load plugin "${P}": plugin "x" does not provide function "nope": expected f64 nope(), found functions name, apply`,
    ],
    [
      "f64 apply(f64 a, f64 b)",
      "SIGNATURE_MISMATCH",
      `Cannot load plugin "${P}": function "apply" of interface "calc.op" has another signature: expected f64 apply(f64, f64), found fallible f64 apply(f64, f64)`,
    ],
  ];
  for (const [sig, code, summary] of cases) {
    await t.step(sig, () => {
      const e = thrown(() => bindRpcFunction(m, parseSignature(sig), P), PluginError);
      assert.equal(e.code, code);
      assert.equal(e.summary, summary);
    });
  }
  await t.step("nonblocking on the host side is accepted", () => {
    bindRpcFunction(m, parseSignature("nonblocking fallible f64 apply(f64 a, f64 b)"), P);
  });
});

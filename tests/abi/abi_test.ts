import { assertEquals, assertThrows } from "../_assert.ts";
import { defineInterface, HOST_ABI, PluginError } from "../../mod.ts";
import type { FunctionOf } from "../../src/abi/mod.ts";
import { canonicalSignature, parseSignature } from "../../src/abi/signature.ts";
import { isAbiCompatible } from "../../src/abi/abi_version.ts";
import { ROOT } from "../_paths.ts";

Deno.test("parseSignature() reads C and canonical forms alike", async (t) => {
  const cases: [string, string][] = [
    ["pb_i32 add(pb_i32 a, pb_i32 b)", "i32 add(i32, i32)"],
    ["i32 add(i32, i32)", "i32 add(i32, i32)"],
    ["void noop(void)", "void noop()"],
    ["pb_cstring  greet( pb_cstring name )", "cstring greet(cstring)"],
    ["fallible f64 apply(f64 a, f64 b)", "fallible f64 apply(f64, f64)"],
    ["nonblocking i32 slow(i32 ms)", "i32 slow(i32)"],
    ["pb_usize upper(pb_buffer data, pb_usize len)", "usize upper(buffer, usize)"],
  ];
  for (const [text, canonical] of cases) {
    await t.step(text, () => assertEquals(canonicalSignature(parseSignature(text)), canonical));
  }
  assertEquals(parseSignature("nonblocking i32 slow(i32 ms)").nonblocking, true);
});

Deno.test("parseSignature() rejects what is not a signature", async (t) => {
  const cases: [string, string][] = [
    [
      "int add(int a, int b)",
      'Invalid signature "int add(int a, int b)": unknown type "int"; use one of pb_void',
    ],
    ["i32 add", 'Invalid signature "i32 add": expected the form `TYPE NAME(TYPE [NAME], ...)`'],
    ["i32 f(void x)", 'Invalid signature "i32 f(void x)": a parameter cannot be void'],
    [
      "buffer f()",
      'Invalid signature "buffer f()": buffer is an argument type only; return a pointer instead',
    ],
  ];
  for (const [text, message] of cases) {
    await t.step(text, () => {
      const e = assertThrows(() => parseSignature(text), PluginError);
      assertEquals(e.code, "BAD_METADATA");
      assertEquals(e.summary.slice(0, message.length), message);
    });
  }
});

Deno.test("defineInterface() checks its declarations", () => {
  const e = assertThrows(
    () => defineInterface("x", "1.0", { add: "i32 sum(i32, i32)" }),
    PluginError,
  );
  assertEquals([e.code, e.summary], ["USAGE", 'Declaration "add" names function "sum"']);
  assertEquals(assertThrows(() => defineInterface("x", "one", {}), PluginError).code, "USAGE");
  const I = defineInterface("calc.op", "1.2", { apply: "fallible f64 apply(f64 a, f64 b)" });
  assertEquals(I.version, { major: 1, minor: 2 });
});

/** True when A and B are the same type (checked by `deno check`, which the test task runs). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

Deno.test("FunctionOf derives call signatures from signature texts", () => {
  const cases: [
    Same<FunctionOf<"fallible f64 apply(f64 a, f64 b)">, (a: number, b: number) => number>,
    Same<FunctionOf<"pb_cstring greet(pb_cstring name)">, (name: string) => string | null>,
    Same<
      FunctionOf<"usize upper(buffer data, usize len)">,
      (d: Uint8Array, l: number | bigint) => bigint
    >,
    Same<FunctionOf<"void noop(void)">, () => void>,
    Same<FunctionOf<"nonblocking i32 slow(i32 ms)">, (ms: number) => Promise<number>>,
    Same<FunctionOf<"bool ok(bool x, pointer p)">, (x: boolean, p: Deno.PointerValue) => boolean>,
  ] = [true, true, true, true, true, true];
  const wrong: Same<FunctionOf<"i32 add(i32 a, i32 b)">, (a: string, b: number) => number> = false;
  assertEquals([...cases, wrong], [true, true, true, true, true, true, false]);
});

Deno.test("the ABI rule in TypeScript matches native/plugboard.h", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-abi-" });
  await Deno.writeTextFile(
    `${dir}/abi.c`,
    `#include <stdio.h>\n#include "plugboard.h"\nint main(void) { printf("%d %d", PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR); return 0; }\n`,
  );
  const cc = await new Deno.Command("cc", {
    args: ["-I", `${ROOT}/native`, "-o", `${dir}/abi`, `${dir}/abi.c`],
  }).output();
  assertEquals(cc.code, 0);
  const out = new TextDecoder().decode((await new Deno.Command(`${dir}/abi`).output()).stdout);
  assertEquals(out, `${HOST_ABI.major} ${HOST_ABI.minor}`);
  const header = await Deno.readTextFile(`${ROOT}/native/plugboard.h`);
  // The rule is written once in the header; the same rule holds here.
  assertEquals(
    header.includes("A host with ABI H.h loads a plugin with ABI P.p when P == H and p <= h."),
    true,
  );
  const table: [[number, number], [number, number], boolean][] = [
    [[1, 0], [1, 0], true],
    [[1, 2], [1, 1], true],
    [[1, 0], [1, 1], false],
    [[1, 0], [2, 0], false],
    [[2, 0], [1, 0], false],
  ];
  for (const [[hM, hm], [pM, pm], ok] of table) {
    assertEquals(isAbiCompatible({ major: hM, minor: hm }, { major: pM, minor: pm }), ok);
  }
});

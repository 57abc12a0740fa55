import { assertEquals, assertInstanceOf, assertStrictEquals, assertThrows } from "../_assert.ts";
import { CallError, defineInterface, openPluginSync } from "../../mod.ts";
import { fixture, plugin } from "../_paths.ts";

const Bench = defineInterface("bench", "1.0", {
  noop: "void noop()",
  add: "i32 add(i32 a, i32 b)",
  upper: "usize upper(buffer data, usize len)",
  greet: "cstring greet(cstring name)",
});
const CalcOp = defineInterface("calc.op", "1.0", {
  name: "cstring name()",
  apply: "fallible f64 apply(f64 a, f64 b)",
});
const Names = defineInterface("names", "1.0", {
  raw: "i32 raw(i32 x)",
  closed: "i32 closed(i32 x)",
  invalid: "i32 invalid(i32 x)",
  delete: "i32 delete(i32 x)",
});

/** Record the paths Deno.dlopen is called with while `fn` runs (libc excluded). */
function countDlopen<T>(fn: (opened: string[]) => T): T {
  const original = Deno.dlopen;
  const opened: string[] = [];
  // deno-lint-ignore no-explicit-any
  const deno = Deno as any;
  deno.dlopen = (path: string | URL, symbols: Deno.ForeignLibraryInterface) => {
    if (String(path) !== "libc.so.6") opened.push(String(path));
    return original(path, symbols);
  };
  try {
    return fn(opened);
  } finally {
    deno.dlopen = original;
  }
}

Deno.test("Plugin.use() binds each function when it is first read, once per library", () => {
  countDlopen((opened) => {
    using p = openPluginSync(plugin("noop"), { interfaces: [Bench] });
    assertEquals(opened.length, 1, "open maps the library once");
    const fns = p.use(Bench);
    assertEquals(opened.length, 1, "use() binds nothing");
    const { add } = fns;
    assertEquals(opened.length, 2, "reading a function binds its symbol");
    assertThrows(() => add(1.5, 2), CallError);
    assertStrictEquals(add(2, 3), 5);
    assertStrictEquals(add(-7, 3), -4);
    assertStrictEquals(fns.add, add);
    assertEquals(opened.length, 2, "calls and later reads bind nothing more");
    assertStrictEquals(fns.noop(), undefined);
    assertEquals(opened.length, 3, "each function binds only its own symbol");
    using q = openPluginSync(plugin("noop"), { interfaces: [Bench] });
    assertStrictEquals(q.shared, true);
    assertStrictEquals(q.use(Bench).add(40, 2), 42);
    assertEquals(opened.length, 3, "a second handle reuses the library's bound symbols");
  });
});

Deno.test("Plugin.use() returns one frozen object whose functions keep their names", () => {
  using p = openPluginSync(plugin("noop"), { interfaces: [Bench] });
  const fns = p.use(Bench);
  assertStrictEquals(p.use(Bench), fns);
  assertStrictEquals(Object.isFrozen(fns), true);
  assertEquals(Object.keys(fns), ["noop", "add", "upper", "greet"]);
  assertStrictEquals(fns.add, fns.add);
  assertEquals(
    [fns.noop.name, fns.add.name, fns.upper.name, fns.greet.name],
    ["noop", "add", "upper", "greet"],
  );
});

Deno.test("a function first read after close binds nothing and throws CLOSED", async () => {
  await countDlopen(async (opened) => {
    const p = openPluginSync(plugin("wide32"));
    const fns = p.functions({ f07: "i32 f07(i32 x)" });
    await p.close();
    const err = assertThrows(() => fns.f07(1), CallError);
    assertInstanceOf(err, CallError);
    assertStrictEquals(err.code, "CLOSED");
    assertEquals(opened.length, 1, "only the open itself");
  });
});

Deno.test("functions bound on first read keep their behaviour", async (t) => {
  await t.step("a fallible function's first call reports the plugin's error", () => {
    using p = openPluginSync(plugin("calc_div"), { interfaces: [CalcOp] });
    const op = p.use(CalcOp);
    const err = assertThrows(() => op.apply(1, 0), CallError);
    assertInstanceOf(err, CallError);
    assertStrictEquals(err.code, "CALL_FAILED");
    assertStrictEquals(op.apply(9, 3), 3);
    assertStrictEquals(op.name(), "/");
  });
  await t.step("a nonblocking function resolves", async () => {
    await using p = openPluginSync(plugin("noop"));
    const { greet } = p.functions({ greet: "nonblocking cstring greet(cstring name)" });
    assertStrictEquals(await greet("async"), "Hello, async");
  });
  await t.step("a 64-bit parameter takes numbers and bigints", () => {
    using p = openPluginSync(plugin("noop"), { interfaces: [Bench] });
    const { upper } = p.use(Bench);
    const text = new TextEncoder().encode("abc!");
    assertStrictEquals(upper(text, 4), 4n);
    assertStrictEquals(upper(text, 4n), 4n);
    assertEquals(new TextDecoder().decode(text), "ABC!");
    const err = assertThrows(() => upper(text, -1), CallError);
    assertInstanceOf(err, CallError);
    assertStrictEquals(err.code, "INVALID_ARGUMENT");
  });
});

Deno.test("a cstring result is read again whenever its bytes change", async (t) => {
  using p = openPluginSync(plugin("noop"), { interfaces: [Bench] });
  const { greet } = p.use(Bench);
  const long = "x".repeat(300);
  const cases: [string, string][] = [
    ["World", "Hello, World"],
    ["World", "Hello, World"],
    ["Bob", "Hello, Bob"],
    ["World", "Hello, World"],
    ["Worlds", "Hello, Worlds"],
    ["World", "Hello, World"],
    ["", "Hello, "],
    ["Zoë", "Hello, Zoë"],
    ["Zoë", "Hello, Zoë"],
    ["Zoe", "Hello, Zoe"],
    // The plugin's buffer is 256 bytes: the result is cut to 255.
    [long, ("Hello, " + long).slice(0, 255)],
    [long, ("Hello, " + long).slice(0, 255)],
    ["World", "Hello, World"],
  ];
  for (const [i, [name, expected]] of cases.entries()) {
    await t.step(`call ${i + 1}: greet(${JSON.stringify(name.slice(0, 12))})`, () => {
      assertStrictEquals(greet(name), expected);
    });
  }
});

Deno.test("a function named like a wrapper helper or a keyword works", async (t) => {
  const p = openPluginSync(fixture("helper_names"), { interfaces: [Names] });
  const fns = p.use(Names);
  const cases: [keyof typeof fns, number][] = [["raw", 2], ["closed", 3], ["invalid", 4], [
    "delete",
    5,
  ]];
  for (const [name, expected] of cases) {
    await t.step(`${name}(1) returns ${expected}`, () => {
      assertStrictEquals(fns[name](1), expected);
      assertStrictEquals(fns[name].name, name);
    });
  }
  await t.step("invalid(1.5) throws INVALID_ARGUMENT", () => {
    const err = assertThrows(() => fns.invalid(1.5), CallError);
    assertInstanceOf(err, CallError);
    assertStrictEquals(err.code, "INVALID_ARGUMENT");
  });
  await p.close();
  await t.step("closed(1) after close throws CLOSED", () => {
    const err = assertThrows(() => fns.closed(1), CallError);
    assertInstanceOf(err, CallError);
    assertStrictEquals(err.code, "CLOSED");
  });
});

Deno.test("a cstring result stays right when the function runs hot", () => {
  using p = openPluginSync(plugin("noop"), { interfaces: [Bench] });
  const { greet } = p.use(Bench);
  const names = ["World", "World", "Bob", "Zoë", "", "World"];
  const wrong: string[] = [];
  for (let i = 0; i < 30_000; i++) {
    const name = names[i % names.length];
    const got = greet(name);
    if (got !== `Hello, ${name}`) wrong.push(`${i}: ${got}`);
  }
  assertEquals(wrong, []);
});

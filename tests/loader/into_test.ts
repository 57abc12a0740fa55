import { assertEquals, assertInstanceOf, assertStrictEquals, assertThrows } from "../_assert.ts";
import { CallError, defineInterface, openPluginSync, struct } from "../../mod.ts";
import { fixture } from "../_paths.ts";

const Spot = struct("spot", { x: "i32", y: "i32" });
const Texts = defineInterface("texts", "1.0", {
  greet: "cstring greet(cstring name)",
  repeat: "cstring repeat(cstring text, u32 times)",
  maybe: "cstring maybe(i32 x)",
});
const More = defineInterface("texts", "1.0", {
  accents: "cstring accents()",
  count: "cstring count(u32 pad)",
  checked: "fallible cstring checked(i32 x)",
  where: "cstring where(struct spot s)",
}, { structs: [Spot] });

/** The symbol names Deno.dlopen is asked for while `fn` runs (libc excluded). */
function boundSymbols<T>(fn: (bound: string[]) => T): T {
  const original = Deno.dlopen;
  const bound: string[] = [];
  // deno-lint-ignore no-explicit-any
  const deno = Deno as any;
  deno.dlopen = (path: string | URL, symbols: Record<string, { name?: string }>) => {
    if (String(path) !== "libc.so.6") {
      for (const [key, s] of Object.entries(symbols)) bound.push(s.name ?? key);
    }
    return original(path, symbols as Deno.ForeignLibraryInterface);
  };
  try {
    return fn(bound);
  } finally {
    deno.dlopen = original;
  }
}

Deno.test("a cstring function is called through its NAME__into when the plugin exports it", () => {
  boundSymbols((bound) => {
    using p = openPluginSync(fixture("into_texts"), { interfaces: [Texts] });
    const t = p.use(Texts);
    assertStrictEquals(t.greet("World"), "Hello, World");
    assertEquals(bound.filter((s) => s !== "plugboard_entry"), [
      "greet__into",
      "plugboard_into_copy",
    ]);
    assertStrictEquals(t.maybe(1), "yes");
    assertEquals(bound.slice(-1), ["maybe__into"], "plugboard_into_copy is bound once");
  });
});

Deno.test("NAME__into results: values, NULL, UTF-8, and the same string for the same text", async (t) => {
  using p = openPluginSync(fixture("into_texts"), { interfaces: [Texts, More] });
  const texts = p.use(Texts);
  const more = p.use(More);
  const cases: [string, () => unknown, unknown][] = [
    ["ASCII, short", () => texts.greet("Ada"), "Hello, Ada"],
    ["ASCII, 16 bytes exactly", () => texts.greet("Ada Love"), "Hello, Ada Love"],
    ["ASCII, over 16 bytes", () => texts.greet("Ada Lovelace"), "Hello, Ada Lovelace"],
    ["a UTF-8 argument", () => texts.greet("Zoë"), "Hello, Zoë"],
    ["UTF-8 result", () => more.accents(), "Grüße, Zoë — ok"],
    ["UTF-8 result again", () => more.accents(), "Grüße, Zoë — ok"],
    ["NULL", () => texts.maybe(0), null],
    ["after NULL", () => texts.maybe(2), "yes"],
    ["empty text", () => texts.repeat("ab", 0), ""],
    ["struct parameter (no NAME__into)", () => more.where({ x: 0, y: 0 }), "origin"],
  ];
  for (const [name, call, expected] of cases) {
    await t.step(name, () => assertStrictEquals(call(), expected));
  }
  await t.step("the same text twice, then another of the same length", () => {
    assertStrictEquals(texts.greet("abc"), "Hello, abc");
    assertStrictEquals(texts.greet("abc"), "Hello, abc");
    assertStrictEquals(texts.greet("abd"), "Hello, abd");
    assertStrictEquals(texts.greet("xbd"), "Hello, xbd");
  });
});

Deno.test("NAME__into grows the host's buffer for a longer text and runs the function once", async (t) => {
  using p = openPluginSync(fixture("into_texts"), { interfaces: [Texts, More] });
  const texts = p.use(Texts);
  const more = p.use(More);
  const steps: [string, number, number][] = [
    // [name, repeat count of "ab", expected length]
    ["fits the first buffer (255 bytes and the NUL)", 127, 254],
    ["256 bytes: one more than fits", 128, 256],
    ["much longer: grows again", 5000, 10000],
    ["short again: the grown buffer is kept", 2, 4],
  ];
  for (const [name, times, length] of steps) {
    await t.step(name, () => {
      const s = texts.repeat("ab", times);
      assertStrictEquals(s?.length, length);
      assertStrictEquals(s, "ab".repeat(times));
    });
  }
  await t.step("a long UTF-8 text", () => {
    assertStrictEquals(texts.repeat("é", 400), "é".repeat(400));
  });
  await t.step("each call runs the function once, also when the text does not fit", () => {
    assertStrictEquals(more.count(0), "1");
    assertStrictEquals(more.count(300), `2${".".repeat(300)}`);
    assertStrictEquals(more.count(3000), `3${".".repeat(3000)}`);
    assertStrictEquals(more.count(0), "4");
  });
});

Deno.test("a fallible cstring function through NAME__into still throws the plugin's error", () => {
  using p = openPluginSync(fixture("into_texts"), { interfaces: [More] });
  const { checked } = p.use(More);
  assertStrictEquals(checked(0), "zero");
  const err = assertThrows(() => checked(-3), CallError);
  assertInstanceOf(err, CallError);
  assertStrictEquals(err.code, "CALL_FAILED");
  assertStrictEquals(err.pluginCode, 7);
  assertStrictEquals(
    err.message,
    `Call to "checked" in plugin "${fixture("into_texts")}" failed: negative: -3\n` +
      "hint: the plugin reported this error; check the arguments or the plugin's documentation",
  );
  assertStrictEquals(checked(5), "positive");
});

Deno.test("a plugin without NAME__into is read through the returned pointer, as before", async (t) => {
  using p = openPluginSync(fixture("into_none"), { interfaces: [Texts] });
  const texts = p.use(Texts);
  const cases: [string, () => unknown, unknown, string][] = [
    ["short", () => texts.greet("World"), "Hello, World", "greet"],
    ["long", () => texts.repeat("ab", 5000), "ab".repeat(5000), "repeat"],
    ["NULL", () => texts.maybe(0), null, "maybe"],
    ["UTF-8", () => texts.greet("Zoë"), "Hello, Zoë", "greet"],
  ];
  for (const [name, call, expected, symbol] of cases) {
    await t.step(name, () => {
      const bound = boundSymbols((bound) => {
        assertStrictEquals(call(), expected);
        return bound;
      });
      assertEquals(bound.filter((s) => s !== "plugboard_entry"), name === "UTF-8" ? [] : [symbol]);
    });
  }
});

Deno.test("a nonblocking cstring function reads the returned pointer", async () => {
  using p = openPluginSync(fixture("into_texts"));
  const { greet, bound } = boundSymbols((bound) => ({
    greet: p.functions({ greet: "nonblocking cstring greet(cstring name)" }).greet,
    bound,
  }));
  assertEquals(bound.filter((s) => s !== "plugboard_entry"), ["greet"]);
  assertStrictEquals(await greet("Ada"), "Hello, Ada");
});

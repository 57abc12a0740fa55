import { assertEquals, assertThrows } from "../_assert.ts";
import { LoadError, PluginError } from "../../mod.ts";
import { type MetadataNote, readMetadata } from "../../src/abi/read_metadata.ts";
import { compilerOfComment, resolveCompiler } from "../../src/abi/_compiler.ts";

const encoder = new TextEncoder();

function note(type: number, text: string): MetadataNote {
  return { owner: "plugboard", type, desc: encoder.encode(text + "\0") };
}

const PLUGIN = "abi=1.0\nname=demo\nversion=0.1.0\ncompiler=gcc 12.2.0\n";

Deno.test("readMetadata() reads and checks the author", async (t) => {
  await t.step("absent or empty: undefined", () => {
    assertEquals(readMetadata({ notes: [note(1, PLUGIN)] }, "x.so").author, undefined);
    assertEquals(
      readMetadata({ notes: [note(1, PLUGIN + "author=\n")] }, "x.so").author,
      undefined,
    );
  });
  await t.step("UTF-8 text", () => {
    const meta = readMetadata(
      { notes: [note(1, PLUGIN + "author=Zoë Ødegård <z@example.org>\n")] },
      "x.so",
    );
    assertEquals(meta.author, "Zoë Ødegård <z@example.org>");
  });
  const AUTHOR =
    "an author of at most 256 bytes of UTF-8, without control characters or spaces around it";
  // Control characters are refused in every field, before the author's own rule.
  const CONTROL = "text without control characters";
  const cases: [string, string, string, string][] = [
    ["a control character", "Ada\tLovelace", CONTROL, '"author=Ada\\tLovelace"'],
    ["spaces around it", " Ada", AUTHOR, '" Ada" (4 bytes)'],
    ["more than 256 bytes", "é".repeat(129), AUTHOR, `"${"é".repeat(60)}…" (258 bytes)`],
    ["a C1 control character", "Ada\u0085", CONTROL, '"author=Ada\u0085"'],
  ];
  for (const [label, author, expected, found] of cases) {
    await t.step(label, () => {
      const e = assertThrows(
        () => readMetadata({ notes: [note(1, `${PLUGIN}author=${author}\n`)] }, "x.so"),
        LoadError,
      );
      assertEquals(e.code, "BAD_METADATA");
      assertEquals(
        e.summary,
        `Cannot load plugin "x.so": malformed plugboard metadata: expected ${expected}, found ${found}`,
      );
    });
  }
  await t.step("invalid UTF-8", () => {
    const desc = new Uint8Array([...encoder.encode(PLUGIN + "author="), 0xff, 0x0a, 0]);
    const e = assertThrows(
      () => readMetadata({ notes: [{ owner: "plugboard", type: 1, desc }] }, "x.so"),
      LoadError,
    );
    assertEquals([e.code, e.found], ["BAD_METADATA", "invalid UTF-8 bytes"]);
  });
});

const POINT = "struct=point\nsize=8\nalign=4\nfield=x 0 4 i32\nfield=y 4 4 i32\n";

Deno.test("readMetadata() reads struct notes", async (t) => {
  await t.step("a layout", () => {
    const meta = readMetadata({ notes: [note(1, PLUGIN), note(5, POINT)] }, "x.so");
    assertEquals(meta.structs.get("point"), {
      name: "point",
      size: 8,
      align: 4,
      fields: [
        { name: "x", offset: 0, size: 4, type: "i32" },
        { name: "y", offset: 4, size: 4, type: "i32" },
      ],
    });
  });
  await t.step("the same note twice (a header in two translation units) is one", () => {
    const meta = readMetadata({ notes: [note(1, PLUGIN), note(5, POINT), note(5, POINT)] }, "x.so");
    assertEquals(meta.structs.size, 1);
  });
  const cases: [string, MetadataNote[], string][] = [
    [
      "two different layouts of one struct",
      [note(5, POINT), note(5, POINT.replace("i32\n", "u32\n"))],
      "expected struct point: one layout per struct, found two different layouts (translation units built from different definitions)",
    ],
    [
      "a name that is no identifier",
      [note(5, POINT.replace("point", "a-point"))],
      'expected a struct note whose "struct" is a C identifier, found "a-point"',
    ],
    [
      "a size of 0",
      [note(5, POINT.replace("size=8", "size=0"))],
      'expected struct point: a size from 1 to 1073741824, found "0"',
    ],
    [
      "an alignment that is no power of two",
      [note(5, POINT.replace("align=4", "align=3"))],
      'expected struct point: a power-of-two alignment dividing the size 8, found "3"',
    ],
    [
      "a field of an unknown type",
      [note(5, POINT.replace("y 4 4 i32", "y 4 4 int"))],
      'expected struct point: fields as `field=NAME OFFSET SIZE TYPE`, found "y 4 4 int"',
    ],
    [
      "fields out of order",
      [note(5, POINT.replace("y 4 4", "y 2 4"))],
      'expected struct point: at most 1024 uniquely named fields, in order, inside its 8 bytes, each of its type\'s size, found "y 2 4 i32"',
    ],
    [
      "a field past the end",
      [note(5, POINT.replace("y 4 4", "y 8 4"))],
      'expected struct point: at most 1024 uniquely named fields, in order, inside its 8 bytes, each of its type\'s size, found "y 8 4 i32"',
    ],
    [
      "a scalar of the wrong size",
      [note(5, POINT.replace("y 4 4 i32", "y 4 4 f64"))],
      'expected struct point: at most 1024 uniquely named fields, in order, inside its 8 bytes, each of its type\'s size, found "y 4 4 f64"',
    ],
    [
      "no fields",
      [note(5, "struct=point\nsize=8\nalign=4\n")],
      "expected struct point: at least one field, found none",
    ],
    [
      "a struct by value without a layout",
      [
        note(2, "symbol=geo\nid=geo\nversion=1.0\n"),
        note(3, "interface=geo\nsignature=struct point move(struct point p)\n"),
      ],
      'expected a layout of struct point, which "move" passes by value (PLUGBOARD_STRUCT(point, ...)), found none',
    ],
  ];
  for (const [label, notes, detail] of cases) {
    await t.step(label, () => {
      const e = assertThrows(
        () => readMetadata({ notes: [note(1, PLUGIN), ...notes] }, "x.so"),
        LoadError,
      );
      assertEquals(e.code, "BAD_METADATA");
      assertEquals(e.summary, `Cannot load plugin "x.so": malformed plugboard metadata: ${detail}`);
    });
  }
});

Deno.test("compilerOfComment() reads the lines compilers write", async (t) => {
  const cases: [string, string | undefined][] = [
    ["GCC: (Debian 12.2.0-14+deb12u1) 12.2.0", "gcc 12.2.0"],
    ["GCC: (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0", "gcc 11.4.0"],
    ["GCC: (GNU) 13.2.1 20230801", "gcc 13.2.1"],
    ["Debian clang version 14.0.6", "clang 14.0.6"],
    ["clang version 17.0.6 (https://github.com/llvm/llvm-project 6009708b)", "clang 17.0.6"],
    ["Ubuntu clang version 18.1.3 (1ubuntu1)", "clang 18.1.3"],
    ["rustc version 1.95.0 (59807616e 2026-04-14)", "rustc 1.95.0"],
    ["Linker: Debian LLD 14.0.6", undefined],
    ["Linker: LLD 22.1.2 (/checkout/src/llvm-project/llvm 1cb4e38)", undefined],
    ["something else", undefined],
  ];
  for (const [line, compiler] of cases) {
    await t.step(line, () => assertEquals(compilerOfComment(line), compiler));
  }
});

Deno.test("resolveCompiler() prefers what the compiler wrote itself", async (t) => {
  const GCC = "GCC: (Debian 12.2.0-14+deb12u1) 12.2.0";
  const CLANG = "Debian clang version 14.0.6";
  const cases: [string, string[], string | undefined, string, "comment" | "declared"][] = [
    ["gcc, agreeing", [GCC], "gcc 12.2.0", "gcc 12.2.0", "comment"],
    ["clang, with gcc's start files", [GCC, CLANG], "clang 14.0.6 ", "clang 14.0.6", "comment"],
    ["a declaration that lies", [GCC], "gcc 11.4.0", "gcc 12.2.0", "comment"],
    ["clang declared as gcc", [GCC, CLANG], "gcc 11.4.0", "clang 14.0.6", "comment"],
    ["no declaration", [GCC, CLANG], undefined, "clang 14.0.6", "comment"],
    ["Go: writes no .comment line", [GCC], "go 1.26.1", "go 1.26.1", "declared"],
    ["no .comment", [], "gcc 12.2.0", "gcc 12.2.0", "declared"],
    ["neither", [], undefined, "unknown", "declared"],
    [
      "rustc, with a linker and gcc's start files",
      ["rustc version 1.95.0 (x)", "Linker: LLD 22.1.2", GCC],
      "rustc 1.95.0",
      "rustc 1.95.0",
      "comment",
    ],
  ];
  for (const [label, comment, declared, compiler, source] of cases) {
    await t.step(label, () => {
      const r = resolveCompiler(comment, declared);
      assertEquals([r.compiler, r.source], [compiler, source]);
    });
  }
});

Deno.test("readMetadata() refuses records that mean two things or carry terminal escapes", async (t) => {
  const cases: [string, string, string][] = [
    ["a second name", PLUGIN + "name=other\n", 'a second "name="'],
    ["a second abi", PLUGIN + "abi=1.1\n", 'a second "abi="'],
    ["an escape in the build id", PLUGIN + "build_id=\x1b[1Aid\n", '"build_id=\\u001b[1Aid"'],
  ];
  for (const [label, text, found] of cases) {
    await t.step(label, () => {
      const e = assertThrows(() => readMetadata({ notes: [note(1, text)] }, "x.so"), LoadError);
      assertEquals([e.code, e.found], ["BAD_METADATA", found]);
    });
  }
});

Deno.test("readMetadata() reads 100,000 function records in linear time", () => {
  // Each function note appended to its interface's list: a copy per note
  // made this quadratic (200,000 notes took more than 10 s).
  const n = 100_000;
  const notes = [
    note(1, PLUGIN),
    note(2, "symbol=big\nid=big\nversion=1.0\n"),
    ...Array.from(
      { length: n },
      (_, i) => note(3, `interface=big\nsignature=pb_i32 f${i}(pb_i32 x)\nfallible=0\n`),
    ),
  ];
  const meta = readMetadata({ notes }, "x.so");
  assertEquals(meta.functions.size, n);
});

Deno.test("parseSignature() bounds its work: a cap on length, one way to split the text", async (t) => {
  const { parseSignature, MAX_SIGNATURE_LENGTH } = await import("../../src/abi/signature.ts");
  await t.step("longer than the cap", () => {
    const e = assertThrows(
      () => parseSignature("pb_i32 " + "f".repeat(MAX_SIGNATURE_LENGTH)),
      PluginError,
    );
    assertEquals(e.code, "BAD_METADATA");
    assertEquals(
      e.summary.split(": ").pop(),
      `expected at most ${MAX_SIGNATURE_LENGTH} characters, found ${MAX_SIGNATURE_LENGTH + 7}`,
    );
  });
  await t.step("a run of letters up to the cap is refused at once", () => {
    // Two adjacent identifier groups once split such a run every possible way.
    const e = assertThrows(
      () => parseSignature("a".repeat(MAX_SIGNATURE_LENGTH - 2) + "(x"),
      PluginError,
    );
    assertEquals(e.code, "BAD_METADATA");
  });
  await t.step("a pointer result still parses", () => {
    assertEquals(parseSignature("pb_i32 *f(pb_i32 x)").name, "f");
    assertEquals(parseSignature("pb_i32* f(pb_i32 x)").name, "f");
  });
});

import { assert, assertEquals, assertStrictEquals, assertThrows } from "../_assert.ts";
import {
  defineInterface,
  type FunctionsOf,
  PluginError,
  struct,
  type StructType,
} from "../../mod.ts";
import type { FunctionOf } from "../../src/abi/mod.ts";
import { readMetadata } from "../../src/abi/read_metadata.ts";
import { canonicalSignature, parseSignature } from "../../src/abi/signature.ts";
import {
  compareLayouts,
  describeLayout,
  structFromLayout,
  structValueProblem,
} from "../../src/abi/struct_type.ts";
import { readElf } from "../../src/elf/read_elf.ts";
import { ROOT } from "../_paths.ts";
import { run } from "./_compile.ts";

// The table compared with the compilers: each struct as the host declares
// it, and its C definition.
const Point = struct("point", { x: "i32", y: "i32" });
const Mixed = struct("mixed", { a: "u8", b: "f64", c: "u16" });
const Tail = struct("tail", { a: "i64", b: "u8" });
const Small = struct("small", { a: "u8", b: "u8", c: "u16" });
const Flags = struct("flags", { ok: "bool", n: "i32", p: "pointer", f: "f32" });
const Shape = struct("shape", { kind: "u8", at: Point, scale: "f64" });
const Deep = struct("deep", { s: Shape, tag: "i8" });
const Floats = struct("floats", { x: "f32", y: "f32", z: "f32" });
const Wide = struct("wide", { a: "isize", b: "usize", c: "i64", d: "u64" });
const Ints = struct("ints", { a: "i8", b: "i16", c: "i32", d: "i64", e: "u8", f: "u16", g: "u32" });
const One = struct("one", { c: "u8" });
const Halves = struct("halves", { a: "f32", b: "i16", c: "f64", d: "bool" });
const TABLE: readonly StructType[] = [
  Point,
  Mixed,
  Tail,
  Small,
  Flags,
  Shape,
  Deep,
  Floats,
  Wide,
  Ints,
  One,
  Halves,
];

const C_TYPES: Record<string, string> = {
  bool: "bool",
  i8: "int8_t",
  u8: "uint8_t",
  i16: "int16_t",
  u16: "uint16_t",
  i32: "int32_t",
  u32: "uint32_t",
  i64: "int64_t",
  u64: "uint64_t",
  isize: "intptr_t",
  usize: "size_t",
  f32: "float",
  f64: "double",
  pointer: "void *",
};

/** The C definition of a declared struct. */
function definition(t: StructType): string {
  const fields = Object.entries(t.declaration).map(([name, type]) =>
    `  ${typeof type === "string" ? C_TYPES[type] : `struct ${type.name}`} ${name};`
  );
  return `struct ${t.name} {\n${fields.join("\n")}\n};`;
}

const DEFINITIONS = TABLE.map(definition).join("\n");

Deno.test("struct() computes the layouts gcc computes", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-structs-" });
  try {
    const lines = TABLE.map((s) => {
      const fields = s.fields.map((f) =>
        `printf(" %zu %zu", offsetof(struct ${s.name}, ${f.name}), sizeof(((struct ${s.name} *)0)->${f.name}));`
      );
      return `printf("${s.name} %zu %zu", sizeof(struct ${s.name}), _Alignof(struct ${s.name})); ${
        fields.join(" ")
      } printf("\\n");`;
    });
    const source =
      `#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <stdio.h>\n${DEFINITIONS}\nint main(void) {\n${
        lines.join("\n")
      }\nreturn 0;\n}\n`;
    await Deno.writeTextFile(`${dir}/layout.c`, source);
    await run("gcc", ["-std=c11", "-o", `${dir}/layout`, `${dir}/layout.c`]);
    const printed = (await run(`${dir}/layout`, [])).trim().split("\n");
    for (const [i, s] of TABLE.entries()) {
      await t.step(describeLayout(s), () => {
        const ours = [s.name, s.size, s.align, ...s.fields.flatMap((f) => [f.offset, f.size])];
        assertEquals(printed[i], ours.join(" "));
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PLUGBOARD_STRUCT records the layouts struct() computes, in C and C++", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-struct-notes-" });
  try {
    const records = TABLE.map((s) => `PLUGBOARD_STRUCT(${s.name}, ${Object.keys(s.declaration)});`);
    const source =
      `#include "plugboard.h"\nPLUGBOARD_PLUGIN("structs", "0.1.0");\n${DEFINITIONS}\n${
        records.join("\n")
      }\n`;
    await Deno.writeTextFile(`${dir}/structs.c`, source);
    await Deno.writeTextFile(`${dir}/structs.cpp`, source);
    const builds: [string, string, string[]][] = [
      ["gcc", "structs.c", ["-std=c11"]],
      ["clang", "structs.c", ["-std=c11"]],
      ["g++", "structs.cpp", ["-std=c++17"]],
      ["gcc -O0", "structs.c", ["-std=c11", "-O0"]],
    ];
    for (const [label, file, flags] of builds) {
      await t.step(label, async () => {
        const out = `${dir}/${label.replace(/\W/g, "_")}.so`;
        await run(label.split(" ")[0], [
          ...flags,
          "-O2",
          "-fPIC",
          "-shared",
          "-Wall",
          "-Wextra",
          "-Werror",
          `-I${ROOT}/native`,
          "-o",
          out,
          `${dir}/${file}`,
        ]);
        const meta = readMetadata(readElf(await Deno.readFile(out), out), out);
        assertEquals([...meta.structs.keys()], TABLE.map((s) => s.name));
        for (const s of TABLE) {
          assertEquals(compareLayouts(s, meta.structs.get(s.name)!), undefined, s.name);
        }
        // A nested struct is recorded as `struct`, its size given.
        assertEquals(meta.structs.get("shape")!.fields[1], {
          name: "at",
          offset: 4,
          size: 8,
          type: "struct",
        });
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PLUGBOARD_STRUCT refuses a field list that leaves a field out", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-struct-errors-" });
  try {
    const cases: [string, string, string][] = [
      [
        "the last field",
        "x",
        "PLUGBOARD_STRUCT(point, ...): list every field: a field after x is missing",
      ],
      [
        "out of order",
        "y, x",
        "PLUGBOARD_STRUCT(point, ...): list every field in declaration order, starting with the first, not y",
      ],
      ["a field that is not there", "x, y, z", "has no member named"],
    ];
    for (const [label, fields, message] of cases) {
      await t.step(label, async () => {
        const file = `${dir}/e.c`;
        await Deno.writeTextFile(
          file,
          `#include "plugboard.h"\nstruct point { int32_t x; int32_t y; };\nPLUGBOARD_STRUCT(point, ${fields});\n`,
        );
        const out = await new Deno.Command("gcc", {
          args: ["-std=c11", "-c", `-I${ROOT}/native`, "-o", `${dir}/e.o`, file],
          stderr: "piped",
        }).output();
        assertEquals(out.code, 1);
        assert(new TextDecoder().decode(out.stderr).includes(message));
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("struct() encodes and decodes every field type", () => {
  const Rec = struct("rec", {
    b: "bool",
    i8: "i8",
    u8: "u8",
    i16: "i16",
    u16: "u16",
    i32: "i32",
    u32: "u32",
    i64: "i64",
    u64: "u64",
    f32: "f32",
    f64: "f64",
    p: "pointer",
    at: Point,
  });
  const value = {
    b: true,
    i8: -128,
    u8: 255,
    i16: -32768,
    u16: 65535,
    i32: -2147483648,
    u32: 4294967295,
    i64: -(2n ** 63n),
    u64: 2n ** 64n - 1n,
    f32: 1.5,
    f64: -0.1,
    p: null,
    at: { x: 3, y: -4 },
  };
  const bytes = Rec.encode(value);
  assertEquals(bytes.length, Rec.size);
  assertEquals(Rec.decode(bytes), value);
  // Numbers are accepted for 64-bit fields; bigints come back.
  assertEquals(Rec.decode(Rec.encode({ ...value, i64: -5, u64: 7 })).i64, -5n);
  // A pointer survives the trip.
  const buf = new Uint8Array(4);
  const p = Deno.UnsafePointer.of(buf);
  assertEquals(
    Deno.UnsafePointer.equals(Rec.decode(Rec.encode({ ...value, p })).p, p),
    true,
  );
  // Into a larger buffer at an offset, and back.
  const big = new Uint8Array(Rec.size + 8);
  Rec.encodeInto(value, big, 8);
  assertEquals(Rec.decode(big, 8), value);
  assertEquals(Point.encode({ x: 1, y: 2 }), new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]));
});

Deno.test("struct() encoders refuse values that do not fit", async (t) => {
  const cases: [string, StructType, unknown, string][] = [
    [
      "a string for an i32",
      Point,
      { x: 1, y: "2" },
      'Cannot encode struct "point": field "y" does not fit i32: expected an integer from -2147483648 to 2147483647, found string "2"',
    ],
    [
      "a missing field",
      Point,
      { x: 1 },
      'Cannot encode struct "point": field "y" does not fit i32: expected an integer from -2147483648 to 2147483647, found undefined undefined',
    ],
    [
      "a nested field",
      Shape,
      { kind: 1, at: { x: 1, y: 1.5 }, scale: 1 },
      'Cannot encode struct "shape": field "at.y" does not fit i32: expected an integer from -2147483648 to 2147483647, found number 1.5',
    ],
    [
      "not an object",
      Point,
      7,
      'Cannot encode struct "point": expected an object with the fields of struct point (x, y), found number 7',
    ],
    [
      "a u64 out of range",
      Wide,
      { a: 0, b: -1, c: 0, d: 0 },
      'Cannot encode struct "wide": field "b" does not fit usize: expected a non-negative safe integer or a bigint below 2^64, found number -1',
    ],
  ];
  for (const [label, type, value, message] of cases) {
    await t.step(label, () => {
      const e = assertThrows(() => type.encode(value as never), PluginError);
      assertEquals([e.code, e.summary], ["INVALID_ARGUMENT", message]);
    });
  }
  const e = assertThrows(() => Point.decode(new Uint8Array(4)), PluginError);
  assertEquals(
    [e.code, e.summary],
    ["INVALID_ARGUMENT", 'Cannot decode struct "point": expected 8 bytes from offset 0, found 4'],
  );
  assertEquals(structValueProblem(Point, { x: 1, y: 2 }), undefined);
});

Deno.test("struct() refuses declarations C cannot have", async (t) => {
  const cases: [string, () => unknown, string][] = [
    [
      "a name that is no identifier",
      () => struct("a point", { x: "i32" }),
      "expected a C identifier as its name",
    ],
    ["no fields", () => struct("empty", {}), "expected 1 to 32 fields, found 0"],
    [
      "a field name that is no identifier",
      () => struct("p", { "x y": "i32" }),
      'field "x y" is not a C identifier',
    ],
    ["an unknown type", () => struct("p", { x: "int" as "i32" }), 'field "x" has type "int"'],
    [
      "a cstring field",
      () => struct("p", { s: "cstring" as "i32" }),
      'field "s" has type "cstring"',
    ],
  ];
  for (const [label, fn, detail] of cases) {
    await t.step(label, () => {
      const e = assertThrows(fn, PluginError);
      assertEquals(e.code, "USAGE");
      assert(e.summary.includes(detail), e.summary);
    });
  }
});

Deno.test("compareLayouts() names the first field that differs", async (t) => {
  const cases: [string, StructType, StructType, unknown][] = [
    ["equal", Point, struct("point", { x: "i32", y: "i32" }), undefined],
    ["isize is i64", struct("w", { a: "isize" }), struct("w", { a: "i64" }), undefined],
    [
      "one more field in the plugin",
      Point,
      struct("point", { x: "i32", y: "i32", z: "i32" }),
      {
        field: "z",
        expected: "no field after y (struct point ends at byte 8)",
        found: "i32 z at offset 8",
      },
    ],
    [
      "one field fewer in the plugin",
      struct("point", { x: "i32", y: "i32", z: "i32" }),
      Point,
      {
        field: "z",
        expected: "i32 z at offset 8",
        found: "no field z (struct point ends after y)",
      },
    ],
    [
      "another type",
      Point,
      struct("point", { x: "i32", y: "f32" }),
      { field: "y", expected: "i32 y at offset 4", found: "f32 y at offset 4" },
    ],
    [
      "another name",
      Point,
      struct("point", { x: "i32", h: "i32" }),
      { field: "y", expected: "i32 y at offset 4", found: "i32 h at offset 4" },
    ],
    [
      "a field moved by one in front",
      struct("r", { w: "i32", h: "i32" }),
      struct("r", { pad: "u8", w: "i32", h: "i32" }),
      { field: "w", expected: "i32 w at offset 0", found: "u8 pad at offset 0" },
    ],
  ];
  for (const [label, expected, found, difference] of cases) {
    await t.step(label, () => assertEquals(compareLayouts(expected, found), difference));
  }
  await t.step("another alignment", () => {
    const aligned = { ...Point, size: 16, align: 16 };
    assertEquals(compareLayouts(Point, aligned), {
      field: undefined,
      expected: "8 bytes aligned to 4",
      found: "16 bytes aligned to 16",
    });
  });
});

Deno.test("structFromLayout() rebuilds what Deno FFI can pass, and refuses the rest", () => {
  assertEquals(structFromLayout(Point).ffi, { struct: ["i32", "i32"] });
  const nested = {
    name: "shape",
    size: 24,
    align: 8,
    fields: Shape.fields.map((f) => ({
      ...f,
      type: f.type.startsWith("struct") ? "struct" : f.type,
    })),
  };
  const e = assertThrows(() => structFromLayout(nested), PluginError);
  assertEquals([e.code, e.summary], [
    "USAGE",
    'struct shape has field "at" of type struct, which its recorded layout does not describe field by field',
  ]);
  const packed = {
    name: "packed",
    size: 5,
    align: 1,
    fields: [{ name: "a", offset: 0, size: 1, type: "u8" }, {
      name: "b",
      offset: 1,
      size: 4,
      type: "i32",
    }],
  };
  const p = assertThrows(() => structFromLayout(packed), PluginError);
  assertEquals(
    p.summary,
    "struct packed is not laid out as C lays out its fields (packed or over-aligned), which Deno FFI cannot pass by value: expected i32 b at offset 4, found i32 b at offset 1",
  );
});

Deno.test("struct types in signatures: parsed, canonical, typed", async (t) => {
  const cases: [string, string][] = [
    ["struct point move(struct point p, pb_i32 dx)", "struct point move(struct point, i32)"],
    ["struct  point  move( struct point , i32 )", "struct point move(struct point, i32)"],
    ["pb_f64 area(struct rect r)", "f64 area(struct rect)"],
  ];
  for (const [text, canonical] of cases) {
    await t.step(text, () => assertEquals(canonicalSignature(parseSignature(text)), canonical));
  }
  await t.step("a struct name that is no identifier", () => {
    const e = assertThrows(() => parseSignature("i32 f(struct 9p)"), PluginError);
    assertEquals(
      e.summary,
      'Invalid signature "i32 f(struct 9p)": "struct 9p" is not `struct NAME` with NAME a C identifier',
    );
  });
  await t.step("defineInterface() needs every struct a signature passes", () => {
    const e = assertThrows(
      () => defineInterface("geo", "1.0", { move: "struct point move(struct point p)" }),
      PluginError,
    );
    assertEquals([e.code, e.summary], [
      "USAGE",
      'Declaration "move" passes struct point, which is not declared',
    ]);
  });
  await t.step("nested structs are added to the interface", () => {
    const I = defineInterface("geo", "1.0", { f: "f64 f(struct deep d)" }, { structs: [Deep] });
    assertEquals(Object.keys(I.structs), ["deep", "shape", "point"]);
    assertStrictEquals(I.signatures.get("f")!.structs!.get("deep"), Deep);
  });
  const Geo = defineInterface("geo", "1.0", {
    move: "struct point move(struct point p, i32 dx)",
    wide: "struct wide wide(struct shape s)",
  }, { structs: [Point, Shape, Wide] });
  type Geo = FunctionsOf<typeof Geo.declarations, typeof Geo.structs>;
  const cases2: [
    Same<
      Geo["move"],
      (
        p: { readonly x: number; readonly y: number } | Uint8Array,
        dx: number,
      ) => { x: number; y: number }
    >,
    Same<ReturnType<Geo["wide"]>, { a: bigint; b: bigint; c: bigint; d: bigint }>,
    Same<
      FunctionOf<"struct q f(struct q a)">,
      (a: Readonly<Record<string, unknown>> | Uint8Array) => Record<string, unknown>
    >,
  ] = [true, true, true];
  assertEquals(cases2, [true, true, true]);
});

/** True when A and B are the same type (checked by `deno check`). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

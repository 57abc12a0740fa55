/**
 * Structs passed by value (`struct point move(struct point p, ...)`), in
 * process: encoded from objects or passed as bytes, decoded from results,
 * through use(), functions() and function(); refused across a process
 * boundary.
 *
 * @module
 */

import { assertEquals, assertThrows } from "../_assert.ts";
import {
  CallError,
  defineInterface,
  openLibrary,
  openPlugin,
  PluginError,
  struct,
} from "../../mod.ts";
import { plugin } from "../_paths.ts";

const Point = struct("point", { x: "i32", y: "i32" });
const Rect = struct("rect", { min: Point, max: Point, scale: "f64", flags: "u8" });
const Vec2 = struct("vec2", { x: "f32", y: "f32" });
const Geometry = defineInterface("geometry", "1.0", {
  manhattan: "i32 manhattan(pointer p)",
  translate: "struct point translate(struct point p, i32 dx, i32 dy)",
  grow: "struct rect grow(struct rect r, i32 by)",
  area: "f64 area(struct rect r)",
  scale2: "struct vec2 scale2(struct vec2 v, f32 k)",
}, { structs: [Point, Rect, Vec2] });

const GEOMETRY = plugin("geometry");

Deno.test("use() passes structs by value both ways", async () => {
  await using p = await openPlugin(GEOMETRY, { interfaces: [Geometry] });
  const g = p.use(Geometry);
  const r = { min: { x: 0, y: 0 }, max: { x: 2, y: 3 }, scale: 1.5, flags: 2 };
  assertEquals(g.translate({ x: 1, y: 2 }, 10, -20), { x: 11, y: -18 });
  assertEquals(g.grow(r, 1), { min: { x: -1, y: -1 }, max: { x: 3, y: 4 }, scale: 1.5, flags: 3 });
  assertEquals(g.area(r), 9);
  // Two floats travel in an SSE register, not as two integers.
  assertEquals(g.scale2({ x: 1.5, y: -2 }, 2), { x: 3, y: -4 });
  // Bytes of exactly the struct's size pass as they are.
  assertEquals(g.translate(Point.encode({ x: 5, y: 6 }), 1, 1), { x: 6, y: 7 });
  // The same layout behind a pointer.
  assertEquals(g.manhattan(Deno.UnsafePointer.of(Point.encode({ x: -3, y: 4 }))), 7);
  // The reused argument buffer does not leak between calls.
  const a = g.translate({ x: 1, y: 1 }, 0, 0);
  const b = g.translate({ x: 2, y: 2 }, 0, 0);
  assertEquals([a, b], [{ x: 1, y: 1 }, { x: 2, y: 2 }]);
});

Deno.test("functions() and function() bind structs by value", async (t) => {
  await using p = await openPlugin(GEOMETRY);
  await t.step("with the host's declaration", () => {
    const { translate } = p.functions(
      { translate: "struct point translate(struct point p, i32 dx, i32 dy)" },
      { structs: [Point] },
    );
    assertEquals(translate({ x: 1, y: 1 }, 1, 2), { x: 2, y: 3 });
  });
  await t.step("with the plugin's recorded layout", () => {
    const { scale2 } = p.functions({ scale2: "struct vec2 scale2(struct vec2 v, f32 k)" });
    assertEquals(scale2({ x: 1, y: 2 }, 3), { x: 3, y: 6 });
    assertEquals(p.function("translate")({ x: 1, y: 1 }, 2, 2), { x: 3, y: 3 });
  });
  await t.step("a host declaration that differs from the plugin's", () => {
    const e = assertThrows(
      () =>
        p.functions(
          { scale2: "struct vec2 scale2(struct vec2 v, f32 k)" },
          { structs: [struct("vec2", { x: "i32", y: "i32" })] },
        ),
      PluginError,
    );
    assertEquals([e.code, e.summary], [
      "STRUCT_MISMATCH",
      `Cannot load plugin ${
        JSON.stringify(GEOMETRY)
      }: struct "vec2" differs at field "x": expected i32 x at offset 0, found f32 x at offset 0`,
    ]);
  });
  await t.step("a recorded layout Deno FFI cannot be given", () => {
    const e = assertThrows(() => p.function("grow"), PluginError);
    assertEquals([e.code, e.summary], [
      "USAGE",
      `Cannot bind "grow" of plugin ${
        JSON.stringify(GEOMETRY)
      }: struct rect has field "min" of type struct, which its recorded layout does not describe field by field`,
    ]);
  });
});

Deno.test("struct arguments that do not fit are refused with INVALID_ARGUMENT", async (t) => {
  await using p = await openPlugin(GEOMETRY, { interfaces: [Geometry] });
  const g = p.use(Geometry);
  const cases: [string, () => unknown, string][] = [
    [
      "a field of another type",
      () => g.translate({ x: 1, y: "2" } as never, 0, 0),
      'argument 1 does not fit struct point: field "y" does not fit i32: expected an integer from -2147483648 to 2147483647, found string "2"',
    ],
    [
      "a missing nested field",
      () => g.area({ min: { x: 0 }, max: { x: 1, y: 1 }, scale: 1, flags: 0 } as never),
      'argument 1 does not fit struct rect: field "min.y" does not fit i32: expected an integer from -2147483648 to 2147483647, found undefined undefined',
    ],
    [
      "too few bytes",
      () => g.translate(new Uint8Array(4), 0, 0),
      "argument 1 does not fit struct point: expected 8 bytes, found a Uint8Array of 4",
    ],
    [
      "not an object",
      () => g.translate(null as never, 0, 0),
      "argument 1 does not fit struct point: expected an object with the fields of struct point (x, y), found object null",
    ],
  ];
  for (const [label, call, detail] of cases) {
    await t.step(label, () => {
      const e = assertThrows(call, CallError);
      assertEquals(
        [e.code, e.summary],
        [
          "INVALID_ARGUMENT",
          `Call to "${e.function}" in plugin ${JSON.stringify(GEOMETRY)} failed: ${detail}`,
        ],
      );
    });
  }
});

Deno.test("a nonblocking call passes and returns structs", async () => {
  await using p = await openPlugin(GEOMETRY);
  const { translate } = p.functions(
    { translate: "nonblocking struct point translate(struct point p, i32 dx, i32 dy)" },
    { structs: [Point] },
  );
  const results = await Promise.all([
    translate({ x: 1, y: 1 }, 1, 1),
    translate({ x: 5, y: 5 }, 1, 1),
  ]);
  assertEquals(results, [{ x: 2, y: 2 }, { x: 6, y: 6 }]);
});

Deno.test("an isolated plugin refuses structs by value with USAGE at bind time", async () => {
  await using p = await openPlugin(GEOMETRY, { isolation: "process" });
  const Move = defineInterface("geometry", "1.0", {
    translate: "struct point translate(struct point p, i32 dx, i32 dy)",
  }, { structs: [Point] });
  const e = assertThrows(() => p.use(Move), PluginError);
  assertEquals([e.code, e.summary], [
    "USAGE",
    `Cannot call "translate" of plugin ${
      JSON.stringify(GEOMETRY)
    } in a child process: struct point is passed by value, which plugboard's process protocol does not carry`,
  ]);
  // The same through functions(), and through the plugin's own declaration.
  const f = assertThrows(
    () => p.functions({ area: "f64 area(struct rect r)" }, { structs: [Rect] }),
    PluginError,
  );
  assertEquals(f.code, "USAGE");
  assertEquals(assertThrows(() => p.function("scale2"), PluginError).code, "USAGE");
});

Deno.test("openLibrary() passes structs by value with declared layouts", () => {
  using lib = openLibrary(GEOMETRY, {
    translate: "struct point translate(struct point p, i32 dx, i32 dy)",
  }, { structs: [Point] });
  assertEquals(lib.symbols.translate({ x: 0, y: 0 }, 4, 5), { x: 4, y: 5 });
  const e = assertThrows(
    () =>
      openLibrary(GEOMETRY, {
        translate: "struct point translate(struct point p, i32 dx, i32 dy)",
      }),
    PluginError,
  );
  assertEquals([e.code, e.summary], [
    "USAGE",
    'Declaration "translate" passes struct point, which is not declared',
  ]);
});

/**
 * Struct layouts through the check pipeline: a plugin whose recorded layout
 * differs from the host's declaration is refused with STRUCT_MISMATCH, naming
 * the struct and the field, before any of its code runs; what inspect shows
 * of layouts, the author and the compiler.
 *
 * @module
 */

import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import {
  checkPlugin,
  defineInterface,
  inspectPlugin,
  LoadError,
  openPlugin,
  struct,
} from "../../mod.ts";
import { fixture, plugin } from "../_paths.ts";

const Point = struct("point", { x: "i32", y: "i32" });
const Geometry = defineInterface("geometry", "1.0", { manhattan: "i32 manhattan(pointer p)" }, {
  structs: [Point],
});
const Lenient = defineInterface("geometry", "1.0", { manhattan: "i32 manhattan(pointer p)" }, {
  structs: [Point],
  layouts: "when-declared",
});

const DIFFERENT =
  "host and plugin were built from different definitions of struct point; rebuild the plugin against the interface's current header, or update the host's struct(\"point\", ...)";

Deno.test("checkPlugin() refuses a struct layout that differs from the host's", async (t) => {
  const cases: [string, string, string, string][] = [
    [
      "one more field (an old header)",
      fixture("struct_point_extra"),
      'struct "point" of interface "geometry" differs at field "z": expected no field after y (struct point ends at byte 8), found i32 z at offset 8',
      DIFFERENT,
    ],
    [
      "a field of another type",
      fixture("struct_point_type"),
      'struct "point" of interface "geometry" differs at field "y": expected i32 y at offset 4, found f32 y at offset 4',
      DIFFERENT,
    ],
    [
      "no layout recorded",
      fixture("struct_point_none"),
      'struct "point" of interface "geometry" has no layout in plugin "geometry-unchecked": expected struct point { i32 x; i32 y; } (8 bytes, align 4), found no layout declared',
      'record it in the plugin with PLUGBOARD_STRUCT(point, x, y) after the struct\'s definition, and rebuild it; to accept plugins without layouts, declare the interface with layouts: "when-declared"',
    ],
  ];
  for (const [label, file, what, hint] of cases) {
    await t.step(label, () => {
      const e = assertThrows(() => checkPlugin(file, { interfaces: [Geometry] }), LoadError);
      assertEquals(
        [e.code, e.summary, e.hint],
        ["STRUCT_MISMATCH", `Cannot load plugin ${JSON.stringify(file)}: ${what}`, hint],
      );
    });
  }
});

Deno.test("checkPlugin() with layouts: when-declared", async (t) => {
  await t.step("accepts a plugin that records no layout", () => {
    assertEquals(
      checkPlugin(fixture("struct_point_none"), { interfaces: [Lenient] }).metadata.name,
      "geometry-unchecked",
    );
  });
  await t.step("still compares the layouts a plugin records", () => {
    const e = assertThrows(
      () => checkPlugin(fixture("struct_point_extra"), { interfaces: [Lenient] }),
      LoadError,
    );
    assertEquals(e.code, "STRUCT_MISMATCH");
  });
  await t.step("accepts the matching layout", () => {
    assertEquals(
      checkPlugin(plugin("geometry"), { interfaces: [Geometry] }).metadata.name,
      "geometry",
    );
  });
});

Deno.test("openPlugin() refuses a mismatched struct before the plugin runs", async () => {
  const e = await assertRejects(
    () => openPlugin(fixture("struct_point_extra"), { interfaces: [Geometry] }),
    LoadError,
  );
  assertEquals(e.code, "STRUCT_MISMATCH");
  // Opened without the interface, the plugin loads; use() refuses it the same way.
  await using p = await openPlugin(fixture("struct_point_extra"));
  const u = assertThrows(() => p.use(Geometry), LoadError);
  assertEquals([u.code, u.summary], [e.code, e.summary]);
});

Deno.test("a struct nested in a declared struct is checked as well", () => {
  const Rect = struct("rect", {
    min: Point,
    max: struct("point", { x: "i32", y: "i32" }),
    scale: "f64",
    flags: "u8",
  });
  // Two declarations named point: refused at declaration time.
  const e = assertThrows(
    () => defineInterface("geometry", "1.0", {}, { structs: [Rect] }),
    Error,
  );
  assertEquals(e.message.split("\n")[0], 'Two different declarations of struct "point"');
  const Rect2 = struct("rect", { min: Point, max: Point, scale: "f32", flags: "u8" });
  const G = defineInterface("geometry", "1.0", {}, { structs: [Rect2] });
  const m = assertThrows(() => checkPlugin(plugin("geometry"), { interfaces: [G] }), LoadError);
  assertEquals(
    m.summary,
    `Cannot load plugin ${
      JSON.stringify(plugin("geometry"))
    }: struct "rect" of interface "geometry" differs at field "scale": expected f32 scale at offset 16, found f64 scale at offset 16`,
  );
});

Deno.test("inspectPlugin() shows layouts, the author and where the compiler comes from", () => {
  const r = inspectPlugin(plugin("geometry"));
  assertEquals(r.author, "plugboard examples <examples@plugboard.invalid>");
  assertEquals(r.structs, [
    "struct point { i32 x; i32 y; } (8 bytes, align 4)",
    "struct rect { struct min (8 bytes); struct max (8 bytes); f64 scale; u8 flags; } (32 bytes, align 8)",
    "struct vec2 { f32 x; f32 y; } (8 bytes, align 4)",
  ]);
  assertEquals(r.compilerSource, "comment");
  assertEquals(r.compilerDisagreement, undefined);
  // A plugin declaring gcc 11.4.0 that also carries gcc 11.4.0's .comment line.
  const old = inspectPlugin(fixture("reg_greeter_gcc11"));
  assertEquals([old.compiler, old.declaredCompiler], ["gcc 11.4.0", "gcc 11.4.0"]);
  assertEquals(old.author, undefined);
  // Problems against the options are reported, not thrown.
  const p = inspectPlugin(fixture("struct_point_type"), { interfaces: [Geometry] });
  assertEquals(p.problems.map((e) => e.code), ["STRUCT_MISMATCH"]);
});

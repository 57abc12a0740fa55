/**
 * Scenario "struct-layout": a plugin built against an old header whose
 * struct had two more fields passes every signature check, and raw FFI
 * returns wrong numbers; the layout the plugin records with
 * `PLUGBOARD_STRUCT` lets the host refuse it (STRUCT_MISMATCH) before any
 * of its code runs. The rebuilt plugin loads and passes the struct by value.
 *
 * @module
 */

import { defineInterface, LoadError, openPlugin, struct } from "../../mod.ts";
import {
  build,
  check,
  code,
  expectError,
  heading,
  runDeno,
  say,
  shell,
  showChild,
  tempDir,
  writeFile,
} from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios struct-layout` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./struct_layout.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "struct-layout",
  title: "Struct layouts: a changed struct behind a pointer",
  description:
    "Writes two copies of the header of an interface `shapes` 1.0: the old one's `struct rect` " +
    "has `x, y, w, h`, the current one's only `w, h`. The signatures are the same in both " +
    "(`i32 area(pointer r)`, `struct rect grow(struct rect r, i32 by)`), and each header records " +
    "the struct's layout with `PLUGBOARD_STRUCT(rect, ...)`. A plugin built against the old header " +
    'is refused by a host that declares `struct("rect", { w: "i32", h: "i32" })` in its ' +
    "interface, with `STRUCT_MISMATCH` naming the field, before any plugin code runs (its " +
    "constructor logs every run). A grandchild then calls the same plugin with raw " +
    "`Deno.dlopen` and gets 30 instead of 12. The plugin rebuilt against the current header " +
    "loads, reads the struct behind a pointer and passes it by value. A plugin built before the " +
    'header recorded layouts (and before `grow`) is refused ("no layout declared") unless the ' +
    'host declares the interface with `layouts: "when-declared"`.',
  why:
    "A struct passed behind a pointer appears in no signature: `i32 area(pointer r)` is the same " +
    "text whatever `struct rect` holds, so comparing signatures cannot see that the plugin reads " +
    "`w` at offset 8 where the host wrote `h`. Given the bytes `03 00 00 00 04 00 00 00 05 00 00 00 " +
    "06 00 00 00` (two host rectangles, 3 x 4 and 5 x 6), old code reads `w` and `h` from the " +
    "second rectangle and returns 30; with one rectangle it would read past its end. " +
    "`PLUGBOARD_STRUCT(rect, w, h)` writes the layout into an ELF note (type 5) from the compiler's " +
    "own `sizeof`, `_Alignof`, `offsetof` and each field's C type, through assembler operands, so " +
    "the note cannot drift from the struct the plugin was compiled with; a field left out of the " +
    'list is a compile error. The host declares the layout once, `struct("rect", { w: "i32", h: ' +
    '"i32" })`, which computes C\'s layout rules and also gives the Deno FFI type `{ struct: ' +
    '["i32", "i32"] }` and an encoder and decoder; the check pipeline compares the two field by ' +
    "field (name, type, offset, size), then size and alignment, and refuses a difference before " +
    "`dlopen`, as Go's plugin package refuses a different version of a package and abi_stable a " +
    "different Rust layout. Structs by value use the same declaration: Deno FFI passes `{ struct: " +
    "[...] }` values as bytes and does not check their length, so plugboard encodes objects and " +
    "refuses bytes of another size.",
  expect: {
    lines: [
      "$ diff old/shapes.h current/shapes.h",
      "< struct rect { int32_t x; int32_t y; int32_t w; int32_t h; };",
      "> struct rect { int32_t w; int32_t h; };",
      "< PLUGBOARD_STRUCT(rect, x, y, w, h);",
      "> PLUGBOARD_STRUCT(rect, w, h);",
      /^built \$TMP\/shapes-old\.so /,
      /^built \$TMP\/shapes\.so /,
      '> const Rect = struct("rect", { w: "i32", h: "i32" })',
      'struct rect: 8 bytes, align 4, fields w at 0, h at 4; Deno FFI type {"struct":["i32","i32"]}',
      '> await openPlugin("$TMP/shapes-old.so", { interfaces: [Shapes] })',
      "throws LoadError STRUCT_MISMATCH:",
      'Cannot load plugin "$TMP/shapes-old.so": struct "rect" of interface "shapes" differs at field "w": expected i32 w at offset 0, found i32 x at offset 0',
      "hint: host and plugin were built from different definitions of struct rect; rebuild the plugin against the interface's current header, or update the host's struct(\"rect\", ...)",
      "ok: threw LoadError STRUCT_MISMATCH",
      "ok: no plugin code ran (the constructor log is empty)",
      "  | area({3, 4}) with the host's bytes, old code = 30",
      "child ended: exit code 0",
      "ok: raw FFI returned 30 instead of 12 without any error",
      '> await openPlugin("$TMP/shapes.so", { interfaces: [Shapes] })',
      "plugin constructor: shapes built with current/shapes.h",
      "area(&{3, 4}) = 12",
      "grow({ w: 3, h: 4 }, 1) = { w: 4, h: 5 }",
      "ok: the rebuilt plugin reads the struct behind a pointer and by value",
      /^built \$TMP\/shapes-unrecorded\.so /,
      '> await openPlugin("$TMP/shapes-unrecorded.so", { interfaces: [ShapesArea] })',
      'Cannot load plugin "$TMP/shapes-unrecorded.so": struct "rect" of interface "shapes" has no layout in plugin "shapes": expected struct rect { i32 w; i32 h; } (8 bytes, align 4), found no layout declared',
      "ok: threw LoadError STRUCT_MISMATCH",
      '> await openPlugin("$TMP/shapes-unrecorded.so", { interfaces: [ShapesLenient] })',
      "area(&{3, 4}) = 12",
      'ok: with layouts: "when-declared", a plugin that records no layout loads',
    ],
  },
});

function header(old: boolean, recorded = true): string {
  const rect = old
    ? "struct rect { int32_t x; int32_t y; int32_t w; int32_t h; };"
    : "struct rect { int32_t w; int32_t h; };";
  const layout = recorded ? `PLUGBOARD_STRUCT(rect, ${old ? "x, y, w, h" : "w, h"});` : "";
  return `/* shapes.h: the "shapes" interface, as this copy of the header has it. */
#ifndef SHAPES_H
#define SHAPES_H
#include "plugboard.h"

#define SHAPES_HEADER "${old ? "old" : recorded ? "current" : "unrecorded"}/shapes.h"
PLUGBOARD_INTERFACE(shapes, "shapes", 1, 0);

/* A rectangle, behind a pointer${recorded ? " and by value" : ""}. */
${rect}
${layout}
#define SHAPES_BY_VALUE ${recorded ? 1 : 0}
#endif
`;
}

const SOURCE = `/* shapes.c: one source, built against either copy of shapes.h. */
#include "shapes.h"

#include <stdio.h>
#include <stdlib.h>

PLUGBOARD_PLUGIN("shapes", "1.0.0");

/* Logs every time the plugin's code runs at all. */
__attribute__((constructor)) static void shapes_constructor(void) {
  printf("plugin constructor: shapes built with %s\\n", SHAPES_HEADER);
  fflush(stdout);
  const char *log = getenv("SHAPES_LOG");
  FILE *f = log ? fopen(log, "a") : NULL;
  if (f) {
    fprintf(f, "%s\\n", SHAPES_HEADER);
    fclose(f);
  }
}

PLUGBOARD_FN(shapes, pb_i32, area, (pb_pointer r)) {
  const struct rect *q = r;
  return q->w * q->h;
}

#if SHAPES_BY_VALUE
PLUGBOARD_FN(shapes, struct rect, grow, (struct rect r, pb_i32 by)) {
  r.w += by;
  r.h += by;
  return r;
}
#endif
`;

async function main(): Promise<void> {
  const tmp = await tempDir();
  const log = `${tmp}/constructor.log`;
  Deno.env.set("SHAPES_LOG", log);
  await Deno.writeTextFile(log, "");
  // Not next to the source: a quoted #include looks there first.
  await Deno.mkdir(`${tmp}/old`);
  await Deno.mkdir(`${tmp}/current`);
  await Deno.mkdir(`${tmp}/unrecorded`);
  const h0 = header(true);
  const h1 = header(false);
  await writeFile(`${tmp}/old`, "shapes.h", h0);
  await writeFile(`${tmp}/current`, "shapes.h", h1);
  await writeFile(`${tmp}/unrecorded`, "shapes.h", header(false, false));
  const source = await writeFile(tmp, "shapes.c", SOURCE);

  shell("diff old/shapes.h current/shapes.h");
  const a = h0.split("\n");
  const b = h1.split("\n");
  a.forEach((line, i) => {
    if (line !== b[i] && !line.startsWith("#define SHAPES_HEADER")) say(`< ${line}`, `> ${b[i]}`);
  });
  const old = `${tmp}/shapes-old.so`;
  const current = `${tmp}/shapes.so`;
  await build({ source, output: old, flags: [`-I${tmp}/old`] });
  await build({ source, output: current, flags: [`-I${tmp}/current`] });

  heading("a host that declares the current layout");
  code('const Rect = struct("rect", { w: "i32", h: "i32" })');
  const Rect = struct("rect", { w: "i32", h: "i32" });
  say(
    `struct rect: ${Rect.size} bytes, align ${Rect.align}, fields ${
      Rect.fields.map((f) => `${f.name} at ${f.offset}`).join(", ")
    }; Deno FFI type ${JSON.stringify(Rect.ffi)}`,
  );
  code(
    'const Shapes = defineInterface("shapes", "1.0", { area: "i32 area(pointer r)", grow: "struct rect grow(struct rect r, i32 by)" }, { structs: [Rect] })',
  );
  const Shapes = defineInterface("shapes", "1.0", {
    area: "i32 area(pointer r)",
    grow: "struct rect grow(struct rect r, i32 by)",
  }, { structs: [Rect] });
  code(`await openPlugin("${old}", { interfaces: [Shapes] })`);
  await expectError(() => openPlugin(old, { interfaces: [Shapes] }), LoadError, "STRUCT_MISMATCH");
  const ran = (await Deno.readTextFile(log)).split("\n").filter(Boolean).length;
  check("no plugin code ran (the constructor log is empty)", ran === 0, `${ran} lines`);

  heading("without the check: raw Deno.dlopen, in a grandchild");
  const program = [
    `const rects = new Int32Array([3, 4, 5, 6]); // the host's layout: {w: 3, h: 4}, {w: 5, h: 6}`,
    `const lib = Deno.dlopen(${
      JSON.stringify(old)
    }, { area: { parameters: ["pointer"], result: "i32" } });`,
    `console.log("area({3, 4}) with the host's bytes, old code =", lib.symbols.area(Deno.UnsafePointer.of(rects)));`,
  ];
  say("grandchild program (deno eval):");
  for (const line of program) say(`  ${line}`);
  const run = await runDeno(program.join("\n"), { env: { SHAPES_LOG: "" } });
  showChild(run);
  const value = Number(/old code = (-?\d+)/.exec(run.output)?.[1]);
  check("raw FFI returned 30 instead of 12 without any error", run.code === 0 && value === 30);

  heading("the plugin rebuilt against the current header");
  code(`await openPlugin("${current}", { interfaces: [Shapes] })`);
  {
    await using p = await openPlugin(current, { interfaces: [Shapes] });
    const s = p.use(Shapes);
    const area = s.area(Deno.UnsafePointer.of(Rect.encode({ w: 3, h: 4 })));
    say(`area(&{3, 4}) = ${area}`);
    const grown = s.grow({ w: 3, h: 4 }, 1);
    say(`grow({ w: 3, h: 4 }, 1) = { w: ${grown.w}, h: ${grown.h} }`);
    check(
      "the rebuilt plugin reads the struct behind a pointer and by value",
      area === 12 && grown.w === 4 && grown.h === 5,
    );
  }

  heading("a plugin built before the header recorded its layout (and before grow)");
  const unrecorded = `${tmp}/shapes-unrecorded.so`;
  await build({ source, output: unrecorded, flags: [`-I${tmp}/unrecorded`] });
  code(
    'const ShapesArea = defineInterface("shapes", "1.0", { area: "i32 area(pointer r)" }, { structs: [Rect] })',
  );
  const ShapesArea = defineInterface("shapes", "1.0", { area: "i32 area(pointer r)" }, {
    structs: [Rect],
  });
  code(`await openPlugin("${unrecorded}", { interfaces: [ShapesArea] })`);
  await expectError(
    () => openPlugin(unrecorded, { interfaces: [ShapesArea] }),
    LoadError,
    "STRUCT_MISMATCH",
  );
  code(
    'const ShapesLenient = defineInterface("shapes", "1.0", { area: "i32 area(pointer r)" }, { structs: [Rect], layouts: "when-declared" })',
  );
  const ShapesLenient = defineInterface("shapes", "1.0", { area: "i32 area(pointer r)" }, {
    structs: [Rect],
    layouts: "when-declared",
  });
  code(`await openPlugin("${unrecorded}", { interfaces: [ShapesLenient] })`);
  {
    await using p = await openPlugin(unrecorded, { interfaces: [ShapesLenient] });
    const area = p.use(ShapesLenient).area(Deno.UnsafePointer.of(Rect.encode({ w: 3, h: 4 })));
    say(`area(&{3, 4}) = ${area}`);
    check(
      'with layouts: "when-declared", a plugin that records no layout loads',
      area === 12,
    );
  }
}

if (import.meta.main) await main();

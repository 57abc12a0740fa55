/**
 * Scenario "interface-identity": one plugin source built against two copies
 * of an interface header that differ; plugboard refuses the mismatched pair
 * before any plugin code runs, and a grandchild shows what raw FFI does.
 *
 * @module
 */

import { defineInterface, LoadError, openPlugin } from "../../mod.ts";
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
 * The scenario's definition; `deno task scenarios interface-identity` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./interface_identity.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "interface-identity",
  title: "Interface identity: two copies of a header",
  description:
    "Writes two copies of an interface header, `v1/geometry.h` and `v2/geometry.h`. Both still say " +
    "`geometry` 1.0 (the author of v2 forgot to bump the version), but v2 changed `area` from " +
    "`pb_i32` to `pb_f64` and added two fields in front of `geometry_rect`. One plugin source is " +
    "built against each. A host built for v1 refuses the v2 plugin, and a host built for v2 the v1 " +
    "plugin, with the exact signatures in the message and before any plugin code runs (the " +
    "plugin's constructor logs every run to a file). Then a grandchild does the same calls with " +
    "raw `Deno.dlopen` and the other side's declarations, and gets wrong numbers.",
  why:
    "On x86-64 Linux (System V ABI) integer arguments travel in `rdi`, `rsi`, ... and an integer " +
    "result comes back in `rax`, while `double` arguments travel in `xmm0`, `xmm1`, ... and come " +
    "back in `xmm0`. A host that declares `i32 area(i32, i32)` puts 3 and 4 into `edi`/`esi` and " +
    "reads `eax`; the v2 code (`mulsd xmm0, xmm1; ret`) multiplies whatever was in `xmm0` and " +
    "`xmm1` and never writes `eax`, so the host reads leftover garbage. The other way round, the " +
    "host puts 3.0 and 4.0 into `xmm0`/`xmm1` and reads `xmm0`; the v1 code (`mov eax, edi; imul " +
    "eax, esi; ret`) multiplies junk in `edi`/`esi` into `eax` and leaves `xmm0` alone, so the host " +
    "gets its own first argument back: 3. Nothing crashes and nothing is reported. Structures are " +
    "worse, because their layout is not in any signature: v1 puts `w` at offset 0 and `h` at 4; v2 " +
    "puts `x, y, w, h` at 0, 4, 8 and 12. Given a pointer to the v1 array `{3, 4}, {5, 6}` " +
    "(bytes `03 00 00 00 04 00 00 00 05 00 00 00 06 00 00 00`), v2 code reads `w` and `h` from " +
    "the second rectangle and returns 5 * 6 = 30 instead of 12; with a single rectangle it would " +
    "read past its end. plugboard compares the signatures written into the plugin's ELF notes by " +
    "the same macro that declares the C function, so the scalar change is refused with expected " +
    "and found before dlopen. A layout change behind a `pointer` parameter leaves every signature " +
    "the same, so no signature check can see it; the layout check can, when the header records " +
    "its structs with `PLUGBOARD_STRUCT` and the host declares them (scenario struct-layout), and " +
    "a changed struct still deserves a new interface major (the per-interface version check then " +
    "refuses the pair with `INTERFACE_MISMATCH`).",
  expect: {
    lines: [
      "$ diff v1/geometry.h v2/geometry.h",
      "< typedef struct geometry_rect { pb_i32 w; pb_i32 h; } geometry_rect;",
      "> typedef struct geometry_rect { pb_i32 x; pb_i32 y; pb_i32 w; pb_i32 h; } geometry_rect;",
      "< #define GEOMETRY_AREA PLUGBOARD_FN(geometry, pb_i32, area, (pb_i32 w, pb_i32 h))",
      "> #define GEOMETRY_AREA PLUGBOARD_FN(geometry, pb_f64, area, (pb_f64 w, pb_f64 h))",
      /^built \$TMP\/geometry-v1\.so /,
      /^built \$TMP\/geometry-v2\.so /,
      "plugin constructor: geometry built with v1/geometry.h",
      "area(3, 4) = 12, rect_area({3, 4}) = 12",
      "ok: host v1 and plugin v1 agree",
      '> await openPlugin("$TMP/geometry-v2.so", { interfaces: [GeometryV1] })',
      "throws LoadError SIGNATURE_MISMATCH:",
      'Cannot load plugin "$TMP/geometry-v2.so": function "area" of interface "geometry" has another signature: expected i32 area(i32, i32), found f64 area(f64, f64)',
      "hint: host and plugin disagree on geometry/1; a changed signature needs a new interface major: rebuild the plugin from the same interface definition as the host, or update the host's declaration",
      "ok: threw LoadError SIGNATURE_MISMATCH",
      '> await openPlugin("$TMP/geometry-v1.so", { interfaces: [GeometryV2] })',
      'Cannot load plugin "$TMP/geometry-v1.so": function "area" of interface "geometry" has another signature: expected f64 area(f64, f64), found i32 area(i32, i32)',
      "ok: threw LoadError SIGNATURE_MISMATCH",
      "ok: no plugin code ran for either refused load (the constructor log still has 1 line)",
      "  | area(3, 4) declared i32, v2 code (f64) = <garbage>",
      "  | rect_area({3, 4}) with v1 bytes, v2 code = 30",
      "  | area(3, 4) declared f64, v1 code (i32) = 3",
      "child ended: exit code 0",
      "ok: raw FFI returned wrong results without any error: 30 instead of 12, 3 instead of 12",
    ],
  },
  normalize: [[/(declared i32, v2 code \(f64\) = )-?\d+/, "$1<garbage>"]],
});

function header(version: "v1" | "v2"): string {
  const rect = version === "v1"
    ? "typedef struct geometry_rect { pb_i32 w; pb_i32 h; } geometry_rect;"
    : "typedef struct geometry_rect { pb_i32 x; pb_i32 y; pb_i32 w; pb_i32 h; } geometry_rect;";
  const t = version === "v1" ? "pb_i32" : "pb_f64";
  return `/* geometry.h: the "geometry" interface, as this copy of the header has it. */
#ifndef GEOMETRY_H
#define GEOMETRY_H
#include "plugboard.h"

#define GEOMETRY_HEADER "${version}/geometry.h"
PLUGBOARD_INTERFACE(geometry, "geometry", 1, 0);

/* A rectangle, passed by pointer. */
${rect}

/* Each declares one function of the interface; the body follows. */
#define GEOMETRY_AREA PLUGBOARD_FN(geometry, ${t}, area, (${t} w, ${t} h))
#define GEOMETRY_RECT_AREA PLUGBOARD_FN(geometry, pb_i32, rect_area, (pb_pointer rect))
#endif
`;
}

const SOURCE = `/* geometry.c: one source, built against either copy of geometry.h. */
#include "geometry.h"

#include <stdio.h>
#include <stdlib.h>

PLUGBOARD_PLUGIN("geometry", "1.0.0");

/* Logs every time the plugin's code runs at all. */
__attribute__((constructor)) static void geometry_constructor(void) {
  printf("plugin constructor: geometry built with %s\\n", GEOMETRY_HEADER);
  fflush(stdout);
  const char *log = getenv("GEOMETRY_LOG");
  FILE *f = log ? fopen(log, "a") : NULL;
  if (f) {
    fprintf(f, "%s\\n", GEOMETRY_HEADER);
    fclose(f);
  }
}

GEOMETRY_AREA { return w * h; }

GEOMETRY_RECT_AREA {
  const geometry_rect *r = rect;
  return r->w * r->h;
}
`;

async function main(): Promise<void> {
  const tmp = await tempDir();
  const log = `${tmp}/constructor.log`;
  Deno.env.set("GEOMETRY_LOG", log);
  await Deno.writeTextFile(log, "");
  await Deno.mkdir(`${tmp}/v1`);
  await Deno.mkdir(`${tmp}/v2`);
  const h1 = header("v1");
  const h2 = header("v2");
  await writeFile(`${tmp}/v1`, "geometry.h", h1);
  await writeFile(`${tmp}/v2`, "geometry.h", h2);
  const source = await writeFile(tmp, "geometry.c", SOURCE);

  shell("diff v1/geometry.h v2/geometry.h");
  const a = h1.split("\n");
  const b = h2.split("\n");
  a.forEach((line, i) => {
    if (line !== b[i]) say(`< ${line}`, `> ${b[i]}`);
  });

  const v1 = `${tmp}/geometry-v1.so`;
  const v2 = `${tmp}/geometry-v2.so`;
  await build({ source, output: v1, flags: [`-I${tmp}/v1`] });
  await build({ source, output: v2, flags: [`-I${tmp}/v2`] });

  heading("a host built for v1, and one built for v2");
  code(
    'const GeometryV1 = defineInterface("geometry", "1.0", { area: "i32 area(i32 w, i32 h)", rect_area: "i32 rect_area(pointer rect)" })',
  );
  const GeometryV1 = defineInterface("geometry", "1.0", {
    area: "i32 area(i32 w, i32 h)",
    rect_area: "i32 rect_area(pointer rect)",
  });
  code(
    'const GeometryV2 = defineInterface("geometry", "1.0", { area: "f64 area(f64 w, f64 h)", rect_area: "i32 rect_area(pointer rect)" })',
  );
  const GeometryV2 = defineInterface("geometry", "1.0", {
    area: "f64 area(f64 w, f64 h)",
    rect_area: "i32 rect_area(pointer rect)",
  });
  const rects = new Int32Array([3, 4, 5, 6]);

  code(`await openPlugin("${v1}", { interfaces: [GeometryV1] })`);
  {
    await using p = await openPlugin(v1, { interfaces: [GeometryV1] });
    const g = p.use(GeometryV1);
    const area = g.area(3, 4);
    const rect = g.rect_area(Deno.UnsafePointer.of(rects));
    say(`area(3, 4) = ${area}, rect_area({3, 4}) = ${rect}`);
    check("host v1 and plugin v1 agree", area === 12 && rect === 12, `${area}, ${rect}`);
  }
  const ranBefore = (await Deno.readTextFile(log)).split("\n").filter(Boolean).length;

  code(`await openPlugin("${v2}", { interfaces: [GeometryV1] })`);
  await expectError(
    () => openPlugin(v2, { interfaces: [GeometryV1] }),
    LoadError,
    "SIGNATURE_MISMATCH",
  );
  code(`await openPlugin("${v1}", { interfaces: [GeometryV2] })`);
  await expectError(
    () => openPlugin(v1, { interfaces: [GeometryV2] }),
    LoadError,
    "SIGNATURE_MISMATCH",
  );
  const ran = (await Deno.readTextFile(log)).split("\n").filter(Boolean).length;
  check(
    `no plugin code ran for either refused load (the constructor log still has ${ran} line${
      ran === 1 ? "" : "s"
    })`,
    ran === 1 && ranBefore === 1,
    `${ranBefore} then ${ran}`,
  );

  heading("without the check: raw Deno.dlopen with the other side's declarations, in a grandchild");
  const program = [
    `const rects = new Int32Array([3, 4, 5, 6]); // v1 layout: {w: 3, h: 4}, {w: 5, h: 6}`,
    `const v2 = Deno.dlopen(${
      JSON.stringify(v2)
    }, { area: { parameters: ["i32", "i32"], result: "i32" }, rect_area: { parameters: ["pointer"], result: "i32" } });`,
    `console.log("area(3, 4) declared i32, v2 code (f64) =", v2.symbols.area(3, 4));`,
    `console.log("rect_area({3, 4}) with v1 bytes, v2 code =", v2.symbols.rect_area(Deno.UnsafePointer.of(rects)));`,
    `const v1 = Deno.dlopen(${
      JSON.stringify(v1)
    }, { area: { parameters: ["f64", "f64"], result: "f64" } });`,
    `console.log("area(3, 4) declared f64, v1 code (i32) =", v1.symbols.area(3, 4));`,
  ];
  say("grandchild program (deno eval):");
  for (const line of program) say(`  ${line}`);
  const run = await runDeno(program.join("\n"));
  showChild(run);
  const value = (label: string) =>
    Number(new RegExp(`${label.replace(/[()]/g, "\\$&")} = (-?[\\d.]+)`).exec(run.output)?.[1]);
  const garbage = value("area(3, 4) declared i32, v2 code (f64)");
  const rect = value("rect_area({3, 4}) with v1 bytes, v2 code");
  const back = value("area(3, 4) declared f64, v1 code (i32)");
  check(
    `raw FFI returned wrong results without any error: ${rect} instead of 12, ${back} instead of 12`,
    run.code === 0 && garbage !== 12 && rect === 30 && back === 3,
    `exit ${run.code}, ${garbage}, ${rect}, ${back}`,
  );
  say("bytes the host passed: 03 00 00 00 04 00 00 00 05 00 00 00 06 00 00 00");
  say("v1 reads w at offset 0, h at 4 (3 * 4 = 12); v2 reads w at 8, h at 12 (5 * 6 = 30)");
}

if (import.meta.main) await main();

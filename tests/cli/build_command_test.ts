import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { captureCli } from "../_cli.ts";
import { inspectPlugin } from "../../src/check/inspect_plugin.ts";
import { SDK_FILES } from "../../src/cli/_sdk_files.ts";
import { readWasm } from "../../src/wasm/read_wasm.ts";
import { requireWasmToolchain } from "../wasm/_build.ts";

const GREETER = `#include "plugboard.h"
#include "greeting.h"

PLUGBOARD_PLUGIN("hi", "0.1.0");
PLUGBOARD_INTERFACE(greeter, "greeter", 1, 0);

PLUGBOARD_FN(greeter, pb_cstring, greet, (pb_cstring name)) {
  (void)name;
  return GREETING;
}
`;

async function project(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-build-cmd-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

function leftovers(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.includes(".tmp-"));
}

Deno.test("plugboard build compiles a plugin from any directory with the packaged header", async (t) => {
  const dir = await project({ "hi.c": GREETER, "greeting.h": '#define GREETING "hello"\n' });
  const build = (...args: string[]) => captureCli(["build", ...args]);
  let firstId = "";
  let compiler = "";
  await t.step("built, with a build id and the compiler in the note", async () => {
    const r = await build(`${dir}/hi.c`);
    assertEquals([r.code, r.err], [0, []]);
    assertMatch(
      r.out[0],
      new RegExp(`^built ${dir}/hi\\.so \\((gcc|clang) [\\d.]+, build id [0-9a-f]{16}\\)$`),
    );
    const report = inspectPlugin(`${dir}/hi.so`);
    firstId = report.buildId;
    compiler = /\(((?:gcc|clang) [\d.]+),/.exec(r.out[0])![1];
    assertEquals(r.out[0].endsWith(`build id ${firstId})`), true);
    assertMatch(report.compiler, /^(gcc|clang) \d+/);
    assertEquals(leftovers(dir), []);
    // No header was left behind, and none was needed in the directory.
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      ".plugboard-build.json",
      "greeting.h",
      "hi.c",
      "hi.so",
    ]);
  });
  await t.step("up to date the second time", async () => {
    assertEquals(await build(`${dir}/hi.c`), {
      code: 0,
      out: [`${dir}/hi.so is up to date (${compiler}, build id ${firstId})`],
      err: [],
    });
  });
  await t.step("a changed local header rebuilds, with another build id", async () => {
    await Deno.writeTextFile(`${dir}/greeting.h`, '#define GREETING "hi there"\n');
    const r = await build(`${dir}/hi.c`, "--json");
    const j = JSON.parse(r.out[0]);
    assertEquals([j.built, j.output, j.sources], [true, `${dir}/hi.so`, [`${dir}/hi.c`]]);
    assert(j.buildId !== firstId, "the build id changed");
    assertEquals(inspectPlugin(`${dir}/hi.so`).buildId, j.buildId);
  });
  await t.step("extra flags after -- change the build id; -o names the output", async () => {
    const a = JSON.parse((await build(`${dir}/hi.c`, "-o", `${dir}/out/a.so`, "--json")).out[0]);
    const b = JSON.parse(
      (await build(`${dir}/hi.c`, "--out", `${dir}/out/b.so`, "--json", "--", "-O1")).out[0],
    );
    assertEquals([a.output, b.output], [`${dir}/out/a.so`, `${dir}/out/b.so`]);
    assert(a.buildId !== b.buildId);
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("plugboard build: several sources into one plugin, and C++", async (t) => {
  await t.step("two C files", async () => {
    const dir = await project({
      "main.c": `#include "plugboard.h"
int twice(int x);
PLUGBOARD_PLUGIN("two", "0.1.0");
PLUGBOARD_INTERFACE(m, "m", 1, 0);
PLUGBOARD_FN(m, pb_i32, quad, (pb_i32 x)) { return twice(twice(x)); }
`,
      "util.c": "int twice(int x) { return 2 * x; }\n",
    });
    const r = await captureCli(["build", `${dir}/main.c`, `${dir}/util.c`, "-o", `${dir}/two.so`]);
    assertEquals(r.code, 0, r.err.join("\n"));
    const call = await captureCli(["call", `${dir}/two.so`, "quad", "5"]);
    assertEquals(call.out, ["20"]);
    await Deno.remove(dir, { recursive: true });
  });
  await t.step("C++ with plugboard.hpp: an exception becomes the plugin's error", async () => {
    const dir = await project({
      "op.cpp": `#include "plugboard.hpp"
#include <stdexcept>
PLUGBOARD_PLUGIN("op", "0.1.0");
PLUGBOARD_INTERFACE(op, "op", 1, 0);
PLUGBOARD_FALLIBLE_FN(op, pb_f64, half, (pb_f64 x)) {
  return plugboard::guard([&] {
    if (x < 0) throw plugboard::error(7, "negative");
    return x / 2;
  });
}
`,
    });
    const r = await captureCli(["build", `${dir}/op.cpp`]);
    assertEquals(r.code, 0, r.err.join("\n"));
    assertEquals((await captureCli(["call", `${dir}/op.so`, "half", "5"])).out, ["2.5"]);
    const e = await captureCli(["call", `${dir}/op.so`, "half", "-1"]);
    assertMatch(e.err[0], /^error\[CALL_FAILED\] \(plugin code 7\): .*: negative$/);
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("plugboard build --target wasm32 makes a WebAssembly module with the notes", async () => {
  await requireWasmToolchain();
  const dir = await project({ "hi.c": GREETER, "greeting.h": '#define GREETING "hello"\n' });
  const r = await captureCli(["build", `${dir}/hi.c`, "--target", "wasm32", "--json"]);
  assertEquals([r.code, r.err], [0, []]);
  const j = JSON.parse(r.out[0]);
  assertEquals([j.output, j.built], [`${dir}/hi.wasm`, true]);
  assertMatch(j.compiler, /^clang \d+/);
  const info = readWasm(await Deno.readFile(`${dir}/hi.wasm`), `${dir}/hi.wasm`);
  const plugin = new TextDecoder().decode(info.notes.find((n) => n.type === 1)!.desc);
  assertMatch(
    plugin,
    new RegExp(`^abi=1\\.0\nname=hi\nversion=0\\.1\\.0\nbuild_id=${j.buildId}\ncompiler=clang `),
  );
  // Up to date the second time, as for native plugins.
  const again = await captureCli(["build", `${dir}/hi.c`, "--target", "wasm32"]);
  assertMatch(
    again.out[0],
    new RegExp(`^${dir}/hi\\.wasm is up to date \\(clang [\\d.]+, build id ${j.buildId}\\)$`),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("plugboard build --target wasm32: libc's WASI calls become stubs, the module imports nothing and loads", async () => {
  await requireWasmToolchain();
  const dir = await project({
    "fmt.c": `#include "plugboard.h"
#include <stdio.h>

PLUGBOARD_PLUGIN("fmt", "0.1.0");
PLUGBOARD_INTERFACE(greeter, "greeter", 1, 0);

PLUGBOARD_FN(greeter, pb_cstring, greet, (pb_cstring name)) {
  static char out[64];
  snprintf(out, sizeof out, "Hello, %s", name);
  printf("printed nowhere\\n"); /* fd_write: a stub, without WASI */
  return out;
}
`,
  });
  const r = await captureCli(["build", `${dir}/fmt.c`, "--target", "wasm32"]);
  assertEquals(r.code, 0, r.err.join("\n"));
  const info = readWasm(await Deno.readFile(`${dir}/fmt.wasm`), `${dir}/fmt.wasm`);
  assertEquals(info.imports, []);
  const call = await captureCli(["call", `${dir}/fmt.wasm`, "greet", "wasm"]);
  assertEquals(call, { code: 0, out: ["Hello, wasm"], err: [] });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("plugboard build refuses what it cannot build", async (t) => {
  const dir = await project({
    "bad.c": "int f(void) { return missing; }\n",
    "a.c": "int a;\n",
    "b.cpp": "int b;\n",
    "notes.txt": "x\n",
  });
  const cases: [string, string[], number, string[]][] = [
    [
      "C++ for wasm32",
      [`${dir}/b.cpp`, "--target", "wasm32"],
      2,
      [
        'error[USAGE]: Target "wasm32" does not compile C++ sources',
        "hint: see plugboard build --help",
      ],
    ],
    [
      "an unknown target",
      [`${dir}/a.c`, "--target", "arm"],
      2,
      ['error[USAGE]: Unknown target "arm"', "hint: see plugboard build --help"],
    ],
    [
      "C and C++ together",
      [`${dir}/a.c`, `${dir}/b.cpp`],
      2,
      [
        "error[USAGE]: Cannot build C and C++ sources into one plugin",
        "hint: see plugboard build --help",
      ],
    ],
    [
      "not a source",
      [`${dir}/notes.txt`],
      2,
      [
        `error[USAGE]: Cannot build "${dir}/notes.txt": not a C or C++ source`,
        "hint: see plugboard build --help",
      ],
    ],
    [
      "no source",
      [],
      2,
      ["error[USAGE]: build needs at least one SRC", "hint: see plugboard build --help"],
    ],
    [
      "a compiler that is not installed",
      [`${dir}/a.c`, "--cc", "no-such-cc"],
      1,
      [
        'error[BUILD_FAILED]: Cannot run compiler "no-such-cc": not found on PATH',
        "hint: install a C compiler (Debian: apt-get install gcc, or g++ for C++), or name one with --cc",
      ],
    ],
  ];
  for (const [name, args, code, err] of cases) {
    await t.step(name, async () => {
      assertEquals(await captureCli(["build", ...args]), { code, out: [], err });
    });
  }
  await t.step("a compile error: the compiler's messages, then BUILD_FAILED", async () => {
    const r = await captureCli(["build", `${dir}/bad.c`]);
    assertEquals([r.code, r.out], [1, []]);
    assertMatch(r.err.join("\n"), /bad\.c:1:\d+: error: .missing. undeclared/);
    assertMatch(
      r.err.at(-2)!,
      new RegExp(
        `^error\\[BUILD_FAILED\\]: Cannot build "${dir}/bad\\.c": (gcc|clang) [\\d.]+ failed with exit code 1$`,
      ),
    );
    assertEquals(r.err.at(-1), "hint: fix the errors the compiler reports");
    assertEquals(leftovers(dir), []);
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("verify tells a rebuild from a modification, with or without a build id", async (t) => {
  const source = (text: string) =>
    `#include "plugboard.h"
PLUGBOARD_PLUGIN("v", "0.1.0");
PLUGBOARD_INTERFACE(v, "v", 1, 0);
PLUGBOARD_FN(v, pb_cstring, text, (void)) { return "${text}"; }
`;
  const dir = await project({ "v.c": source("one") });
  const lock = `${dir}/plugboard.lock`;
  const verify = async () =>
    (await captureCli(["verify", `${dir}/v.so`, "--lock", lock, "--no-cache"])).out;
  await t.step("a plain cc build has no build id: verify says it cannot tell", async () => {
    await Deno.writeTextFile(
      `${dir}/plugboard.h`,
      SDK_FILES["plugboard.h"],
    );
    const cc = async () => {
      const r = await new Deno.Command("cc", {
        args: ["-shared", "-fPIC", "-I", dir, "-o", `${dir}/v.so`, `${dir}/v.c`],
      }).output();
      assert(r.success, new TextDecoder().decode(r.stderr));
    };
    await cc();
    assertEquals((await captureCli(["trust", `${dir}/v.so`, "--lock", lock])).code, 0);
    await Deno.writeTextFile(`${dir}/v.c`, source("two"));
    await cc();
    const out = await verify();
    assertMatch(out[0], /^error\[CHECKSUM_MISMATCH\]: /);
    assertEquals(
      out[1],
      `hint: the plugin has no build id, so a rebuild cannot be told from a modification: build it with \`plugboard build\` (which stamps one), or restore the trusted file; if the change is intended, trust the file: plugboard trust ${dir}/v.so --lock ${lock}`,
    );
    await Deno.remove(`${dir}/plugboard.h`);
  });
  await t.step("built by plugboard build: a rebuild is a new build id", async () => {
    await captureCli(["build", `${dir}/v.c`]);
    assertEquals((await captureCli(["trust", `${dir}/v.so`, "--lock", lock])).code, 0);
    await Deno.writeTextFile(`${dir}/v.c`, source("three"));
    await captureCli(["build", `${dir}/v.c`]);
    const out = await verify();
    assertMatch(out.join("\n"), /^error\[BUILD_ID_MISMATCH\]: /m);
    assert(!out.join("\n").includes("modified after it was built"), out.join("\n"));
  });
  await Deno.remove(dir, { recursive: true });
});

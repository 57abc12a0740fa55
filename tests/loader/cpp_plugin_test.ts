import { assertEquals, assertMatch } from "../_assert.ts";
import { openPlugin } from "../../mod.ts";
import { ROOT } from "../_paths.ts";

/** Compile a C++ plugin with g++ into a temporary directory. */
async function buildCpp(name: string, source: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-cpp-" });
  await Deno.writeTextFile(`${dir}/${name}.cpp`, source);
  const out = `${dir}/${name}.so`;
  const r = await new Deno.Command("g++", {
    args: [
      "-std=c++17",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-O2",
      "-fPIC",
      "-shared",
      `-I${ROOT}/native`,
      "-o",
      out,
      `${dir}/${name}.cpp`,
    ],
    stderr: "piped",
  }).output();
  assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
  return out;
}

function mapped(name: string): boolean {
  return Deno.readTextFileSync("/proc/self/maps").includes(`/memfd:plugboard:${name} `);
}

Deno.test("a C++ plugin exports its functions with C linkage and unloads", async () => {
  const path = await buildCpp(
    "cpp_plain",
    `#include "plugboard.h"
#include <string>
PLUGBOARD_PLUGIN("cpp-plain", "0.1.0");
PLUGBOARD_INTERFACE(text, "text", 1, 0);
PLUGBOARD_FN(text, pb_i32, length, (pb_cstring s)) { return (pb_i32)std::string(s).size(); }
`,
  );
  const p = await openPlugin(path);
  assertEquals(p.functions({ length: "i32 length(cstring s)" }).length("héllo"), 6);
  assertEquals(await p.close(), { unloaded: true });
  assertEquals(mapped("cpp-plain"), false);
});

Deno.test("close() says a library with STB_GNU_UNIQUE symbols stays loaded, and it does", async () => {
  const path = await buildCpp(
    "cpp_unique",
    `#include "plugboard.h"
template <typename T> struct Counter { static int value; };
template <typename T> int Counter<T>::value = 0;
PLUGBOARD_PLUGIN("cpp-unique", "0.1.0");
PLUGBOARD_INTERFACE(u, "u", 1, 0);
PLUGBOARD_FN(u, pb_i32, bump, (void)) { return ++Counter<int>::value; }
`,
  );
  const p = await openPlugin(path);
  assertEquals(p.functions({ bump: "i32 bump()" }).bump(), 1);
  const result = await p.close();
  assertEquals(result.unloaded, false);
  assertMatch(result.reason!, /^it defines the STB_GNU_UNIQUE symbol "_ZN7CounterIiE5valueE"/);
  assertEquals(mapped("cpp-unique"), true, "glibc really kept it");
});

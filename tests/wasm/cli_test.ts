/**
 * The command line treats WebAssembly plugins as it treats native ones:
 * `bindgen` writes the same declarations for the two builds of one source,
 * and `pipe` runs a WebAssembly text processor built by
 * `plugboard build --target wasm32` beside native ones.
 */
import { assertEquals } from "../_assert.ts";
import { captureCli } from "../_cli.ts";
import { plugin, ROOT } from "../_paths.ts";
import { built, NEEDS_TOOLCHAIN } from "./_build.ts";

Deno.test("plugboard bindgen writes the same interfaces for a .wasm and a .so of one source", async () => {
  const wasm = await captureCli(["bindgen", await built("greeter")]);
  const native = await captureCli(["bindgen", plugin("greeter")]);
  const body = (r: { out: string[] }) => r.out.filter((l) => !l.startsWith("// "));
  assertEquals([wasm.code, native.code], [0, 0]);
  assertEquals(body(wasm), body(native));
});

Deno.test(
  "plugboard pipe runs a WebAssembly stage beside native ones",
  NEEDS_TOOLCHAIN,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "plugboard-wasm-pipe-" });
    await Deno.copyFile(plugin("text_base64"), `${dir}/1_base64.so`);
    const build = await captureCli([
      "build",
      `${ROOT}/plugins/text_upper.c`,
      "--target",
      "wasm32",
      "-o",
      `${dir}/2_upper.wasm`,
    ]);
    assertEquals(build.code, 0, build.err.join("\n"));
    const r = await captureCli(["pipe", "--dir", dir, "--json", "hi"]);
    assertEquals(r.code, 0, r.err.join("\n"));
    const j = JSON.parse(r.out[0]);
    assertEquals(j.output, "AGK=");
    assertEquals(
      j.stages.map((s: { kind: string; isolation: string; output: string }) => [
        s.kind,
        s.isolation,
        s.output,
      ]),
      [["native", "none", "aGk="], ["wasm", "none", "AGK="]],
    );
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("a WebAssembly plugin signed by a trusted publisher verifies without a hash pin", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-wasm-sign-" });
  const wasm = `${dir}/greeter.wasm`;
  await Deno.copyFile(await built("greeter"), wasm);
  const steps = [
    await captureCli(["keygen", "--out", `${dir}/k.key`]),
    await captureCli(["sign", wasm, "--key", `${dir}/k.key`]),
    await captureCli([
      "trust",
      "--publisher",
      `${dir}/k.key.pub`,
      "--for",
      "greeter@^0.1",
      "--lock",
      `${dir}/p.lock`,
    ]),
  ];
  assertEquals(steps.map((r) => r.code), [0, 0, 0]);
  const verified = await captureCli(["verify", wasm, "--lock", `${dir}/p.lock`, "--no-cache"]);
  assertEquals(verified, {
    code: 0,
    out: [`ok greeter@0.1.0 ${wasm}`, `1 file(s) checked against ${dir}/p.lock: 1 ok, 0 failed`],
    err: [],
  });
  await Deno.remove(dir, { recursive: true });
});

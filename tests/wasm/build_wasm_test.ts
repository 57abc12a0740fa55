/**
 * The WebAssembly build: the committed prebuilt samples are what a fresh
 * build makes (byte for byte, wherever the checkout lives), builds are
 * reproducible, and without the toolchain the build copies the prebuilt
 * modules and says in one line how to get them built.
 */
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { dirname, join } from "node:path";
import { readWasm } from "../../src/wasm/read_wasm.ts";
import {
  buildAllWasm,
  buildWasmPlugin,
  PREBUILT_DIR,
  TOOLCHAIN_PACKAGES,
  WASM_SAMPLES,
} from "../../tasks/build_wasm.ts";
import { ROOT } from "../_paths.ts";
import { NEEDS_TOOLCHAIN } from "./_build.ts";

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

Deno.test("every sample has a prebuilt module, with its metadata", async () => {
  for (const sample of WASM_SAMPLES) {
    const path = join(ROOT, PREBUILT_DIR, sample.output);
    const info = readWasm(await Deno.readFile(path), path);
    assert(info.notes.length >= 3, `${sample.output} has its plugboard notes`);
    assertEquals(
      info.imports.length > 0,
      sample.wasi === true,
      `${sample.output}: only the WASI sample imports anything`,
    );
  }
});

Deno.test(
  "the prebuilt modules are what a fresh build makes, byte for byte, in another checkout",
  NEEDS_TOOLCHAIN,
  async () => {
    const copy = Deno.realPathSync(await Deno.makeTempDir({ prefix: "plugboard-checkout-" }));
    try {
      const files = ["native/plugboard.h", ...WASM_SAMPLES.map((s) => s.source)];
      for (const file of files) {
        await Deno.mkdir(join(copy, dirname(file)), { recursive: true });
        await Deno.copyFile(join(ROOT, file), join(copy, file));
      }
      const r = await buildAllWasm({ root: copy, quiet: true });
      assertEquals(r.mode, "built");
      const stale: string[] = [];
      for (const [i, sample] of WASM_SAMPLES.entries()) {
        const fresh = await Deno.readFile(r.outputs[i]);
        const prebuilt = await Deno.readFile(join(ROOT, PREBUILT_DIR, sample.output));
        if (!same(fresh, prebuilt)) stale.push(sample.output);
      }
      assertEquals(
        stale,
        [],
        `these prebuilt modules differ from a fresh build (${
          r.results[0].compiler
        }): rebuild them with \`deno run -A tasks/build_wasm.ts --update-prebuilt\``,
      );
    } finally {
      await Deno.remove(copy, { recursive: true });
    }
  },
);

Deno.test(
  "a build is reproducible: the same bytes and build id twice",
  NEEDS_TOOLCHAIN,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "plugboard-repro-" });
    try {
      const build = (n: number) =>
        buildWasmPlugin({ source: join(ROOT, "plugins/greeter.c"), output: `${dir}/g${n}.wasm` });
      const [a, b] = [await build(1), await build(2)];
      assertEquals([a.built, b.built], [true, true]);
      assertEquals(a.buildId, b.buildId);
      assert(same(await Deno.readFile(`${dir}/g1.wasm`), await Deno.readFile(`${dir}/g2.wasm`)));
      assertEquals((await build(1)).built, false, "an up-to-date module is not built again");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("without the toolchain, the build copies the prebuilt modules and says so once", async () => {
  const out = await Deno.makeTempDir({ prefix: "plugboard-prebuilt-" });
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    const r = await buildAllWasm({ outDir: out, compiler: "plugboard-no-such-clang" });
    assertEquals(r.mode, "prebuilt");
    for (const [i, sample] of WASM_SAMPLES.entries()) {
      const prebuilt = await Deno.readFile(join(ROOT, PREBUILT_DIR, sample.output));
      assert(same(await Deno.readFile(r.outputs[i]), prebuilt), sample.output);
    }
  } finally {
    console.log = log;
    await Deno.remove(out, { recursive: true });
  }
  assertEquals(lines.length, 1);
  assertMatch(
    lines[0],
    new RegExp(
      `^WebAssembly samples: copied ${WASM_SAMPLES.length} prebuilt modules from plugins/wasm/prebuilt/ to .*/ \\(plugboard-no-such-clang is not installed; to build them: ${TOOLCHAIN_PACKAGES}\\)$`,
    ),
  );
});

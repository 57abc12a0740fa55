/**
 * Builds for the WebAssembly tests: the samples into `build/wasm/`, the
 * fixtures of `tests/wasm/fixtures/` into `build/wasm/fixtures/`, each once
 * per process, after checking that clang, wasm-ld and wasi-libc are there
 * (a missing one fails the test with the Debian package to install).
 *
 * @module
 */

import {
  buildAllWasm,
  buildWasmPlugin,
  TOOLCHAIN_PACKAGES,
  type WasmBuildSpec,
  wasmToolchain,
} from "../../tasks/build_wasm.ts";
import { BUILD, ROOT } from "../_paths.ts";

const TOOLCHAIN_HINT = "install the Debian packages clang, lld and wasi-libc " +
  "(apt-get install clang lld wasi-libc)";

async function output(program: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

let checked: Promise<void> | undefined;

/** Fail with the packages to install unless clang, wasm-ld and wasi-libc are usable. */
export function requireWasmToolchain(): Promise<void> {
  checked ??= (async () => {
    if (await output("clang", ["--version"]) === undefined) {
      throw new Error(`clang is not installed: ${TOOLCHAIN_HINT}`);
    }
    if (await output("wasm-ld", ["--version"]) === undefined) {
      throw new Error(`wasm-ld is not installed (Debian package lld): ${TOOLCHAIN_HINT}`);
    }
    const libc = await output("clang", ["--target=wasm32-wasi", "-print-file-name=libc.a"]);
    if (libc === undefined || libc === "libc.a") {
      throw new Error(`wasi-libc is not installed: ${TOOLCHAIN_HINT}`);
    }
  })();
  return checked;
}

const builds = new Map<string, Promise<string>>();

function once(output: string, spec: WasmBuildSpec): Promise<string> {
  let p = builds.get(output);
  if (!p) {
    p = requireWasmToolchain().then(() => buildWasmPlugin(spec)).then(() => output);
    builds.set(output, p);
  }
  return p;
}

/**
 * Build a sample plugin (`plugins/NAME.c`) to `build/wasm/NAME.wasm`;
 * without libc to `NAME.nolibc.wasm`, with WASI imports to
 * `NAME.wasi.wasm`, with a given build id to `NAME.ID.wasm`.
 *
 * @param name the sample, e.g. "calc_add"
 * @param options libc and a build id
 * @returns the module's path
 */
export function sample(
  name: string,
  options: Pick<WasmBuildSpec, "libc" | "buildId" | "wasi"> = {},
): Promise<string> {
  const suffix = (options.libc === false ? ".nolibc" : "") +
    (options.wasi ? ".wasi" : "") +
    (options.buildId ? `.${options.buildId}` : "");
  const output = `${BUILD}/wasm/${name}${suffix}.wasm`;
  return once(output, { source: `${ROOT}/plugins/${name}.c`, output, ...options });
}

/**
 * Build a fixture (`tests/wasm/fixtures/NAME.c`) to `build/wasm/fixtures/`.
 *
 * @param name the fixture, e.g. "layout"
 * @param options libc, flags and defines
 * @returns the module's path
 */
export function wasmFixture(
  name: string,
  options: Pick<WasmBuildSpec, "libc" | "flags" | "defines" | "wasi"> = {},
): Promise<string> {
  const suffix = (options.libc === false ? ".nolibc" : "") + (options.wasi ? ".wasi" : "");
  const output = `${BUILD}/wasm/fixtures/${name}${suffix}.wasm`;
  return once(output, { source: `${ROOT}/tests/wasm/fixtures/${name}.c`, output, ...options });
}

/** Functions a test instance exports, as numbers in and out. */
export type Exports = Record<string, (...args: number[]) => number> & {
  memory: WebAssembly.Memory;
  __indirect_function_table: WebAssembly.Table;
};

/** WASI functions that fail the test if a plugin calls them. */
export const WASI_TRAPS: WebAssembly.Imports = {
  wasi_snapshot_preview1: Object.fromEntries(
    ["fd_close", "fd_seek", "fd_write"].map((name) => [name, () => {
      throw new Error(`the plugin called WASI ${name}`);
    }]),
  ),
};

/**
 * Instantiate a module (compiling it is the test's business, not the reader's).
 *
 * @param path the module
 * @param imports what it imports
 * @returns its exports
 */
export async function instantiate(
  path: string,
  imports: WebAssembly.Imports = {},
): Promise<Exports> {
  const { instance } = await WebAssembly.instantiate(await Deno.readFile(path), imports);
  return instance.exports as unknown as Exports;
}

/**
 * Copy a string into the plugin's memory through plugboard_alloc.
 *
 * @param e the exports
 * @param text the string
 * @returns its address and the allocated size
 */
export function putString(e: Exports, text: string): [address: number, size: number] {
  const bytes = new TextEncoder().encode(text + "\0");
  const address = e.plugboard_alloc(bytes.length);
  if (address === 0) throw new Error("plugboard_alloc returned NULL");
  new Uint8Array(e.memory.buffer, address, bytes.length).set(bytes);
  return [address, bytes.length];
}

/**
 * Read a NUL-terminated string from the plugin's memory.
 *
 * @param e the exports
 * @param address where it starts
 * @returns the text
 */
export function getString(e: Exports, address: number): string {
  const memory = new Uint8Array(e.memory.buffer);
  let end = address;
  while (memory[end] !== 0) end++;
  return new TextDecoder().decode(memory.subarray(address, end));
}

/** Whether clang, wasm-ld and wasi-libc are here (asked once, when the test file loads). */
export const TOOLCHAIN = await wasmToolchain();

/**
 * Options for a test that builds WebAssembly with the toolchain: without
 * it, the test is ignored (reported as such, with the package line printed
 * once) unless `CI` is set, where it runs and fails with the package to
 * install. Tests that only run modules use {@linkcode built}, which works
 * from the prebuilt samples.
 */
export const NEEDS_TOOLCHAIN: { ignore: boolean } = {
  ignore: !TOOLCHAIN.available && !Deno.env.get("CI"),
};
if (NEEDS_TOOLCHAIN.ignore) {
  console.error(
    `tests/wasm: tests that build WebAssembly are ignored: ${
      TOOLCHAIN.available ? "" : TOOLCHAIN.missing
    } (${TOOLCHAIN_PACKAGES}; with CI set they fail instead)`,
  );
}

let samplesBuilt: Promise<unknown> | undefined;

/**
 * A module `deno task build` makes in `build/wasm/` (built with the
 * toolchain, or copied from the prebuilt ones without it): `greeter`,
 * `trap`, `fixtures/iso_types`...
 *
 * @param name the module's path under build/wasm/, without `.wasm`
 * @returns its absolute path
 */
export async function built(name: string): Promise<string> {
  samplesBuilt ??= buildAllWasm({ quiet: true });
  await samplesBuilt;
  return `${BUILD}/wasm/${name}.wasm`;
}

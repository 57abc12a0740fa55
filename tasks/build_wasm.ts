/**
 * Build C plugins into WebAssembly modules (wasm32) with clang and wasm-ld.
 * Kept apart from `build.ts` (which builds native `.so` files) until the CLI
 * gets `plugboard build --target wasm32`.
 *
 * As a script (`deno run -A tasks/build_wasm.ts`) it builds the samples
 * {@linkcode WASM_SAMPLES} into `build/wasm/`. As a library,
 * {@linkcode buildWasmPlugin} builds one file; failures throw
 * {@linkcode BuildError}.
 *
 * Two flavours, both with the flags of {@linkcode WASM_FLAGS}:
 * - with wasi-libc (the default): `--target=wasm32-wasi -nostartfiles
 *   -nodefaultlibs ... -lc`. The plugin may call libc; the module imports
 *   only the WASI functions the libc code it uses needs (none for string
 *   functions and malloc; fd_write, fd_seek and fd_close for the printf
 *   family). `-nodefaultlibs -lc` instead of the default libraries because
 *   Debian's clang 14 has no wasm32 compiler-rt unless
 *   `libclang-rt-14-dev-wasm32` is installed; `-nostartfiles` because a
 *   plugin has no `main` (plugboard.h runs the constructors instead).
 * - without libc (`libc: false`): `--target=wasm32 -nostdlib`; only the C
 *   headers clang ships (stdint.h, stddef.h, stdarg.h...) exist.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BuildError, type BuildResult } from "./build.ts";

export type { BuildResult };

/** Flags every wasm32 plugin is compiled and linked with, after the target. */
export const WASM_FLAGS: readonly string[] = Object.freeze([
  "-std=c11",
  "-O2",
  "-fvisibility=hidden",
  "-Wall",
  "-Wextra",
  "-Werror",
  // As the native build: -std=c11 hides POSIX declarations plugins use.
  "-D_POSIX_C_SOURCE=200809L",
  // A plugin is a library: no _start, no main.
  "-Wl,--no-entry",
  // The descriptor's init, shutdown and take_error are indexes into this table.
  "-Wl,--export-table",
  // The stack below the data: an overflow traps instead of overwriting data.
  "-Wl,--stack-first",
  // wasi-libc's objects carry DWARF; the plugboard section is not debug info.
  "-Wl,--strip-debug",
]);

/** The samples the script builds. */
export const WASM_SAMPLES: readonly string[] = Object.freeze([
  "greeter",
  "calc_add",
  "myfunction",
]);

/** What to build: one C source into one WebAssembly module. */
export interface WasmBuildSpec {
  /** The C source file. */
  source: string;
  /** The module to write; its directory is created if needed. */
  output: string;
  /** Link wasi-libc (`--target=wasm32-wasi ... -lc`), or build without any libc. @default true */
  libc?: boolean;
  /** Flags added after {@linkcode WASM_FLAGS}. @default [] */
  flags?: string[];
  /** Preprocessor definitions, passed as `-DNAME=VALUE`. @default {} */
  defines?: Record<string, string>;
  /** The build id to stamp. @default the first 16 hex digits of the input hash */
  buildId?: string;
  /** The compiler to run. @default "clang" */
  compiler?: string;
  /** The directory holding `plugboard.h`. @default the project's `native/` */
  sdkDir?: string;
}

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * The compiler arguments for a spec, without the output and the build id.
 *
 * @example
 * ```ts ignore
 * import { wasmArgs } from "./tasks/build_wasm.ts";
 *
 * console.log(wasmArgs({ source: "plugins/calc_add.c", output: "x.wasm", libc: false }).join(" "));
 * ```
 *
 * @param spec the source and options
 * @returns the arguments before `-DPLUGBOARD_BUILD_ID=...`, `-o` and the source
 */
export function wasmArgs(spec: WasmBuildSpec): string[] {
  const libc = spec.libc ?? true;
  const sdkDir = resolve(spec.sdkDir ?? join(PROJECT_ROOT, "native"));
  const defines = Object.entries(spec.defines ?? {}).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new BuildError(
        `Cannot build ${JSON.stringify(spec.source)}: invalid define name ${JSON.stringify(name)}`,
        { source: spec.source },
      );
    }
    return `-D${name}=${value}`;
  });
  return [
    libc ? "--target=wasm32-wasi" : "--target=wasm32",
    ...(libc ? ["-nostartfiles", "-nodefaultlibs"] : ["-nostdlib"]),
    ...WASM_FLAGS,
    ...(spec.flags ?? []),
    `-I${sdkDir}`,
    ...defines,
  ];
}

/**
 * Build one plugin into a WebAssembly module, unless it is up to date: a
 * file `<output>.stamp` next to it records the hash of everything the build
 * depends on (the compiler's version, the arguments, the source and
 * `plugboard.h`; other headers are not tracked). Compiles to a temporary
 * file next to the output and renames it over the output.
 *
 * @example Building the calc-add sample without libc
 * ```ts ignore
 * import { buildWasmPlugin } from "./tasks/build_wasm.ts";
 *
 * const r = await buildWasmPlugin({
 *   source: "plugins/calc_add.c",
 *   output: "build/wasm/calc_add.wasm",
 *   libc: false,
 * });
 * console.log(r.buildId, r.compiler);
 * ```
 *
 * @param spec the source, output and options
 * @returns what was built, with the build id
 * @throws {BuildError} when the compiler fails or cannot be run
 */
export async function buildWasmPlugin(spec: WasmBuildSpec): Promise<BuildResult> {
  const compiler = spec.compiler ?? "clang";
  const sdkDir = resolve(spec.sdkDir ?? join(PROJECT_ROOT, "native"));
  const args = wasmArgs(spec);
  const [source, header, version] = await Promise.all([
    read(spec.source, spec.source),
    read(join(sdkDir, "plugboard.h"), spec.source),
    run(compiler, ["--version"], spec.source),
  ]);
  const hash = createHash("sha256");
  for (const part of ["plugboard-build-wasm 1", version.stdout, JSON.stringify(args)]) {
    hash.update(`${part.length}:${part}`);
  }
  for (const part of [source, header]) {
    hash.update(`${part.length}:`);
    hash.update(part);
  }
  const digest = hash.digest("hex");
  const buildId = spec.buildId ?? digest.slice(0, 16);
  const label = /clang version (\d+\.\d+(\.\d+)?)/.exec(version.stdout)?.[1];
  const result = {
    source: spec.source,
    output: spec.output,
    buildId,
    compiler: label ? `clang ${label}` : compiler,
  };
  const output = resolve(spec.output);
  const stamp = `${output}.stamp`;
  const inputs = `${digest} ${buildId}`;
  const [previous, stat] = await Promise.all([
    Deno.readTextFile(stamp).catch(() => ""),
    Deno.stat(output).catch(() => undefined),
  ]);
  if (stat?.isFile && previous === `${inputs} ${stat.size} ${stat.mtime?.getTime()}`) {
    return { ...result, built: false };
  }
  await Deno.mkdir(dirname(output), { recursive: true });
  const tmp = `${output}.tmp-${Deno.pid}-${++tmpCounter}`;
  const out = await run(compiler, [
    ...args,
    `-DPLUGBOARD_BUILD_ID="${buildId}"`,
    "-o",
    tmp,
    resolve(spec.source),
    ...((spec.libc ?? true) ? ["-lc"] : []),
  ], spec.source);
  if (!out.success) {
    await Deno.remove(tmp).catch(() => {});
    throw new BuildError(
      `Cannot build ${JSON.stringify(spec.source)}: ${compiler} failed with exit code ${out.code}`,
      { source: spec.source, stderr: out.stderr, exitCode: out.code },
    );
  }
  await Deno.rename(tmp, output);
  const built = await Deno.stat(output);
  await Deno.writeTextFile(stamp, `${inputs} ${built.size} ${built.mtime?.getTime()}`);
  return { ...result, built: true };
}

let tmpCounter = 0;

async function read(path: string, source: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    throw new BuildError(
      `Cannot build ${JSON.stringify(source)}: cannot read ${JSON.stringify(path)}: ${
        err instanceof Error ? err.message : String(err)
      }`,
      { source, cause: err },
    );
  }
}

async function run(
  program: string,
  args: string[],
  source: string,
): Promise<{ success: boolean; code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" })
      .output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return {
      success: out.success,
      code: out.code,
      stdout: text(out.stdout),
      stderr: text(out.stderr),
    };
  } catch (err) {
    throw new BuildError(
      `Cannot build ${JSON.stringify(source)}: cannot run ${JSON.stringify(program)}: ${
        err instanceof Error ? err.message : String(err)
      } (install the Debian packages clang, lld and wasi-libc)`,
      { source, cause: err },
    );
  }
}

if (import.meta.main) {
  const outDir = join(PROJECT_ROOT, "build", "wasm");
  try {
    for (const name of WASM_SAMPLES) {
      const r = await buildWasmPlugin({
        source: join(PROJECT_ROOT, "plugins", `${name}.c`),
        output: join(outDir, `${name}.wasm`),
      });
      console.log(
        r.built
          ? `built build/wasm/${name}.wasm (${r.compiler}, build id ${r.buildId})`
          : `up to date build/wasm/${name}.wasm`,
      );
    }
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
}

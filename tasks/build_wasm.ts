/**
 * Build C plugins into WebAssembly modules (wasm32) with clang and wasm-ld.
 * Kept apart from `build.ts` (which builds native `.so` files);
 * {@linkcode buildWasmPlugin} is the one function that knows the flags and
 * the post-link step, for `deno task build` ({@linkcode buildAllWasm}) and
 * for a CLI `plugboard build --target wasm32` alike.
 *
 * As a script (`deno run -A tasks/build_wasm.ts`) it builds the samples
 * {@linkcode WASM_SAMPLES} into `build/wasm/`; with `--update-prebuilt` it
 * also copies them to `plugins/wasm/prebuilt/`. Without the toolchain
 * (clang, lld, wasi-libc) {@linkcode buildAllWasm} copies the committed
 * prebuilt modules instead and says in one line how to get them built.
 *
 * Two flavours, both with the flags of {@linkcode WASM_FLAGS}:
 * - with wasi-libc (the default): `--target=wasm32-wasi -nostartfiles
 *   -nodefaultlibs ... -lc`. The plugin may call libc. By default the
 *   module imports nothing even then: the WASI functions the libc code
 *   needs (fd_write, fd_seek and fd_close for the printf family) are linked
 *   to local stubs that fail with ENOSYS (proc_exit traps), so the plugin
 *   runs without any grant; with `wasi: true` they stay imports, which the
 *   host must grant (`wasm: { wasi: {...} }`). `-nodefaultlibs -lc`
 *   instead of the default libraries because Debian's clang 14 has no
 *   wasm32 compiler-rt unless `libclang-rt-14-dev-wasm32` is installed;
 *   `-nostartfiles` because a plugin has no `main` (plugboard.h runs the
 *   constructors instead).
 * - without libc (`libc: false`): `--target=wasm32 -nostdlib`; only the C
 *   headers clang ships (stdint.h, stddef.h, stdarg.h...) exist.
 *
 * Builds are reproducible: the build id hashes the compiler's version line,
 * the arguments (with the SDK directory as `<sdk>`, so the checkout's
 * location does not matter), the flavour, the source and `plugboard.h`, and
 * the same inputs give the same bytes.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readWasm } from "../src/wasm/read_wasm.ts";
import { WASI_MODULE, wasiStubSource } from "../src/cli/_wasi_stubs.ts";
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

/** One module {@linkcode buildAllWasm} builds. */
export interface WasmSample {
  /** The C source, relative to the project root. */
  readonly source: string;
  /** The module, relative to the output directory (`build/wasm/`). */
  readonly output: string;
  /** Keep its WASI imports (see {@linkcode WasmBuildSpec.wasi}). */
  readonly wasi?: boolean;
}

function samples(dir: string, names: string[], out = "", wasi = false): WasmSample[] {
  return names.map((n) => ({ source: `${dir}/${n}.c`, output: `${out}${n}.wasm`, wasi }));
}

/**
 * What {@linkcode buildAllWasm} builds into `build/wasm/`: the samples of
 * `plugins/` that make sense in WebAssembly, the WebAssembly-only samples of
 * `plugins/wasm/` (traps, a loop, a memory hog, WASI, failures at start),
 * and three test fixtures (`build/wasm/fixtures/`), so that the tests of the
 * WebAssembly runtime run from the prebuilt modules on a machine without
 * the toolchain.
 */
export const WASM_SAMPLES: readonly WasmSample[] = Object.freeze([
  ...samples("plugins", [
    "greeter",
    "myfunction",
    "calc_add",
    "calc_sub",
    "calc_mul",
    "calc_div",
    "noop",
    "abort_call",
    "exit_call",
    "crash_call",
  ]),
  ...samples("plugins/wasm", ["trap", "loop", "hog", "start_trap", "start_loop"]),
  ...samples("plugins/wasm", ["wasi"], "", true),
  ...samples("tests/fixtures", ["iso_types", "init_fail", "greeter_0_2_0"], "fixtures/"),
]);

/** Where the committed builds of the samples are, relative to the project root. */
export const PREBUILT_DIR = "plugins/wasm/prebuilt";

/** The Debian packages of the toolchain, as the one-line advice says. */
export const TOOLCHAIN_PACKAGES = "apt-get install clang lld wasi-libc";

/** What to build: one C source into one WebAssembly module. */
export interface WasmBuildSpec {
  /** The C source file. */
  source: string;
  /** The module to write; its directory is created if needed. */
  output: string;
  /** Link wasi-libc (`--target=wasm32-wasi ... -lc`), or build without any libc. @default true */
  libc?: boolean;
  /**
   * Keep the WASI functions libc needs as imports (the host must grant
   * WASI), rather than linking them to stubs that fail with ENOSYS.
   * @default false
   */
  wasi?: boolean;
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
 * depends on (the compiler's version, the arguments, the flavour, the
 * source and `plugboard.h`; other headers are not tracked). Compiles to a
 * temporary file next to the output and renames it over the output. Without
 * `wasi`, a module linked with WASI imports is linked again with
 * {@linkcode wasiStubSource}'s stubs.
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
  const libc = spec.libc ?? true;
  const wasi = spec.wasi ?? false;
  const args = wasmArgs(spec);
  const [source, header, version] = await Promise.all([
    read(spec.source, spec.source),
    read(join(sdkDir, "plugboard.h"), spec.source),
    compilerVersion(compiler, spec.source),
  ]);
  const versionLine = version.stdout.split("\n")[0].trim();
  const hash = createHash("sha256");
  // The SDK's location is not an input: the same checkout anywhere builds the same bytes.
  const hashedArgs = args.map((a) => a === `-I${sdkDir}` ? "-I<sdk>" : a);
  for (
    const part of [
      "plugboard-build-wasm 2",
      versionLine,
      JSON.stringify(hashedArgs),
      `wasi=${libc && wasi}`,
    ]
  ) {
    hash.update(`${part.length}:${part}`);
  }
  for (const part of [source, header]) {
    hash.update(`${part.length}:`);
    hash.update(part);
  }
  const digest = hash.digest("hex");
  const buildId = spec.buildId ?? digest.slice(0, 16);
  const label = /clang version (\d+\.\d+(\.\d+)?)/.exec(versionLine)?.[1];
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
  const tmp = `${output}.tmp-${Deno.pid}-${++tmpCounter}-${crypto.randomUUID().slice(0, 8)}`;
  const link = async (extra: string[]) => {
    const out = await run(compiler, [
      ...args,
      `-DPLUGBOARD_BUILD_ID="${buildId}"`,
      "-o",
      tmp,
      resolve(spec.source),
      ...extra,
      ...(libc ? ["-lc"] : []),
    ], spec.source);
    if (!out.success) {
      await Deno.remove(tmp).catch(() => {});
      throw new BuildError(
        `Cannot build ${
          JSON.stringify(spec.source)
        }: ${compiler} failed with exit code ${out.code}`,
        { source: spec.source, stderr: out.stderr, exitCode: out.code },
      );
    }
  };
  await link([]);
  if (libc && !wasi) {
    const imports = readWasm(await Deno.readFile(tmp), tmp).imports
      .filter((i) => i.module === WASI_MODULE && i.kind === "function");
    if (imports.length > 0) {
      const stubs = `${output}.wasi-stubs-${Deno.pid}-${tmpCounter}.c`;
      await Deno.writeTextFile(stubs, wasiStubSource(imports));
      try {
        await link([stubs]);
      } finally {
        await Deno.remove(stubs).catch(() => {});
      }
    }
  }
  await Deno.rename(tmp, output);
  const built = await Deno.stat(output);
  await Deno.writeTextFile(stamp, `${inputs} ${built.size} ${built.mtime?.getTime()}`);
  return { ...result, built: true };
}

let tmpCounter = 0;

const versions = new Map<string, Promise<{ stdout: string }>>();

/** `COMPILER --version`, asked once per process. */
function compilerVersion(compiler: string, source: string): Promise<{ stdout: string }> {
  let v = versions.get(compiler);
  if (!v) {
    v = run(compiler, ["--version"], source);
    versions.set(compiler, v);
    v.catch(() => versions.delete(compiler));
  }
  return v;
}

/** Whether the toolchain is here, and if not, what is missing. */
export type WasmToolchain = { available: true } | { available: false; missing: string };

/**
 * Find out whether clang can build wasm32 plugins here: clang runs, it finds
 * wasm-ld (Debian package lld) and wasi-libc's `libc.a`.
 *
 * @example
 * ```ts ignore
 * import { wasmToolchain } from "./tasks/build_wasm.ts";
 *
 * const t = await wasmToolchain();
 * if (!t.available) console.log(t.missing);
 * ```
 *
 * @param compiler the compiler to ask
 * @returns whether it can
 */
export async function wasmToolchain(compiler = "clang"): Promise<WasmToolchain> {
  const ask = async (args: string[]) => {
    try {
      const out = await new Deno.Command(compiler, { args, stdout: "piped", stderr: "null" })
        .output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
    } catch {
      return undefined;
    }
  };
  if (await ask(["--version"]) === undefined) {
    return { available: false, missing: `${compiler} is not installed` };
  }
  const ld = await ask(["--target=wasm32", "-print-prog-name=wasm-ld"]);
  const ldFound = ld !== undefined && ld.startsWith("/") &&
    await Deno.stat(ld).then((s) => s.isFile, () => false);
  if (!ldFound) return { available: false, missing: "wasm-ld (lld) is not installed" };
  const libc = await ask(["--target=wasm32-wasi", "-print-file-name=libc.a"]);
  if (libc === undefined || !libc.startsWith("/")) {
    return { available: false, missing: "wasi-libc is not installed" };
  }
  return { available: true };
}

/** Options of {@linkcode buildAllWasm}. */
export interface BuildAllWasmOptions {
  /** The project root, holding `plugins/` and `native/`. @default this project */
  root?: string;
  /** Where the modules go; a relative path is taken from `root`. @default "<root>/build/wasm" */
  outDir?: string;
  /** Print nothing. @default false */
  quiet?: boolean;
  /** The compiler. @default "clang" */
  compiler?: string;
}

/** What {@linkcode buildAllWasm} did. */
export interface BuildAllWasmResult {
  /** `built`: compiled (or up to date); `prebuilt`: copied from {@linkcode PREBUILT_DIR}. */
  readonly mode: "built" | "prebuilt";
  /** Each sample's module, in {@linkcode WASM_SAMPLES} order. */
  readonly outputs: readonly string[];
  /** The build results, when built. */
  readonly results: readonly BuildResult[];
}

/**
 * Build every sample of {@linkcode WASM_SAMPLES} into `build/wasm/`, two at a
 * time; without the toolchain, copy the committed modules of
 * {@linkcode PREBUILT_DIR} instead and print one line saying how to get
 * them built (`apt-get install clang lld wasi-libc`).
 *
 * @example
 * ```ts ignore
 * import { buildAllWasm } from "./tasks/build_wasm.ts";
 *
 * const r = await buildAllWasm();
 * console.log(r.mode, r.outputs.length);
 * ```
 *
 * @param options root, output directory and quiet
 * @returns what was done
 * @throws {BuildError} when a sample fails to build, or a prebuilt module is missing
 */
export async function buildAllWasm(options: BuildAllWasmOptions = {}): Promise<BuildAllWasmResult> {
  const root = resolve(options.root ?? PROJECT_ROOT);
  const outDir = resolve(root, options.outDir ?? "build/wasm");
  const say = (line: string) => options.quiet || console.log(line);
  const outputs = WASM_SAMPLES.map((s) => join(outDir, s.output));
  const shown = (p: string) => relative(root, p) || p;
  const toolchain = await wasmToolchain(options.compiler);
  if (!toolchain.available) {
    await Deno.mkdir(outDir, { recursive: true });
    for (const [i, sample] of WASM_SAMPLES.entries()) {
      const from = join(root, PREBUILT_DIR, sample.output);
      const bytes = await read(from, sample.source);
      const current = await Deno.readFile(outputs[i]).catch(() => undefined);
      if (current && equalBytes(current, bytes)) continue;
      await Deno.mkdir(dirname(outputs[i]), { recursive: true });
      const tmp = `${outputs[i]}.tmp-${Deno.pid}`;
      await Deno.writeFile(tmp, bytes);
      await Deno.rename(tmp, outputs[i]);
    }
    say(
      `WebAssembly samples: copied ${outputs.length} prebuilt modules from ${PREBUILT_DIR}/ to ${
        shown(outDir)
      }/ (${toolchain.missing}; to build them: ${TOOLCHAIN_PACKAGES})`,
    );
    return { mode: "prebuilt", outputs, results: [] };
  }
  const results: BuildResult[] = new Array(WASM_SAMPLES.length);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < WASM_SAMPLES.length) {
      const i = next++;
      try {
        results[i] = await buildWasmPlugin({
          source: join(root, WASM_SAMPLES[i].source),
          output: outputs[i],
          sdkDir: join(root, "native"),
          wasi: WASM_SAMPLES[i].wasi,
          compiler: options.compiler,
        });
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all([worker(), worker()]);
  if (failure !== undefined) throw failure;
  // A line per module built, then one summary line, as the native build prints.
  for (const r of results) {
    if (r.built) say(`built ${shown(r.output)} (${r.compiler}, build id ${r.buildId})`);
  }
  const built = results.filter((r) => r.built).length;
  const upToDate = `${results.length - built} WebAssembly modules up to date with ${
    results[0]?.compiler ?? "clang"
  }`;
  say(built ? `${built} built, ${upToDate}` : upToDate);
  return { mode: "built", outputs, results };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

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
      } (install the Debian packages clang, lld and wasi-libc: ${TOOLCHAIN_PACKAGES})`,
      { source, cause: err },
    );
  }
}

if (import.meta.main) {
  try {
    const r = await buildAllWasm();
    if (Deno.args.includes("--update-prebuilt")) {
      if (r.mode !== "built") {
        console.error(`Cannot update ${PREBUILT_DIR}/: the toolchain is missing`);
        Deno.exit(1);
      }
      for (const [i, sample] of WASM_SAMPLES.entries()) {
        const to = join(PROJECT_ROOT, PREBUILT_DIR, sample.output);
        await Deno.mkdir(dirname(to), { recursive: true });
        await Deno.copyFile(r.outputs[i], to);
        await Deno.chmod(to, 0o644);
      }
      console.log(`copied ${r.outputs.length} modules to ${PREBUILT_DIR}/`);
    }
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
}

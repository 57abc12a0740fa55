/**
 * The build task: compiles this repository's plugin sources into shared
 * objects with `plugboard build`'s compiler logic (`src/cli/_compile.ts`:
 * flags, build id, stamps, incremental).
 *
 * As a script (`deno task build`) it builds `plugins/*.c` into `build/*.so`
 * and `tests/fixtures/*.c` into `build/fixtures/*.so`, prints a line per
 * file it builds and one summary line (`40 up to date with gcc 12.2.0`),
 * and exits with code 1 after printing the compiler's errors. As a library,
 * {@linkcode buildPlugin} builds one file and {@linkcode buildAll} the whole
 * tree; failures throw {@linkcode BuildError}.
 *
 * Every file is compiled with {@linkcode BASE_FLAGS} (plugboard build's C
 * flags and `-Werror`), `-I<sdkDir>` (this checkout's `native/`, so a change
 * to the header rebuilds everything), `-DPLUGBOARD_BUILD_ID="<id>"` and the
 * flags of any `// plugboard-build: <flags>` line in the source. The build id
 * rule is `plugboard build`'s: a hash of the compiler's version text, the
 * flags, the defines, the source, `plugboard.h` and the local headers the
 * source includes; the same inputs always give the same id.
 *
 * @module
 */

import { buildAllWasm } from "./build_wasm.ts";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BuildError,
  C_FLAGS,
  compilePlugin,
  compilerInfo,
  defaultCompiler,
  sourceFlags,
} from "../src/cli/_compile.ts";

export { BuildError, sourceFlags };

/** Flags every sample is compiled with: `plugboard build`'s C flags, and warnings as errors. */
export const BASE_FLAGS: readonly string[] = Object.freeze([...C_FLAGS, "-Werror"]);

/** What to build: one C source into one shared object. */
export interface BuildSpec {
  /** The C source file. */
  source: string;
  /** The shared object to write; its directory is created if needed. */
  output: string;
  /** Flags added after the per-file flags of the source. @default [] */
  flags?: string[];
  /** Preprocessor definitions, passed as `-DNAME=VALUE`. @default {} */
  defines?: Record<string, string>;
  /** The build id to stamp. @default the first 16 hex digits of the input hash */
  buildId?: string;
  /** The compiler to run. @default `$CC`, or `"cc"` when unset */
  compiler?: string;
  /** The directory holding `plugboard.h`. @default the project's `native/` */
  sdkDir?: string;
}

/** What {@linkcode buildPlugin} did. */
export interface BuildResult {
  /** The C source file, as given. */
  source: string;
  /** The shared object, as given. */
  output: string;
  /** The build id stamped into the output. */
  buildId: string;
  /** The compiler's family and version, e.g. `"gcc 12.2.0"`. */
  compiler: string;
  /** `true` when the output was compiled, `false` when it was up to date. */
  built: boolean;
}

/** Options of {@linkcode buildAll}. */
export interface BuildAllOptions {
  /** The project root, holding `plugins/`, `tests/fixtures/` and `native/`. @default this project */
  root?: string;
  /** Where outputs go; a relative path is taken from `root`. @default "<root>/build" */
  outDir?: string;
  /** Print nothing. @default false */
  quiet?: boolean;
}

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
const JOBS = 2;

/**
 * Build one plugin, unless its output is up to date. Compiles to a temporary
 * file next to the output and renames it over the output. Calls for the same
 * output in one process run one after the other.
 *
 * @example Building the greeter
 * ```ts ignore
 * import { buildPlugin } from "./tasks/build.ts";
 *
 * const result = await buildPlugin({ source: "plugins/greeter.c", output: "build/greeter.so" });
 * console.log(result.built ? "built" : "up to date", result.buildId);
 * ```
 *
 * @param spec the source, output and options
 * @returns what was built, with the build id
 * @throws {BuildError} when the compiler fails or cannot be run
 */
export async function buildPlugin(spec: BuildSpec): Promise<BuildResult> {
  const r = await compilePlugin({
    sources: [spec.source],
    output: spec.output,
    flags: ["-Werror", ...spec.flags ?? []],
    defines: spec.defines,
    buildId: spec.buildId,
    compiler: spec.compiler,
    sdkDir: spec.sdkDir ?? join(PROJECT_ROOT, "native"),
  });
  if (r.warnings !== "") console.error(r.warnings);
  return {
    source: spec.source,
    output: spec.output,
    buildId: r.buildId,
    compiler: r.compiler,
    built: r.built,
  };
}

/**
 * Build every plugin (`plugins/*.c` into `<outDir>/*.so`) and every test
 * fixture (`tests/fixtures/*.c` into `<outDir>/fixtures/*.so`), two at a
 * time. Unless `quiet`, prints a line per file built, in source order, and
 * a summary.
 * After the first failure nothing new is started; the builds already running
 * finish, then the first error is thrown.
 *
 * @example Building into a temporary directory
 * ```ts ignore
 * import { buildAll } from "./tasks/build.ts";
 *
 * const results = await buildAll({ outDir: await Deno.makeTempDir(), quiet: true });
 * console.log(results.filter((r) => r.built).length, "built");
 * ```
 *
 * @param options root, output directory and quiet
 * @returns one result per C source, plugins first, each group sorted by name
 * @throws {BuildError} when a plugin fails to build
 */
export async function buildAll(
  options: BuildAllOptions = {},
): Promise<BuildResult[]> {
  const root = resolve(options.root ?? PROJECT_ROOT);
  const outDir = resolve(root, options.outDir ?? "build");
  const sdkDir = join(root, "native");
  const specs: BuildSpec[] = [];
  const groups = [
    { dir: "plugins", out: outDir },
    { dir: "tests/fixtures", out: join(outDir, "fixtures") },
  ];
  for (const { dir, out } of groups) {
    for (const name of await listSources(join(root, dir))) {
      specs.push({
        source: join(root, dir, name),
        output: join(out, name.replace(/\.c$/, ".so")),
        sdkDir,
      });
    }
  }

  const results: (BuildResult | undefined)[] = specs.map(() => undefined);
  let printed = 0;
  const print = () => {
    while (printed < results.length && results[printed]) {
      const r = results[printed]!;
      if (!options.quiet && r.built) console.log(describe(r));
      printed++;
    }
  };
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < specs.length) {
      const i = next++;
      try {
        results[i] = await buildPlugin(specs[i]);
        print();
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(JOBS, specs.length) }, worker),
  );
  if (failure !== undefined) throw failure;

  const done = results as BuildResult[];
  if (!options.quiet) {
    const built = done.filter((r) => r.built).length;
    const compiler = done[0]?.compiler ?? (await compilerInfo(defaultCompiler())).label;
    const upToDate = `${done.length - built} up to date with ${compiler}`;
    console.log(built ? `${built} built, ${upToDate}` : upToDate);
  }
  return done;
}

// ---------------------------------------------------------------------------

async function listSources(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".c")) names.push(entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return names.sort();
}

function describe(r: BuildResult): string {
  return `built ${display(r.output)} (${basename(r.source)}, ${r.compiler}, build id ${r.buildId})`;
}

function display(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  try {
    await buildAll();
    // The WebAssembly samples and fixtures (build/wasm/): clang and wasm-ld, or the
    // prebuilt copies; a project without plugins/wasm/ has none.
    if (await exists(join(PROJECT_ROOT, "plugins", "wasm"))) await buildAllWasm();
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
}

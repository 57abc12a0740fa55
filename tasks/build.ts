/**
 * The build task: compiles this repository's plugin sources into shared
 * objects with `plugboard build`'s compiler logic (`src/cli/_compile.ts`:
 * flags, build id, stamps, incremental), and copies the exec plugins.
 *
 * As a script (`deno task build`) it builds `plugins/*.c` into `build/*.so`
 * and `tests/fixtures/*.c` into `build/fixtures/*.so`, copies the exec
 * plugins `plugins/*.sh` to `build/` (executable), prints a line per file it
 * builds or copies and one summary line (`40 up to date with gcc 12.2.0`),
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

import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
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

/** What {@linkcode copyScript} did. */
export interface CopyResult {
  /** The script, as given. */
  source: string;
  /** The copy, as given. */
  output: string;
  /** `true` when the copy was written, `false` when it was up to date. */
  copied: boolean;
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
 * time, then copy every exec plugin (`plugins/*.sh`) to `<outDir>/` with
 * {@linkcode copyScript}. Unless `quiet`, prints a line per file in source
 * order (`copied <outDir>/x.sh` for a script) and a summary.
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
 *   (the copied scripts are not listed)
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

  for (const name of await listSources(join(root, "plugins"), ".sh")) {
    const copy = await copyScript(
      join(root, "plugins", name),
      join(outDir, name),
    );
    if (!options.quiet && copy.copied) console.log(`copied ${display(copy.output)}`);
  }

  const done = results as BuildResult[];
  if (!options.quiet) {
    const built = done.filter((r) => r.built).length;
    const compiler = done[0]?.compiler ?? (await compilerInfo(defaultCompiler())).label;
    const upToDate = `${done.length - built} up to date with ${compiler}`;
    console.log(built ? `${built} built, ${upToDate}` : upToDate);
  }
  return done;
}

/**
 * Copy a script (an exec plugin) to an output file with mode 0755, unless
 * the output already holds the same bytes with that mode. Writes a
 * temporary file next to the output and renames it over the output, so a
 * program running the old copy keeps reading its own file.
 *
 * @example Copying the shell-script sample
 * ```ts ignore
 * import { copyScript } from "./tasks/build.ts";
 *
 * const r = await copyScript("plugins/text_shout.sh", "build/text_shout.sh");
 * console.log(r.copied ? "copied" : "up to date");
 * ```
 *
 * @param source the script
 * @param output the copy; its directory is created if needed
 * @returns whether the copy was written
 * @throws {BuildError} when the script cannot be read or the copy written
 */
export async function copyScript(
  source: string,
  output: string,
): Promise<CopyResult> {
  const bytes = await readInput(source, source);
  const target = resolve(output);
  const stat = await statOrNull(target);
  if (
    stat?.isFile && ((stat.mode ?? 0o755) & 0o777) === 0o755 &&
    stat.size === bytes.length && sameBytes(await Deno.readFile(target), bytes)
  ) {
    return { source, output, copied: false };
  }
  const tmp = `${target}.tmp-${Deno.pid}-${++tmpCounter}`;
  try {
    await Deno.mkdir(dirname(target), { recursive: true });
    await Deno.writeFile(tmp, bytes, { mode: 0o755 });
    // The mode given to writeFile is masked by the umask.
    await Deno.chmod(tmp, 0o755);
    await Deno.rename(tmp, target);
  } catch (err) {
    await removeIfExists(tmp).catch(() => {});
    throw new BuildError(
      `Cannot copy ${quote(source)} to ${quote(output)}: ${
        err instanceof Error ? err.message : String(err)
      }`,
      { source, cause: err },
    );
  }
  return { source, output, copied: true };
}

// ---------------------------------------------------------------------------

async function listSources(dir: string, ext = ".c"): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(ext)) names.push(entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return names.sort();
}

async function readInput(path: string, source: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    throw new BuildError(
      `Cannot build ${quote(source)}: cannot read ${quote(path)}: ${
        err instanceof Error ? err.message : String(err)
      }`,
      { source, cause: err },
    );
  }
}

let tmpCounter = 0;

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

function describe(r: BuildResult): string {
  return `built ${display(r.output)} (${basename(r.source)}, ${r.compiler}, build id ${r.buildId})`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function display(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

if (import.meta.main) {
  try {
    await buildAll();
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
}

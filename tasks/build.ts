/**
 * The build task: compiles plugin sources into shared objects with the
 * project's flags, stamps a build id into each, and skips what is up to date.
 *
 * As a script (`deno task build`) it builds `plugins/*.c` into `build/*.so`
 * and `tests/fixtures/*.c` into `build/fixtures/*.so`, copies the exec
 * plugins `plugins/*.sh` to `build/` (executable), prints one line per file
 * and a summary, and exits with code 1 after printing the compiler's
 * errors. As a library, {@linkcode buildPlugin} builds one file and
 * {@linkcode buildAll} the whole tree; failures throw {@linkcode BuildError}.
 *
 * Every file is compiled with {@linkcode BASE_FLAGS}, `-I<sdkDir>`,
 * `-DPLUGBOARD_BUILD_ID="<id>"` and the flags of any
 * `// plugboard-build: <flags>` line in the source. The build id is the
 * first 16 hex digits of a SHA-256 over the compiler's version text, the
 * flags, the defines, the source and `plugboard.h`: the same inputs always
 * give the same id, wherever the checkout lives. Other headers a plugin
 * includes are not tracked.
 *
 * Outputs are compiled to `<output>.tmp-<pid>` and renamed over the output,
 * so a process that has the old file loaded keeps its own copy (overwriting a
 * loaded `.so` in place crashes that process, denoland/deno#20956). Each
 * output directory holds a `.stamps.json` recording what every output was
 * built from; it is also replaced by rename.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Flags every plugin is compiled with, before the include directory and defines. */
export const BASE_FLAGS: readonly string[] = Object.freeze([
  "-std=c11",
  "-O2",
  "-fPIC",
  "-shared",
  "-fvisibility=hidden",
  "-Wall",
  "-Wextra",
  "-Werror",
  // -std=c11 hides POSIX declarations (nanosleep, ...) that plugins use.
  "-D_POSIX_C_SOURCE=200809L",
]);

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

/** Options of {@linkcode BuildError}. */
export interface BuildErrorOptions {
  /** The C source file. */
  source: string;
  /** The compiler's standard error output. @default "" */
  stderr?: string;
  /** The compiler's exit code, if it ran. */
  exitCode?: number;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A plugin could not be built: the compiler rejected it (`stderr` holds its
 * messages, which `message` repeats after the summary line) or could not be
 * run at all.
 *
 * @example Reporting a compile error
 * ```ts ignore
 * import { BuildError, buildPlugin } from "./tasks/build.ts";
 *
 * try {
 *   await buildPlugin({ source: "plugins/broken.c", output: "build/broken.so" });
 * } catch (err) {
 *   if (err instanceof BuildError) console.error(err.stderr);
 * }
 * ```
 */
export class BuildError extends Error {
  /** The stable error code. */
  readonly code = "BUILD_FAILED";
  /** The C source file. */
  readonly source: string;
  /** The compiler's standard error output. */
  readonly stderr: string;
  /** The compiler's exit code, or `undefined` when it did not run. */
  readonly exitCode: number | undefined;

  /**
   * Make a build error for one source file.
   *
   * @param summary one line: what failed and why
   * @param options source, compiler output, exit code and cause
   */
  constructor(summary: string, options: BuildErrorOptions) {
    const stderr = options.stderr ?? "";
    super(
      stderr.trim() === "" ? summary : `${summary}\n${stderr.trimEnd()}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.source = options.source;
    this.stderr = stderr;
    this.exitCode = options.exitCode;
  }
}

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
const STAMPS = ".stamps.json";
const JOBS = 2;
const inFlight = new Map<string, Promise<BuildResult>>();

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
export function buildPlugin(spec: BuildSpec): Promise<BuildResult> {
  // Builds of the same output in this process run one after the other, so
  // they never share a temporary file.
  const key = resolve(spec.output);
  const previous = inFlight.get(key);
  const promise = (previous ? previous.catch(() => {}) : Promise.resolve())
    .then(() => buildOne(spec));
  inFlight.set(key, promise);
  const forget = () => {
    if (inFlight.get(key) === promise) inFlight.delete(key);
  };
  promise.then(forget, forget);
  return promise;
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
      if (!options.quiet) console.log(describe(results[printed]!));
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
    if (!options.quiet) console.log(describeCopy(copy));
  }

  const done = results as BuildResult[];
  if (!options.quiet) {
    const built = done.filter((r) => r.built).length;
    const compiler = done[0]?.compiler ??
      (await compilerInfo(defaultCompiler())).label;
    console.log(
      `${built} built, ${done.length - built} up to date with ${compiler}`,
    );
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

/**
 * The per-file flags of a source: the words after `// plugboard-build:` on
 * each such line, in order.
 *
 * @example
 * ```ts ignore
 * import { sourceFlags } from "./tasks/build.ts";
 *
 * console.log(sourceFlags("// plugboard-build: -Wl,-z,nodelete\nint x;")); // ["-Wl,-z,nodelete"]
 * ```
 *
 * @param text the C source
 * @returns the flags
 */
export function sourceFlags(text: string): string[] {
  const flags: string[] = [];
  for (const m of text.matchAll(/^[ \t]*\/\/[ \t]*plugboard-build:(.*)$/gm)) {
    flags.push(...m[1].trim().split(/\s+/).filter((w) => w !== ""));
  }
  return flags;
}

// ---------------------------------------------------------------------------

interface Stamp {
  input: string;
  buildId: string;
  compiler: string;
  size: number;
  mtimeMs: number | null;
}

async function buildOne(spec: BuildSpec): Promise<BuildResult> {
  const compilerCommand = spec.compiler ?? defaultCompiler();
  const compiler = await compilerInfo(compilerCommand);
  const sdkDir = resolve(spec.sdkDir ?? join(PROJECT_ROOT, "native"));
  const [sourceBytes, headerBytes] = await Promise.all([
    readInput(spec.source, spec.source),
    readInput(join(sdkDir, "plugboard.h"), spec.source),
  ]);
  const defines = Object.entries(spec.defines ?? {}).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new BuildError(
        `Cannot build ${quote(spec.source)}: invalid define name ${quote(name)}`,
        {
          source: spec.source,
        },
      );
    }
    return `-D${name}=${value}`;
  });
  const flags = [
    ...BASE_FLAGS,
    ...sourceFlags(new TextDecoder().decode(sourceBytes)),
    ...(spec.flags ?? []),
  ];

  const contentHash = sha256([
    "plugboard-build 1",
    compiler.versionText,
    JSON.stringify(flags),
    JSON.stringify(defines),
    sourceBytes,
    headerBytes,
  ]);
  const buildId = spec.buildId ?? contentHash.slice(0, 16);
  const input = sha256([contentHash, buildId]);
  const result = {
    source: spec.source,
    output: spec.output,
    buildId,
    compiler: compiler.label,
  };

  const output = resolve(spec.output);
  const stampsPath = join(dirname(output), STAMPS);
  const stamp = (await readStamps(stampsPath))[basename(output)];
  const stat = await statOrNull(output);
  if (
    stat?.isFile && stamp?.input === input && stamp.size === stat.size &&
    stamp.mtimeMs === (stat.mtime?.getTime() ?? null)
  ) {
    return { ...result, built: false };
  }

  await Deno.mkdir(dirname(output), { recursive: true });
  const tmp = `${output}.tmp-${Deno.pid}`;
  const args = [
    ...compiler.args,
    ...flags,
    `-I${sdkDir}`,
    ...defines,
    `-DPLUGBOARD_BUILD_ID="${buildId}"`,
    "-o",
    tmp,
    resolve(spec.source),
  ];
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(compiler.program, {
      args,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  } catch (err) {
    throw new BuildError(
      `Cannot build ${quote(spec.source)}: cannot run compiler ${quote(compilerCommand)}: ${
        err instanceof Error ? err.message : String(err)
      }`,
      { source: spec.source, cause: err },
    );
  }
  const stderr = new TextDecoder().decode(out.stderr) +
    new TextDecoder().decode(out.stdout);
  if (!out.success) {
    await removeIfExists(tmp);
    throw new BuildError(
      `Cannot build ${quote(spec.source)}: ${compiler.label} failed with exit code ${out.code}`,
      { source: spec.source, stderr, exitCode: out.code },
    );
  }
  if (stderr.trim() !== "") console.error(stderr.trimEnd());
  await Deno.rename(tmp, output);

  const built = await Deno.stat(output);
  await updateStamps(stampsPath, basename(output), {
    input,
    buildId,
    compiler: compiler.label,
    size: built.size,
    mtimeMs: built.mtime?.getTime() ?? null,
  });
  return { ...result, built: true };
}

interface CompilerInfo {
  /** The program to run. */
  program: string;
  /** Arguments that come with it (from `CC="ccache gcc"`). */
  args: string[];
  /** e.g. "gcc 12.2.0". */
  label: string;
  /** Everything that identifies it, for the input hash. */
  versionText: string;
}

const compilers = new Map<string, Promise<CompilerInfo>>();

function defaultCompiler(): string {
  return Deno.env.get("CC")?.trim() || "cc";
}

function compilerInfo(command: string): Promise<CompilerInfo> {
  let info = compilers.get(command);
  if (!info) {
    info = probeCompiler(command);
    compilers.set(command, info);
    info.catch(() => compilers.delete(command));
  }
  return info;
}

async function probeCompiler(command: string): Promise<CompilerInfo> {
  const [program, ...args] = command.split(/\s+/);
  const run = async (flag: string) => {
    try {
      const out = await new Deno.Command(program, {
        args: [...args, flag],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : "";
    } catch (err) {
      throw new BuildError(
        `Cannot run compiler ${quote(command)}: ${
          err instanceof Error ? err.message : String(err)
        }`,
        { source: "", cause: err },
      );
    }
  };
  const versionText = await run("--version");
  const fullVersion = (await run("-dumpfullversion")) ||
    (await run("-dumpversion"));
  const firstLine = versionText.split("\n")[0] ?? "";
  const version = fullVersion || /\d+\.\d+(\.\d+)?/.exec(firstLine)?.[0] ||
    "unknown";
  const family = /clang/i.test(firstLine)
    ? "clang"
    : /\bgcc\b|\bGCC\b|Free Software Foundation/.test(versionText)
    ? "gcc"
    : basename(program);
  return {
    program,
    args,
    label: `${family} ${version}`,
    versionText: `${firstLine}\n${fullVersion}`,
  };
}

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

function sha256(parts: (string | Uint8Array)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) {
    const bytes = typeof part === "string" ? new TextEncoder().encode(part) : part;
    // Length-prefixed, so no two different part lists hash alike.
    hash.update(`${bytes.length}:`);
    hash.update(bytes);
  }
  return hash.digest("hex");
}

async function readStamps(path: string): Promise<Record<string, Stamp>> {
  try {
    const data = JSON.parse(await Deno.readTextFile(path));
    const outputs = data?.outputs;
    return outputs && typeof outputs === "object" ? outputs : {};
  } catch {
    // Missing or unreadable: everything is rebuilt, which is always safe.
    return {};
  }
}

const stampLocks = new Map<string, Promise<void>>();
let tmpCounter = 0;

/** Read, change and atomically replace a stamps file; serialized per file in this process. */
function updateStamps(path: string, name: string, stamp: Stamp): Promise<void> {
  const previous = stampLocks.get(path) ?? Promise.resolve();
  const next = previous.then(async () => {
    const outputs = await readStamps(path);
    outputs[name] = stamp;
    const sorted = Object.fromEntries(
      Object.entries(outputs).sort(([a], [b]) => a < b ? -1 : 1),
    );
    const tmp = `${path}.tmp-${Deno.pid}-${++tmpCounter}`;
    await Deno.writeTextFile(
      tmp,
      JSON.stringify({ version: 1, outputs: sorted }, null, 2) + "\n",
    );
    await Deno.rename(tmp, path);
  });
  const settled = next.catch(() => {});
  stampLocks.set(path, settled);
  settled.then(() => {
    if (stampLocks.get(path) === settled) stampLocks.delete(path);
  });
  return next;
}

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
  return r.built
    ? `built ${display(r.output)} (${basename(r.source)}, ${r.compiler}, build id ${r.buildId})`
    : `up to date ${display(r.output)}`;
}

function describeCopy(r: CopyResult): string {
  return r.copied ? `copied ${display(r.output)}` : `up to date ${display(r.output)}`;
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

/**
 * Compiling plugins from C and C++ sources: the logic behind `plugboard
 * build` and this repository's `deno task build`.
 *
 * Every build compiles the sources with the flags of its target and
 * language ({@linkcode TARGETS}), the per-file flags of any
 * `// plugboard-build: <flags>` line in a source, the caller's extra flags,
 * `-I` for plugboard's headers and `-DPLUGBOARD_BUILD_ID="<id>"`. The
 * headers are the ones shipped in the package (embedded in
 * `_sdk_files.ts`, written into a private directory next to the output for
 * the compiler), or those of an SDK directory the caller names.
 *
 * The build id is the first 16 hex digits of a SHA-256 over the compiler's
 * version text, the flags, the defines, every source, plugboard's header and
 * the other local headers the sources include (found with `-MM`): the same
 * inputs always give the same id, wherever the files live. The compiler is
 * recorded in the plugin note by the header itself (`PLUGBOARD_COMPILER`,
 * from the compiler's own macros).
 *
 * Incremental: a stamp file next to the output (`.plugboard-build.json`, one
 * per directory) records what each output was built from; an output whose
 * inputs, size and time are unchanged is not compiled again.
 *
 * Outputs are compiled to a temporary name and renamed over the output, so a
 * process that has the old file loaded keeps its own copy (overwriting a
 * loaded `.so` in place crashes that process, denoland/deno#20956).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, dirname, extname, join, resolve } from "../file/paths.ts";
import { PluginError, quote } from "../errors/plugin_error.ts";
import { SDK_FILES } from "./_sdk_files.ts";
import { readWasm } from "../wasm/read_wasm.ts";
import { WASI_MODULE, wasiStubSource } from "./_wasi_stubs.ts";

/** A source language `build` compiles. */
export type Language = "c" | "cpp";

/** How one language is compiled for a target. */
export interface LanguageRecipe {
  /** The environment variable that names the compiler (`CC`, `CXX`), if one does. */
  readonly env?: string;
  /** The compiler when no variable names one. */
  readonly compiler: string;
  /** The flags every source of this language is compiled with, first. */
  readonly flags: readonly string[];
  /** Link inputs after the sources (`-lc`). @default [] */
  readonly libraries?: readonly string[];
  /** The SDK headers (paths under native/) the compiler must find with `-I`. */
  readonly headers: readonly string[];
}

/** What {@linkcode TargetRecipe.postLink} is given. */
export interface PostLinkContext {
  /** The sources, as given. */
  readonly sources: readonly string[];
  /** The build id stamped into the plugin. */
  readonly buildId: string;
  /** The compiler's family and version, e.g. `"clang 14.0.6"`. */
  readonly compiler: string;
  /** A directory for temporary files, removed after the build. */
  readonly workDir: string;
  /** Link the plugin again, with the same command and these inputs added before the libraries. */
  readonly relink: (inputs: readonly string[]) => Promise<void>;
}

/**
 * A target: what a plugin is compiled into. Adding one (WebAssembly, say) is
 * one entry of {@linkcode TARGETS}: its languages' compilers and flags, the
 * output's extension, and a step after the link.
 */
export interface TargetRecipe {
  /** One line for `--help`. */
  readonly summary: string;
  /** The output's file extension, with its dot. */
  readonly extension: string;
  /** The languages it compiles. */
  readonly languages: Readonly<Partial<Record<Language, LanguageRecipe>>>;
  /**
   * Run on the linked output (at its temporary path) before it is renamed
   * into place, e.g. to move the metadata into a custom section. Throw a
   * {@linkcode BuildError} to fail the build.
   */
  readonly postLink?: (output: string, context: PostLinkContext) => Promise<void>;
  /** Set while a target is known but cannot be built yet: the reason, shown as a usage error. */
  readonly unavailable?: string;
}

/** Flags of every C plugin (native): C11 with POSIX declarations, position-independent, hidden by default. */
export const C_FLAGS: readonly string[] = Object.freeze([
  "-std=c11",
  "-O2",
  "-fPIC",
  "-shared",
  "-fvisibility=hidden",
  "-Wall",
  "-Wextra",
  // -std=c11 hides POSIX declarations (nanosleep, strdup, ...) that plugins use.
  "-D_POSIX_C_SOURCE=200809L",
]);

/** Flags of every C++ plugin (native). */
export const CPP_FLAGS: readonly string[] = Object.freeze([
  "-std=c++17",
  "-O2",
  "-fPIC",
  "-shared",
  "-fvisibility=hidden",
  "-Wall",
  "-Wextra",
]);

/**
 * Flags of a C plugin for WebAssembly, after `--target=wasm32-wasi`: as the
 * native ones, linked as a library (no entry point, no start files: the
 * header runs the constructors), with wasi-libc but not the default
 * libraries (Debian's clang 14 has no wasm32 compiler-rt), the function
 * table exported (the descriptor's hooks are indexes into it), the stack
 * first (an overflow traps instead of overwriting data), and no DWARF.
 */
export const WASM_C_FLAGS: readonly string[] = Object.freeze([
  "--target=wasm32-wasi",
  "-nostartfiles",
  "-nodefaultlibs",
  "-std=c11",
  "-O2",
  "-fvisibility=hidden",
  "-Wall",
  "-Wextra",
  "-D_POSIX_C_SOURCE=200809L",
  "-Wl,--no-entry",
  "-Wl,--export-table",
  "-Wl,--stack-first",
  "-Wl,--strip-debug",
]);

/**
 * The targets `build` knows: `native`, a shared object for this machine,
 * and `wasm32`, a WebAssembly module built with clang, wasm-ld and wasi-libc
 * (its WASI imports replaced by stubs: docs/wasm.md). Another target is
 * one entry: its languages' compilers and flags, the output's extension,
 * and, if the linked file needs one, a `postLink` step.
 */
export const TARGETS: Readonly<Record<string, TargetRecipe>> = Object.freeze({
  native: {
    summary: "a shared object (.so) for this machine",
    extension: ".so",
    languages: {
      c: { env: "CC", compiler: "cc", flags: C_FLAGS, headers: ["plugboard.h"] },
      cpp: {
        env: "CXX",
        compiler: "c++",
        flags: CPP_FLAGS,
        headers: ["plugboard.h", "cpp/plugboard.hpp"],
      },
    },
  },
  wasm32: {
    summary: "a WebAssembly module (.wasm), with clang, wasm-ld and wasi-libc",
    extension: ".wasm",
    languages: {
      c: { compiler: "clang", flags: WASM_C_FLAGS, libraries: ["-lc"], headers: ["plugboard.h"] },
    },
    // The WASI functions libc's code needs become local stubs: the module
    // imports nothing, and a host runs it without granting WASI.
    postLink: async (output, context) => {
      const imports = readWasm(await Deno.readFile(output), output).imports
        .filter((i) => i.module === WASI_MODULE && i.kind === "function");
      if (imports.length === 0) return;
      const stubs = join(context.workDir, "wasi_stubs.c");
      await Deno.writeTextFile(stubs, wasiStubSource(imports));
      await context.relink([stubs]);
    },
  },
});

/** What to compile: sources into one plugin. */
export interface CompileSpec {
  /** The source files (all C, or all C++), compiled into one plugin. */
  readonly sources: readonly string[];
  /** The plugin to write; its directory is created if needed. */
  readonly output: string;
  /** Flags added after the target's and the sources' own flags. @default [] */
  readonly flags?: readonly string[];
  /** Preprocessor definitions, passed as `-DNAME=VALUE`. @default {} */
  readonly defines?: Readonly<Record<string, string>>;
  /** The build id to stamp. @default the first 16 hex digits of the input hash */
  readonly buildId?: string;
  /** The compiler command (`gcc`, `ccache clang`). @default `$CC` (`$CXX` for C++), else `cc` (`c++`) */
  readonly compiler?: string;
  /** The target, a key of {@linkcode TARGETS}. @default "native" */
  readonly target?: string;
  /**
   * A directory holding the SDK as in the package's `native/` (`plugboard.h`,
   * `cpp/plugboard.hpp`). @default the SDK embedded in this package
   */
  readonly sdkDir?: string;
}

/** What {@linkcode compilePlugin} did. */
export interface CompileResult {
  /** The sources, as given. */
  readonly sources: readonly string[];
  /** The plugin, as given. */
  readonly output: string;
  /** The build id stamped into it. */
  readonly buildId: string;
  /** The compiler's family and version, e.g. `"gcc 12.2.0"`. */
  readonly compiler: string;
  /** `true` when it was compiled, `false` when it was up to date. */
  readonly built: boolean;
  /** What the compiler printed (warnings) when it succeeded; empty when silent or up to date. */
  readonly warnings: string;
}

/** Options of {@linkcode BuildError}. */
export interface BuildErrorOptions {
  /** The source the build was for (the first, for several). */
  source: string;
  /** The compiler's standard error output. @default "" */
  stderr?: string;
  /** The compiler's exit code, if it ran. */
  exitCode?: number;
  /** How to fix it. */
  hint?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A plugin could not be built (code `BUILD_FAILED`): the compiler rejected
 * it (`stderr` holds its messages, which `message` repeats after the
 * summary) or could not be run at all.
 */
export class BuildError extends PluginError {
  /** The source file (the first, for several). */
  readonly source: string;
  /** The compiler's standard error output. */
  readonly stderr: string;
  /** The compiler's exit code, or `undefined` when it did not run. */
  readonly exitCode: number | undefined;

  /**
   * @param summary one line: what failed and why
   * @param options source, compiler output, exit code and cause
   */
  constructor(summary: string, options: BuildErrorOptions) {
    super("BUILD_FAILED", summary, {
      path: options.source,
      hint: options.hint,
      cause: options.cause,
    });
    const stderr = options.stderr ?? "";
    if (stderr.trim() !== "") this.message = `${summary}\n${stderr.trimEnd()}`;
    this.source = options.source;
    this.stderr = stderr;
    this.exitCode = options.exitCode;
  }
}

/**
 * The language of a source file, by its extension.
 *
 * @param path the file
 * @returns `c`, `cpp`, or undefined for anything else
 */
export function languageOf(path: string): Language | undefined {
  const ext = extname(path);
  if (ext === ".c") return "c";
  if ([".cc", ".cpp", ".cxx", ".c++", ".C"].includes(ext)) return "cpp";
  return undefined;
}

/**
 * The per-file flags of a source: the words after `// plugboard-build:` on
 * each such line, in order.
 *
 * @param text the source
 * @returns the flags
 */
export function sourceFlags(text: string): string[] {
  const flags: string[] = [];
  for (const m of text.matchAll(/^[ \t]*\/\/[ \t]*plugboard-build:(.*)$/gm)) {
    flags.push(...m[1].trim().split(/\s+/).filter((w) => w !== ""));
  }
  return flags;
}

const STAMPS = ".plugboard-build.json";
const inFlight = new Map<string, Promise<CompileResult>>();

/**
 * Compile sources into a plugin, unless it is up to date. Calls for the same
 * output in one process run one after the other.
 *
 * @param spec the sources, output and options
 * @returns what was done, with the build id
 * @throws {BuildError} when the compiler fails or cannot be run
 * @throws {PluginError} `USAGE` for sources of no known language, or mixed, or an unavailable target
 */
export function compilePlugin(spec: CompileSpec): Promise<CompileResult> {
  const key = resolve(spec.output);
  const previous = inFlight.get(key);
  const promise = (previous ? previous.catch(() => {}) : Promise.resolve())
    .then(() => compileOne(spec));
  inFlight.set(key, promise);
  const forget = () => {
    if (inFlight.get(key) === promise) inFlight.delete(key);
  };
  promise.then(forget, forget);
  return promise;
}

/**
 * The recipe for some sources on a target, checked: a known target that is
 * available, sources of one language it compiles.
 *
 * @param sources the source files
 * @param target the target's name
 * @returns the target, the language and its recipe
 * @throws {PluginError} `USAGE` otherwise
 */
export function recipeFor(
  sources: readonly string[],
  target = "native",
): { target: TargetRecipe; language: Language; recipe: LanguageRecipe } {
  const t = TARGETS[target];
  if (!t) {
    throw new PluginError("USAGE", `Unknown target ${quote(target)}`, {
      hint: `expected one of ${Object.keys(TARGETS).join(", ")}`,
    });
  }
  if (t.unavailable) {
    throw new PluginError(
      "USAGE",
      `Target ${quote(target)} is not yet available: ${t.unavailable}`,
      {
        hint: "build for the native target (the default)",
      },
    );
  }
  if (sources.length === 0) throw new PluginError("USAGE", "No source files to build");
  const languages = new Set<Language>();
  for (const s of sources) {
    const l = languageOf(s);
    if (!l) {
      throw new PluginError("USAGE", `Cannot build ${quote(s)}: not a C or C++ source`, {
        hint: "name .c files (C) or .cpp, .cc, .cxx files (C++); pass other inputs after --",
      });
    }
    languages.add(l);
  }
  if (languages.size > 1) {
    throw new PluginError("USAGE", "Cannot build C and C++ sources into one plugin", {
      hint: "compile the C sources as C++ (rename them), or build separate plugins",
    });
  }
  const language = [...languages][0];
  const recipe = t.languages[language];
  if (!recipe) {
    throw new PluginError(
      "USAGE",
      `Target ${quote(target)} does not compile ${language === "c" ? "C" : "C++"} sources`,
      { hint: `compile C for ${target}` },
    );
  }
  return { target: t, language, recipe };
}

/** The stamp of one output. */
interface Stamp {
  input: string;
  buildId: string;
  compiler: string;
  size: number;
  mtimeMs: number | null;
  /** Local headers the sources included, absolute. */
  deps?: string[];
}

async function compileOne(spec: CompileSpec): Promise<CompileResult> {
  const { target, recipe } = recipeFor(spec.sources, spec.target);
  const first = spec.sources[0];
  const command = spec.compiler ?? (recipe.env ? envVar(recipe.env) : undefined) ??
    recipe.compiler;
  const compiler = await compilerInfo(command, first);
  const sources = await Promise.all(spec.sources.map((s) => readInput(s, first)));
  const headers = await Promise.all(recipe.headers.map((h) => sdkFile(h, spec.sdkDir, first)));
  const defines = Object.entries(spec.defines ?? {}).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new BuildError(`Cannot build ${quote(first)}: invalid define name ${quote(name)}`, {
        source: first,
      });
    }
    return `-D${name}=${value}`;
  });
  const decoder = new TextDecoder();
  const flags = [
    ...recipe.flags,
    ...sources.flatMap((bytes) => sourceFlags(decoder.decode(bytes))),
    ...(spec.flags ?? []),
  ];
  const output = resolve(spec.output);
  const stampsPath = join(dirname(output), STAMPS);
  const stamp = (await readStamps(stampsPath))[basename(output)];

  // The inputs' hash, with the local headers the sources include.
  const inputOf = async (deps: readonly string[]) => {
    const depBytes = await Promise.all(deps.map((d) => readInput(d, first)));
    const contentHash = sha256([
      "plugboard-build 1",
      compiler.versionText,
      JSON.stringify(flags),
      JSON.stringify(defines),
      ...sources,
      ...headers,
      ...depBytes,
    ]);
    const buildId = spec.buildId ?? contentHash.slice(0, 16);
    return { buildId, input: sha256([contentHash, buildId, spec.target ?? "native"]) };
  };
  const result = (buildId: string, built: boolean, warnings = ""): CompileResult => ({
    sources: spec.sources,
    output: spec.output,
    buildId,
    compiler: compiler.label,
    built,
    warnings,
  });

  const stat = await statOrNull(output);
  if (stat?.isFile && stamp && stamp.size === stat.size) {
    const known = await inputOf(stamp.deps ?? []).catch(() => undefined);
    if (
      known && stamp.input === known.input && stamp.mtimeMs === (stat.mtime?.getTime() ?? null)
    ) {
      return result(known.buildId, false);
    }
  }

  await Deno.mkdir(dirname(output), { recursive: true });
  const work = join(
    dirname(output),
    `.${basename(output)}.tmp-${Deno.pid}-${++tmpCounter}-${crypto.randomUUID().slice(0, 8)}`,
  );
  await Deno.mkdir(work);
  try {
    const includes: string[] = [];
    if (spec.sdkDir) {
      const sdk = resolve(spec.sdkDir);
      for (const dir of new Set(recipe.headers.map((h) => dirname(join(sdk, h))))) {
        includes.push(`-I${dir}`);
      }
    } else {
      // The package's own headers, written where the compiler finds them.
      await Deno.mkdir(join(work, "include"));
      for (const [i, h] of recipe.headers.entries()) {
        await Deno.writeFile(join(work, "include", basename(h)), headers[i]);
      }
      includes.push(`-I${join(work, "include")}`);
    }
    const sourcePaths = spec.sources.map((s) => resolve(s));
    const sdkRoots = spec.sdkDir ? [resolve(spec.sdkDir)] : [join(work, "include")];
    const deps = await localHeaders(compiler, [...flags, ...includes, ...defines], sourcePaths, {
      exclude: sdkRoots,
      source: first,
    });
    const { buildId, input } = await inputOf(deps);
    const tmp = join(work, `plugin${target.extension}`);
    const args = [
      ...compiler.args,
      ...flags,
      ...includes,
      ...defines,
      `-DPLUGBOARD_BUILD_ID="${buildId}"`,
      "-o",
      tmp,
      ...sourcePaths,
      ...recipe.libraries ?? [],
    ];
    const link = async (extra: readonly string[]) => {
      const libraries = recipe.libraries ?? [];
      const command = [...args.slice(0, args.length - libraries.length), ...extra, ...libraries];
      const out = await runCompiler(compiler, command, first);
      const text = decoder.decode(out.stderr) + decoder.decode(out.stdout);
      if (!out.success) {
        throw new BuildError(
          `Cannot build ${quote(first)}: ${compiler.label} failed with exit code ${out.code}`,
          {
            source: first,
            stderr: text,
            exitCode: out.code,
            hint: "fix the errors the compiler reports",
          },
        );
      }
      return text;
    };
    const stderr = await link([]);
    await target.postLink?.(tmp, {
      sources: spec.sources,
      buildId,
      compiler: compiler.label,
      workDir: work,
      relink: async (inputs) => void await link(inputs),
    });
    await Deno.rename(tmp, output);
    const built = await Deno.stat(output);
    await updateStamps(stampsPath, basename(output), {
      input,
      buildId,
      compiler: compiler.label,
      size: built.size,
      mtimeMs: built.mtime?.getTime() ?? null,
      deps,
    });
    return result(buildId, true, stderr.trim());
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** A compiler, as probed once per process. */
export interface CompilerInfo {
  /** The program to run. */
  readonly program: string;
  /** Arguments that come with it (from `CC="ccache gcc"`). */
  readonly args: readonly string[];
  /** e.g. "gcc 12.2.0". */
  readonly label: string;
  /** Everything that identifies it, for the input hash. */
  readonly versionText: string;
}

const compilers = new Map<string, Promise<CompilerInfo>>();

/**
 * Run a compiler's `--version` and `-dumpfullversion` once per process.
 *
 * @param command the compiler command (`cc`, `ccache gcc`)
 * @param source the source being built, for errors
 * @returns its program, arguments, label and version text
 * @throws {BuildError} when it cannot be run
 */
export function compilerInfo(command: string, source = ""): Promise<CompilerInfo> {
  let info = compilers.get(command);
  if (!info) {
    info = probeCompiler(command, source);
    compilers.set(command, info);
    info.catch(() => compilers.delete(command));
  }
  return info;
}

/**
 * The default C compiler: `$CC` when it is set and may be read, else `cc`.
 *
 * @returns the command
 */
export function defaultCompiler(): string {
  return envVar("CC") ?? "cc";
}

async function probeCompiler(command: string, source: string): Promise<CompilerInfo> {
  const [program, ...args] = command.trim().split(/\s+/);
  const run = async (flag: string) => {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(program, {
        args: [...args, flag],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (e) {
      throw cannotRun(command, source, e);
    }
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "";
  };
  const versionText = await run("--version");
  const fullVersion = (await run("-dumpfullversion")) || (await run("-dumpversion"));
  const firstLine = versionText.split("\n")[0] ?? "";
  const version = fullVersion || /\d+\.\d+(\.\d+)?/.exec(firstLine)?.[0] || "unknown";
  const family = /clang/i.test(firstLine)
    ? "clang"
    : /\bgcc\b|\bGCC\b|\bg\+\+|Free Software Foundation/.test(versionText)
    ? "gcc"
    : basename(program);
  return {
    program,
    args,
    label: `${family} ${version}`,
    versionText: `${firstLine}\n${fullVersion}`,
  };
}

function cannotRun(command: string, source: string, e: unknown): BuildError {
  const missing = e instanceof Deno.errors.NotFound;
  const denied = e instanceof Deno.errors.NotCapable;
  const program = command.trim().split(/\s+/)[0];
  return new BuildError(
    `Cannot run compiler ${quote(command)}: ${
      missing
        ? "not found on PATH"
        : denied
        ? `Deno's permissions do not allow running it`
        : e instanceof Error
        ? e.message
        : String(e)
    }`,
    {
      source,
      cause: e,
      hint: missing
        ? "install a C compiler (Debian: apt-get install gcc, or g++ for C++), or name one with --cc"
        : denied
        ? `run again with --allow-run=${program}`
        : undefined,
    },
  );
}

async function runCompiler(
  compiler: CompilerInfo,
  args: string[],
  source: string,
): Promise<Deno.CommandOutput> {
  try {
    return await new Deno.Command(compiler.program, { args, stdout: "piped", stderr: "piped" })
      .output();
  } catch (e) {
    throw cannotRun([compiler.program, ...compiler.args].join(" "), source, e);
  }
}

/**
 * The local headers the sources include (`-MM`: not the system's), without
 * plugboard's own, absolute and in a stable order.
 */
async function localHeaders(
  compiler: CompilerInfo,
  flags: string[],
  sources: string[],
  options: { exclude: string[]; source: string },
): Promise<string[]> {
  const compileOnly = flags.filter((f) =>
    !["-shared", "-nostartfiles", "-nodefaultlibs"].includes(f) && !f.startsWith("-Wl,")
  );
  const out = await runCompiler(
    compiler,
    [...compiler.args, ...compileOnly, "-MM", ...sources],
    options.source,
  );
  if (!out.success) {
    // Preprocessing failed: the compile will fail the same way and say why.
    return [];
  }
  const text = new TextDecoder().decode(out.stdout).replace(/\\\n/g, " ");
  const deps = new Set<string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(": ");
    if (colon === -1) continue;
    for (const word of line.slice(colon + 2).trim().split(/\s+/)) {
      if (word === "") continue;
      const path = resolve(word.replace(/\\ /g, " "));
      if (sources.includes(path)) continue;
      if (options.exclude.some((dir) => path.startsWith(`${dir}/`))) continue;
      deps.add(path);
    }
  }
  return [...deps].sort();
}

function envVar(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(name)?.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function sdkFile(
  name: string,
  sdkDir: string | undefined,
  source: string,
): Promise<Uint8Array> {
  if (sdkDir) return await readInput(join(sdkDir, name), source);
  const text = SDK_FILES[name];
  if (text === undefined) throw new Error(`unreachable: no SDK file ${name}`);
  return new TextEncoder().encode(text);
}

async function readInput(path: string, source: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    const missing = e instanceof Deno.errors.NotFound;
    const denied = e instanceof Deno.errors.NotCapable;
    throw new BuildError(
      `Cannot build ${quote(source)}: cannot read ${quote(path)}: ${
        missing
          ? "no such file"
          : denied
          ? "Deno's permissions do not allow reading it"
          : e instanceof Error
          ? e.message
          : String(e)
      }`,
      {
        source,
        cause: e,
        hint: missing
          ? "check the path"
          : denied
          ? `run again with --allow-read=${resolve(path)} (or a directory above it)`
          : undefined,
      },
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
    const sorted = Object.fromEntries(Object.entries(outputs).sort(([a], [b]) => a < b ? -1 : 1));
    const tmp = `${path}.tmp-${Deno.pid}-${++tmpCounter}-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeTextFile(tmp, JSON.stringify({ version: 2, outputs: sorted }, null, 2) + "\n");
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

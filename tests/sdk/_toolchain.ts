/**
 * Build helpers for the SDK tests: each sample is built with its own
 * toolchain into `build/sdk/`, incrementally. A missing toolchain fails the
 * test with a message naming what to install; nothing is skipped.
 *
 * - Rust: `cargo build --release --offline` with a shared target directory
 *   (`build/sdk/cargo`); cargo itself decides what is up to date.
 * - Go and C++: a stamp (SHA-256 over the tool's version, flags and every
 *   input file) next to the output; an unchanged stamp skips the build.
 *
 * Outputs are written to a temporary name and renamed over the old file, so
 * a process that has the old file loaded keeps its own copy.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { defineInterface } from "../../mod.ts";
import { interfaceHash } from "../../src/abi/read_metadata.ts";
import { ROOT } from "../_paths.ts";

/** Where the SDK samples are built. */
export const SDK_BUILD = `${ROOT}/build/sdk`;

/** The oldest rustc the Rust SDK compiles with (`#[unsafe(no_mangle)]`). */
export const RUST_MIN: readonly [number, number] = [1, 82];

/** What a command printed and returned. */
export interface Ran {
  /** The exit code. */
  code: number;
  /** Standard output, decoded. */
  stdout: string;
  /** Standard error, decoded. */
  stderr: string;
}

/** How to install each tool, for the failure message. */
const INSTALL: Record<string, string> = {
  cargo:
    "install Rust 1.82 or newer with rustup (https://rustup.rs; Debian's cargo package is too old)",
  rustc:
    "install Rust 1.82 or newer with rustup (https://rustup.rs; Debian's rustc package is too old)",
  go: "install Go: Debian package golang-go (apt-get install golang-go), or Go from go.dev",
  "g++": "install the Debian package g++ (apt-get install g++)",
  gcc: "cgo needs a C compiler: install the Debian package gcc (apt-get install gcc)",
};

/**
 * Run a command; a missing program throws an Error naming what to install.
 *
 * @param cmd the program
 * @param args its arguments
 * @param options working directory and extra environment
 * @returns exit code and output
 */
export async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Ran> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      const name = cmd.split("/").pop()!;
      throw new Error(
        `${name} is not installed (not found on PATH): ${INSTALL[name] ?? `install ${name}`}`,
      );
    }
    throw e;
  }
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Run a command and throw with its output when it fails. */
async function check(cmd: string, args: string[], options: Parameters<typeof run>[2] = {}) {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  }
  return r;
}

/**
 * The `go` program: on PATH, else the official install's `/usr/local/go/bin/go`.
 *
 * @returns the command to run
 */
export function goCommand(): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (dir && Deno.statSync(`${dir}/go`).isFile) return `${dir}/go`;
    } catch {
      // not here
    }
  }
  try {
    if (Deno.statSync("/usr/local/go/bin/go").isFile) return "/usr/local/go/bin/go";
  } catch {
    // not installed
  }
  return "go";
}

/** The environment of every go command: no network, no toolchain switch. */
export const GO_ENV: Readonly<Record<string, string>> = Object.freeze({
  GOFLAGS: "-mod=mod",
  GOPROXY: "off",
  GOTOOLCHAIN: "local",
  CGO_ENABLED: "1",
});

/**
 * The Go version, as `go version` prints it: `1.26.8`; throws when go or
 * cgo's C compiler (gcc) is missing.
 *
 * @returns the version
 */
export async function goVersion(): Promise<string> {
  await check("gcc", ["--version"]); // cgo's C compiler
  const r = await check(goCommand(), ["env", "GOVERSION"], { env: { ...GO_ENV } });
  return r.stdout.trim().replace(/^go/, "");
}

/**
 * The rustc version, `1.95.0`; throws when it is older than {@linkcode RUST_MIN}.
 *
 * @returns the version
 */
export async function rustVersion(): Promise<string> {
  const r = await check("rustc", ["--version"]);
  const m = /^rustc (\d+)\.(\d+)\.(\d+)/.exec(r.stdout)!;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < RUST_MIN[0] || (major === RUST_MIN[0] && minor < RUST_MIN[1])) {
    throw new Error(
      `rustc ${m[0]} is too old for native/rust/plugboard.rs: ${INSTALL.rustc}, or rustup update`,
    );
  }
  return `${m[1]}.${m[2]}.${m[3]}`;
}

/** Replace `dest` by `src`'s bytes through a temporary file and a rename. */
async function install(src: string, dest: string): Promise<void> {
  const tmp = `${dest}.tmp-${Deno.pid}`;
  await Deno.copyFile(src, tmp);
  await Deno.rename(tmp, dest);
}

/** SHA-256 over texts and file contents. */
async function stamp(texts: string[], files: string[]): Promise<string> {
  const h = createHash("sha256");
  for (const t of texts) h.update(`${t}\0`);
  for (const f of [...files].sort()) {
    h.update(`${f}\0`);
    h.update(await Deno.readFile(f));
  }
  return h.digest("hex");
}

async function upToDate(output: string, digest: string): Promise<boolean> {
  try {
    await Deno.stat(output);
    return (await Deno.readTextFile(`${output}.stamp`)) === digest;
  } catch {
    return false;
  }
}

async function listFiles(dir: string, ext: RegExp): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && ext.test(e.name)) out.push(`${dir}/${e.name}`);
  }
  return out;
}

/** What a build did. */
export interface Built {
  /** The shared object. */
  path: string;
  /** Whether anything was compiled (false: up to date). */
  compiled: boolean;
  /** Wall time of the build step, milliseconds. */
  ms: number;
}

/**
 * Build a Rust cdylib crate with cargo, offline, into `build/sdk/<name>.so`.
 *
 * @param crateDir the crate's directory (holding Cargo.toml)
 * @param name the output's base name
 * @returns the output
 */
export async function buildRust(crateDir: string, name: string): Promise<Built> {
  await rustVersion();
  const started = performance.now();
  await Deno.mkdir(SDK_BUILD, { recursive: true });
  const manifest = await Deno.readTextFile(`${crateDir}/Cargo.toml`);
  const crate = /^name\s*=\s*"([^"]+)"/m.exec(manifest)![1];
  const r = await check("cargo", [
    "build",
    "--release",
    "--offline",
    "--manifest-path",
    `${crateDir}/Cargo.toml`,
    "--target-dir",
    `${SDK_BUILD}/cargo`,
  ]);
  const path = `${SDK_BUILD}/${name}.so`;
  await install(`${SDK_BUILD}/cargo/release/lib${crate}.so`, path);
  return { path, compiled: /Compiling /.test(r.stderr), ms: performance.now() - started };
}

/**
 * Build a Go main package with `go build -buildmode=c-shared` into
 * `build/sdk/<name>.so`, recording the Go version in the plugin note.
 *
 * @param pkgDir the package's directory
 * @param name the output's base name
 * @returns the output
 */
export async function buildGo(pkgDir: string, name: string): Promise<Built> {
  const go = goCommand();
  const version = await goVersion();
  const started = performance.now();
  await Deno.mkdir(SDK_BUILD, { recursive: true });
  const cflags = `-O2 -g '-DPLUGBOARD_COMPILER="go ${version}"'`;
  const files = [
    ...await listFiles(pkgDir, /\.(go|c|h|mod)$/),
    ...await listFiles(`${ROOT}/native/go/plugboard`, /\.(go|c|h)$/),
    `${ROOT}/native/go/go.mod`,
    `${ROOT}/native/plugboard.h`,
  ];
  const path = `${SDK_BUILD}/${name}.so`;
  const digest = await stamp([go, version, cflags], files);
  if (await upToDate(path, digest)) {
    return { path, compiled: false, ms: performance.now() - started };
  }
  // go build also writes a C header next to its output: build in a
  // directory of our own, then move the library into place.
  const tmpDir = await Deno.makeTempDir({ dir: SDK_BUILD, prefix: `go-${name}-` });
  try {
    await check(go, ["build", "-buildmode=c-shared", "-o", `${tmpDir}/${name}.so`, "."], {
      cwd: pkgDir,
      env: { ...GO_ENV, CGO_CFLAGS: cflags },
    });
    await Deno.rename(`${tmpDir}/${name}.so`, path);
  } finally {
    await Deno.remove(tmpDir, { recursive: true });
  }
  await Deno.writeTextFile(`${path}.stamp`, digest);
  return { path, compiled: true, ms: performance.now() - started };
}

/** The flags of the C++ samples, after `-I` for native/ and native/cpp/. */
export const CPP_FLAGS: readonly string[] = Object.freeze([
  "-std=c++17",
  "-O2",
  "-fPIC",
  "-shared",
  "-fvisibility=hidden",
  "-Wall",
  "-Wextra",
  "-Werror",
]);

/**
 * Compile a C++ plugin with g++ into `<outDir>/<name>.so`.
 *
 * @param source the .cpp file
 * @param name the output's base name
 * @param outDir where to write it
 * @returns the output
 */
export async function buildCpp(
  source: string,
  name: string,
  outDir: string = SDK_BUILD,
): Promise<Built> {
  const started = performance.now();
  const version = (await check("g++", ["--version"])).stdout.split("\n")[0];
  await Deno.mkdir(outDir, { recursive: true });
  const flags = [...CPP_FLAGS, `-I${ROOT}/native`, `-I${ROOT}/native/cpp`];
  const path = `${outDir}/${name}.so`;
  const digest = await stamp(
    [version, ...flags],
    [source, `${ROOT}/native/plugboard.h`, `${ROOT}/native/cpp/plugboard.hpp`],
  );
  if (await upToDate(path, digest)) {
    return { path, compiled: false, ms: performance.now() - started };
  }
  const tmp = `${path}.tmp-${Deno.pid}`;
  await check("g++", [...flags, "-o", tmp, source]);
  await Deno.rename(tmp, path);
  await Deno.writeTextFile(`${path}.stamp`, digest);
  return { path, compiled: true, ms: performance.now() - started };
}

/**
 * Whether a library whose memfd name is `plugboard:<name>` is mapped in
 * this process (plugboard loads plugins from sealed memfds by default).
 *
 * @param name the plugin's name
 * @returns whether any mapping is left
 */
export function mapped(name: string): boolean {
  return Deno.readTextFileSync("/proc/self/maps").includes(`/memfd:plugboard:${name} `);
}

/** The calc.op/1 interface that the three samples implement, as a host declares it. */
export const CalcOp = defineInterface("calc.op", "1.0", {
  name: "cstring name()",
  apply: "fallible f64 apply(f64 a, f64 b)",
});

/** The shape hash of calc.op/1.0, as the host computes it from the declaration. */
export const CALC_OP_HASH: string = interfaceHash("calc.op", { major: 1, minor: 0 }, [
  ...CalcOp.signatures.values(),
]);

/**
 * Copy one plugin into a fresh temporary directory, for a host that loads
 * every plugin of a directory.
 *
 * @param path the plugin
 * @returns the directory
 */
export async function aloneInDir(path: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-sdk-" });
  await Deno.copyFile(path, `${dir}/${path.split("/").pop()}`);
  return dir;
}

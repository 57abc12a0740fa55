/**
 * The workshop: every file the hostile-input suite attacks with, built by the
 * suite itself with the compilers on the machine into a cache directory
 * (`$TMPDIR/plugboard-hostile/<hash of the checkout path>/`), so reruns
 * only rebuild what changed. C plugins are built with the project's own
 * build function (its flags, build ids and up-to-date stamps); C++ plugins
 * with g++ and the swapper program with gcc, each cached under a name that
 * carries the hash of its inputs. Patched variants of these files are made
 * later, per attempt, by the child that attacks with them.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { buildPlugin } from "../build.ts";

/** The checkout this suite belongs to. */
export const ROOT: string = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const SOURCES = `${ROOT}/tasks/hostile/sources`;

/** The linker flags that leave unmapped holes between a library's segments. */
export const GAP_FLAGS: readonly string[] = Object.freeze([
  "-Wl,-z,max-page-size=0x10000",
  "-Wl,-z,separate-code",
]);

/** How many variants of `sources/hostile_descriptor.c` there are (`HOSTILE_KIND` 1 to 6). */
export const DESCRIPTOR_KINDS = 6;

/** A plugin name or version as it is written into the metadata (any bytes). */
export interface MetadataVariant {
  /** A short label. */
  label: string;
  /** The name's bytes, as a C string (escapes are made when writing the source). */
  name: string;
  /** The version's bytes. */
  version: string;
  /** What every entry point must say: `ok` or the code. */
  expect: "ok" | "BAD_METADATA";
}

/** The metadata variants the suite builds. */
export const METADATA_VARIANTS: readonly MetadataVariant[] = Object.freeze([
  { label: "valid", name: "meta-ok", version: "0.1.0", expect: "ok" },
  { label: "invalid UTF-8 name", name: "\xff\xfe", version: "0.1.0", expect: "BAD_METADATA" },
  {
    label: "overlong UTF-8 name",
    name: "a\xc0\xafb",
    version: "0.1.0",
    expect: "BAD_METADATA",
  },
  { label: "upper-case name", name: "Meta", version: "0.1.0", expect: "BAD_METADATA" },
  { label: "empty name", name: "", version: "0.1.0", expect: "BAD_METADATA" },
  { label: "name with a slash", name: "../meta", version: "0.1.0", expect: "BAD_METADATA" },
  { label: "name with a space", name: "me ta", version: "0.1.0", expect: "BAD_METADATA" },
  {
    label: "non-ASCII name",
    name: "gr\xc3\xbc\xc3\x9fe",
    version: "0.1.0",
    expect: "BAD_METADATA",
  },
  { label: "name of 128 characters", name: "m".repeat(128), version: "0.1.0", expect: "ok" },
  {
    label: "name of 129 characters",
    name: "m".repeat(129),
    version: "0.1.0",
    expect: "BAD_METADATA",
  },
  {
    label: "name cut by a NUL",
    name: "meta\0tail",
    version: "0.1.0",
    expect: "BAD_METADATA",
  },
  {
    label: "huge version with a control character",
    name: "meta-v1",
    version: "99999999999999999999999.0.0-\x01",
    expect: "BAD_METADATA",
  },
  {
    label: "huge version",
    name: "meta-v2",
    version: "99999999999999999999999.0.0",
    expect: "BAD_METADATA",
  },
  {
    label: "largest safe version",
    name: "meta-v3",
    version: "9007199254740991.0.0",
    expect: "ok",
  },
  { label: "two-part version", name: "meta-v4", version: "1.0", expect: "BAD_METADATA" },
  { label: "v-prefixed version", name: "meta-v5", version: "v1.0.0", expect: "BAD_METADATA" },
  { label: "leading zero", name: "meta-v6", version: "01.0.0", expect: "BAD_METADATA" },
  { label: "empty pre-release", name: "meta-v7", version: "1.0.0-", expect: "BAD_METADATA" },
  {
    label: "pre-release and build",
    name: "meta-v8",
    version: "1.0.0-rc.1+build.5",
    expect: "ok",
  },
  {
    label: "control character in pre-release",
    name: "meta-v9",
    version: "1.0.0-\x01",
    expect: "BAD_METADATA",
  },
  { label: "leading space", name: "meta-va", version: " 1.0.0", expect: "BAD_METADATA" },
  {
    label: "a second name field (new)",
    name: "meta-vb\nname=other",
    version: "0.1.0",
    expect: "BAD_METADATA",
  },
  {
    label: "a second abi field (new)",
    name: "meta-vc\nabi=1.0",
    version: "0.1.0",
    expect: "BAD_METADATA",
  },
]);

/** Every file the suite starts from. */
export interface Workshop {
  /** The cache directory (builds). */
  readonly cacheDir: string;
  /** This run's scratch directory (patched files, homes, lockfiles); removed by `close()`. */
  readonly runDir: string;
  /** `plugins/greeter.c`. */
  readonly greeter: string;
  /** `plugins/greeter.c` linked with {@linkcode GAP_FLAGS}: holes between segments. */
  readonly greeterGaps: string;
  /** Another build of greeter 0.1.0 answering "Howdy". */
  readonly greeterAlt: string;
  /** greeter ("Hello") and its twin ("Howdy"): other code, byte-identical notes. */
  readonly twins: readonly [string, string];
  /** `tests/fixtures/iso_types.c`: one function per parameter type. */
  readonly isoTypes: string;
  /** `plugins/hang_call.c`: `sleep_ms`. */
  readonly hangCall: string;
  /** `plugins/counter.c`: the exported `counter_value`. */
  readonly counter: string;
  /** `sources/hostile_vars.c`. */
  readonly vars: string;
  /** `sources/hostile_tls_cpp.cpp` (g++). */
  readonly tlsCpp: string;
  /** `sources/hostile_tls_c.c`. */
  readonly tlsC: string;
  /** `sources/hostile_hook_note_only.c`. */
  readonly hookNoteOnly: string;
  /** `sources/hostile_init_no_note.c`. */
  readonly initNoNote: string;
  /** `sources/hostile_args.c`: a pointer, a buffer, a function named `then`. */
  readonly args: string;
  /** `sources/hostile_escape.c`: terminal control sequences in the metadata. */
  readonly escape: string;
  /** `sources/hostile_forker.c`: forks a grandchild. */
  readonly forker: string;
  /** `sources/hostile_descriptor.c`, by `HOSTILE_KIND` (index 1 to 6). */
  readonly descriptors: readonly string[];
  /** The swapper program. */
  readonly swapper: string;
  /** The metadata variants, by label. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Seconds spent building. */
  readonly buildSeconds: number;
  /** Remove the run directory. */
  close(): Promise<void>;
}

/** Options of {@linkcode openWorkshop}. */
export interface WorkshopOptions {
  /** Where the cache lives. @default `$TMPDIR/plugboard-hostile/<hash>` */
  cacheDir?: string;
  /** Keep the run directory after close(). @default false */
  keep?: boolean;
}

/**
 * Build (or find in the cache) every file the suite needs, and make a
 * scratch directory for this run.
 *
 * @example
 * ```ts ignore
 * const shop = await openWorkshop();
 * console.log(shop.greeterGaps);
 * await shop.close();
 * ```
 *
 * @param options the cache directory
 * @returns the workshop
 */
export async function openWorkshop(options: WorkshopOptions = {}): Promise<Workshop> {
  const t0 = performance.now();
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const cacheDir = options.cacheDir ??
    join(tmp, "plugboard-hostile", sha256(ROOT).slice(0, 12));
  await Deno.mkdir(cacheDir, { recursive: true, mode: 0o700 });
  await Deno.chmod(cacheDir, 0o700);
  const at = (name: string) => join(cacheDir, name);
  const c = (
    source: string,
    output: string,
    flags: string[] = [],
    buildId?: string,
    defines?: Record<string, string>,
  ) => buildPlugin({ source, output: at(output), flags, buildId, defines }).then(() => at(output));

  const metadataDir = join(cacheDir, "metadata-src");
  await Deno.mkdir(metadataDir, { recursive: true, mode: 0o700 });
  const metadata: Record<string, string> = {};
  // Two at a time: the machine is shared.
  const jobs: (() => Promise<unknown>)[] = [];
  const files = {} as Record<string, string>;
  const add = (key: string, job: () => Promise<string>) =>
    jobs.push(async () => files[key] = await job());
  add("greeter", () => c(`${ROOT}/plugins/greeter.c`, "greeter.so"));
  add("greeterGaps", () => c(`${ROOT}/plugins/greeter.c`, "greeter_gaps.so", [...GAP_FLAGS]));
  add("greeterAlt", () => c(`${SOURCES}/hostile_greeter_alt.c`, "greeter_alt.so"));
  // Twins: other code, byte-identical notes (same build ids, GNU and plugboard's).
  const twin = ["-Wl,--build-id=0x77177717771777177717771777177717", "-s"];
  add("twinA", () => c(`${ROOT}/plugins/greeter.c`, "twin_a.so", twin, "7717771777177717"));
  add(
    "twinB",
    () => c(`${SOURCES}/hostile_greeter_alt.c`, "twin_b.so", twin, "7717771777177717"),
  );
  add("isoTypes", () => c(`${ROOT}/tests/fixtures/iso_types.c`, "iso_types.so"));
  add("hangCall", () => c(`${ROOT}/plugins/hang_call.c`, "hang_call.so"));
  add("counter", () => c(`${ROOT}/plugins/counter.c`, "counter.so"));
  add("vars", () => c(`${SOURCES}/hostile_vars.c`, "hostile_vars.so"));
  add("tlsC", () => c(`${SOURCES}/hostile_tls_c.c`, "hostile_tls_c.so"));
  add("hookNoteOnly", () => c(`${SOURCES}/hostile_hook_note_only.c`, "hook_note_only.so"));
  add("initNoNote", () => c(`${SOURCES}/hostile_init_no_note.c`, "init_no_note.so"));
  add("args", () => c(`${SOURCES}/hostile_args.c`, "hostile_args.so"));
  add("escape", () => c(`${SOURCES}/hostile_escape.c`, "hostile_escape.so"));
  add("forker", () => c(`${SOURCES}/hostile_forker.c`, "hostile_forker.so"));
  for (let kind = 1; kind <= DESCRIPTOR_KINDS; kind++) {
    add(
      `descriptor${kind}`,
      () =>
        c(`${SOURCES}/hostile_descriptor.c`, `hostile_descriptor_${kind}.so`, [], undefined, {
          HOSTILE_KIND: String(kind),
        }),
    );
  }
  add("tlsCpp", () => cxxPlugin(cacheDir, `${SOURCES}/hostile_tls_cpp.cpp`, "hostile_tls_cpp"));
  add("swapper", () => program(cacheDir, `${SOURCES}/swapper.c`, "swapper"));
  METADATA_VARIANTS.forEach((v, i) => {
    const source = join(metadataDir, `meta_${i}.c`);
    jobs.push(async () => {
      await writeIfChanged(source, metadataSource(v));
      metadata[v.label] = await c(source, `meta_${i}.so`);
    });
  });
  await runTwoAtATime(jobs);
  const runDir = await Deno.makeTempDir({ dir: cacheDir, prefix: "run-" });
  return {
    cacheDir,
    runDir,
    greeter: files.greeter,
    greeterGaps: files.greeterGaps,
    greeterAlt: files.greeterAlt,
    twins: [files.twinA, files.twinB],
    isoTypes: files.isoTypes,
    hangCall: files.hangCall,
    counter: files.counter,
    vars: files.vars,
    tlsCpp: files.tlsCpp,
    tlsC: files.tlsC,
    hookNoteOnly: files.hookNoteOnly,
    initNoNote: files.initNoNote,
    swapper: files.swapper,
    args: files.args,
    escape: files.escape,
    forker: files.forker,
    descriptors: Array.from(
      { length: DESCRIPTOR_KINDS + 1 },
      (_, k) => files[`descriptor${k}`] ?? "",
    ),
    metadata,
    buildSeconds: (performance.now() - t0) / 1000,
    close: async () => {
      if (!options.keep) await Deno.remove(runDir, { recursive: true }).catch(() => {});
    },
  };
}

async function runTwoAtATime(jobs: (() => Promise<unknown>)[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all([worker(), worker()]);
}

/** A C string literal for arbitrary bytes (each char code is one byte). */
function cString(bytes: string): string {
  let out = '"';
  for (const ch of bytes) {
    const b = ch.charCodeAt(0);
    if (b >= 0x20 && b < 0x7f && ch !== '"' && ch !== "\\") out += ch;
    else out += `\\x${b.toString(16).padStart(2, "0")}""`;
  }
  return out + '"';
}

function metadataSource(v: MetadataVariant): string {
  return `/* generated by tasks/hostile/_workshop.ts: ${v.label} */
#include "plugboard.h"

#include <stdio.h>

PLUGBOARD_PLUGIN(${cString(v.name)}, ${cString(v.version)});
PLUGBOARD_INTERFACE(greeter, "greeter", 1, 0);

PLUGBOARD_FN(greeter, pb_cstring, greet, (pb_cstring name)) {
  static _Thread_local char out[256];
  snprintf(out, sizeof out, "Hello, %s", name);
  return out;
}
`;
}

async function writeIfChanged(path: string, text: string): Promise<void> {
  const old = await Deno.readTextFile(path).catch(() => undefined);
  if (old !== text) await Deno.writeTextFile(path, text);
}

function sha256(...parts: (string | Uint8Array)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

async function toolVersion(tool: string): Promise<string> {
  const out = await run(tool, ["--version"]);
  return out.split("\n")[0];
}

async function run(tool: string, args: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(tool, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      const pkg = tool === "g++" ? "g++" : "gcc";
      throw new Error(`${tool} is not installed: install the Debian package ${pkg}`);
    }
    throw e;
  }
  if (!out.success) {
    throw new Error(`${tool} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Build with a compiler into `<name>-<hash>.<ext>` unless that file exists. */
async function cached(
  dir: string,
  tool: string,
  source: string,
  name: string,
  ext: string,
  flags: string[],
): Promise<string> {
  const header = await Deno.readFile(`${ROOT}/native/plugboard.h`);
  const hash = sha256(
    await toolVersion(tool),
    JSON.stringify(flags),
    await Deno.readFile(source),
    header,
  ).slice(0, 16);
  const out = join(dir, `${name}-${hash}${ext}`);
  try {
    await Deno.stat(out);
    return out;
  } catch {
    // not built yet
  }
  // One build per output in this module instance; other processes (and the
  // test runner's parallel workers, which share a pid) build their own
  // temporary file and rename it over (the same bytes).
  let building = inFlight.get(out);
  if (!building) {
    const tmp = `${out}.tmp-${Deno.pid}-${++tmpCounter}-${crypto.randomUUID().slice(0, 8)}`;
    building = run(tool, [...flags, "-o", tmp, source]).then(() => Deno.rename(tmp, out));
    inFlight.set(out, building);
  }
  await building;
  return out;
}

const inFlight = new Map<string, Promise<void>>();
let tmpCounter = 0;

function cxxPlugin(dir: string, source: string, name: string): Promise<string> {
  return cached(dir, "g++", source, name, ".so", [
    "-std=c++17",
    "-O2",
    "-fPIC",
    "-shared",
    "-Wall",
    "-Wextra",
    "-Werror",
    `-I${ROOT}/native`,
  ]);
}

function program(dir: string, source: string, name: string): Promise<string> {
  return cached(dir, "gcc", source, name, "", ["-O2", "-Wall", "-Wextra", "-Werror"]);
}

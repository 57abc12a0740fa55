/**
 * Whole-process start-up benchmarks: what a `deno run` script or a
 * `plugboard call` pays, against the same work on raw `Deno.dlopen`. The
 * scripts are in tests/bench/startup/; each is run as its own `deno run`
 * process, all of them in turn, round after round (interleaved, so a busy
 * moment of the machine hits every script alike), after one round that is
 * not counted (it fills Deno's caches). Each figure is the median of the
 * rounds, printed on stderr as `plugboard-metric {json}` for
 * `deno task bench` (tasks/bench.ts), which turns them into rows of
 * docs/performance.md.
 *
 * - whole-process wall time of each script (spawn to exit, as seen from
 *   here), in ms;
 * - the in-process time of the first open and first call (`startup-timing`
 *   lines the scripts print), in ms;
 * The scripts import `dist/`, the JavaScript the package's `exports` name
 * (tasks/dist.ts), as a user of the published package does; one script
 * imports mod.ts from the TypeScript sources for comparison.
 *
 * - peak RSS of the empty script and of importing mod.ts, with
 *   `/usr/bin/time -f %M` when it is installed (Debian package `time`);
 * - the stages of a first open in a fresh process (open_stages.ts) and the
 *   in-process import time of each layer (import_one.ts), for the profile
 *   that explains a missed target.
 *
 * `PLUGBOARD_STARTUP_ROUNDS` sets the rounds (default 10).
 *
 * @module
 */

import { BUILD, ROOT } from "../_paths.ts";

const ROUNDS = Math.max(1, Number(Deno.env.get("PLUGBOARD_STARTUP_ROUNDS") ?? 10) | 0);
const GREETER = `${BUILD}/greeter.so`;
const DIR = `${ROOT}/tests/bench/startup`;

/** The flags of a script that opens a plugin: what it needs and no more. */
const SCRIPT_FLAGS = ["--allow-read", "--allow-ffi"];
/** The flags of the `plugboard` task in deno.json (the CLI as installed). */
const CLI_FLAGS = [
  "--allow-read",
  "--allow-write",
  "--allow-ffi",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
];

interface Script {
  /** The metric name's subject. */
  name: string;
  /** `deno run` arguments after `run`. */
  args: string[];
  /** The standard output it must print. */
  out?: string;
}

const SCRIPTS: Script[] = [
  { name: "empty script", args: [`${DIR}/empty.ts`] },
  { name: "import mod.ts", args: [...SCRIPT_FLAGS, `${DIR}/import_core.ts`] },
  { name: "import mod.ts, TypeScript sources", args: [...SCRIPT_FLAGS, `${DIR}/import_source.ts`] },
  {
    name: "raw Deno.dlopen script",
    args: [...SCRIPT_FLAGS, `${DIR}/raw_call.ts`, GREETER],
    out: "Hello, World",
  },
  {
    name: "plugboard script",
    args: [...SCRIPT_FLAGS, `${DIR}/plugboard_call.ts`, GREETER],
    out: "Hello, World",
  },
  {
    name: "raw Deno.dlopen script, CLI flags",
    args: [...CLI_FLAGS, `${DIR}/raw_call.ts`, GREETER],
    out: "Hello, World",
  },
  {
    name: "plugboard call",
    args: [...CLI_FLAGS, `${ROOT}/dist/src/cli/main.js`, "call", GREETER, "greet", "World"],
    out: "Hello, World",
  },
];

/** Layers imported alone (import_one.ts), bottom up; each with what it imports. */
const LAYERS = [
  "dist/src/errors/plugin_error.js",
  "dist/src/elf/read_elf.js",
  "dist/src/abi/read_metadata.js",
  "dist/src/registry/registry.js",
  "dist/src/check/check_plugin.js",
  "dist/src/loader/open_native.js",
  "dist/src/open/open_plugin.js",
  "dist/mod.js",
];

const STAGES = [
  "libc",
  "read",
  "hash",
  "elf",
  "metadata",
  "check",
  "load",
  "bind",
  "call",
  "close",
] as const;

interface Run {
  wallMs: number;
  timing: Record<string, number>;
  stderr: string;
}

async function run(args: string[], expectOut?: string, wrap: string[] = []): Promise<Run> {
  const [exe, ...pre] = wrap.length ? wrap : [Deno.execPath()];
  const started = performance.now();
  const out = await new Deno.Command(exe, {
    args: [...pre, ...(wrap.length ? [Deno.execPath()] : []), "run", "--quiet", ...args],
    cwd: BUILD,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const wallMs = performance.now() - started;
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success || (expectOut !== undefined && stdout !== expectOut)) {
    throw new Error(
      `deno run ${args.join(" ")} failed (exit ${out.code}): ${stdout}\n${stderr.slice(0, 2000)}`,
    );
  }
  const line = stderr.split("\n").find((l) => l.startsWith("startup-timing "));
  const timing = line ? JSON.parse(line.slice("startup-timing ".length)) : {};
  return { wallMs, timing, stderr };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function metric(name: string, value: number, unit: string, note?: string): void {
  console.error(
    `plugboard-metric ${JSON.stringify({ name, value, unit, ...(note ? { note } : {}) })}`,
  );
}

/** `/usr/bin/time` when it is there and takes `-f %M` (GNU time). */
async function gnuTime(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("/usr/bin/time", {
      args: ["-f", "%M", "true"],
      stdout: "null",
      stderr: "piped",
    }).output();
    const kib = Number(new TextDecoder().decode(out.stderr).trim().split("\n").pop());
    return out.success && Number.isFinite(kib) ? "/usr/bin/time" : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- whole processes

const walls = new Map<string, number[]>();
const openCall = new Map<string, number[]>();
const loaded = new Map<string, number[]>();
for (let round = -1; round < ROUNDS; round++) {
  for (const s of SCRIPTS) {
    const r = await run(s.args, s.out);
    if (round < 0) continue; // the first round fills Deno's caches
    (walls.get(s.name) ?? walls.set(s.name, []).get(s.name)!).push(r.wallMs);
    if (r.timing.openCall !== undefined) {
      (openCall.get(s.name) ?? openCall.set(s.name, []).get(s.name)!).push(r.timing.openCall);
    }
    if (r.timing.loaded !== undefined) {
      (loaded.get(s.name) ?? loaded.set(s.name, []).get(s.name)!).push(r.timing.loaded);
    }
  }
}
for (const [name, xs] of walls) metric(`startup whole process: ${name}`, median(xs), "ms");
for (const [name, xs] of openCall) {
  metric(`startup first open and call, in process: ${name}`, median(xs), "ms");
}
for (const [name, xs] of loaded) {
  metric(`startup modules loaded, in process: ${name}`, median(xs), "ms");
}

// ---------------------------------------------------------------- peak RSS

const time = await gnuTime();
if (time === undefined) {
  for (const name of ["empty script", "import mod.ts"]) {
    metric(
      `startup peak RSS: ${name}`,
      0,
      "missing",
      "/usr/bin/time (GNU time) is not installed: apt-get install time",
    );
  }
} else {
  const rss = new Map<string, number[]>();
  for (let round = 0; round < Math.max(3, ROUNDS >> 1); round++) {
    for (const s of SCRIPTS.slice(0, 2)) {
      const r = await run(s.args, undefined, [time, "-f", "%M"]);
      const kib = Number(r.stderr.trim().split("\n").pop());
      (rss.get(s.name) ?? rss.set(s.name, []).get(s.name)!).push(kib / 1024);
    }
  }
  for (const [name, xs] of rss) metric(`startup peak RSS: ${name}`, median(xs), "MiB");
}

// ---------------------------------------------------------------- the profile

const stages = new Map<string, number[]>();
for (let round = -1; round < ROUNDS; round++) {
  const r = await run([...SCRIPT_FLAGS, `${DIR}/open_stages.ts`, GREETER]);
  if (round < 0) continue;
  for (const k of ["loaded", ...STAGES]) {
    const v = r.timing[k];
    if (typeof v === "number") (stages.get(k) ?? stages.set(k, []).get(k)!).push(v);
  }
}
for (const [k, xs] of stages) metric(`startup first open stage: ${k}`, median(xs), "ms");

const layers = new Map<string, number[]>();
for (let round = -1; round < Math.max(3, ROUNDS >> 1); round++) {
  for (const layer of LAYERS) {
    const r = await run([...SCRIPT_FLAGS, `${DIR}/import_one.ts`, `../../../${layer}`]);
    if (round < 0) continue;
    (layers.get(layer) ?? layers.set(layer, []).get(layer)!).push(r.timing.import);
  }
}
for (const [layer, xs] of layers) {
  metric(`startup import alone, in process: ${layer}`, median(xs), "ms");
}

/**
 * Peers: what a user would pick instead of plugboard, calling the same C
 * functions (`add`, `greet` of plugins/noop.c) in the same loop
 * (tests/bench/peers/_loop.ts): koffi (npm:koffi, loaded by Deno) and Bun's
 * `bun:ffi` (the npm package `bun` ships the binary), beside plugboard and
 * raw Deno FFI timed the same way. Each runs in its own process; figures are
 * printed on stderr as `plugboard-metric {json}` (ns per call) for
 * `deno task bench` (tasks/bench.ts).
 *
 * A peer that cannot be installed or run is reported as missing, with the
 * reason (`unit: "missing"`), never dropped. Bun is looked for as `$BUN`,
 * `bun` on the PATH, then `build/peers/node_modules/.bin/bun`; when none
 * runs, `npm install --prefix build/peers bun@BUN_VERSION` is tried once.
 *
 * @module
 */

import { BUILD, ROOT } from "../_paths.ts";
import { KOFFI } from "./peers/koffi_peer.ts";

/** The Bun release installed when none is found. */
const BUN_VERSION = "1.4.5";
const NOOP = `${BUILD}/noop.so`;
const PEERS = `${BUILD}/peers`;

/** Bun's script: the loop of peers/_loop.ts, with `bun:ffi` (not seen by `deno check`). */
const BUN_SCRIPT = `
import { dlopen, FFIType } from "bun:ffi";
let sink;
function perCall(run, n) {
  sink = run(n >> 2);
  const reps = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    sink = run(n);
    reps.push(((performance.now() - t0) * 1e6) / n);
  }
  if (sink === Symbol.for("never")) console.log(sink);
  return reps.sort((a, b) => a - b)[2];
}
const lib = dlopen(process.argv[2], {
  add: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  greet: { args: [FFIType.cstring], returns: FFIType.cstring },
});
const { add, greet } = lib.symbols;
const enc = new TextEncoder();
// Bun's cstring parameter takes bytes: the names are encoded once, up front
// (Bun's fastest case; plugboard and koffi encode each JS string per call).
const world = enc.encode("World\\0");
const names = Array.from({ length: 64 }, (_, i) => enc.encode("user" + i + "\\0"));
console.log(JSON.stringify({
  bun: {
    add: perCall((n) => { let s = 0; for (let i = 0; i < n; i++) s = add(s, i) | 0; return s; }, 2000000),
    greet: perCall((n) => { let s = ""; for (let i = 0; i < n; i++) s = String(greet(world)); return s; }, 500000),
    greet64: perCall((n) => { let s = ""; for (let i = 0; i < n; i++) s = String(greet(names[i & 63])); return s; }, 500000),
  },
  version: Bun.version,
}));
`;

function metric(name: string, value: number, unit: string, note?: string): void {
  console.error(
    `plugboard-metric ${JSON.stringify({ name, value, unit, ...(note ? { note } : {}) })}`,
  );
}

async function output(
  cmd: string,
  args: string[],
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    return {
      ok: out.success,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  } catch (e) {
    return { ok: false, stdout: "", stderr: (e as Error).message };
  }
}

/** The last line of a failed run, for a missing peer's reason. */
function reason(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l && !/^\s*at /.test(l));
  return (lines.find((l) => /error/i.test(l)) ?? lines.pop() ?? "no output").slice(0, 200);
}

/** A Bun that runs, installing one when none is found; or why there is none. */
async function findBun(): Promise<{ bun: string } | { missing: string }> {
  const local = `${PEERS}/node_modules/.bin/bun`;
  for (const candidate of [Deno.env.get("BUN"), "bun", local]) {
    if (!candidate) continue;
    if ((await output(candidate, ["--version"])).ok) return { bun: candidate };
  }
  Deno.mkdirSync(PEERS, { recursive: true });
  const npm = await output("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--prefix",
    PEERS,
    `bun@${BUN_VERSION}`,
  ]);
  if (!npm.ok) return { missing: `npm install bun@${BUN_VERSION} failed: ${reason(npm.stderr)}` };
  const check = await output(local, ["--version"]);
  return check.ok
    ? { bun: local }
    : { missing: `the installed bun does not run: ${reason(check.stderr)}` };
}

type Figures = Record<string, Record<string, number>>;

function report(figures: Figures): void {
  for (const [who, ops] of Object.entries(figures)) {
    if (typeof ops !== "object") continue;
    for (const [op, ns] of Object.entries(ops)) metric(`peer ${who}: ${op}`, ns, "ns");
  }
}

function missing(who: string, why: string): void {
  for (const op of ["add", "greet", "greet64"]) metric(`peer ${who}: ${op}`, 0, "missing", why);
}

// plugboard and raw Deno, in the same loop.
const deno = await output(Deno.execPath(), [
  "run",
  "--allow-read",
  "--allow-ffi",
  `${ROOT}/tests/bench/peers/deno_peer.ts`,
  NOOP,
]);
if (!deno.ok) throw new Error(`tests/bench/peers/deno_peer.ts failed: ${deno.stderr}`);
report(JSON.parse(deno.stdout));

// koffi, through Deno's npm support.
const koffi = await output(Deno.execPath(), [
  "run",
  "--quiet",
  "--allow-read",
  "--allow-ffi",
  "--allow-env",
  `${ROOT}/tests/bench/peers/koffi_peer.ts`,
  NOOP,
]);
if (koffi.ok) report(JSON.parse(koffi.stdout));
else missing("koffi", `npm:${KOFFI} did not run: ${reason(koffi.stderr)}`);

// Bun's own FFI.
const found = await findBun();
if ("missing" in found) missing("bun", found.missing);
else {
  Deno.mkdirSync(PEERS, { recursive: true });
  const script = `${PEERS}/bun_peer.mjs`;
  Deno.writeTextFileSync(script, BUN_SCRIPT);
  const bun = await output(found.bun, ["run", script, NOOP]);
  if (!bun.ok) missing("bun", `bun run failed: ${reason(bun.stderr)}`);
  else {
    const figures = JSON.parse(bun.stdout);
    report({ bun: figures.bun });
    console.error(`peer bun: version ${figures.version}`);
  }
}

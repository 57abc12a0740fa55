/**
 * WebAssembly benchmarks, side by side in one run: plugboard's calls of
 * `plugins/noop.c` built for wasm32 against the same export called on a raw
 * `WebAssembly.Instance` and against the native plugin through FFI; module
 * loads cold (new bytes: parse and compile) and warm (the caches); a call's
 * round trip to a Worker, and a worker's start; the interrupt checks'
 * cost in a loop; and the Extism JS SDK (`npm:@extism/extism`) calling an
 * equivalent Extism plugin (`tests/bench/extism/`).
 *
 * Call benchmarks run {@linkcode CALLS} calls per iteration, as
 * `loader_bench.ts` does; `deno task bench` lists these rows under "More
 * results" with their ratio to their group's baseline.
 *
 * @module
 */

// The only npm package of the project, for this comparison alone: pinned here
// rather than in deno.json's imports.
// deno-lint-ignore no-import-prefix
import createPlugin from "npm:@extism/extism@1.0.3";
import { defineInterface, openPlugin, openPluginSync, type Plugin } from "../../mod.ts";
import { readWasm } from "../../src/wasm/read_wasm.ts";
import { prepareWasm } from "../../src/wasm/prepare_wasm.ts";
import { buildAllWasm } from "../../tasks/build_wasm.ts";
import { BUILD, plugin, ROOT } from "../_paths.ts";

/** Calls per iteration of every call benchmark. */
export const CALLS = 10_000;

await buildAllWasm({ quiet: true });
const NOOP_WASM = `${BUILD}/wasm/noop.wasm`;
const LOOP_WASM = `${BUILD}/wasm/loop.wasm`;

const Bench = defineInterface("bench", "1.0", {
  add: "i32 add(i32 a, i32 b)",
  greet: "cstring greet(cstring name)",
});

const wasm = openPluginSync(NOOP_WASM, { interfaces: [Bench] }).use(Bench);
const native = openPluginSync(plugin("noop"), { interfaces: [Bench] }).use(Bench);
const ffi = Deno.dlopen(plugin("noop"), {
  add: { parameters: ["i32", "i32"], result: "i32" },
}).symbols;
const instance = new WebAssembly.Instance(new WebAssembly.Module(Deno.readFileSync(NOOP_WASM)));
const raw = instance.exports as Record<string, (...a: number[]) => number> & {
  memory: WebAssembly.Memory;
};
raw.plugboard_entry();
// A live Worker keeps the process alive, so the benchmarks' worker is
// opened on first use and closed after a second without use.
let worker: Promise<Plugin<"async">> | undefined;
let idle: ReturnType<typeof setTimeout> | undefined;
function remote(): Promise<Plugin<"async">> {
  clearTimeout(idle);
  idle = setTimeout(() => {
    const w = worker;
    worker = undefined;
    void w?.then((p) => p.close());
  }, 1000);
  return worker ??= openPlugin(NOOP_WASM, { isolation: "worker", interfaces: [Bench] });
}
const extism = await createPlugin(`${ROOT}/tests/bench/extism/bench.wasm`, {
  useWasi: true,
  runInWorker: false,
});

let sink = 0;
/** Keep results alive so no loop is optimized away. */
function consume(x: unknown): void {
  if (x === sink) sink++;
}

// ---------------------------------------------------------------- add

Deno.bench({
  name: "wasm add: raw WebAssembly.Instance export",
  group: "wasm add",
  baseline: true,
  fn(b) {
    const add = raw.add;
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s = add(s, i) | 0;
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "wasm add: plugboard",
  group: "wasm add",
  fn(b) {
    const add = wasm.add;
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s = add(s, i) | 0;
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "wasm add: native plugin, plugboard",
  group: "wasm add",
  fn(b) {
    const add = native.add;
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s = add(s, i) | 0;
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "wasm add: native plugin, raw Deno FFI",
  group: "wasm add",
  fn(b) {
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s = ffi.add(s, i) | 0;
    b.end();
    consume(s);
  },
});

// ---------------------------------------------------------------- greet

const rawName = raw.plugboard_alloc(256);
Deno.bench({
  name: "wasm greet: native plugin, plugboard",
  group: "wasm greet",
  baseline: true,
  fn(b) {
    const greet = native.greet;
    let s: string | null = "";
    b.start();
    for (let i = 0; i < CALLS; i++) s = greet("World");
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "wasm greet: plugboard",
  group: "wasm greet",
  fn(b) {
    const greet = wasm.greet;
    let s: string | null = "";
    b.start();
    for (let i = 0; i < CALLS; i++) s = greet("World");
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "wasm greet: raw export, its argument in place, result not read",
  group: "wasm greet",
  fn(b) {
    new Uint8Array(raw.memory.buffer).set(new TextEncoder().encode("World\0"), rawName);
    const greet = raw.greet;
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s = greet(rawName);
    b.end();
    consume(s);
  },
});

// ---------------------------------------------------------------- load

const loadDir = `${BUILD}/bench/wasm`;
Deno.mkdirSync(loadDir, { recursive: true });
const noopBytes = Deno.readFileSync(NOOP_WASM);
let fresh = 0;
const stamp = `${Deno.pid}-${Date.now()}`;
/** A copy of noop.wasm with a custom section of its own: new bytes, same module. */
function newCopy(): string {
  const tag = new TextEncoder().encode(`${stamp}-${fresh++}`);
  const name = new TextEncoder().encode("bench");
  const payload = [name.length, ...name, ...tag];
  const bytes = new Uint8Array([...noopBytes, 0, payload.length, ...payload]);
  const path = `${loadDir}/noop-${fresh}.wasm`;
  Deno.writeFileSync(path, bytes, { mode: 0o644 });
  return path;
}
const warmPath = `${loadDir}/noop-warm.wasm`;
Deno.writeFileSync(warmPath, noopBytes, { mode: 0o644 });
openPluginSync(warmPath).close();

Deno.bench({
  name: "wasm open: warm (parsed and compiled before: instantiate only)",
  group: "wasm open",
  baseline: true,
  async fn(b) {
    b.start();
    const p = openPluginSync(warmPath);
    b.end();
    await p.close();
  },
});
Deno.bench({
  name: "wasm open: cold (new bytes: read, parse, compile, instantiate)",
  group: "wasm open",
  async fn(b) {
    const path = newCopy();
    b.start();
    const p = openPluginSync(path);
    b.end();
    await p.close();
    Deno.removeSync(path);
  },
});
Deno.bench({
  name: "wasm open: compile only, raw new WebAssembly.Module",
  group: "wasm open",
  fn() {
    consume(new WebAssembly.Module(noopBytes));
  },
});
Deno.bench({
  name: "wasm open: the custom section read, readWasm (no compile)",
  group: "wasm open",
  fn() {
    consume(readWasm(noopBytes, NOOP_WASM).notes.length);
  },
});

// ---------------------------------------------------------------- worker

Deno.bench({
  name: "wasm worker: in-process call, one per iteration",
  group: "wasm worker call",
  baseline: true,
  fn() {
    sink += wasm.add(1, 2);
  },
});
Deno.bench({
  name: "wasm worker: round trip, add (i32)",
  group: "wasm worker call",
  async fn(b) {
    const { add } = (await remote()).use(Bench);
    b.start();
    sink += await add(1, 2);
    b.end();
  },
});
Deno.bench({
  name: "wasm worker: round trip, greet",
  group: "wasm worker call",
  async fn(b) {
    const { greet } = (await remote()).use(Bench);
    b.start();
    consume(await greet("World"));
    b.end();
  },
});
Deno.bench({
  name: "wasm worker: start and close a worker",
  group: "wasm worker start",
  async fn() {
    const p = await openPlugin(NOOP_WASM, { isolation: "worker" });
    await p.close();
  },
});

// ---------------------------------------------------------------- interrupt checks

const loopBytes = Deno.readFileSync(LOOP_WASM);
const loopInfo = readWasm(loopBytes, LOOP_WASM);
function busyOf(interrupt: boolean): (n: number) => number {
  const bytes = prepareWasm(loopBytes, loopInfo, LOOP_WASM, { interrupt, growFlag: true }).bytes;
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  (e.plugboard_entry as () => number)();
  return e.busy as (n: number) => number;
}
const busyPlain = busyOf(false);
const busyChecked = busyOf(true);
Deno.bench({
  name: "wasm loop, 1e6 iterations: no interrupt checks (in process)",
  group: "wasm loop",
  baseline: true,
  fn() {
    consume(busyPlain(1));
  },
});
Deno.bench({
  name: "wasm loop, 1e6 iterations: with interrupt checks (as in a worker)",
  group: "wasm loop",
  fn() {
    consume(busyChecked(1));
  },
});

// ---------------------------------------------------------------- Extism

const addInput = new Uint8Array(8);
new DataView(addInput.buffer).setInt32(0, 2, true);
new DataView(addInput.buffer).setInt32(4, 3, true);
Deno.bench({
  name: "extism: plugboard wasm add, one per iteration",
  group: "extism add",
  baseline: true,
  fn() {
    sink += wasm.add(2, 3);
  },
});
Deno.bench({
  name: "extism: Extism JS SDK add (8 bytes in, 4 out)",
  group: "extism add",
  async fn() {
    consume(await extism.call("add", addInput));
  },
});
Deno.bench({
  name: "extism: plugboard wasm greet, one per iteration",
  group: "extism greet",
  baseline: true,
  fn() {
    consume(wasm.greet("World"));
  },
});
Deno.bench({
  name: "extism: Extism JS SDK greet",
  group: "extism greet",
  async fn() {
    consume((await extism.call("greet", "World"))?.text());
  },
});

globalThis.addEventListener("unload", () => void extism.close());

/**
 * PluginHost benchmarks:
 *
 * - start-up of a host on a directory of 10 sample plugins, eager (every
 *   plugin loaded and its init run) against lazy (every file checked without
 *   running it); the close of each iteration runs outside the timer;
 * - the first call of a lazy plugin (its load, bind and call) against the
 *   first use of an already loaded one;
 * - the host's routing indirection on a call (`add`), against the loader's
 *   own function and raw `Deno.dlopen`;
 * - the `plugboard pipe` pipeline (base64, reverse, upper on 11 bytes)
 *   through the host against the same three C functions called through raw
 *   `Deno.dlopen`, with the same buffers and error checks; and through
 *   `TextPipeline`, synchronously (`runSync`) and awaited (`run`).
 *
 * Call benchmarks run {@linkcode CALLS} calls (or pipelines) per iteration,
 * so their times are per {@linkcode CALLS}.
 *
 *   deno task build && deno bench -A tests/bench/host_bench.ts
 *
 * @module
 */

import { CalcOp } from "../../src/cli/calc_command.ts";
import { join } from "node:path";
import { defineInterface, openPluginSync } from "../../mod.ts";
import { PluginHost } from "../../src/host/mod.ts";
import { TextPipeline, TextProcessor } from "../../src/cli/pipe_command.ts";
import { plugin } from "../_paths.ts";

/** Calls (or pipelines) per iteration of the call benchmarks. */
export const CALLS = 10_000;

const Bench = defineInterface("bench", "1.0", { add: "i32 add(i32 a, i32 b)" });

const TEN = [
  "calc_add",
  "calc_div",
  "calc_mul",
  "calc_sub",
  "greeter",
  "myfunction",
  "noop",
  "text_base64",
  "text_reverse",
  "text_upper",
];
const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "plugboard-host-bench-" }));
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
for (const name of TEN) Deno.copyFileSync(plugin(name), join(dir, `${name}.so`));

let sink = 0;
/** Keep results alive so no loop is optimized away. */
function consume(x: unknown): void {
  if (x === sink) sink++;
}

// ------------------------------------------------------------- start-up

for (const mode of ["eager", "lazy"] as const) {
  Deno.bench({
    name: `start-up, 10 plugins: ${mode}`,
    group: "host start-up",
    baseline: mode === "eager",
    async fn(b) {
      b.start();
      const host = new PluginHost({ paths: [dir], env: false, mode });
      const summary = await host.discover();
      b.end();
      consume(summary.found);
      await host.close();
    },
  });
}

// ------------------------------------------------------------ first call

for (const mode of ["eager", "lazy"] as const) {
  Deno.bench({
    name: `first use and call of calc_add: ${
      mode === "lazy" ? "lazy (loads it)" : "eager (loaded)"
    }`,
    group: "first call",
    baseline: mode === "eager",
    async fn(b) {
      const host = new PluginHost({ paths: [dir], env: false, mode });
      await host.discover();
      const [add] = host.plugins("calc.op/1");
      b.start();
      const op = await add.use(CalcOp);
      const r = op.apply(6, 3);
      b.end();
      consume(r);
      await host.close();
    },
  });
}

// -------------------------------------------------------------- routing

const rawNoop = Deno.dlopen(
  plugin("noop"),
  {
    add: { parameters: ["i32", "i32"], result: "i32" },
  } as const,
).symbols;
const loaderAdd = openPluginSync(plugin("noop"), { interfaces: [Bench] }).use(Bench).add;
const host = new PluginHost({ paths: [dir], env: false });
await host.discover();
const hostedAdd = (await host.plugins(Bench)[0].use(Bench)).add;

const addCases = [
  { name: "add: raw Deno FFI", add: rawNoop.add, baseline: true },
  { name: "add: loader (openPlugin)", add: loaderAdd, baseline: false },
  { name: "add: host (routed through the current build)", add: hostedAdd, baseline: false },
];
for (const c of addCases) {
  Deno.bench({
    name: c.name,
    group: "call routing",
    baseline: c.baseline,
    fn(b) {
      const add = c.add;
      let s = 0;
      b.start();
      for (let i = 0; i < CALLS; i++) s = add(s, i) | 0;
      b.end();
      consume(s);
    },
  });
}

// ------------------------------------------------------------- pipeline

const TAKE = { plugboard_take_error: { parameters: [], result: "pointer" } } as const;
const PROCESS = {
  process: { parameters: ["buffer", "usize", "buffer", "usize"], result: "usize" },
  ...TAKE,
} as const;
const rawStages = ["text_base64", "text_reverse", "text_upper"].map((n) =>
  Deno.dlopen(plugin(n), PROCESS).symbols
);
const hostedStages = await Promise.all(
  host.plugins(TextProcessor).map(async (p) => (await p.use(TextProcessor)).process),
);
if (hostedStages.length !== 3) throw new Error("expected the three text processors");
const pipeline = await TextPipeline.open(host);

const input = new TextEncoder().encode("hello world");
const bufA = new Uint8Array(1024);
const bufB = new Uint8Array(1024);

/** Bigints of small lengths, made once: what a careful raw-FFI caller does (as the loader does). */
const SMALL = Array.from({ length: 4096 }, (_, i) => BigInt(i));

const [raw0, raw1, raw2] = rawStages;
const [host0, host1, host2] = hostedStages;

/**
 * The pipeline over raw Deno FFI, one call site per stage (a loop over the
 * three would make the call site polymorphic and lose V8's fast FFI path).
 */
function rawPipeline(): number {
  let n = rawStageA(input, input.length, bufA);
  n = rawStageB(bufA, n, bufB);
  return rawStageC(bufB, n, bufA);
}
function rawStageA(src: Uint8Array, len: number, out: Uint8Array): number {
  const n = Number(raw0.process(src, SMALL[len], out, SMALL[len * 4 + 64]));
  if (raw0.plugboard_take_error() !== null) throw new Error("stage failed");
  return n;
}
function rawStageB(src: Uint8Array, len: number, out: Uint8Array): number {
  const n = Number(raw1.process(src, SMALL[len], out, SMALL[len * 4 + 64]));
  if (raw1.plugboard_take_error() !== null) throw new Error("stage failed");
  return n;
}
function rawStageC(src: Uint8Array, len: number, out: Uint8Array): number {
  const n = Number(raw2.process(src, SMALL[len], out, SMALL[len * 4 + 64]));
  if (raw2.plugboard_take_error() !== null) throw new Error("stage failed");
  return n;
}

/** The same pipeline through the host's routed, checked functions, one call site per stage. */
function hostPipeline(): number {
  let n = Number(host0(input, input.length, bufA, input.length * 4 + 64));
  n = Number(host1(bufA, n, bufB, n * 4 + 64));
  return Number(host2(bufB, n, bufA, n * 4 + 64));
}

if (
  rawPipeline() !== hostPipeline() || pipeline.runSync("hello world").output !== "=QGBY92DG8GBSVGA"
) {
  throw new Error("the pipelines disagree");
}

Deno.bench({
  name: "pipeline of 3 stages: raw Deno FFI",
  group: "text pipeline",
  baseline: true,
  fn(b) {
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s += rawPipeline();
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "pipeline of 3 stages: host functions, same buffers",
  group: "text pipeline",
  fn(b) {
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s += hostPipeline();
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "pipeline of 3 stages: TextPipeline.runSync (the pipe app, string in and out)",
  group: "text pipeline",
  fn(b) {
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s += pipeline.runSync("hello world").output.length;
    b.end();
    consume(s);
  },
});
Deno.bench({
  name: "pipeline of 3 stages: await TextPipeline.run (as the pipe app calls it)",
  group: "text pipeline",
  async fn(b) {
    let s = 0;
    b.start();
    for (let i = 0; i < CALLS; i++) s += (await pipeline.run("hello world")).output.length;
    b.end();
    consume(s);
  },
});

globalThis.addEventListener("unload", () => {
  void host.close();
});

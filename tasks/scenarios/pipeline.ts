/**
 * Scenario "pipeline": every text processor a host finds, applied in file
 * name order (in the pipe app, with a subprocess plugin among them), with
 * the cost of each call.
 *
 * @module
 */

import { defineInterface, openPlugin } from "../../mod.ts";
import { PluginHost } from "../../src/host/mod.ts";
import { check, code, heading, runMerged, say, shell, showChild, tempDir } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios pipeline` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./pipeline.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "pipeline",
  title: "Pipeline: processors in alphabetical order, native and subprocess",
  description:
    "Runs the pipe app (`plugboard pipe --steps`) on a directory holding the three native " +
    "processors and `text_shout.sh`, a subprocess plugin (a bash script speaking " +
    "plugboard-rpc/1, docs/subprocess.md, described by its sidecar `text_shout.sh.plugboard.json`), " +
    "and runs all four in file name order. Then it does the same with the library, native " +
    "stages only: a " +
    "`PluginHost` on `build/` for the `text.processor/1.0` interface finds `text_base64`, " +
    "`text_reverse` and `text_upper` (in file name order, which is the host's discovery order) " +
    "and pipes a text through all three, each stage's output the next one's input. It checks the " +
    "result against the same transformations done in TypeScript, then times the stages through " +
    "the host's routed functions and through plain `openPlugin` handles (median of five " +
    "rounds of 100,000 calls per stage), and reports the cost per call and the difference.",
  why: "Discovery order is deterministic (file name, then path), so a pipeline built from " +
    "`host.plugins(TextProcessor)` applies its stages in the same order on every machine, and " +
    "adding a stage is adding a file, a `.so` or a program with its sidecar: the host runs " +
    'programs as processes (`isolation: "auto"`) in the same order, and the pipe awaits only ' +
    "their stages (a round trip to a process, milliseconds for a bash script); native stages " +
    "stay synchronous calls. Each native stage gets the input as a `buffer` (a `Uint8Array` " +
    "the host lends for the duration of the call, passed as a pointer without copying) and " +
    "writes into an output buffer the host owns; the plugin reports a too-small buffer with " +
    "`pb_fail` instead of writing past it. Lengths are `usize`, passed as `bigint` so that V8's " +
    "fast call path applies. A call through a host goes through one more function than a call " +
    "through a plugin handle: the routing that lets a reload swap in a new build while calls go " +
    "on, and that makes calls after the plugin is removed throw `CLOSED`. That costs a few " +
    "nanoseconds, small next to the call itself: two buffer arguments, two `bigint` lengths, " +
    "the plugin's work, and for a fallible function a second FFI call that collects its error.",
  expect: {
    lines: [
      '$ deno run -A src/cli/main.ts pipe --dir $TMP --steps "Hello, plugboard!"',
      "  | input    Hello, plugboard!",
      "  | base64   SGVsbG8sIHBsdWdib2FyZCE=",
      "  | reverse  =ECZyF2bidWdsBHIs8GbsVGS",
      "  | shout    =ECZYF2BIDWDSBHIS8GBSVGS!",
      "  | upper    =ECZYF2BIDWDSBHIS8GBSVGS!",
      "child ended: exit code 0",
      "ok: the app applied base64, reverse, shout (the bash script), upper in that order",
      '> const host = new PluginHost({ paths: ["build"], env: false, interfaces: [TextProcessor] })',
      "stages, in discovery order: base64 (text_base64.so), reverse (text_reverse.so), upper (text_upper.so)",
      '> pipe("Hello, plugboard!")',
      '"Hello, plugboard!" -> base64 -> "SGVsbG8sIHBsdWdib2FyZCE="',
      '"SGVsbG8sIHBsdWdib2FyZCE=" -> reverse -> "=ECZyF2bidWdsBHIs8GbsVGS"',
      '"=ECZyF2bidWdsBHIs8GbsVGS" -> upper -> "=ECZYF2BIDWDSBHIS8GBSVGS"',
      "ok: the pipeline gives what btoa, reverse and toUpperCase give",
      /^through the host's routed functions: <n> ns per process\(\) call$/,
      /^through plugin handles: <n> ns per process\(\) call$/,
      "difference (host routing): <n> ns per call",
      "ok: plugin handles give the same output as the host",
    ],
  },
});

const TextProcessor = defineInterface("text.processor", "1.0", {
  name: "cstring name()",
  process: "fallible usize process(buffer input, usize input_len, buffer output, usize output_cap)",
});

type Stage = {
  name: () => string | null;
  process: (a: Uint8Array, b: number | bigint, c: Uint8Array, d: number | bigint) => bigint;
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function pipe(stages: readonly Stage[], text: string, show: boolean): string {
  let input = encoder.encode(text);
  for (const stage of stages) {
    const output = new Uint8Array(input.length * 2 + 8);
    const n = stage.process(input, BigInt(input.length), output, BigInt(output.length));
    const next = output.subarray(0, Number(n));
    if (show) {
      say(
        `${JSON.stringify(decoder.decode(input))} -> ${stage.name()} -> ${
          JSON.stringify(decoder.decode(next))
        }`,
      );
    }
    input = next;
  }
  return decoder.decode(input);
}

/** Median ns per process() call over the three stages, each with its real input. */
function nsPerCall(stages: readonly Stage[], inputs: readonly Uint8Array[], calls: number): number {
  const out = new Uint8Array(256);
  const cap = BigInt(out.length);
  const lens = inputs.map((b) => BigInt(b.length));
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let s = 0; s < stages.length; s++) {
      const process = stages[s].process;
      const input = inputs[s];
      const len = lens[s];
      for (let i = 0; i < calls; i++) process(input, len, out, cap);
    }
    rounds.push(((performance.now() - t0) * 1e6) / (calls * stages.length));
  }
  return rounds.sort((a, b) => a - b)[2];
}

async function main(): Promise<void> {
  const text = "Hello, plugboard!";
  const expected = [...btoa(text)].reverse().join("").toUpperCase();

  heading("the pipe app");
  const dir = await tempDir();
  for (const name of ["text_base64", "text_reverse", "text_upper"]) {
    await Deno.copyFile(`build/${name}.so`, `${dir}/${name}.so`);
  }
  for (const file of ["text_shout.sh", "text_shout.sh.plugboard.json"]) {
    await Deno.copyFile(`plugins/rpc/${file}`, `${dir}/${file}`);
  }
  shell(`deno run -A src/cli/main.ts pipe --dir ${dir} --steps ${JSON.stringify(text)}`);
  const app = await runMerged(Deno.execPath(), [
    "run",
    "-A",
    "src/cli/main.ts",
    "pipe",
    "--dir",
    dir,
    "--steps",
    text,
  ], { env: { PLUGBOARD_PATH: "" } });
  showChild(app);
  const names = app.output.trimEnd().split("\n").map((l) => l.split(" ")[0]);
  const last = app.output.trimEnd().split("\n").pop() ?? "";
  check(
    "the app applied base64, reverse, shout (the bash script), upper in that order",
    app.code === 0 && names.join(",") === "input,base64,reverse,shout,upper" &&
      last.endsWith(` ${expected}!`),
    last,
  );

  heading("the same with the library, and the cost per call");
  code(
    'const TextProcessor = defineInterface("text.processor", "1.0", { name: ..., process: ... })',
  );
  code(
    'const host = new PluginHost({ paths: ["build"], env: false, interfaces: [TextProcessor] })',
  );
  await using host = new PluginHost({ paths: ["build"], env: false, interfaces: [TextProcessor] });
  await host.discover();
  const hosted = host.plugins(TextProcessor);
  const stages: Stage[] = [];
  for (const p of hosted) stages.push(await p.use(TextProcessor));
  say(
    `stages, in discovery order: ${
      hosted.map((p, i) => `${stages[i].name()} (${p.path.split("/").pop()})`).join(", ")
    }`,
  );

  code(`pipe(${JSON.stringify(text)})`);
  const result = pipe(stages, text, true);
  check("the pipeline gives what btoa, reverse and toUpperCase give", result === expected, result);

  const direct: Stage[] = [];
  const handles = [];
  for (const p of hosted) {
    const handle = await openPlugin(p.path, { interfaces: [TextProcessor] });
    handles.push(handle);
    direct.push(handle.use(TextProcessor));
  }
  // Each stage's real input: the text, then what the previous stage wrote.
  const inputs: Uint8Array[] = [];
  let bytes = encoder.encode(text);
  for (const stage of direct) {
    inputs.push(bytes);
    const out = new Uint8Array(256);
    bytes = out.slice(0, Number(stage.process(bytes, BigInt(bytes.length), out, 256n)));
  }
  nsPerCall(stages, inputs, 20_000);
  nsPerCall(direct, inputs, 20_000);
  const viaHost = nsPerCall(stages, inputs, 100_000);
  const viaHandle = nsPerCall(direct, inputs, 100_000);
  say(`through the host's routed functions: ${viaHost.toFixed(1)} ns per process() call`);
  say(`through plugin handles: ${viaHandle.toFixed(1)} ns per process() call`);
  say(`difference (host routing): ${(viaHost - viaHandle).toFixed(1)} ns per call`);
  const again = pipe(direct, text, false);
  check("plugin handles give the same output as the host", again === expected, again);
  for (const h of handles) await h.close();
}

if (import.meta.main) await main();

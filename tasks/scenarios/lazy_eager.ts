/**
 * Scenario "lazy-eager": start-up of a host with ten plugins, loading them
 * all at discovery or each at its first use, and what the first call costs.
 *
 * @module
 */

import { defineInterface } from "../../mod.ts";
import { PluginHost } from "../../src/host/mod.ts";
import { check, code, heading, say, tempDir } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios lazy-eager` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./lazy_eager.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "lazy-eager",
  title: "Lazy vs eager: start-up with ten plugins",
  description:
    "Copies ten sample plugins into a directory and starts a `PluginHost` on it twice: `mode: " +
    '"eager"` loads all ten during `discover()`, `mode: "lazy"` only checks them (file, ELF, ' +
    "metadata, interfaces) and loads each at its first `use()`. It prints the start-up time of " +
    "each (the median of five runs), the cost of the first call on the lazy host (which includes " +
    "the load) and of the same call on the eager host, and checks what was loaded when.",
  why:
    "Loading a plugin is more than `dlopen`: plugboard reads and hashes the file, parses its ELF " +
    "headers and notes, checks ABI, interfaces and symbols, copies the bytes into a sealed memfd, " +
    "maps it, compares the notes in memory with the file's and runs the init hook. An eager host " +
    "pays that for every plugin before it answers anything, and runs every plugin's " +
    "initialisation at start, in discovery order, so a broken plugin is found at start-up. A " +
    "lazy host pays only the checks that need no mapping at discovery (a plugin that is not " +
    "valid is still skipped at once, with its reason) and moves the rest to the first use of " +
    "each plugin, so start-up scales with what is used, and the first call of each plugin is " +
    "slower by one load. Concurrent first uses share one load. Which to choose depends on " +
    "whether start-up latency or first-request latency matters more, and on whether init hooks " +
    "must run early (to fail fast) or may run late.",
  expect: {
    lines: [
      "$ ls $TMP/plugins",
      "calc_add.so calc_div.so calc_mul.so calc_sub.so greeter.so myfunction.so noop.so text_base64.so text_reverse.so text_upper.so",
      '> new PluginHost({ paths: ["$TMP/plugins"], env: false, mode: "eager" }).discover()',
      /^eager start-up: <n> ms \(median of 5\); found 10, loaded 10, deferred 0$/,
      '> new PluginHost({ paths: ["$TMP/plugins"], env: false, mode: "lazy" }).discover()',
      /^lazy start-up: <n> ms \(median of 5\); found 10, loaded 0, deferred 10$/,
      "ok: eager loaded all ten at start-up, lazy none",
      '> (await host.plugins("calc.op/1")[0].use(CalcOp)).apply(6, 3)',
      /^lazy first call \(loads calc-add\): <n> ms, result 9$/,
      /^lazy second call: <n> ms, result 9$/,
      /^eager first call \(already loaded\): <n> ms, result 9$/,
      "states on the lazy host: calc-add loaded, 9 others lazy",
      "ok: the first use loaded exactly one plugin",
    ],
  },
});

const PLUGINS = [
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

const CalcOp = defineInterface("calc.op", "1.0", {
  name: "cstring name()",
  apply: "fallible f64 apply(f64 a, f64 b)",
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function startUp(dir: string, mode: "eager" | "lazy") {
  const times: number[] = [];
  let summary;
  for (let i = 0; i < 5; i++) {
    const host = new PluginHost({ paths: [dir], env: false, mode });
    const t0 = performance.now();
    summary = await host.discover();
    times.push(performance.now() - t0);
    await host.close();
  }
  return { ms: median(times), summary: summary! };
}

async function firstCall(host: PluginHost): Promise<{ ms: number; result: number }> {
  const t0 = performance.now();
  const op = await host.plugins("calc.op/1")[0].use(CalcOp);
  const result = op.apply(6, 3);
  return { ms: performance.now() - t0, result };
}

async function main(): Promise<void> {
  const tmp = await tempDir();
  const dir = `${tmp}/plugins`;
  await Deno.mkdir(dir);
  for (const name of PLUGINS) await Deno.copyFile(`build/${name}.so`, `${dir}/${name}.so`);
  say(`$ ls ${dir}`, PLUGINS.map((n) => `${n}.so`).join(" "));

  heading("start-up");
  code(`new PluginHost({ paths: ["${dir}"], env: false, mode: "eager" }).discover()`);
  const eager = await startUp(dir, "eager");
  const e = eager.summary;
  say(
    `eager start-up: ${
      eager.ms.toFixed(2)
    } ms (median of 5); found ${e.found}, loaded ${e.loaded}, deferred ${e.deferred}`,
  );
  code(`new PluginHost({ paths: ["${dir}"], env: false, mode: "lazy" }).discover()`);
  const lazy = await startUp(dir, "lazy");
  const l = lazy.summary;
  say(
    `lazy start-up: ${
      lazy.ms.toFixed(2)
    } ms (median of 5); found ${l.found}, loaded ${l.loaded}, deferred ${l.deferred}`,
  );
  check(
    "eager loaded all ten at start-up, lazy none",
    e.loaded === 10 && e.deferred === 0 && l.loaded === 0 && l.deferred === 10,
  );

  heading("the first call");
  await using lazyHost = new PluginHost({ paths: [dir], env: false, mode: "lazy" });
  await lazyHost.discover();
  await using eagerHost = new PluginHost({ paths: [dir], env: false, mode: "eager" });
  await eagerHost.discover();
  code('(await host.plugins("calc.op/1")[0].use(CalcOp)).apply(6, 3)');
  const first = await firstCall(lazyHost);
  say(`lazy first call (loads calc-add): ${first.ms.toFixed(2)} ms, result ${first.result}`);
  const second = await firstCall(lazyHost);
  say(`lazy second call: ${second.ms.toFixed(3)} ms, result ${second.result}`);
  const warm = await firstCall(eagerHost);
  say(`eager first call (already loaded): ${warm.ms.toFixed(3)} ms, result ${warm.result}`);
  const states = lazyHost.plugins().map((p) => `${p.name}=${p.state}`);
  const loaded = lazyHost.plugins().filter((p) => p.state === "loaded").map((p) => p.name);
  const others = lazyHost.plugins().filter((p) => p.state === "lazy").length;
  say(`states on the lazy host: ${loaded.join(", ")} loaded, ${others} others lazy`);
  check(
    "the first use loaded exactly one plugin",
    loaded.join(",") === "calc-add" && others === 9 && first.result === 9,
    states.join(" "),
  );
}

if (import.meta.main) await main();

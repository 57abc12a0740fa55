/**
 * Scenario "call-patterns": what a call costs when the caller looks the
 * function up on an open plugin every time, caches the function, or caches
 * the plugin handle, beside opening and closing the plugin for every call.
 *
 * @module
 */

import { defineInterface, openPlugin } from "../../mod.ts";
import { check, code, nsPerOpAsync, say } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios call-patterns` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./call_patterns.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "call-patterns",
  title: "Call patterns: look up per call, cached function, cached handle",
  description:
    "Measures `add(1, 2)` of `plugins/noop.c` on a plugin opened once, three ways, 1,000,000 " +
    'calls each: (a) look the function up by name for every call (`plugin.function("add")(1, 2)`, ' +
    'as Go code calls `p.Lookup("Add")` each time), (b) call a function obtained once ' +
    "(`const { add } = plugin.use(Bench)`), (c) keep the plugin handle and ask it for the " +
    "interface on every call (`plugin.use(Bench).add(1, 2)`). For contrast, (d) opens the plugin, " +
    "calls and closes it every time (200 rounds). It prints nanoseconds per call for each, checks " +
    "that a lookup by name hands back the same function every time, and that (a), (b) and (c) " +
    "are each at least 100 times faster than (d).",
  why: "A plugin handle binds each function once. `plugin.use(Spec)` checks the interface and " +
    "binds its functions on first use and returns the same object afterwards; " +
    "`plugin.function(name)` finds the declared signature and binds the function on first use, " +
    "then keeps it in a `Map` by name. So (a) costs a closed-flag check and a `Map` lookup more " +
    "than (b), and (c) a closed-flag check and a `Map` lookup by spec: tens of nanoseconds at " +
    "most, against a few for (b), a generated wrapper around a Deno FFI symbol that V8 calls " +
    "directly. None of the three reopens anything, so looking up per call is a matter of taste, " +
    "not of cost; (b) is the fastest, and the form to use in a hot loop. What is expensive is " +
    "(d): opening a plugin is where all the safety work happens (read and hash the file, parse " +
    "the ELF, check the ABI, the interfaces and every symbol, copy the bytes into a sealed " +
    "memfd, `dlopen` it, which maps segments, applies relocations and runs constructors, compare " +
    "the notes in memory with the file's, call the init hook), and closing runs the shutdown hook " +
    "and `dlclose`: hundreds of microseconds. Open plugins once, at start-up or lazily on first " +
    "use, and keep the handle or the functions.",
  expect: {
    lines: [
      '> const Bench = defineInterface("bench", "1.0", { add: "i32 add(i32 a, i32 b)" })',
      '> const plugin = await openPlugin("build/noop.so")',
      '(a) for each call: plugin.function("add")(1, 2)',
      /^\(a\) look up per call: <n> ns\/op over 1000000 calls$/,
      "(b) once: const { add } = plugin.use(Bench); for each call: add(1, 2)",
      /^\(b\) cached function: <n> ns\/op over 1000000 calls$/,
      "(c) for each call: plugin.use(Bench).add(1, 2)",
      /^\(c\) cached handle: <n> ns\/op over 1000000 calls$/,
      'ok: plugin.function("add") returns the same function on every lookup',
      "> await plugin.close()",
      '(d) for each call: const p = await openPlugin("build/noop.so"); p.use(Bench).add(1, 2); await p.close()',
      /^\(d\) open \+ call \+ close: <n> ns\/op over 200 calls$/,
      "ok: every call returned 3",
      /^ok: \(a\) is at least 100 times faster than \(d\): <n>x$/,
      /^ok: \(b\) is at least 100 times faster than \(d\): <n>x$/,
      /^ok: \(c\) is at least 100 times faster than \(d\): <n>x$/,
    ],
  },
});

const CALLS = 1_000_000;

async function main(): Promise<void> {
  code('const Bench = defineInterface("bench", "1.0", { add: "i32 add(i32 a, i32 b)" })');
  const Bench = defineInterface("bench", "1.0", { add: "i32 add(i32 a, i32 b)" });
  let wrong = 0;

  // Each loop is written out, not passed as a closure, so that what is timed
  // is the pattern itself; each runs 100,000 times untimed first.
  const time = (loop: (n: number) => number) => {
    loop(100_000);
    const start = performance.now();
    const sum = loop(CALLS);
    if (sum !== 3 * CALLS) wrong++;
    return ((performance.now() - start) * 1e6) / CALLS;
  };

  code('const plugin = await openPlugin("build/noop.so")');
  const plugin = await openPlugin("build/noop.so");
  say('(a) for each call: plugin.function("add")(1, 2)');
  const a = time((n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += plugin.function("add")(1, 2) as number;
    return sum;
  });
  say(`(a) look up per call: ${a.toFixed(1)} ns/op over ${CALLS} calls`);

  say("(b) once: const { add } = plugin.use(Bench); for each call: add(1, 2)");
  const { add } = plugin.use(Bench);
  const b = time((n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += add(1, 2);
    return sum;
  });
  say(`(b) cached function: ${b.toFixed(1)} ns/op over ${CALLS} calls`);

  say("(c) for each call: plugin.use(Bench).add(1, 2)");
  const c = time((n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += plugin.use(Bench).add(1, 2);
    return sum;
  });
  say(`(c) cached handle: ${c.toFixed(1)} ns/op over ${CALLS} calls`);
  check(
    'plugin.function("add") returns the same function on every lookup',
    plugin.function("add") === plugin.function("add"),
  );

  // (d) runs after the handle above is closed: while it is open, every
  // openPlugin() of the same file would share the loaded library.
  code("await plugin.close()");
  await plugin.close();
  say(
    '(d) for each call: const p = await openPlugin("build/noop.so"); p.use(Bench).add(1, 2); await p.close()',
  );
  const d = await nsPerOpAsync(200, async () => {
    const p = await openPlugin("build/noop.so");
    if (p.use(Bench).add(1, 2) !== 3) wrong++;
    await p.close();
  });
  say(`(d) open + call + close: ${d.toFixed(0)} ns/op over 200 calls`);

  check("every call returned 3", wrong === 0, `${wrong} loops returned something else`);
  for (const [label, ns] of [["a", a], ["b", b], ["c", c]] as const) {
    check(
      `(${label}) is at least 100 times faster than (d): ${(d / ns).toFixed(0)}x`,
      d / ns >= 100,
    );
  }
}

if (import.meta.main) await main();

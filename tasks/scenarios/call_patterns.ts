/**
 * Scenario "call-patterns": what a call costs when the host opens the plugin
 * every time, caches the function, or caches the plugin handle.
 *
 * @module
 */

import { defineInterface, openPlugin } from "../../mod.ts";
import { check, code, nsPerOp, nsPerOpAsync, say } from "./_kit.ts";
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
  title: "Call patterns: open per call, cached function, cached handle",
  description:
    "Measures `add(1, 2)` of `plugins/noop.c` three ways: (a) open the plugin, look the function " +
    "up, call it and close the plugin every time (200 rounds); (b) call a function obtained once " +
    "(1,000,000 calls); (c) keep the plugin handle and ask it for the interface on every call " +
    "(1,000,000 calls). It prints nanoseconds per call for each, plus (d), a lookup by name on the " +
    "cached handle, and checks that (b) and (c) are at least 100 times faster than (a).",
  why: "Opening a plugin is where all the safety work happens: read and hash the file, parse the " +
    "ELF, check the ABI, the interfaces and every symbol, copy the bytes into a sealed memfd, " +
    "`dlopen` it (the dynamic linker maps segments, applies relocations, runs constructors), " +
    "compare the notes in memory with the file's, call the init hook; closing runs the shutdown " +
    "hook and `dlclose`, which unmaps it all. That is hundreds of microseconds. A cached function " +
    "is a generated wrapper (one closed-flag check and the argument checks V8's fast call path " +
    "skips) around a Deno FFI symbol that V8 calls directly: a few nanoseconds. `plugin.use()` " +
    "returns the functions it bound the first time, so caching the handle costs one `Map` lookup " +
    "more. `plugin.function(name)` binds afresh on every call (it generates a new wrapper), which " +
    "is why it is meant for tools like the CLI's `call`, not for hot paths. Open plugins once, " +
    "at start-up or lazily on first use, and keep the functions.",
  expect: {
    lines: [
      '> const Bench = defineInterface("bench", "1.0", { add: "i32 add(i32 a, i32 b)" })',
      "(b) once: const { add } = plugin.use(Bench); for each call: add(1, 2)",
      /^\(b\) cached function: <n> ns\/op over 1000000 calls$/,
      "(c) for each call: plugin.use(Bench).add(1, 2)",
      /^\(c\) cached plugin handle: <n> ns\/op over 1000000 calls$/,
      '(d) for each call: plugin.function("add")(1, 2)',
      /^\(d\) cached handle, lookup by name: <n> ns\/op over 20000 calls$/,
      '(a) for each call: const p = await openPlugin("build/noop.so"); p.use(Bench).add(1, 2); await p.close()',
      /^\(a\) open \+ look up \+ call \+ close: <n> ns\/op over 200 calls$/,
      "ok: every call returned 3",
      /^ok: \(b\) is at least 100 times faster than \(a\): <n>x$/,
      /^ok: \(c\) is at least 100 times faster than \(a\): <n>x$/,
    ],
  },
});

async function main(): Promise<void> {
  code('const Bench = defineInterface("bench", "1.0", { add: "i32 add(i32 a, i32 b)" })');
  const Bench = defineInterface("bench", "1.0", { add: "i32 add(i32 a, i32 b)" });
  let wrong = 0;
  const expect3 = (r: number) => {
    if (r !== 3) wrong++;
  };

  let b: number, c: number;
  {
    await using plugin = await openPlugin("build/noop.so");
    say("(b) once: const { add } = plugin.use(Bench); for each call: add(1, 2)");
    const { add } = plugin.use(Bench);
    // The loops are written out, not passed as closures, so that what is
    // timed is the call itself.
    const cached = (n: number) => {
      let sum = 0;
      const start = performance.now();
      for (let i = 0; i < n; i++) sum += add(1, 2);
      const ns = ((performance.now() - start) * 1e6) / n;
      if (sum !== 3 * n) wrong++;
      return ns;
    };
    cached(100_000);
    b = cached(1_000_000);
    say(`(b) cached function: ${b.toFixed(1)} ns/op over 1000000 calls`);

    say("(c) for each call: plugin.use(Bench).add(1, 2)");
    const viaHandle = (n: number) => {
      let sum = 0;
      const start = performance.now();
      for (let i = 0; i < n; i++) sum += plugin.use(Bench).add(1, 2);
      const ns = ((performance.now() - start) * 1e6) / n;
      if (sum !== 3 * n) wrong++;
      return ns;
    };
    viaHandle(100_000);
    c = viaHandle(1_000_000);
    say(`(c) cached plugin handle: ${c.toFixed(1)} ns/op over 1000000 calls`);

    say('(d) for each call: plugin.function("add")(1, 2)');
    const d = nsPerOp(20_000, () => expect3(plugin.function("add")(1, 2) as number), 1000);
    say(`(d) cached handle, lookup by name: ${d.toFixed(0)} ns/op over 20000 calls`);
  }

  // (a) runs after the handle above is closed: while it is open, every
  // openPlugin() of the same file would share the loaded library.
  say(
    '(a) for each call: const p = await openPlugin("build/noop.so"); p.use(Bench).add(1, 2); await p.close()',
  );
  const a = await nsPerOpAsync(200, async () => {
    const p = await openPlugin("build/noop.so");
    expect3(p.use(Bench).add(1, 2));
    await p.close();
  });
  say(`(a) open + look up + call + close: ${a.toFixed(0)} ns/op over 200 calls`);

  check("every call returned 3", wrong === 0, `${wrong} calls returned something else`);
  check(`(b) is at least 100 times faster than (a): ${(a / b).toFixed(0)}x`, a / b >= 100);
  check(`(c) is at least 100 times faster than (a): ${(a / c).toFixed(0)}x`, a / c >= 100);
}

if (import.meta.main) await main();

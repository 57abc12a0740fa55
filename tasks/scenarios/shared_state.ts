/**
 * Scenario "shared-state": the host reads a plugin's exported variable
 * directly, while calls on other threads change it atomically.
 *
 * @module
 */

import { openPlugin } from "../../mod.ts";
import { check, code, say } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios shared-state` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./shared_state.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "shared-state",
  title: "Shared state: an exported counter, from several threads",
  description:
    "Opens `plugins/counter.c`, which exports `int32_t counter_value` and functions that change it " +
    "with atomic operations. Three synchronous `inc()` calls, then the host reads the variable " +
    "directly in the plugin's memory and sees 3. Then ten `inc_slow(20)` calls, declared " +
    "`nonblocking`, run at the same time on Deno's worker threads; when all have returned the " +
    "variable reads 13, and the ten results are exactly 4 to 13, each once.",
  why: '`plugin.variable("counter_value", "i32")` takes the variable\'s address from the file\'s ' +
    "symbol table plus the library's load address and reads the plugin's memory on every `get()`: " +
    "it is the live value, not a copy (a Deno FFI `static` declared as `i32` would copy it once at " +
    "dlopen). A `nonblocking` function runs on Deno's blocking thread pool, so ten calls in flight " +
    "are up to ten threads in the plugin at once. The contract that makes this safe is the " +
    "plugin's, not the host's: every function that may run on another thread must be " +
    "thread-safe. `counter.c` uses `__atomic_add_fetch`, so the ten increments cannot lose an " +
    "update, and each call returns the value its own increment produced, which is why the results " +
    "are a permutation of 4..13; a plain `counter_value++` would be a read-modify-write race. The " +
    "host's reads through `get()` are plain loads, which is fine for a 4-byte aligned `int32_t` on " +
    "x86-64 while the writers are atomic. The pool is shared with Deno's async file I/O (32 " +
    "threads), so long blocking calls should stay few. A `fallible` function cannot be called " +
    "nonblocking: its error lives in thread-local storage of the thread that ran it, and plugboard " +
    "refuses that combination.",
  expect: {
    lines: [
      "plugin constructor: counter",
      "plugin init: counter",
      '> const { inc, inc_slow } = plugin.functions({ inc: "i32 inc()", inc_slow: "nonblocking i32 inc_slow(i32 ms)" })',
      '> const counter = plugin.variable("counter_value", "i32")',
      "> inc(); inc(); inc()",
      "returned 1, 2, 3",
      "> counter.get()",
      "3",
      "ok: the host reads 3 directly from the plugin's memory",
      "> await Promise.all(Array.from({ length: 10 }, () => inc_slow(20)))",
      "results, sorted: 4, 5, 6, 7, 8, 9, 10, 11, 12, 13",
      "ok: each of the ten calls saw its own increment",
      "> counter.get()",
      "13",
      "ok: ten concurrent increments, none lost",
      "ten inc_slow(20) calls took <n> ms in all (one after the other: at least 200 milliseconds)",
      "> await plugin.close()",
      "plugin shutdown: counter",
      "{ unloaded: true }",
    ],
  },
});

async function main(): Promise<void> {
  code('const plugin = await openPlugin("build/counter.so")');
  const plugin = await openPlugin("build/counter.so");
  code(
    'const { inc, inc_slow } = plugin.functions({ inc: "i32 inc()", inc_slow: "nonblocking i32 inc_slow(i32 ms)" })',
  );
  const { inc, inc_slow } = plugin.functions({
    inc: "i32 inc()",
    inc_slow: "nonblocking i32 inc_slow(i32 ms)",
  });
  code('const counter = plugin.variable("counter_value", "i32")');
  const counter = plugin.variable("counter_value", "i32");

  code("inc(); inc(); inc()");
  say(`returned ${[inc(), inc(), inc()].join(", ")}`);
  code("counter.get()");
  const three = counter.get();
  say(String(three));
  check("the host reads 3 directly from the plugin's memory", three === 3, String(three));

  code("await Promise.all(Array.from({ length: 10 }, () => inc_slow(20)))");
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: 10 }, () => inc_slow(20)));
  const elapsed = performance.now() - started;
  const sorted = [...results].sort((x, y) => x - y);
  say(`results, sorted: ${sorted.join(", ")}`);
  check(
    "each of the ten calls saw its own increment",
    sorted.join(",") === "4,5,6,7,8,9,10,11,12,13",
    results.join(","),
  );
  code("counter.get()");
  const thirteen = counter.get();
  say(String(thirteen));
  check("ten concurrent increments, none lost", thirteen === 13, String(thirteen));
  say(
    `ten inc_slow(20) calls took ${
      elapsed.toFixed(0)
    } ms in all (one after the other: at least 200 milliseconds)`,
  );

  code("await plugin.close()");
  const closed = await plugin.close();
  say(Deno.inspect(closed));
}

if (import.meta.main) await main();

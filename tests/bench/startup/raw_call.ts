/**
 * The raw Deno FFI reference of tests/bench/startup_bench.ts: open the
 * greeter with `Deno.dlopen`, call `greet("World")` once, print the text,
 * close, exit. The open and the first call are timed in the process and
 * reported on stderr as `startup-timing {json}`.
 *
 * @module
 */

const t0 = performance.now();
const lib = Deno.dlopen(Deno.args[0], { greet: { parameters: ["buffer"], result: "pointer" } });
const text = Deno.UnsafePointerView.getCString(
  lib.symbols.greet(new TextEncoder().encode("World\0"))!,
);
const t1 = performance.now();
console.log(text);
lib.close();
console.error(`startup-timing ${JSON.stringify({ loaded: t0, openCall: t1 - t0 })}`);

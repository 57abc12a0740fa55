/**
 * Import one module, given as an argument, in a fresh process and report
 * how long the import took in the process (`startup-timing {json}` on
 * stderr): the import cost of one layer of plugboard with what it pulls in
 * (tests/bench/startup_bench.ts).
 *
 * @module
 */

const t0 = performance.now();
await import(new URL(Deno.args[0], import.meta.url).href);
const t1 = performance.now();
console.error(`startup-timing ${JSON.stringify({ loaded: t0, import: t1 - t0 })}`);

/**
 * The plugboard script of tests/bench/startup_bench.ts, written as the
 * README writes it: import plugboard (`dist/mod.js`, what the package's
 * `exports["."]` names), open the greeter with its interface,
 * call `greet("World")` once, print the text, close, exit. The open and the
 * first call are timed in the process and reported on stderr as
 * `startup-timing {json}`.
 *
 * @module
 */

import { defineInterface, openPlugin } from "../../../dist/mod.js";

const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
const t0 = performance.now();
const plugin = await openPlugin(Deno.args[0], { interfaces: [Greeter] });
const text = plugin.use(Greeter).greet("World");
const t1 = performance.now();
console.log(text);
await plugin.close();
console.error(`startup-timing ${JSON.stringify({ loaded: t0, openCall: t1 - t0 })}`);

/**
 * A host without `--allow-ffi`: it cannot map shared memory, so an isolated
 * plugin falls back to pipes, and `calls: "sync"` is refused. Prints one
 * JSON line: the transports of the children, the result of a call, and the
 * code and summary of the refusal.
 *
 * Usage: deno run --allow-read --allow-run _no_ffi_host.ts PLUGIN
 *
 * @module
 */

import { defineInterface } from "../../src/abi/define_interface.ts";
import { openPlugin } from "../../src/open/open_plugin.ts";
import type { PluginError } from "../../src/errors/plugin_error.ts";

const Bench = defineInterface("bench", "1.0", { add: "i32 add(i32 a, i32 b)" });
const plugin = await openPlugin(Deno.args[0], {
  isolation: "process",
  interfaces: [Bench],
  log: () => {},
});
const sum = await plugin.use(Bench).add(2, 3);
const transports = plugin.processes!.transports;
await plugin.close();
const refusal = await openPlugin(Deno.args[0], {
  isolation: "process",
  calls: "sync",
  interfaces: [Bench],
  log: () => {},
}).then(() => undefined, (e: PluginError) => ({ code: e.code, summary: e.summary, hint: e.hint }));
console.log(JSON.stringify({ transports, sum, refusal }));

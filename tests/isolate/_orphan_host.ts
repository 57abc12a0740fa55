/**
 * A host for the no-orphans tests: opens an isolated plugin (hang_call),
 * prints its child's pid as JSON, then
 *
 * - `hang`: starts a call that never returns (so the child cannot notice its
 *   parent's death by reading end-of-file) and waits to be killed;
 * - `leave`: returns from the script without closing the plugin (the host
 *   must still exit, and its child with it).
 *
 * Usage: deno run -A _orphan_host.ts PLUGIN hang|leave
 *
 * @module
 */

import { defineInterface } from "../../src/abi/define_interface.ts";
import { openPlugin } from "../../src/open/open_plugin.ts";

const Faulty = defineInterface("faulty", "1.0", {
  ok: "i32 ok(i32 x)",
  crash: "i32 crash(i32 x)",
});
const plugin = await openPlugin(Deno.args[0], {
  isolation: "process",
  interfaces: [Faulty],
  log: () => {},
});
const { ok, crash } = plugin.use(Faulty);
await ok(1);
console.log(JSON.stringify({ pids: plugin.processes!.pids }));
if (Deno.args[1] === "hang") {
  void crash(1).catch(() => {});
  setInterval(() => {}, 1000);
}

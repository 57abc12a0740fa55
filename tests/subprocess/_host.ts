/**
 * A host for the no-orphans tests: starts faulty.sh through the launcher,
 * has it start a grandchild (holding its pipes) and a daemon (in another
 * session), prints `{"pids": [launcher, plugin, grandchild, daemon]}`, then
 *
 * - `hang`: starts a call that never returns and waits to be killed;
 * - `leave`: returns without closing the plugin (the host must still exit,
 *   and the plugin's processes with it).
 *
 * Usage: deno run -A _host.ts FAULTY_SH hang|leave
 *
 * @module
 */

import { openRpcConnection } from "../../src/isolate/_rpc_connection.ts";
import { Faulty } from "./_helpers.ts";

const conn = await openRpcConnection(Deno.args[0], { log: () => {} });
const { pid, spawn_child, spawn_daemon, hang } = conn.use(Faulty);
const pids = [conn.pid, await pid(), await spawn_child(), await spawn_daemon()];
console.log(JSON.stringify({ pids }));
if (Deno.args[1] === "hang") {
  void hang().catch(() => {});
  setInterval(() => {}, 1000);
}

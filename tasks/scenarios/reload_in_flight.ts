/**
 * Scenario "reload-in-flight": a plugin file replaced while calls run on it,
 * in a host that runs plugins in this process and in one that runs them in
 * child processes.
 *
 * @module
 */

import { join } from "node:path";
import { defineInterface } from "../../mod.ts";
import { type LogRecord, PluginHost } from "../../src/host/mod.ts";
import { build, check, code, heading, say, shell, tempDir, writeFile } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/**
 * The scenario's definition; `deno task scenarios reload-in-flight` runs it alone.
 *
 * @example Running it and checking its output
 * ```ts ignore
 * import { runScenario } from "./_runner.ts";
 * import { scenario } from "./reload_in_flight.ts";
 *
 * const result = await runScenario(scenario);
 * console.log(result.passed, result.failures);
 * ```
 */
export const scenario = defineScenario(import.meta.url, {
  name: "reload-in-flight",
  title: "Hot reload with calls in flight",
  description:
    "Builds `worker` 1.0.0 (`generation()` returns 1; `wait_gen(gate)` returns 1 once the file " +
    "`gate` exists) into a directory served by two hosts: `local` runs it in this process, " +
    '`isolated` in child processes (`isolation: "process"`, a pool of two, `closeGraceMs: 200`). In each, a ' +
    "call to `wait_gen` is left running, and a caller keeps calling `generation()` (every " +
    "millisecond in `local`, back to back with `await` in `isolated`). Then 2.0.0 is renamed over " +
    "the file and both hosts refresh. New calls get 2 at once while the waiting calls still run " +
    "on 1.0.0; 600 ms later (three grace periods) 1.0.0 is still open in both; each waiting call " +
    "returns 1 when its gate opens, and only then does its host close 1.0.0. No call fails.",
  why: "A reload that swaps code under running calls is a use-after-free: `dlclose` unmaps the " +
    "code a thread is executing (a SIGSEGV), or a process is killed with its calls pending. " +
    "plugboard's host hands out functions that call through a slot; a reload first opens and " +
    "checks the new build under its own path (a sealed memfd copy, so the dynamic linker cannot " +
    "hand back the old code), binds every interface in use, then swaps the slots in one step: a " +
    "call that started before the swap finishes on the old build, every call after it goes to " +
    "the new one, and no call sees a half-switched plugin. The host counts the calls it routed " +
    "to each build and closes the old one only when its count drops to zero: in this process " +
    "that unloads the library once no thread runs its code; for an isolated plugin it stops the " +
    "old child only after its calls returned, however long they take (the child's own close " +
    "would kill a call still running after `closeGraceMs`). Synchronous calls cannot be in " +
    "flight at the swap (the swap runs on the same thread), so they see 1 up to the swap and 2 " +
    "after it.",
  expect: {
    lines: [
      /^built \$TMP\/builds\/worker-1\.so \(gcc [\d.]+, build id <hex>\)$/,
      /^built \$TMP\/builds\/worker-2\.so \(gcc [\d.]+, build id <hex>\)$/,
      "$ cp $TMP/builds/worker-1.so $TMP/plugins/worker.so",
      '> const local = new PluginHost({ paths: ["$TMP/plugins"], env: false, log })',
      '> const isolated = new PluginHost({ paths: ["$TMP/plugins"], env: false, log, loadOptions: { isolation: "process", pool: 2, closeGraceMs: 200 } })',
      "local: info load: loaded worker 1.0.0",
      "isolated: info load: loaded worker 1.0.0",
      "local: a.generation() = 1",
      "isolated: await Promise.all([b.generation(), b.generation()]) = 1, 1",
      '> const waitingA = a.wait_gen("$TMP/gate-a")',
      '> const waitingB = b.wait_gen("$TMP/gate-b")',
      "> start the callers: local every millisecond, isolated back to back",
      "$ mv $TMP/builds/worker-2.so.tmp $TMP/plugins/worker.so",
      "> await local.refresh()",
      'local: info reload: reloaded "$TMP/plugins/worker.so": worker 1.0.0 (build <hex>) -> worker 2.0.0 (build <hex>)',
      "> await isolated.refresh()",
      'isolated: info reload: reloaded "$TMP/plugins/worker.so": worker 1.0.0 (build <hex>) -> worker 2.0.0 (build <hex>)',
      "local: a.generation() = 2",
      "isolated: await b.generation() = 2",
      "ok: new calls go to 2.0.0 while a call still runs on 1.0.0, in both hosts",
      "> await new Promise((r) => setTimeout(r, 600))",
      "ok: three grace periods later neither host has closed 1.0.0: a call still runs on it",
      '> await Deno.writeTextFile("$TMP/gate-a", ""); await waitingA',
      "local: the waiting call returned 1",
      "> await local.settled()",
      "local: info close: closed worker 1.0.0 (replaced by a new build, unloaded)",
      '> await Deno.writeTextFile("$TMP/gate-b", ""); await waitingB',
      "isolated: the waiting call returned 1",
      "> await isolated.settled()",
      "isolated: info close: closed worker 1.0.0 (replaced by a new build, child processes stopped)",
      "ok: each host closed 1.0.0 once its waiting call had returned 1, not before",
      "ok: the local caller saw 1 up to the swap, then 2, and no call failed",
      "ok: the isolated caller saw 1 up to the swap, then 2, and no call failed",
      "local: info close: closed worker 2.0.0 (host closed, unloaded)",
      "isolated: info close: closed worker 2.0.0 (host closed, child processes stopped)",
    ],
  },
});

const SOURCE =
  `/* worker: generation() returns GEN; wait_gen(gate) returns GEN once the file gate exists. */
#include "plugboard.h"

#include <time.h>
#include <unistd.h>

#define STR_(x) #x
#define STR(x) STR_(x)
PLUGBOARD_PLUGIN("worker", STR(GEN) ".0.0");
PLUGBOARD_INTERFACE(worker, "worker", 1, 0);

PLUGBOARD_FN(worker, pb_i32, generation, (void)) { return GEN; }

PLUGBOARD_FN(worker, pb_i32, wait_gen, (pb_cstring gate)) {
  while (access(gate, F_OK) != 0) {
    struct timespec ms = {0, 1000000L};
    nanosleep(&ms, NULL);
  }
  return GEN;
}
`;

/** Whether a sequence of generations is some 1s, then some 2s, and nothing else. */
function oneThenTwo(seen: readonly number[]): boolean {
  return /^1+2+$/.test(seen.join(""));
}

async function main(): Promise<void> {
  const tmp = await tempDir();
  const builds = `${tmp}/builds`;
  const dir = `${tmp}/plugins`;
  await Deno.mkdir(builds);
  await Deno.mkdir(dir);
  const source = await writeFile(builds, "worker.c", SOURCE);
  for (const gen of [1, 2]) {
    await build({ source, output: `${builds}/worker-${gen}.so`, defines: { GEN: String(gen) } });
  }
  const target = join(dir, "worker.so");
  shell(`cp ${builds}/worker-1.so ${target}`);
  await Deno.copyFile(`${builds}/worker-1.so`, target);

  heading("two hosts over one directory");
  const Worker = defineInterface("worker", "1.0", {
    generation: "i32 generation()",
    wait_gen: "nonblocking i32 wait_gen(cstring gate)",
  });
  code(
    'const Worker = defineInterface("worker", "1.0", { generation: "i32 generation()", wait_gen: "nonblocking i32 wait_gen(cstring gate)" })',
  );
  // The hosts' records of loads, reloads and closes (an isolated plugin also
  // logs its children's own), noted when they happen and printed after each
  // step, so the output does not depend on how promise callbacks interleave.
  const closedOld = new Set<string>();
  let records: string[] = [];
  const logFor = (host: string) => (r: LogRecord) => {
    const ours = r.event === "reload" || (r.event === "load" && r.mode !== undefined) ||
      (r.event === "close" && r.unloaded !== undefined);
    if (!ours) return;
    records.push(`${host}: ${r.level} ${r.event}: ${r.message}`);
    if (r.event === "close" && r.version === "1.0.0") closedOld.add(host);
  };
  const flush = () => {
    for (const line of records) say(line);
    records = [];
  };
  code(`const local = new PluginHost({ paths: ["${dir}"], env: false, log })`);
  await using local = new PluginHost({ paths: [dir], env: false, log: logFor("local") });
  code(
    `const isolated = new PluginHost({ paths: ["${dir}"], env: false, log, loadOptions: { isolation: "process", pool: 2, closeGraceMs: 200 } })`,
  );
  await using isolated = new PluginHost({
    paths: [dir],
    env: false,
    log: logFor("isolated"),
    loadOptions: { isolation: "process", pool: 2, closeGraceMs: 200 },
  });
  await local.discover();
  await isolated.discover();
  flush();
  code('const a = await local.select("worker").use(Worker)');
  const a = await local.select("worker").use(Worker);
  code('const b = await isolated.select("worker").use(Worker)');
  const b = await isolated.select("worker").use(Worker);
  say(`local: a.generation() = ${a.generation()}`);
  // One call in each child: both have bound the interface when they return,
  // so the pool sends the waiting call to one and the others to the other.
  const both = await Promise.all([b.generation(), b.generation()]);
  say(`isolated: await Promise.all([b.generation(), b.generation()]) = ${both.join(", ")}`);

  heading("calls in flight");
  const gateA = `${tmp}/gate-a`;
  const gateB = `${tmp}/gate-b`;
  const failures: string[] = [];
  code(`const waitingA = a.wait_gen("${gateA}")`);
  const waitingA = a.wait_gen(gateA);
  code(`const waitingB = b.wait_gen("${gateB}")`);
  const waitingB = b.wait_gen(gateB);
  // The callers: synchronous calls in this process on a timer, and
  // back-to-back Promise calls to the isolated one.
  code("start the callers: local every millisecond, isolated back to back");
  const seenA: number[] = [a.generation()];
  const timer = setInterval(() => {
    try {
      seenA.push(a.generation());
    } catch (e) {
      failures.push(`local: ${(e as Error).message}`);
    }
  }, 1);
  const seenB: number[] = [await b.generation()];
  let stop = false;
  const callerB = (async () => {
    while (!stop) {
      try {
        seenB.push(await b.generation());
      } catch (e) {
        failures.push(`isolated: ${(e as Error).message}`);
        return;
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 50));

  heading("replace the file and refresh");
  // A build writes a new file and renames it over the old one (a new inode).
  await Deno.copyFile(`${builds}/worker-2.so`, `${builds}/worker-2.so.tmp`);
  shell(`mv ${builds}/worker-2.so.tmp ${target}`);
  await Deno.rename(`${builds}/worker-2.so.tmp`, target);
  code("await local.refresh()");
  const reloadedA = (await local.refresh()).reloaded;
  flush();
  code("await isolated.refresh()");
  const reloadedB = (await isolated.refresh()).reloaded;
  flush();
  const nowA = a.generation();
  const nowB = await b.generation();
  say(`local: a.generation() = ${nowA}`);
  say(`isolated: await b.generation() = ${nowB}`);
  check(
    "new calls go to 2.0.0 while a call still runs on 1.0.0, in both hosts",
    reloadedA.length === 1 && reloadedB.length === 1 && nowA === 2 && nowB === 2,
    JSON.stringify({ reloadedA, reloadedB, nowA, nowB }),
  );
  // Let each caller make calls on the new build too (a few milliseconds;
  // at most five seconds on a loaded machine).
  for (let waited = 0; waited < 5000 && !(seenA.includes(2) && seenB.includes(2)); waited += 10) {
    await new Promise((r) => setTimeout(r, 10));
  }
  clearInterval(timer);
  stop = true;
  await callerB;

  heading("the old build waits for its calls");
  code("await new Promise((r) => setTimeout(r, 600))");
  await new Promise((r) => setTimeout(r, 600));
  check(
    "three grace periods later neither host has closed 1.0.0: a call still runs on it",
    closedOld.size === 0,
    [...closedOld].join(", "),
  );
  code(`await Deno.writeTextFile("${gateA}", ""); await waitingA`);
  await Deno.writeTextFile(gateA, "");
  const returnedA = await waitingA;
  say(`local: the waiting call returned ${returnedA}`);
  code("await local.settled()");
  await local.settled();
  flush();

  const isolatedWaited = !closedOld.has("isolated");
  code(`await Deno.writeTextFile("${gateB}", ""); await waitingB`);
  await Deno.writeTextFile(gateB, "");
  const returnedB = await waitingB;
  say(`isolated: the waiting call returned ${returnedB}`);
  code("await isolated.settled()");
  await isolated.settled();
  flush();
  check(
    "each host closed 1.0.0 once its waiting call had returned 1, not before",
    returnedA === 1 && returnedB === 1 && isolatedWaited && closedOld.size === 2,
    JSON.stringify({ returnedA, returnedB, isolatedWaited, closed: [...closedOld] }),
  );

  heading("what the callers saw");
  check(
    "the local caller saw 1 up to the swap, then 2, and no call failed",
    oneThenTwo(seenA) && !failures.some((f) => f.startsWith("local")),
    `${seenA.join("")} ${failures.join("; ")}`,
  );
  check(
    "the isolated caller saw 1 up to the swap, then 2, and no call failed",
    oneThenTwo(seenB) && !failures.some((f) => f.startsWith("isolated")),
    `${seenB.join("")} ${failures.join("; ")}`,
  );

  heading("close");
  code("await local.close(); await isolated.close()");
  await local.close();
  await isolated.close();
  flush();
}

if (import.meta.main) await main();

/**
 * Scenario "wasm-crash": the same faulty C sources built twice, as a native
 * library and as a WebAssembly module, each loaded in the host's own
 * process: the native fault kills the host, the WebAssembly one is a typed
 * error and the host goes on.
 *
 * @module
 */

import { defineInterface, openPlugin, PluginError } from "../../mod.ts";
import { buildAllWasm } from "../build_wasm.ts";
import { check, code, heading, runDeno, say, showChild, showError } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/** The scenario's definition. */
export const scenario = defineScenario(import.meta.url, {
  name: "wasm-crash",
  title: "Crash safety in process: the same faults in a native library and in WebAssembly",
  description:
    "Builds `abort_call.c`, `exit_call.c` and `crash_call.c` as native libraries and, with " +
    "`tasks/build_wasm.ts`, as WebAssembly modules, and runs each in a grandchild that plays " +
    "the host: it opens the plugin in its own process, calls `ok(1)`, then `crash(1)` inside a " +
    "`try`, then `ok(2)`, then prints `the host survived`. Every native host dies; every " +
    "WebAssembly host catches the fault as `PLUGIN_TRAPPED` (the NULL write excepted: it is no " +
    "fault in wasm32) and goes on with a fresh instance. Then a plugin that never returns: the " +
    "native `hang_call` and the WebAssembly `loop` both hang a host that calls them in " +
    'process; the WebAssembly one opened with `isolation: "worker"` and `timeoutMs: 500` is ' +
    "stopped after 500 ms with `PLUGIN_TIMEOUT`, and its next call works.",
  why:
    "A native plugin runs as machine code in the host's address space: `abort()` raises SIGABRT " +
    "and `_exit(3)` ends the process, and no JavaScript `try` sees either. The same source " +
    "compiled to WebAssembly runs inside the engine's sandbox: `abort()` compiles to the " +
    "`unreachable` instruction, a wild access is bounds-checked against the module's linear " +
    "memory, and `_exit()` is a WASI call that plugboard's build links to a stub that traps " +
    "(the module imports nothing): each trap unwinds the WebAssembly stack into a JavaScript " +
    "exception, which plugboard turns into `PLUGIN_TRAPPED` with the function's name and the " +
    "engine's message, then replaces the instance, whose memory may be inconsistent after the " +
    "unwinding (its state is lost, as after a process restart). The NULL write is the " +
    "exception that proves the sandbox's shape: linear memory starts at address 0, so writing " +
    "there corrupts the plugin's own memory (its stack, with plugboard's --stack-first layout) " +
    "and nothing else; the host is untouched either way. A loop is not a trap: a call that " +
    "never returns holds the thread, native or not. plugboard compiles a module run in a " +
    "Worker with a check of an interrupt flag at the head of every loop; at the deadline the " +
    "host sets the flag from its own thread, the module traps, and the worker serves the next " +
    "call (terminating the Worker would not do: Deno's `Worker.terminate()` does not stop a " +
    "thread busy in a loop).",
  expect: {
    lines: [
      "-- abort_call: abort()",
      "native build/abort_call.so:",
      "  | ok(1) = 2",
      "  | calling crash(1)",
      "child ended: exit code 134 (killed by SIGABRT)",
      "webassembly build/wasm/abort_call.wasm:",
      '  | CallError PLUGIN_TRAPPED: Call to "crash" in plugin "build/wasm/abort_call.wasm" failed: the plugin trapped: unreachable',
      "  | ok(2) = 3",
      "  | the host survived",
      "child ended: exit code 0",
      "-- exit_call: _exit(3)",
      "child ended: exit code 3",
      '  | CallError PLUGIN_TRAPPED: Call to "crash" in plugin "build/wasm/exit_call.wasm" failed: the plugin trapped: unreachable',
      "-- crash_call: a write through NULL",
      "child ended: exit code 139 (killed by SIGSEGV)",
      "  | crash(1) = 1",
      "ok: every native host died (134, 3, 139); every WebAssembly host survived",
      "-- a call that never returns",
      "native build/hang_call.so:",
      /^child ended: killed by SIGTERM after the timeout \(exit code 143\)$/,
      "webassembly build/wasm/loop.wasm, in process:",
      "webassembly build/wasm/loop.wasm, in a worker:",
      '> await openPlugin("build/wasm/loop.wasm", { isolation: "worker", interfaces: [Faulty], timeoutMs: 500 })',
      "throws CallError PLUGIN_TIMEOUT:",
      'Call to "crash" in plugin "build/wasm/loop.wasm" failed: no result within <n> ms; the call was interrupted and a fresh instance serves the next call',
      "ok(2) = 3",
      "ok: the loop was stopped at its deadline and the next call worked",
      "the host survived",
    ],
  },
  timeoutMs: 180_000,
});

const Faulty = defineInterface("faulty", "1.0", { ok: "i32 ok(i32 x)", crash: "i32 crash(i32 x)" });

function program(path: string): string {
  return [
    `import { defineInterface, openPlugin } from "./mod.ts";`,
    `const Faulty = defineInterface("faulty", "1.0", { ok: "i32 ok(i32 x)", crash: "i32 crash(i32 x)" });`,
    `const plugin = await openPlugin("${path}", { interfaces: [Faulty] });`,
    `const { ok, crash } = plugin.use(Faulty);`,
    `console.log("ok(1) =", ok(1));`,
    `console.log("calling crash(1)");`,
    `try {`,
    `  console.log("crash(1) =", crash(1));`,
    `} catch (e) {`,
    "  console.log(`${e.name} ${e.code}: ${e.summary}`);",
    `}`,
    `console.log("ok(2) =", ok(2));`,
    `console.log("the host survived");`,
  ].join("\n");
}

const FAULTS: [string, string][] = [
  ["abort_call", "abort()"],
  ["exit_call", "_exit(3)"],
  ["crash_call", "a write through NULL"],
];

async function main(): Promise<void> {
  await buildAllWasm({ quiet: true });
  say("grandchild program for PATH (deno eval), the same for both builds:");
  for (const line of program("PATH").split("\n")) say(`  ${line}`);
  const runs = await Promise.all(
    FAULTS.flatMap(([name]) => [
      runDeno(program(`build/${name}.so`)),
      runDeno(program(`build/wasm/${name}.wasm`)),
    ]),
  );
  const native: number[] = [];
  let survived = 0;
  FAULTS.forEach(([name, fault], i) => {
    heading(`${name}: ${fault}`);
    say(`native build/${name}.so:`);
    showChild(runs[2 * i]);
    native.push(runs[2 * i].code);
    say(`webassembly build/wasm/${name}.wasm:`);
    showChild(runs[2 * i + 1]);
    if (runs[2 * i + 1].code === 0 && runs[2 * i + 1].output.includes("the host survived")) {
      survived++;
    }
  });
  check(
    `every native host died (${native.join(", ")}); every WebAssembly host survived`,
    native.join(",") === "134,3,139" && survived === FAULTS.length,
  );

  heading("a call that never returns");
  const [hangNative, hangWasm] = await Promise.all([
    runDeno(program("build/hang_call.so"), { timeoutMs: 2000 }),
    runDeno(program("build/wasm/loop.wasm"), { timeoutMs: 2000 }),
  ]);
  say("native build/hang_call.so:");
  showChild(hangNative);
  say("webassembly build/wasm/loop.wasm, in process:");
  showChild(hangWasm);
  say("webassembly build/wasm/loop.wasm, in a worker:");
  code(
    'await openPlugin("build/wasm/loop.wasm", { isolation: "worker", interfaces: [Faulty], timeoutMs: 500 })',
  );
  await using plugin = await openPlugin("build/wasm/loop.wasm", {
    isolation: "worker",
    interfaces: [Faulty],
    timeoutMs: 500,
  });
  const { ok, crash } = plugin.use(Faulty);
  say(`ok(1) = ${await ok(1)}`);
  code("await crash(1)");
  let error: unknown;
  const t0 = performance.now();
  try {
    await crash(1);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  showError(error);
  const again = await ok(2);
  say(`ok(2) = ${again}`);
  check(
    "the loop was stopped at its deadline and the next call worked",
    error instanceof PluginError && error.code === "PLUGIN_TIMEOUT" && ms >= 490 &&
      ms < 5000 && again === 3,
    `${ms.toFixed(0)} ms`,
  );
  say("the host survived");
}

if (import.meta.main) await main();

/**
 * Scenario "crash-hang": faulty plugins in the host's own process (which
 * they kill) and isolated in a child process (which the host survives).
 *
 * @module
 */

import { defineInterface, openPlugin, PluginError } from "../../mod.ts";
import { check, code, heading, runDeno, say, showChild, showError } from "./_kit.ts";
import { defineScenario } from "./_runner.ts";

/** The scenario's definition. */
export const scenario = defineScenario(import.meta.url, {
  name: "crash-hang",
  title: "Crash and hang: in-process and isolated",
  description:
    "Runs the faulty sample plugins twice. First in-process, each in a grandchild that plays the " +
    "host: it calls `ok(1)`, then `crash(1)`, then would print `the host survived`. " +
    "`crash_call` dereferences NULL, `abort_call` calls `abort()`, `exit_call` calls `_exit(3)`, " +
    "`stderr_crash` writes two lines to stderr and dereferences NULL, `hang_call` never returns " +
    "(the grandchild is killed after 6 s), and `crash_ctor` dies in its ELF constructor while " +
    'being opened. No grandchild survives. Then the same plugins with `isolation: "process"` ' +
    "(and `restart: true`, `timeoutMs: 1000`) in this process: every crash and the hang arrive " +
    "as typed errors, a fresh child answers the next call, and this host prints that it survived.",
  why:
    "A plugin loaded in-process shares the host's address space, signal dispositions and exit: " +
    "a segmentation fault or `abort()` in plugin code is delivered to the whole process, and " +
    "`_exit()` ends it; no JavaScript `try` can catch any of them, because the JavaScript engine " +
    "itself is gone. A call that never returns blocks the thread that made it, which for a " +
    "synchronous FFI call is the host's event loop. The exit status tells the story from " +
    "outside: 139 = 128 + SIGSEGV (11), 134 = 128 + SIGABRT (6), 3 from `_exit(3)`, 143 = 128 + " +
    "SIGTERM (15) for the hang the parent killed. A constructor runs inside `dlopen`, so a " +
    "plugin can kill the host before any plugboard check can run on its behaviour (its " +
    'metadata is valid). The only protection is a process boundary: with `isolation: "process"` ' +
    "plugboard checks the file in the host, starts a Deno child with only `--allow-ffi` and read " +
    "access to the plugin, loads exactly the checked bytes there, and forwards calls over a " +
    "pipe. When the child dies, the pending call rejects with `PLUGIN_CRASHED` naming the " +
    "signal or exit code and the child's last stderr lines; a call that exceeds `timeoutMs` " +
    "gets `PLUGIN_TIMEOUT` and its child is killed; with `restart` a new child serves the next " +
    "call (go-plugin leaves restarting to the caller). The price is a round trip per call, " +
    "microseconds instead of nanoseconds, and a child per plugin.",
  expect: {
    lines: [
      "-- in-process: each in a grandchild that plays the host",
      "crash_call:",
      "  | ok(1) = 2",
      "  | calling crash(1)",
      "child ended: exit code 139 (killed by SIGSEGV)",
      "abort_call:",
      "child ended: exit code 134 (killed by SIGABRT)",
      "exit_call:",
      "child ended: exit code 3",
      "stderr_crash:",
      "  | about to crash: step 1",
      "  | about to crash: step 2",
      "child ended: exit code 139 (killed by SIGSEGV)",
      "hang_call:",
      /^child ended: killed by SIGTERM after the timeout \(exit code 143\)$/,
      "crash_ctor:",
      "  | opening build/crash_ctor.so",
      "child ended: exit code 139 (killed by SIGSEGV)",
      "ok: no in-process host survived: 139, 134, 3, 139, 143, 139",
      "-- isolated: the same plugins in a child process, this process is the host",
      '> await openPlugin("build/crash_call.so", { isolation: "process", interfaces: [Faulty], restart: true, timeoutMs: 1000 })',
      "throws CrashError PLUGIN_CRASHED:",
      'Plugin "build/crash_call.so" crashed: expected a reply to crash(), found the child (pid <n>) killed by SIGSEGV (signal 11)',
      'Plugin "build/abort_call.so" crashed: expected a reply to crash(), found the child (pid <n>) killed by SIGABRT (signal 6)',
      'Plugin "build/exit_call.so" crashed: expected a reply to crash(), found the child (pid <n>) exited with code 3',
      'Plugin "build/stderr_crash.so" crashed: expected a reply to crash(), found the child (pid <n>) killed by SIGSEGV (signal 11)',
      "  stderr: about to crash: step 1",
      "  stderr: about to crash: step 2",
      "throws CallError PLUGIN_TIMEOUT:",
      'Call to "crash" in plugin "build/hang_call.so" failed: expected a reply within <n> ms, found none: the child (pid <n>) was killed',
      "ok: every crash and the hang came back as a typed error, and a fresh child answered ok(2) = 3",
      "crash_ctor:",
      "throws CrashError PLUGIN_CRASHED:",
      "ok: the plugin that crashes while loading is refused with PLUGIN_CRASHED",
      "the host survived",
    ],
  },
  normalize: [[/\[(\w+) \d+\]/g, "[$1 <pid>]"]],
  timeoutMs: 180_000,
});

const Faulty = defineInterface("faulty", "1.0", { ok: "i32 ok(i32 x)", crash: "i32 crash(i32 x)" });
const OkOnly = defineInterface("faulty", "1.0", { ok: "i32 ok(i32 x)" });

const CALLERS = ["crash_call", "abort_call", "exit_call", "stderr_crash", "hang_call"];

function inProcessProgram(name: string): string {
  return [
    `import { defineInterface, openPlugin } from "./mod.ts";`,
    `const Faulty = defineInterface("faulty", "1.0", { ok: "i32 ok(i32 x)", crash: "i32 crash(i32 x)" });`,
    `const plugin = await openPlugin("build/${name}.so", { interfaces: [Faulty] });`,
    `const { ok, crash } = plugin.use(Faulty);`,
    `console.log("ok(1) =", ok(1));`,
    `console.log("calling crash(1)");`,
    `crash(1);`,
    `console.log("the host survived");`,
  ].join("\n");
}

const CTOR_PROGRAM = [
  `import { openPlugin } from "./mod.ts";`,
  `console.log("opening build/crash_ctor.so");`,
  `await openPlugin("build/crash_ctor.so");`,
  `console.log("the host survived");`,
].join("\n");

async function main(): Promise<void> {
  heading("in-process: each in a grandchild that plays the host");
  say("grandchild program for NAME (deno eval):");
  for (const line of inProcessProgram("NAME").split("\n")) say(`  ${line}`);
  const runs = await Promise.all([
    ...CALLERS.map((name) =>
      runDeno(inProcessProgram(name), { timeoutMs: name === "hang_call" ? 6000 : 30_000 })
    ),
    runDeno(CTOR_PROGRAM),
  ]);
  const order = [
    "crash_call",
    "abort_call",
    "exit_call",
    "stderr_crash",
    "hang_call",
    "crash_ctor",
  ];
  const byName = new Map(
    [...CALLERS, "crash_ctor"].map((name, i) => [name, runs[i]] as const),
  );
  const codes: number[] = [];
  let survived = 0;
  for (const name of order) {
    const run = byName.get(name)!;
    say(`${name}:`);
    if (name === "crash_ctor") {
      say("grandchild program (deno eval):");
      for (const line of CTOR_PROGRAM.split("\n")) say(`  ${line}`);
    }
    showChild(run);
    codes.push(run.code);
    if (run.output.includes("the host survived")) survived++;
  }
  check(
    `no in-process host survived: ${codes.join(", ")}`,
    survived === 0 && codes.join(",") === "139,134,3,139,143,139",
  );

  heading("isolated: the same plugins in a child process, this process is the host");
  code(
    'const Faulty = defineInterface("faulty", "1.0", { ok: "i32 ok(i32 x)", crash: "i32 crash(i32 x)" })',
  );
  let typed = 0;
  for (const name of order.filter((n) => n !== "crash_ctor")) {
    say(`${name}:`);
    const path = `build/${name}.so`;
    code(
      `await openPlugin("${path}", { isolation: "process", interfaces: [Faulty], restart: true, timeoutMs: 1000 })`,
    );
    await using plugin = await openPlugin(path, {
      isolation: "process",
      interfaces: [Faulty],
      restart: true,
      timeoutMs: 1000,
    });
    const { ok, crash } = plugin.use(Faulty);
    say(`ok(1) = ${await ok(1)}`);
    code("await crash(1)");
    let error: unknown;
    // The isolation's own timeout must end the hang; this only keeps the
    // scenario from waiting for ever if it does not.
    let guard: ReturnType<typeof setTimeout> | undefined;
    const t0 = performance.now();
    try {
      await Promise.race([
        crash(1),
        new Promise((_, reject) => {
          guard = setTimeout(() => reject(new Error("no reply and no error within 30 s")), 30_000);
        }),
      ]);
    } catch (e) {
      error = e;
    } finally {
      clearTimeout(guard);
    }
    showError(error);
    if (name === "hang_call") {
      say(`(rejected ${(performance.now() - t0).toFixed(0)} ms after the call)`);
    }
    const want = name === "hang_call" ? "PLUGIN_TIMEOUT" : "PLUGIN_CRASHED";
    const again = error instanceof PluginError && error.code === want ? await ok(2) : undefined;
    say(`ok(2) = ${again}`);
    if (error instanceof PluginError && error.code === want && again === 3) typed++;
  }
  check(
    "every crash and the hang came back as a typed error, and a fresh child answered ok(2) = 3",
    typed === 5,
    `${typed} of 5`,
  );

  say("crash_ctor:");
  code('await openPlugin("build/crash_ctor.so", { isolation: "process", interfaces: [OkOnly] })');
  let refused = false;
  try {
    const p = await openPlugin("build/crash_ctor.so", {
      isolation: "process",
      interfaces: [OkOnly],
    });
    await p.close();
  } catch (e) {
    showError(e);
    // CrashError is a PluginError; checked by name, as mod.ts may not export it.
    refused = e instanceof PluginError && e.name === "CrashError" && e.code === "PLUGIN_CRASHED";
  }
  check("the plugin that crashes while loading is refused with PLUGIN_CRASHED", refused);
  say("the host survived");
}

if (import.meta.main) await main();

import { assert, assertEquals, assertMatch, assertRejects } from "../_assert.ts";
import { CallError, defineInterface, LoadError, openPlugin } from "../../mod.ts";
import { CalcOp } from "../../src/cli/calc_command.ts";
import { built } from "./_build.ts";

const Faulty = defineInterface("faulty", "1.0", {
  ok: "i32 ok(i32 x)",
  crash: "i32 crash(i32 x)",
  busy: "i32 busy(i32 n)",
});
const Trap = defineInterface("test.trap", "1.0", {
  count: "i32 count()",
  unreachable: "i32 unreachable(i32 x)",
});

/**
 * Deno's Worker threads (named `worker-N`) and the CPU time each used, in
 * clock ticks (1/100 s). Other test files may run in this process at the
 * same time (`deno test --parallel`), so the tests look at the threads a
 * plugin started, not at the process.
 */
function workerThreads(): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of Deno.readDirSync("/proc/self/task")) {
    try {
      if (!Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).startsWith("worker-")) continue;
      const f = Deno.readTextFileSync(`/proc/self/task/${t.name}/stat`).split(") ")[1].split(" ");
      out.set(t.name, Number(f[11]) + Number(f[12]));
    } catch {
      // the thread has ended
    }
  }
  return out;
}

/**
 * The CPU ticks the worker threads started since `before` use while the
 * host is idle for `ms`: a thread left spinning shows as tens of ticks.
 */
async function idleTicks(before: Set<string>, ms = 500): Promise<number> {
  const start = workerThreads();
  await new Promise((r) => setTimeout(r, ms));
  let ticks = 0;
  for (const [tid, t] of workerThreads()) {
    if (!before.has(tid)) ticks += t - (start.get(tid) ?? 0);
  }
  return ticks;
}

Deno.test('isolation: "worker": the same handle, with Promise-returning functions', async () => {
  await using p = await openPlugin(await built("calc_add"), {
    isolation: "worker",
    interfaces: [CalcOp],
  });
  assertEquals([p.kind, p.isolation, p.calls], ["wasm", "worker", "async"]);
  const op = p.use(CalcOp);
  const r = op.apply(2, 3);
  assert(r instanceof Promise);
  assertEquals(await r, 5);
  assertEquals(await op.name(), "+");
  assertEquals(p.processes?.status, "ready");
  assertEquals(p.processes?.pids, [Deno.pid], "a worker is a thread of this process");
  const err = await assertRejects(() => op.apply(1, "2" as unknown as number), CallError);
  assertEquals(err.code, "INVALID_ARGUMENT");
  assertMatch(err.summary, /argument 2 does not fit f64: expected a number, found string "2"$/);
});

Deno.test("a plugin that loops: PLUGIN_TIMEOUT on time, the next call works, no thread spins on", async () => {
  const before = new Set(workerThreads().keys());
  await using p = await openPlugin(await built("loop"), {
    isolation: "worker",
    interfaces: [Faulty],
    timeoutMs: 300,
  });
  const { ok, crash, busy } = p.use(Faulty);
  assertEquals(await ok(1), 2);
  const t0 = performance.now();
  const err = await assertRejects(() => crash(1), CallError);
  const ms = performance.now() - t0;
  assertEquals([err.code, err.function], ["PLUGIN_TIMEOUT", "crash"]);
  assertEquals(
    err.summary,
    `Call to "crash" in plugin "${await built(
      "loop",
    )}" failed: no result within 300 ms; the call was interrupted and a fresh instance serves the next call`,
  );
  assert(ms >= 290 && ms < 1500, `timed out after ${ms.toFixed(0)} ms`);
  const t1 = performance.now();
  assertEquals(await ok(2), 3);
  assert(performance.now() - t1 < 500, "the next call does not wait for a restart");
  assertEquals(typeof await busy(2), "number", "loops that end in time are not interrupted");
  const ticks = await idleTicks(before);
  assert(ticks < 15, `${ticks} CPU ticks in 500 ms while idle: a thread is still spinning`);
  assertEquals(p.processes?.restarts, 0, "the worker stopped the call itself");
});

Deno.test("a trap in a worker is PLUGIN_TRAPPED and the next call gets a fresh instance", async () => {
  await using p = await openPlugin(await built("trap"), {
    isolation: "worker",
    interfaces: [Trap],
  });
  const { count, unreachable } = p.use(Trap);
  assertEquals([await count(), await count()], [1, 2]);
  const err = await assertRejects(() => unreachable(1), CallError);
  assertEquals(err.code, "PLUGIN_TRAPPED");
  assertMatch(err.summary, /failed: the plugin trapped: unreachable$/);
  assertEquals(await count(), 1);
});

Deno.test("a start that never ends is PLUGIN_TIMEOUT, and the worker's thread is stopped", async () => {
  const path = await built("start_loop");
  const before = new Set(workerThreads().keys());
  const t0 = performance.now();
  const err = await assertRejects(
    () => openPlugin(path, { isolation: "worker", startTimeoutMs: 300 }),
    LoadError,
  );
  assertEquals(err.code, "PLUGIN_TIMEOUT");
  assertEquals(
    err.summary,
    `Cannot load plugin "${path}": the plugin did not finish loading in time: expected its worker to start and load it within 300 ms, found no answer; the worker was stopped`,
  );
  assert(performance.now() - t0 < 2000);
  const ticks = await idleTicks(before);
  assert(ticks < 15, `${ticks} CPU ticks in 500 ms while idle: a thread is still spinning`);
});

Deno.test("the plugin's output crosses from the worker to the host's function", async () => {
  const lines: string[] = [];
  const Say = defineInterface("test.wasi", "1.0", { say: "i32 say(cstring text)" });
  await using p = await openPlugin(await built("wasi"), {
    isolation: "worker",
    interfaces: [Say],
    wasm: { wasi: { output: (fd, b) => lines.push(`${fd}:${new TextDecoder().decode(b)}`) } },
  });
  assertEquals(await p.use(Say).say("from the worker"), 16);
  assertEquals(lines, ["1:from the worker\n"]);
});

Deno.test("close(): the worker runs the shutdown hook and stops; later calls reject CLOSED", async () => {
  const p = await openPlugin(await built("calc_add"), {
    isolation: "worker",
    interfaces: [CalcOp],
  });
  const { apply } = p.use(CalcOp);
  assertEquals(await apply(1, 1), 2);
  assertEquals(await p.close(), { unloaded: true });
  const err = await assertRejects(() => apply(1, 1), CallError);
  assertEquals(err.code, "CLOSED");
  assertEquals(p.processes?.status, "closed");
});

/**
 * A caller that awaits isolated calls back to back never keeps the event
 * loop from its turns: replies collected by spinning on shared memory would
 * otherwise resolve every Promise in the same turn, and timers and I/O
 * (a reload's file events, a close's grace timer) would wait for ever.
 */
import { assertEquals } from "../_assert.ts";
import { defineInterface, openPlugin } from "../../mod.ts";
import { plugin } from "../_paths.ts";

const Bench = defineInterface("bench", "1.0", { add: "i32 add(i32 a, i32 b)" });

Deno.test("isolated calls back to back leave timers their turns", async (t) => {
  for (const transport of ["shared-memory", "pipe"] as const) {
    await t.step(transport, async () => {
      await using p = await openPlugin(plugin("noop"), {
        isolation: "process",
        interfaces: [Bench],
        transport,
        log: () => {},
      });
      const { add } = p.use(Bench);
      let ticks = 0;
      let stop = false;
      const interval = setInterval(() => ticks++, 1);
      const timer = setTimeout(() => stop = true, 100);
      const started = performance.now();
      let calls = 0;
      // A guard against a regression that would loop for ever: 10 s.
      while (!stop && performance.now() - started < 10_000) {
        calls += (await add(1, 2)) === 3 ? 1 : 0;
      }
      clearInterval(interval);
      clearTimeout(timer);
      assertEquals({ stopByTimer: stop, ticked: ticks > 0, answered: calls > 0 }, {
        stopByTimer: true,
        ticked: true,
        answered: true,
      });
    });
  }
});

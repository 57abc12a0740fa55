/**
 * What the OS sandbox costs an isolated plugin (issue 16): the start of a
 * child (open, first call, close) and a round trip, each confined (Landlock
 * and seccomp applied in the child before the plugin loads) and unconfined,
 * in the same run (plugins/noop.c). The sandbox is applied once, at start:
 * per call it should cost nothing, the kernel's checks apply only to the
 * system calls the plugin makes.
 *
 *   deno task build && deno bench -A tests/bench/sandbox_bench.ts
 *
 * @module
 */

import { defineInterface, openPlugin } from "../../mod.ts";
import { plugin } from "../_paths.ts";

const Bench = defineInterface("bench", "1.0", { add: "i32 add(i32 a, i32 b)" });
const NOOP = plugin("noop");

const open = (sandbox: boolean) =>
  openPlugin(NOOP, { isolation: "process", interfaces: [Bench], sandbox, log: () => {} });

const confined = await open(true);
const unconfined = await open(false);
const inConfined = confined.use(Bench);
const inUnconfined = unconfined.use(Bench);
let sink = 0;

Deno.bench("sandbox: round trip add (i32), confined", { group: "round trip" }, async () => {
  sink += await inConfined.add(1, 2);
});
Deno.bench(
  "sandbox: round trip add (i32), unconfined",
  { group: "round trip", baseline: true },
  async () => {
    sink += await inUnconfined.add(1, 2);
  },
);

Deno.bench(
  "sandbox: child start, open + first call + close, confined",
  { group: "start", n: 20, warmup: 2 },
  async () => {
    await using p = await open(true);
    sink += await p.use(Bench).add(1, 2);
  },
);
Deno.bench(
  "sandbox: child start, open + first call + close, unconfined",
  { group: "start", baseline: true, n: 20, warmup: 2 },
  async () => {
    await using p = await open(false);
    sink += await p.use(Bench).add(1, 2);
  },
);

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
  void confined.close();
  void unconfined.close();
});

/**
 * Isolation benchmarks: a call into a plugin isolated in a child process
 * against the same call in-process, in the same run (plugins/noop.c), over
 * each transport: shared memory (the default), pipes (`transport: "pipe"`),
 * and synchronous calls over shared memory (`calls: "sync"`).
 *
 * - round trip, one call per iteration: `add` (two i32), `upper` on a 1 KiB
 *   buffer (sent, uppercased, copied back), `greet` (a string each way);
 * - throughput: 1, 8 and 64 `add` calls in flight per iteration (times are
 *   per iteration, so divide by the count for the cost of one call), on one
 *   child and on a pool of two.
 *
 * `deno task bench` picks the first benchmark named "... round trip ..." for
 * its isolated-call row. Deno's bench statistics give the mean and
 * percentiles, not the median, so the file also times 20000 round trips of
 * each kind itself (after 20000 to warm up), prints each median on stderr as
 * `plugboard-metric {"name", "value", "unit"}`, and then a table of them side
 * by side.
 *
 *   deno task build && deno bench -A tests/bench/isolate_bench.ts
 *
 * @module
 */

import { defineInterface, openPlugin, openPluginSync } from "../../mod.ts";
import { plugin } from "../_paths.ts";

const Bench = defineInterface("bench", "1.0", {
  noop: "void noop()",
  add: "i32 add(i32 a, i32 b)",
  upper: "usize upper(buffer data, usize len)",
  greet: "cstring greet(cstring name)",
});

const NOOP = plugin("noop");
const local = openPluginSync(NOOP).use(Bench);
const one = await openPlugin(NOOP, {
  isolation: "process",
  interfaces: [Bench],
  log: () => {},
});
const pooled = await openPlugin(NOOP, {
  isolation: "process",
  interfaces: [Bench],
  pool: 2,
  log: () => {},
});
const overPipes = await openPlugin(NOOP, {
  isolation: "process",
  interfaces: [Bench],
  transport: "pipe",
  log: () => {},
});
const synced = await openPlugin(NOOP, {
  isolation: "process",
  interfaces: [Bench],
  calls: "sync",
  log: () => {},
});
if (one.processes!.transports![0] !== "shared-memory") {
  throw new Error(
    `expected the shared-memory transport, found ${one.processes!.transports}: run with -A`,
  );
}
const remote = one.use(Bench);
const remotePool = pooled.use(Bench);
const piped = overPipes.use(Bench);
const sync = synced.use(Bench);

const KIB = new TextEncoder().encode("abcdefghijklmnop".repeat(64));
const KIB_LEN = BigInt(KIB.length);

let sink = 0;

// ---- round trips, one call per iteration ---------------------------------

Deno.bench("isolated round trip: add (i32)", { group: "add" }, async () => {
  sink += await remote.add(1, 2);
});
Deno.bench("isolated round trip over pipes: add (i32)", { group: "add" }, async () => {
  sink += await piped.add(1, 2);
});
Deno.bench("isolated sync call: add (i32)", { group: "add" }, () => {
  sink += sync.add(1, 2);
});
Deno.bench("in-process: add (i32)", { group: "add", baseline: true }, () => {
  sink += local.add(1, 2);
});

Deno.bench(
  "isolated round trip: upper (1 KiB buffer, copied back)",
  { group: "upper 1 KiB" },
  async () => {
    sink += Number(await remote.upper(KIB, KIB_LEN));
  },
);
Deno.bench(
  "isolated round trip over pipes: upper (1 KiB buffer, copied back)",
  { group: "upper 1 KiB" },
  async () => {
    sink += Number(await piped.upper(KIB, KIB_LEN));
  },
);
Deno.bench("isolated sync call: upper (1 KiB buffer, copied back)", {
  group: "upper 1 KiB",
}, () => {
  sink += Number(sync.upper(KIB, KIB_LEN));
});
Deno.bench("in-process: upper (1 KiB buffer)", { group: "upper 1 KiB", baseline: true }, () => {
  sink += Number(local.upper(KIB, KIB_LEN));
});

Deno.bench("isolated round trip: greet (string in, string out)", { group: "greet" }, async () => {
  sink += (await remote.greet("World"))!.length;
});
Deno.bench("in-process: greet (string in, string out)", { group: "greet", baseline: true }, () => {
  sink += local.greet("World")!.length;
});

// The floor under any child-process plugin: the same 16-byte message to a
// Deno child and back over its stdin/stdout pipes, no plugboard code at all.
// On this VM the time is dominated by waking an idle vCPU at each hop: it is
// several times lower while another core is busy.
const ECHO = `const r = Deno.stdin.readable.getReader();
const w = Deno.stdout.writable.getWriter();
for (;;) { const { value, done } = await r.read(); if (done) break; await w.write(value); }`;
const echo = new Deno.Command(Deno.execPath(), {
  args: ["eval", ECHO],
  stdin: "piped",
  stdout: "piped",
}).spawn();
const echoIn = echo.stdin.getWriter();
const echoOut = echo.stdout.getReader();
const MESSAGE = new Uint8Array(16);
Deno.bench("raw Deno pipe echo to a child (no plugboard)", { group: "add" }, async () => {
  await echoIn.write(MESSAGE);
  sink += (await echoOut.read()).value!.length;
});

// ---- throughput: N calls in flight per iteration ---------------------------

for (const n of [1, 8, 64]) {
  const args = Array.from({ length: n }, (_, i) => i);
  Deno.bench(
    `isolated: ${n} add calls in flight (per ${n})`,
    { group: `throughput x${n}` },
    async () => {
      const r = await Promise.all(args.map((i) => remote.add(i, 1)));
      sink += r.length;
    },
  );
  Deno.bench(`isolated, pool of 2: ${n} add calls in flight (per ${n})`, {
    group: `throughput x${n}`,
  }, async () => {
    const r = await Promise.all(args.map((i) => remotePool.add(i, 1)));
    sink += r.length;
  });
  Deno.bench(
    `in-process: ${n} add calls (per ${n})`,
    { group: `throughput x${n}`, baseline: true },
    () => {
      for (const i of args) sink += local.add(i, 1);
    },
  );
}

// ---- medians, measured directly --------------------------------------------

const medians = new Map<string, number>();

async function median(name: string, fn: () => unknown): Promise<void> {
  const times = new Float64Array(20_000);
  // Warm up until V8 has optimized both ends' hot paths (steady state).
  for (let i = 0; i < 20_000; i++) await fn();
  for (let i = 0; i < times.length; i++) {
    const t0 = performance.now();
    await fn();
    times[i] = performance.now() - t0;
  }
  times.sort();
  const value = Math.round(times[times.length >> 1] * 10_000) / 10;
  medians.set(name, value);
  console.error(`plugboard-metric ${JSON.stringify({ name, value, unit: "µs" })}`);
}

await median("raw Deno pipe echo, median", async () => {
  await echoIn.write(MESSAGE);
  await echoOut.read();
});
await median("isolated round trip over pipes, median: add (i32)", () => piped.add(1, 2));
await median("isolated round trip, median: add (i32)", () => remote.add(1, 2));
await median("isolated sync call, median: add (i32)", () => sync.add(1, 2));
await median(
  "isolated round trip over pipes, median: upper (1 KiB)",
  () => piped.upper(KIB, KIB_LEN),
);
await median("isolated round trip, median: upper (1 KiB)", () => remote.upper(KIB, KIB_LEN));
await median("isolated sync call, median: upper (1 KiB)", () => sync.upper(KIB, KIB_LEN));
await median("isolated round trip, median: greet (string)", () => remote.greet("World"));

// Side by side, for reading the run (the metric lines above are for tasks/bench.ts).
const cell = (name: string) => `${medians.get(name)?.toFixed(1) ?? "-"} µs`.padStart(10);
console.error(
  [
    "isolated round trip, median of 20000 | pipes      | shared mem | sync (shm)",
    ...[["add (i32)", "add (i32)"], ["upper (1 KiB)", "upper (1 KiB)"]].map(([label, key]) =>
      `${label.padEnd(37)}| ${cell(`isolated round trip over pipes, median: ${key}`)} | ${
        cell(`isolated round trip, median: ${key}`)
      } | ${cell(`isolated sync call, median: ${key}`)}`
    ),
    `raw Deno pipe echo (no plugboard)    | ${cell("raw Deno pipe echo, median")} |`,
  ].join("\n"),
);

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});

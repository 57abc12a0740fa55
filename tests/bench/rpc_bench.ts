/**
 * Subprocess-plugin benchmarks (plugboard-rpc/1, docs/subprocess.md): a
 * round trip of `apply(2, 3)` to the reference calc plugins in Python and Go
 * (one JSON line each way), through the launcher and without it (the
 * launcher relays nothing, so the two should match), and to the bash one
 * (which starts awk per call). Deno's bench statistics give means and
 * percentiles; the file also times round trips itself and prints each median
 * on stderr as `plugboard-metric {"name", "value", "unit"}`, plus what the
 * launcher costs at start (a plugin opened to its handshake, with and
 * without it) and in memory (its resident set, and its private part).
 *
 *   deno task build && deno bench -A tests/bench/rpc_bench.ts
 *
 * For comparison, tests/bench/isolate_bench.ts measures an isolated native
 * round trip (about 85 µs on an idle machine, 15 µs busy).
 *
 * @module
 */

import { openRpcConnection, type RpcConnection } from "../../src/isolate/_rpc_connection.ts";
import { readSidecar } from "../../src/isolate/read_sidecar.ts";
import { buildGoPlugin, CalcOp, RPC } from "../subprocess/_helpers.ts";

const quiet = { log: () => {} };
const GO = await buildGoPlugin();
const PY = `${RPC}/calc_mul.py`;
const SH = `${RPC}/calc_sub.sh`;

async function open(path: string, launcher = true): Promise<RpcConnection> {
  return await openRpcConnection(path, {
    expected: readSidecar(path).metadata,
    launcher,
    ...quiet,
  });
}

const py = (await open(PY)).use(CalcOp);
const go = (await open(GO)).use(CalcOp);
const goDirect = (await open(GO, false)).use(CalcOp);
const sh = (await open(SH)).use(CalcOp);

let sink = 0;

Deno.bench("rpc round trip: Python apply(2, 3)", { group: "apply" }, async () => {
  sink += await py.apply(2, 3);
});
Deno.bench("rpc round trip: Go apply(2, 3)", { group: "apply", baseline: true }, async () => {
  sink += await go.apply(2, 3);
});
Deno.bench("rpc round trip: Go apply(2, 3), no launcher", { group: "apply" }, async () => {
  sink += await goDirect.apply(2, 3);
});
Deno.bench("rpc round trip: bash apply(2, 3) (awk per call)", { group: "bash" }, async () => {
  sink += await sh.apply(2, 3);
});
Deno.bench("rpc: 64 Go apply calls in flight (per 64)", { group: "throughput" }, async () => {
  const r = await Promise.all(Array.from({ length: 64 }, (_, i) => go.apply(i, 3)));
  sink += r.length;
});

// ---- medians, measured directly --------------------------------------------

function metric(name: string, value: number, unit: string): void {
  console.error(`plugboard-metric ${JSON.stringify({ name, value, unit })}`);
}

async function median(name: string, n: number, fn: () => Promise<unknown>): Promise<void> {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) await fn(); // warm up both ends
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times[i] = performance.now() - t0;
  }
  times.sort();
  metric(name, Math.round(times[n >> 1] * 10_000) / 10, "µs");
}

await median("rpc round trip, median: Python apply(2, 3)", 5_000, () => py.apply(2, 3));
await median("rpc round trip, median: Go apply(2, 3)", 5_000, () => go.apply(2, 3));
await median(
  "rpc round trip, median: Go apply(2, 3), no launcher",
  5_000,
  () => goDirect.apply(2, 3),
);
await median("rpc round trip, median: bash apply(2, 3)", 200, () => sh.apply(2, 3));

// What the launcher costs at start: open to the handshake, median of 15.
for (const [label, path] of [["Go", GO], ["bash", SH], ["Python", PY]] as const) {
  for (const launcher of [true, false]) {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      const conn = await open(path, launcher);
      times.push(performance.now() - t0);
      await conn.close();
    }
    times.sort((a, b) => a - b);
    metric(
      `rpc start to handshake, median: ${label}${launcher ? ", launcher" : ", no launcher"}`,
      Math.round(times[7] * 10) / 10,
      "ms",
    );
  }
}

// And in memory: the launcher's resident set, and the part of it that is
// its own (anonymous memory; the rest is Deno's executable, shared by every
// Deno process).
{
  const conn = await open(GO);
  const status = Deno.readTextFileSync(`/proc/${conn.pid}/status`);
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]);
  metric("rpc launcher resident set", Math.round(kib("VmRSS") / 102.4) / 10, "MiB");
  metric("rpc launcher private memory", Math.round(kib("RssAnon") / 102.4) / 10, "MiB");
  await conn.close();
}

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});

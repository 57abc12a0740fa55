/**
 * A child process for the sandbox tests: applies the sandbox it is given
 * (or none), loads the probe plugin with the in-process loader, makes the
 * probe calls it is given and prints one JSON line with the outcomes.
 *
 * Started as `deno run -A _confined_child.ts CONFIG_JSON` (all Deno
 * permissions, so that every refusal seen here comes from the kernel).
 *
 * @module
 */

import {
  applySandbox,
  type SandboxOptions,
  type SandboxPolicy,
} from "../../src/isolate/_sandbox.ts";
import { openPluginSync } from "../../src/open/open_plugin.ts";
import { PROBE_SIGNATURES } from "./_probe.ts";

/** What the child is asked to do. */
export interface ChildConfig {
  /** The probe plugin. */
  plugin: string;
  /** The sandbox to apply before loading it; none when absent. */
  policy?: SandboxPolicy;
  /** Options of applySandbox. */
  options?: SandboxOptions;
  /**
   * TCP sockets to make before the sandbox; their descriptors replace
   * "$socket0", ... in arguments. "$thread" is replaced by the id of a thread
   * that existed before the sandbox (not the main one).
   */
  sockets?: number;
  /** Files to open (read-only) before the sandbox; "$file0", ... in an argument become their descriptors. */
  files?: string[];
  /** Calls to make: a label, the function, its arguments. */
  probes: [label: string, fn: string, ...args: (string | number)[]][];
  /** Deno file reads to try after loading (on the main thread and in the blocking pool). */
  denoReads?: string[];
  /** Time `add(1, 2)` this many times (in-process calls), and `getpid_loop`/`open_loop`. */
  bench?: { calls: number; syscalls: number; opens: number; openPath: string };
}

/** What the child prints. */
export interface ChildOutput {
  applyMs?: number;
  report?: unknown;
  results: Record<string, number>;
  denoReads: Record<string, string>;
  bench?: { callNs: number; getpidNs: number; openNs: number };
}

const config = JSON.parse(Deno.args[0]) as ChildConfig;

const libc = Deno.dlopen("libc.so.6", {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
}).symbols;
const sockets: number[] = [];
for (let i = 0; i < (config.sockets ?? 0); i++) sockets.push(libc.socket(2, 1 | 0o2000000, 0));
const files = (config.files ?? []).map((f) =>
  libc.open(new TextEncoder().encode(`${f}\0`), 0o2000000)
);

const self = Deno.readTextFileSync("/proc/thread-self/stat").split(" ")[0];
const otherThread = Number(
  [...Deno.readDirSync("/proc/self/task")].find((e) => e.name !== self)!.name,
);

const out: ChildOutput = { results: {}, denoReads: {} };
if (config.policy) {
  const t0 = performance.now();
  out.report = applySandbox(config.policy, config.options);
  out.applyMs = performance.now() - t0;
}

using plugin = openPluginSync(config.plugin);
const fns = plugin.functions(PROBE_SIGNATURES) as unknown as Record<
  string,
  (...args: unknown[]) => number
>;
for (const [label, fn, ...args] of config.probes) {
  const real = args.map((a) => {
    if (typeof a !== "string") return a;
    if (a === "$thread") return otherThread;
    if (/^\$socket\d+$/.test(a)) return sockets[Number(a.slice(7))];
    if (/^\$file\d+$/.test(a)) return files[Number(a.slice(5))];
    return a.replace(/\$file(\d+)/g, (_, i) => String(files[Number(i)]));
  });
  out.results[label] = fns[fn](...real);
}
for (const path of config.denoReads ?? []) {
  for (
    const [how, read] of [
      ["sync", () => Promise.resolve(Deno.readFileSync(path))],
      ["async", () => Deno.readFile(path)],
    ] as const
  ) {
    try {
      await read();
      out.denoReads[`${how} ${path}`] = "ok";
    } catch (e) {
      out.denoReads[`${how} ${path}`] = (e as Error).name;
    }
  }
}
if (config.bench) {
  const { calls, syscalls, opens, openPath } = config.bench;
  const add = fns.add;
  let x = 0;
  for (let i = 0; i < 100_000; i++) x += add(i, 1); // warm up: JIT and the FFI fast path
  let t = performance.now();
  for (let i = 0; i < calls; i++) x += add(i, 1);
  const callNs = (performance.now() - t) * 1e6 / calls;
  t = performance.now();
  fns.getpid_loop(syscalls);
  const getpidNs = (performance.now() - t) * 1e6 / syscalls;
  t = performance.now();
  fns.open_loop(openPath, opens);
  const openNs = (performance.now() - t) * 1e6 / opens;
  out.bench = { callNs, getpidNs, openNs };
  if (x === 0) console.error("unreachable");
}
console.log(JSON.stringify(out));

/**
 * `openPlugin()`: the one door to a plugin. The file goes through the check
 * pipeline (`checkPlugin`: file, format, metadata with the ABI first,
 * registry and policy, the `verify` hook, interfaces and the functions they
 * need; nothing of it runs), then, by its kind and the isolation asked for,
 * to the loader that runs it: in this process, or in child processes.
 *
 * @module
 */

import type { CheckOptions, PluginCandidate } from "../check/check_plugin.ts";
import { checkPlugin, checkPluginAsync } from "../check/check_plugin.ts";
import { PluginError } from "../errors/plugin_error.ts";
import type { Plugin } from "../handle/plugin.ts";
import type { ExecutableOptions } from "../isolate/isolate_executable.ts";
import type { NativeIsolationOptions } from "../isolate/isolate_native.ts";
import type { WasmWorkerOptions } from "../isolate/isolate_wasm.ts";
import { loadNative, type NativeLoadOptions } from "../loader/open_native.ts";
import { loadWasm, type WasmLoadOptions } from "../loader/open_wasm.ts";

/** Options of {@linkcode openPlugin} for a plugin in this process. */
export interface OpenPluginOptions extends CheckOptions, NativeLoadOptions, WasmLoadOptions {
  /**
   * Where the plugin runs: `"none"`, in this process (calls are synchronous
   * and cost nanoseconds; a crash in a native plugin is a crash of the
   * host, a trap in a WebAssembly plugin is a `PLUGIN_TRAPPED` error).
   * @default "none"
   */
  isolation?: "none";
}

/** Options of {@linkcode openPlugin} for a WebAssembly plugin in Workers. */
export interface OpenWorkerOptions extends CheckOptions, WasmWorkerOptions {
  /**
   * `"worker"`: a WebAssembly plugin in Workers, so that a call that runs
   * past `timeoutMs` is stopped (`PLUGIN_TIMEOUT`). Every function returns
   * a Promise.
   */
  isolation: "worker";
}

/** Options of {@linkcode openPlugin} for a plugin in child processes. */
export interface OpenIsolatedOptions
  extends CheckOptions, NativeLoadOptions, ExecutableOptions, NativeIsolationOptions {
  /**
   * `"process"`: in child processes, so that a crash or a hang cannot take
   * the host down. Every function returns a Promise (unless `calls: "sync"`).
   */
  isolation: "process";
}

/** Options of {@linkcode openPlugin} for a native plugin in child processes, called synchronously. */
export interface OpenIsolatedSyncOptions extends OpenIsolatedOptions {
  /** `"sync"`: every function returns its value, waiting for the child's reply (see {@linkcode NativeIsolationOptions.calls}). */
  calls: "sync";
}

/**
 * Open a plugin in this process.
 *
 * @example Calling the greeter sample
 * ```ts ignore
 * import { defineInterface, openPlugin } from "@plugboard/plugboard";
 *
 * const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
 * await using plugin = await openPlugin("build/greeter.so", { interfaces: [Greeter] });
 * console.log(plugin.use(Greeter).greet("World")); // "Hello, World"
 * ```
 *
 * @param path the plugin file
 * @param options the checks (interfaces, registry, policy, verify, permissions), load mode, init
 * @returns the open plugin
 * @throws {LoadError} with a code saying which check failed
 */
export function openPlugin(path: string, options?: OpenPluginOptions): Promise<Plugin<"sync">>;
/**
 * Open a native plugin in child processes, with synchronous calls: each
 * function returns its value, the caller waiting for the child's reply over
 * shared memory without returning to the event loop. A crash throws
 * `PLUGIN_CRASHED` and a hang `PLUGIN_TIMEOUT` after `timeoutMs` (default
 * 1000), as isolated calls reject with them.
 *
 * @example Crash-isolated, synchronous calls
 * ```ts ignore
 * import { defineInterface, openPlugin } from "@plugboard/plugboard";
 *
 * const Bench = defineInterface("bench", "1.0", { add: "i32 add(i32 a, i32 b)" });
 * await using plugin = await openPlugin("build/noop.so", {
 *   isolation: "process",
 *   calls: "sync",
 *   interfaces: [Bench],
 * });
 * console.log(plugin.use(Bench).add(2, 3)); // 5, not a Promise
 * ```
 *
 * @param path the plugin file
 * @param options `isolation: "process"`, `calls: "sync"`, the checks, timeouts, restarts, pool, log
 * @returns the isolated plugin
 * @throws {PluginError} `USAGE` when the host cannot share memory with its children (no unrestricted `--allow-ffi`, not Linux)
 * @throws {LoadError} with a code saying which check failed (before any child starts)
 */
export function openPlugin(
  path: string,
  options: OpenIsolatedSyncOptions,
): Promise<Plugin<"sync">>;
/**
 * Open a plugin in child processes, so that a crash or a hang in it cannot
 * take the host down. Its functions have the same types as in-process ones,
 * but return Promises.
 *
 * @example Isolating a plugin
 * ```ts ignore
 * import { defineInterface, openPlugin } from "@plugboard/plugboard";
 *
 * const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });
 * await using plugin = await openPlugin("build/greeter.so", {
 *   isolation: "process",
 *   interfaces: [Greeter],
 *   timeoutMs: 1000,
 * });
 * console.log(await plugin.use(Greeter).greet("World")); // "Hello, World"
 * ```
 *
 * @param path the plugin file
 * @param options `isolation: "process"`, the checks, and timeouts, restarts, pool, log
 * @returns the isolated plugin
 * @throws {LoadError} with a code saying which check failed (before any child starts)
 * @throws {CrashError} `PLUGIN_CRASHED` when the plugin crashes while loading
 */
export function openPlugin(path: string, options: OpenIsolatedOptions): Promise<Plugin<"async">>;
/**
 * Open a WebAssembly plugin in Workers, so that a call that runs too long
 * can be stopped. Its functions have the same types as in-process ones,
 * but return Promises.
 *
 * @example Stopping a plugin that loops
 * ```ts ignore
 * import { openPlugin } from "@plugboard/plugboard";
 *
 * await using plugin = await openPlugin("build/wasm/spin.wasm", {
 *   isolation: "worker",
 *   timeoutMs: 100,
 * });
 * await plugin.function("spin")(0); // rejects with PLUGIN_TIMEOUT after 100 ms
 * ```
 *
 * @param path the plugin file (a `.wasm` module)
 * @param options `isolation: "worker"`, the checks, timeouts, pool, memory limit, WASI grants
 * @returns the plugin in workers
 * @throws {LoadError} with a code saying which check failed (before any worker starts)
 */
export function openPlugin(path: string, options: OpenWorkerOptions): Promise<Plugin<"async">>;
export async function openPlugin(
  path: string,
  options: OpenPluginOptions | OpenIsolatedOptions | OpenWorkerOptions = {},
): Promise<Plugin<"sync"> | Plugin<"async">> {
  return await openCandidate(await checkPluginAsync(path, options), options, path);
}

/**
 * Open a plugin in this process, synchronously. Same checks as
 * {@linkcode openPlugin}.
 *
 * @example
 * ```ts ignore
 * import { openPluginSync } from "@plugboard/plugboard";
 *
 * using plugin = openPluginSync("build/greeter.so");
 * console.log(plugin.metadata.version);
 * ```
 *
 * @param path the plugin file
 * @param options the checks, load mode, init
 * @returns the open plugin
 * @throws {LoadError} with a code saying which check failed
 */
export function openPluginSync(path: string, options: OpenPluginOptions = {}): Plugin<"sync"> {
  const isolation = (options as { isolation?: string }).isolation;
  if (isolation === "process" || isolation === "worker") {
    throw new PluginError(
      "USAGE",
      `Cannot open plugin ${JSON.stringify(path)} synchronously in a ${
        isolation === "process" ? "child process" : "worker"
      }`,
      { path, hint: `use await openPlugin(path, { isolation: "${isolation}" })` },
    );
  }
  const candidate = checkPlugin(path, options);
  if (candidate.kind === "executable") throw needsProcess(path);
  if (candidate.kind === "wasm") return loadWasm(candidate, options, path);
  return loadNative(candidate, options, path);
}

/**
 * Run a plugin the pipeline has checked: the loader of its kind, in this
 * process or isolated as the options say.
 *
 * @param candidate what `checkPlugin` returned
 * @param options load and isolation options
 * @param path the path as the caller gave it
 * @returns the handle
 */
export function openCandidate(
  candidate: PluginCandidate,
  options: OpenPluginOptions | OpenIsolatedOptions | OpenWorkerOptions,
  path: string = candidate.file.path,
): Promise<Plugin<"sync"> | Plugin<"async">> {
  try {
    if (candidate.kind === "wasm") {
      if (options.isolation === "process") throw wasmNeedsWorker(path);
      if (options.isolation === "worker") return inWorkers(candidate, options, path);
      return Promise.resolve(loadWasm(candidate, options, path));
    }
    if (options.isolation === "worker") throw workerNeedsWasm(path, candidate.kind);
    if (candidate.kind === "executable") {
      if (options.isolation !== "process") throw needsProcess(path);
      if ((options as { calls?: string }).calls === "sync") throw syncNeedsLibrary(path);
      return isolated(candidate, options, path);
    }
    if (options.isolation === "process") return isolated(candidate, options, path);
    return Promise.resolve(loadNative(candidate, options, path));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Isolation's modules (child processes, protocols, the sandbox, workers)
 * are loaded the first time a plugin is isolated, not at import: a program
 * that never isolates does not pay for them at start-up (docs/performance.md).
 */
async function isolated(
  candidate: PluginCandidate,
  options: OpenIsolatedOptions | OpenIsolatedSyncOptions,
  path: string,
): Promise<Plugin<"async"> | Plugin<"sync">> {
  if (candidate.kind === "executable") {
    const { isolateExecutable } = await import("../isolate/isolate_executable.ts");
    return await isolateExecutable(candidate, options as OpenIsolatedOptions, path);
  }
  const { isolateNative } = await import("../isolate/isolate_native.ts");
  return await isolateNative(candidate, options, path);
}

/** A WebAssembly plugin in workers: loaded on first use, like the other isolations. */
async function inWorkers(
  candidate: PluginCandidate,
  options: OpenWorkerOptions,
  path: string,
): Promise<Plugin<"async">> {
  const { isolateWasm } = await import("../isolate/isolate_wasm.ts");
  return await isolateWasm(candidate, options, path);
}

/** Synchronous isolated calls wait on shared memory, which only the isolation child speaks. */
function syncNeedsLibrary(path: string): PluginError {
  return new PluginError(
    "USAGE",
    `Cannot open plugin ${
      JSON.stringify(path)
    } with calls: "sync": expected a native library (.so), found an executable (a subprocess plugin)`,
    { path, hint: "leave calls out: a subprocess plugin's functions return Promises" },
  );
}

/** A WebAssembly plugin is isolated in a worker, not a process. */
function wasmNeedsWorker(path: string): PluginError {
  return new PluginError(
    "USAGE",
    `Cannot open plugin ${
      JSON.stringify(path)
    } in a child process: expected a native library or an executable, found a WebAssembly module`,
    {
      path,
      hint:
        'a WebAssembly plugin cannot crash the host in process; for timeouts open it with { isolation: "worker", timeoutMs }',
    },
  );
}

/** Only a WebAssembly module can run in a worker. */
function workerNeedsWasm(path: string, kind: string): PluginError {
  return new PluginError(
    "USAGE",
    `Cannot open plugin ${JSON.stringify(path)} in a worker: expected a WebAssembly module, found ${
      kind === "native" ? "a native library" : "an executable"
    }`,
    {
      path,
      hint: 'isolate native libraries and executables with { isolation: "process" }',
    },
  );
}

/** An executable runs in its own process: its calls cross a process boundary. */
function needsProcess(path: string): PluginError {
  return new PluginError(
    "USAGE",
    `Cannot open plugin ${
      JSON.stringify(path)
    } in this process: expected a library (.so) or a WebAssembly module, found an executable (a subprocess plugin)`,
    {
      path,
      hint:
        'open it with { isolation: "process" }: it runs as its own process, and its functions return Promises',
    },
  );
}

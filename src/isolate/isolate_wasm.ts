/**
 * `isolateWasm()`: run a checked WebAssembly plugin in Workers
 * (`isolation: "worker"`), so that a call can be stopped: `timeoutMs` gives
 * every call a deadline, after which it rejects with `PLUGIN_TIMEOUT` and
 * the plugin's code is interrupted (the module is compiled with a check at
 * the head of every loop). Calls return Promises and do not block the
 * host's thread. A trap is `PLUGIN_TRAPPED` as in process, and a fresh
 * instance serves the next call in the same worker.
 *
 * The module is compiled once in the host (and kept by SHA-256 as in
 * process) and posted to each worker, which only instantiates it. Each
 * worker of the pool has its own instance. Workers share the host's
 * permissions; the plugin reaches only what WASI grants it.
 *
 * @module
 */

import type { Signature } from "../abi/signature.ts";
import type { PluginCandidate } from "../check/check_plugin.ts";
import { Plugin } from "../handle/plugin.ts";
import { type CompiledWasm, compileWasm, type WasmLoadOptions } from "../loader/open_wasm.ts";
import { WasmRuntime } from "../loader/wasm_runtime.ts";
import { WorkerConnection } from "./_wasm_connection.ts";
import type { ToWorker } from "./_wasm_worker.ts";
import { ProcessPool } from "./_pool.ts";
import { type IsolationOptions, PooledBackend, resolveIsolation } from "./isolate_native.ts";

/** Options of a WebAssembly plugin in Workers. */
export interface WasmWorkerOptions extends IsolationOptions, WasmLoadOptions {
  /**
   * Replace a worker that died or could not be stopped: as for processes,
   * but on by default (traps and deadlines do not need it: the worker
   * replaces the instance itself).
   * @default true
   */
  restart?: IsolationOptions["restart"];
}

/** How long a worker may take to stop a call after its deadline before it is terminated. */
const INTERRUPT_GRACE_MS = 1000;

/**
 * Start a checked WebAssembly plugin in Workers.
 *
 * @example
 * ```ts ignore
 * import { checkPlugin } from "../check/check_plugin.ts";
 * import { isolateWasm } from "./isolate_wasm.ts";
 *
 * const plugin = await isolateWasm(checkPlugin("build/wasm/loop.wasm"), { timeoutMs: 100 });
 * await plugin.function("spin")(1); // rejects with PLUGIN_TIMEOUT after 100 ms
 * ```
 *
 * @param candidate what `checkPlugin` returned for the file
 * @param options timeouts, pool, restarts, log, init, memory limit and WASI grants
 * @param path the path as the caller gave it
 * @returns the handle, once every worker has loaded the plugin
 * @throws {LoadError} `IMPORT_DENIED`, `MEMORY_LIMIT`, `INIT_FAILED`, `PLUGIN_TIMEOUT`, ...
 */
export async function isolateWasm(
  candidate: PluginCandidate,
  options: WasmWorkerOptions = {},
  path: string = candidate.file.path,
): Promise<Plugin<"async">> {
  const o = resolveIsolation({ ...options, restart: options.restart ?? true });
  const c = compileWasm(candidate, options.wasm, true, path);
  const output = c.wasi?.output;
  const start = wasmStart(candidate, c, path, options.init ?? true);
  const pool = new ProcessPool({
    path,
    plugin: { ...candidate.metadata, sha256: candidate.file.sha256 },
    size: o.pool,
    timeoutMs: o.timeoutMs,
    graceMs: o.graceMs,
    restart: o.restart,
    log: o.log,
    connect: (onEnd) =>
      new WorkerConnection({
        path,
        start,
        startTimeoutMs: o.startTimeoutMs,
        interruptGraceMs: INTERRUPT_GRACE_MS,
        onOutput: typeof output === "function" ? output : undefined,
        onEnd,
      }),
  });
  await pool.start();
  return new Plugin({
    candidate,
    backend: new WorkerBackend(pool, path, candidate),
    calls: "async",
    isolation: "worker",
    path,
  });
}

/**
 * The message that starts a plugin's worker.
 *
 * @param candidate the checked file
 * @param c the compiled module and limits
 * @param path the path as the caller gave it
 * @param init run the init hook
 * @returns the message
 */
export function wasmStart(
  candidate: PluginCandidate,
  c: CompiledWasm,
  path: string,
  init = true,
): Extract<ToWorker, { type: "start" }> {
  const output = c.wasi?.output;
  return {
    type: "start",
    init: {
      path,
      module: c.module,
      abi: candidate.metadata.abi,
      hooks: candidate.metadata.hooks,
      maxBytes: c.maxBytes,
      wasi: c.wasi && { ...c.wasi, output: typeof output === "function" ? "forward" : output },
      init,
    },
  };
}

/** The pooled backend, with what a WebAssembly plugin can take. */
class WorkerBackend extends PooledBackend {
  #candidate: PluginCandidate;

  constructor(pool: ProcessPool, path: string, candidate: PluginCandidate) {
    super(pool, path);
    this.#candidate = candidate;
  }

  override checkBindable(sigs: readonly Signature[], path: string): void {
    WasmRuntime.checkBindable(sigs, path);
    for (const sig of sigs) this.#candidate.requireFunction(sig.name);
  }
}

// Generated from src/isolate/isolate_wasm.ts by tasks/dist.ts (deno task dist): do not edit.
import { Plugin } from "../handle/plugin.js";
import { compileWasm } from "../loader/open_wasm.js";
import { WasmRuntime } from "../loader/wasm_runtime.js";
import { WorkerConnection } from "./_wasm_connection.js";
import { ProcessPool } from "./_pool.js";
import { PooledBackend, resolveIsolation } from "./isolate_native.js";
const INTERRUPT_GRACE_MS = 1000;
export async function isolateWasm(candidate, options = {}, path = candidate.file.path) {
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
        connect: (onEnd) => new WorkerConnection({
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
export function wasmStart(candidate, c, path, init = true) {
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
class WorkerBackend extends PooledBackend {
    #candidate;
    constructor(pool, path, candidate) {
        super(pool, path);
        this.#candidate = candidate;
    }
    checkBindable(sigs, path) {
        WasmRuntime.checkBindable(sigs, path);
        for (const sig of sigs)
            this.#candidate.requireFunction(sig.name);
    }
}

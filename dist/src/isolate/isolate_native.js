// Generated from src/isolate/isolate_native.ts by tasks/dist.ts (deno task dist): do not edit.
import { PluginError } from "../errors/plugin_error.js";
import { Plugin, } from "../handle/plugin.js";
import { CallError } from "../errors/plugin_error.js";
import { childCommand, ChildConnection, ensureChildCached, } from "./_connection.js";
import { ProcessPool } from "./_pool.js";
import { assertIsolatable } from "./_protocol.js";
import { shmSupported } from "./_shm.js";
import { resolveSandbox } from "./sandbox.js";
export function resolveIsolation(o) {
    const pool = positive(o.pool, 1, "pool");
    if (!Number.isInteger(pool))
        throw usage("pool", o.pool);
    const r = o.restart === true ? {} : o.restart || undefined;
    return {
        timeoutMs: positive(o.timeoutMs, Infinity, "timeoutMs"),
        startTimeoutMs: positive(o.startTimeoutMs, 10000, "startTimeoutMs"),
        graceMs: positive(o.closeGraceMs, 2000, "closeGraceMs", true),
        pool,
        restart: r && {
            maxRestarts: positive(r.maxRestarts, 5, "restart.maxRestarts", true),
            backoffMs: positive(r.backoffMs, 100, "restart.backoffMs", true),
            maxBackoffMs: positive(r.maxBackoffMs, 5000, "restart.maxBackoffMs", true),
        },
        log: o.log ?? defaultLog,
    };
}
export async function isolateNative(candidate, options, path = candidate.file.path) {
    const calls = options.calls ?? "async";
    const transport = resolveTransport(options, path);
    const withDeadline = calls === "sync"
        ? { ...options, timeoutMs: options.timeoutMs ?? SYNC_TIMEOUT_MS }
        : options;
    if (calls === "sync" && withDeadline.timeoutMs === Infinity) {
        throw new PluginError("USAGE", `Invalid option timeoutMs: expected a finite number with calls: "sync", found Infinity`, {
            path,
            hint: "a synchronous call that never returns would freeze this thread: give it a deadline",
        });
    }
    const pool = await startPool({
        path,
        file: candidate.file,
        name: candidate.metadata.name,
        version: candidate.metadata.version,
        load: {
            load: options.load ?? "memfd",
            init: options.init ?? true,
            allowInsecurePermissions: options.allowInsecurePermissions ?? false,
        },
        options: withDeadline,
        transport,
    });
    const backend = new PooledBackend(pool, path, "plugin", calls);
    return calls === "sync"
        ? new Plugin({ candidate, backend, calls: "sync", isolation: "process", path })
        : new Plugin({ candidate, backend, calls: "async", isolation: "process", path });
}
const SYNC_TIMEOUT_MS = 1000;
function resolveTransport(options, path) {
    const t = options.transport ?? "auto";
    if (t !== "auto" && t !== "shared-memory" && t !== "pipe") {
        throw new PluginError("USAGE", `Invalid option transport: expected "auto", "shared-memory" or "pipe", found ${String(t)}`, { path, hint: "leave it out for the default" });
    }
    const calls = options.calls ?? "async";
    if (calls !== "async" && calls !== "sync") {
        throw new PluginError("USAGE", `Invalid option calls: expected "async" or "sync", found ${String(calls)}`, { path, hint: "leave it out for the default" });
    }
    const needs = calls === "sync"
        ? 'calls: "sync"'
        : t === "shared-memory"
            ? `transport: "shared-memory"`
            : undefined;
    if (needs === undefined)
        return t;
    if (t === "pipe") {
        throw new PluginError("USAGE", `Cannot open plugin ${JSON.stringify(path)} with calls: "sync" over pipes: expected transport "auto" or "shared-memory", found "pipe"`, { path, hint: "a synchronous call waits on shared memory: leave transport out" });
    }
    if (!shmSupported()) {
        throw new PluginError("USAGE", `Cannot open plugin ${JSON.stringify(path)} with ${needs}: expected shared memory between the host and its children, found ${Deno.build.os !== "linux" ? `${Deno.build.os}, not Linux` : "no unrestricted --allow-ffi"}`, {
            path,
            hint: Deno.build.os !== "linux"
                ? "leave the option out: calls then return Promises over pipes"
                : "run the host with --allow-ffi (without a path list), or leave the option out",
        });
    }
    return "shared-memory";
}
export async function startPool(start) {
    const { path, file } = start;
    const o = resolveIsolation(start.options);
    const command = childCommand(path, file.realPath);
    const sandbox = resolveSandbox(start.options.sandbox, { path, realPath: file.realPath });
    const load = {
        ...start.load,
        path,
        sha256: file.sha256,
        ...(sandbox ? { sandbox } : {}),
    };
    const pool = new ProcessPool({
        path,
        plugin: { name: start.name, version: start.version, sha256: file.sha256 },
        size: o.pool,
        timeoutMs: o.timeoutMs,
        graceMs: o.graceMs,
        restart: o.restart,
        log: o.log,
        connect: (onEnd, onStderr) => new ChildConnection({
            ...command,
            path,
            load,
            startTimeoutMs: o.startTimeoutMs,
            onStderr,
            onEnd,
            transport: start.transport ?? "auto",
        }),
    });
    await ensureChildCached();
    await pool.start();
    return pool;
}
export class PooledBackend {
    #pool;
    #path;
    #subject;
    #calls;
    #binds = new Map();
    constructor(pool, path, subject = "plugin", calls = "async") {
        this.#pool = pool;
        this.#path = path;
        this.#subject = subject;
        this.#calls = calls;
    }
    checkBindable(sigs, path) {
        for (const sig of sigs)
            assertIsolatable(sig, path, this.#subject);
    }
    bind(sigs, state) {
        const fresh = [];
        const out = {};
        const path = this.#path;
        const pool = this.#pool;
        for (const sig of sigs) {
            const key = signatureKey(sig);
            let f = this.#binds.get(key);
            if (!f) {
                const buffers = [];
                sig.parameters.forEach((t, i) => t === "buffer" && buffers.push(i));
                f = Object.freeze({ index: this.#binds.size, sig, buffers });
                this.#binds.set(key, f);
                fresh.push(f);
            }
            const bound = f;
            const closed = () => new CallError("CLOSED", path, sig.name, "the plugin handle is closed", {
                hint: "open the plugin again; functions of a closed handle cannot be called",
            });
            const fn = this.#calls === "sync"
                ? (...args) => {
                    if (state.closed)
                        throw closed();
                    return pool.callSync(bound, args);
                }
                : (...args) => state.closed ? Promise.reject(closed()) : pool.call(bound, args);
            out[sig.name] = Object.defineProperty(fn, "name", { value: sig.name });
        }
        if (fresh.length > 0)
            pool.bind(fresh);
        return Object.freeze(out);
    }
    async close() {
        await this.#pool.close();
        return { unloaded: true };
    }
    processes() {
        return this.#pool.state();
    }
}
function signatureKey(sig) {
    return `${sig.fallible ? "fallible " : ""}${sig.result} ${sig.name}(${sig.parameters.join(",")})`;
}
function defaultLog(r) {
    if (r.event === "stderr")
        console.error(`[${r.plugin} ${r.pid}] ${r.message}`);
    else if (r.level === "warn" || r.level === "error")
        console.error(`plugboard: ${r.message}`);
}
function positive(v, fallback, name, zeroOk = false) {
    if (v === undefined)
        return fallback;
    if (typeof v !== "number" || Number.isNaN(v) || v < 0 || (!zeroOk && v === 0)) {
        throw usage(name, v);
    }
    return v;
}
function usage(name, v) {
    return new PluginError("USAGE", `Invalid option ${name}: expected a positive number, found ${String(v)}`, { hint: `pass ${name} as a positive number, or leave it out for the default` });
}

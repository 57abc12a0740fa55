// Generated from src/isolate/isolate_executable.ts by tasks/dist.ts (deno task dist): do not edit.
import { formatOf } from "../check/check_plugin.js";
import { CallError } from "../errors/plugin_error.js";
import { Plugin, } from "../handle/plugin.js";
import { ProcessPool } from "./_pool.js";
import { RpcConnection } from "./_rpc_connection.js";
import { OneShotProgram } from "./_rpc_oneshot.js";
import { ensureLauncherCached } from "./_rpc_process.js";
import { resolveSandbox, SANDBOX_MODULE } from "./sandbox.js";
import { dirname } from "../file/paths.js";
import { assertIsolatable } from "./_protocol.js";
import { bindRpcFunction } from "./_rpc_protocol.js";
import { PooledBackend, resolveIsolation } from "./isolate_native.js";
export async function isolateExecutable(candidate, options, path = candidate.file.path) {
    const o = resolveIsolation(options);
    const sidecar = formatOf(candidate).sidecar;
    const sandbox = programSandbox(candidate.file, options.sandbox, path);
    const rpc = sidecar.rpc;
    const program = candidate.file.path;
    const sha256 = candidate.file.sha256;
    await ensureLauncherCached();
    const quietLog = (onStderr) => (r) => {
        if (r.event === "stderr")
            onStderr(r.message, r.pid);
    };
    if (rpc.mode === "oneshot") {
        const oneShot = new OneShotProgram(program, rpc, {
            env: options.env,
            sha256,
            timeoutMs: o.timeoutMs,
            maxOutputBytes: options.maxLineBytes,
            launcher: options.launcher,
            sandbox,
            log: o.log,
        });
        return new Plugin({
            candidate,
            backend: new OneShotBackend(oneShot, rpc, path),
            calls: "async",
            isolation: "process",
            path,
        });
    }
    const pool = new ProcessPool({
        path,
        plugin: { ...candidate.metadata, sha256 },
        size: o.pool,
        timeoutMs: o.timeoutMs,
        graceMs: o.graceMs,
        restart: o.restart,
        log: o.log,
        connect: (onEnd, onStderr) => new RpcPoolConnection(new RpcConnection(program, {
            args: options.args,
            env: options.env,
            expected: rpc,
            sidecarPath: sidecar.path,
            sha256,
            startTimeoutMs: o.startTimeoutMs,
            closeGraceMs: o.graceMs,
            maxLineBytes: options.maxLineBytes,
            launcher: options.launcher,
            sandbox,
            log: quietLog(onStderr),
        }), rpc, path, onEnd),
    });
    await pool.start();
    return new Plugin({
        candidate,
        backend: new PooledBackend(pool, path),
        calls: "async",
        isolation: "process",
        path,
    });
}
export function programSandbox(file, option, path) {
    if (option === undefined || option === false)
        return undefined;
    const program = file.realPath;
    const interpreter = interpreterOf(file.bytes);
    const o = option === true ? {} : option;
    const resolved = resolveSandbox({
        ...o,
        read: [...(o.read ?? []), ...interpreter.map((i) => dirname(dirname(i)))],
    }, { path, realPath: program, execute: [program, ...interpreter] });
    return {
        module: SANDBOX_MODULE,
        policy: resolved.policy,
        options: {
            bestEffort: resolved.bestEffort,
            allowUnconfined: resolved.allowUnconfined,
            allowExec: !resolved.policy.processes,
            path,
        },
        exec: !resolved.policy.processes,
    };
}
function interpreterOf(bytes) {
    if (bytes[0] !== 0x23 || bytes[1] !== 0x21)
        return [];
    const end = bytes.indexOf(0x0a);
    const line = new TextDecoder().decode(bytes.subarray(2, end === -1 ? Math.min(bytes.length, 256) : end));
    const [interpreter, arg] = line.trim().split(/\s+/);
    if (!interpreter)
        return [];
    const out = [realOrSelf(interpreter)];
    if (interpreter.endsWith("/env") && arg && !arg.startsWith("-")) {
        for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
            try {
                if (Deno.statSync(`${dir}/${arg}`).isFile) {
                    out.push(realOrSelf(`${dir}/${arg}`));
                    break;
                }
            }
            catch {
            }
        }
    }
    return out;
}
function realOrSelf(path) {
    try {
        return Deno.realPathSync(path);
    }
    catch {
        return path;
    }
}
class RpcPoolConnection {
    #conn;
    #rpc;
    #path;
    #fns = new Map();
    constructor(conn, rpc, path, onEnd) {
        this.#conn = conn;
        this.#rpc = rpc;
        this.#path = path;
        conn.ended.then((end) => onEnd(this, { ...end, function: undefined }));
    }
    get pid() {
        return this.#conn.pid;
    }
    get alive() {
        return this.#conn.alive;
    }
    get pending() {
        return this.#conn.pending;
    }
    start() {
        return this.#conn.start();
    }
    bind(fns) {
        for (const f of fns)
            this.#fns.set(f.index, bindRpcFunction(this.#rpc, f.sig, this.#path));
        return Promise.resolve();
    }
    call(f, args, timeoutMs) {
        let fn = this.#fns.get(f.index);
        if (!fn) {
            try {
                fn = bindRpcFunction(this.#rpc, f.sig, this.#path);
            }
            catch (e) {
                return Promise.reject(e);
            }
            this.#fns.set(f.index, fn);
        }
        return this.#conn.call(fn, args, timeoutMs);
    }
    async shutdown() {
        return { ...await this.#conn.close(), function: undefined };
    }
    async kill() {
        return { ...await this.#conn.kill(), function: undefined };
    }
}
class OneShotBackend {
    #program;
    #rpc;
    #path;
    constructor(program, rpc, path) {
        this.#program = program;
        this.#rpc = rpc;
        this.#path = path;
    }
    checkBindable(sigs, path) {
        for (const sig of sigs)
            assertIsolatable(sig, path);
    }
    bind(sigs, state) {
        const out = {};
        for (const sig of sigs) {
            const fn = bindRpcFunction(this.#rpc, sig, this.#path);
            const path = this.#path;
            out[sig.name] = Object.defineProperty((...args) => state.closed
                ? Promise.reject(new CallError("CLOSED", path, sig.name, "the plugin handle is closed", {
                    hint: "open the plugin again; functions of a closed handle cannot be called",
                }))
                : this.#program.call(fn, args), "name", { value: sig.name });
        }
        return Object.freeze(out);
    }
    async close() {
        await this.#program[Symbol.asyncDispose]();
        return { unloaded: true };
    }
}

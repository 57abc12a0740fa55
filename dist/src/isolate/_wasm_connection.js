// Generated from src/isolate/_wasm_connection.ts by tasks/dist.ts (deno task dist): do not edit.
import { CallError, LoadError } from "../errors/plugin_error.js";
import { fits, invalidArgument } from "../handle/arguments.js";
import { errorFromData } from "./_protocol.js";
const WORKER_URL = new URL("./_wasm_worker.js", import.meta.url);
export class WorkerConnection {
    pid = Deno.pid;
    ended;
    #opts;
    #worker;
    #queue = [];
    #running;
    #nextId = 1;
    #interrupt;
    #graceTimer;
    #dead = false;
    #startExpired = false;
    #starting;
    #closing;
    #resolveEnded;
    constructor(opts) {
        this.#opts = opts;
        this.ended = new Promise((r) => this.#resolveEnded = r);
    }
    get pending() {
        return this.#queue.length + (this.#running ? 1 : 0);
    }
    get alive() {
        return !this.#dead && this.#closing === undefined;
    }
    start() {
        const worker = new Worker(WORKER_URL, { type: "module" });
        this.#worker = worker;
        worker.onmessage = (e) => this.#onMessage(e.data);
        worker.onerror = (e) => {
            e.preventDefault();
            this.#end("crash", undefined);
        };
        return new Promise((resolve, reject) => {
            const ms = this.#opts.startTimeoutMs;
            const timer = setTimeout(() => {
                const err = new LoadError("PLUGIN_TIMEOUT", {
                    path: this.#opts.path,
                    what: "the plugin did not finish loading in time",
                    expected: `its worker to start and load it within ${ms} ms`,
                    found: "no answer; the worker was stopped",
                    hint: "a constructor or the init hook loops; fix the plugin, or raise startTimeoutMs",
                });
                this.#starting = undefined;
                this.#startExpired = true;
                reject(err);
                this.#end("handshake", err);
            }, ms);
            this.#starting = {
                resolve: () => {
                    clearTimeout(timer);
                    resolve();
                },
                reject: (e) => {
                    clearTimeout(timer);
                    reject(e);
                },
            };
            worker.postMessage(this.#opts.start);
        });
    }
    bind(fns) {
        if (!this.alive)
            return Promise.resolve();
        this.#post({ type: "bind", fns: fns.map((f) => ({ index: f.index, sig: f.sig })) });
        return Promise.resolve();
    }
    call(f, args, timeoutMs) {
        const sig = f.sig;
        const params = sig.parameters;
        const path = this.#opts.path;
        if (args.length !== params.length) {
            return Promise.reject(new CallError("INVALID_ARGUMENT", path, sig.name, `expected ${params.length} argument(s), found ${args.length}`, { hint: `call it as ${sig.name}(${params.join(", ")})` }));
        }
        for (let i = 0; i < params.length; i++) {
            if (!fits(params[i], args[i])) {
                return Promise.reject(invalidArgument(path, sig.name, i, params[i], args[i]));
            }
        }
        if (!this.alive)
            return Promise.reject(this.#deadError(sig.name));
        return new Promise((resolve, reject) => {
            const call = {
                id: this.#nextId++,
                f,
                args,
                resolve,
                reject,
                timer: undefined,
                settled: false,
            };
            if (timeoutMs !== Infinity) {
                call.timer = setTimeout(() => this.#deadline(call, timeoutMs), timeoutMs);
            }
            this.#queue.push(call);
            this.#next();
        });
    }
    shutdown(graceMs) {
        if (this.#dead)
            return this.ended;
        if (!this.#closing) {
            const timer = setTimeout(() => this.#end("closed", undefined, undefined, true), graceMs);
            this.#closing = {
                resolve: () => {
                    clearTimeout(timer);
                    this.#end("closed", undefined, undefined, false);
                },
            };
            for (const c of this.#queue.splice(0))
                this.#settle(c, undefined, this.#closedError(c));
            if (!this.#running)
                this.#post({ type: "close" });
        }
        return this.ended;
    }
    kill() {
        this.#end("closed", undefined, undefined, true);
        return this.ended;
    }
    #post(msg) {
        this.#worker?.postMessage(msg);
    }
    #next() {
        if (this.#running || this.#dead)
            return;
        const call = this.#queue.shift();
        if (!call) {
            if (this.#closing)
                this.#post({ type: "close" });
            return;
        }
        this.#running = call;
        try {
            this.#post({
                type: "call",
                id: call.id,
                index: call.f.index,
                args: call.args,
                buffers: call.f.buffers,
            });
        }
        catch (e) {
            this.#running = undefined;
            this.#settle(call, undefined, e);
            this.#next();
        }
    }
    #onMessage(msg) {
        switch (msg.type) {
            case "instance":
                this.#interrupt = msg.interrupt ? new Int32Array(msg.interrupt) : undefined;
                if (this.#interrupt && (this.#running?.settled || this.#startExpired)) {
                    Atomics.store(this.#interrupt, 0, 1);
                }
                return;
            case "started":
                this.#starting?.resolve();
                this.#starting = undefined;
                return;
            case "start-failed": {
                const err = errorFromData(msg.error);
                this.#starting?.reject(err);
                this.#starting = undefined;
                this.#end("handshake", err);
                return;
            }
            case "output":
                this.#opts.onOutput?.(msg.fd, msg.bytes);
                return;
            case "closed":
                this.#closing?.resolve();
                return;
            case "result":
            case "error": {
                const call = this.#running;
                if (!call || call.id !== msg.id)
                    return;
                this.#running = undefined;
                clearTimeout(this.#graceTimer);
                this.#graceTimer = undefined;
                if (call.settled && this.#interrupt)
                    Atomics.store(this.#interrupt, 0, 0);
                if (msg.type === "result") {
                    for (let k = 0; k < call.f.buffers.length; k++) {
                        call.args[call.f.buffers[k]].set(msg.buffers[k]);
                    }
                    this.#settle(call, msg.value, undefined);
                }
                else {
                    this.#settle(call, undefined, errorFromData(msg.error));
                }
                this.#next();
                return;
            }
        }
    }
    #settle(call, value, error) {
        clearTimeout(call.timer);
        if (call.settled)
            return;
        call.settled = true;
        if (error !== undefined)
            call.reject(error);
        else
            call.resolve(value);
    }
    #deadline(call, ms) {
        call.timer = undefined;
        const path = this.#opts.path;
        this.#settle(call, undefined, new CallError("PLUGIN_TIMEOUT", path, call.f.sig.name, `no result within ${ms} ms${this.#running === call
            ? "; the call was interrupted and a fresh instance serves the next call"
            : "; it had not started (an earlier call was still running)"}`, { hint: "raise timeoutMs if the function is only slow, or fix the plugin's loop" }));
        if (this.#running !== call) {
            this.#queue = this.#queue.filter((c) => c !== call);
            return;
        }
        if (this.#interrupt)
            Atomics.store(this.#interrupt, 0, 1);
        this.#graceTimer = setTimeout(() => {
            this.#graceTimer = undefined;
            if (this.#running === call)
                this.#end("timeout", undefined, call.f.sig.name);
        }, this.#opts.interruptGraceMs);
    }
    #closedError(call) {
        return new CallError("CLOSED", this.#opts.path, call.f.sig.name, "the plugin handle is closed", {
            hint: "open the plugin again; functions of a closed handle cannot be called",
        });
    }
    #deadError(fn) {
        return new CallError("PLUGIN_CRASHED", this.#opts.path, fn, "its worker has stopped", {
            hint: "the pool starts another worker when restarts are on; open the plugin again",
        });
    }
    #end(reason, error, fn, killed = reason !== "crash") {
        if (this.#dead)
            return;
        this.#dead = true;
        clearTimeout(this.#graceTimer);
        if (this.#interrupt)
            Atomics.store(this.#interrupt, 0, 1);
        this.#worker?.terminate();
        this.#worker = undefined;
        const pending = [...(this.#running ? [this.#running] : []), ...this.#queue.splice(0)];
        this.#running = undefined;
        let first = error;
        for (const c of pending) {
            const err = reason === "closed" ? this.#closedError(c) : new CallError(reason === "timeout" ? "PLUGIN_TIMEOUT" : "PLUGIN_CRASHED", this.#opts.path, c.f.sig.name, reason === "timeout"
                ? "its worker did not stop after the call was interrupted; it was terminated"
                : "its worker stopped", { hint: "the pool starts another worker when restarts are on" });
            first ??= err;
            this.#settle(c, undefined, err);
        }
        const exit = {
            pid: this.pid,
            exitCode: null,
            signal: null,
            signalNumber: null,
            stderrTail: [],
        };
        const end = {
            exit,
            reason,
            error: first,
            function: fn ?? pending[0]?.f.sig.name,
            killed,
        };
        this.#resolveEnded(end);
        this.#opts.onEnd(this, end);
    }
}

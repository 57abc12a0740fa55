// Generated from src/isolate/_rpc_connection.ts by tasks/dist.ts (deno task dist): do not edit.
import { CallError, LoadError, PluginError, quote } from "../errors/plugin_error.js";
import { logRecord } from "../log/log_record.js";
import { CrashError, describeChildExit } from "../errors/crash_error.js";
import { Fairness, LineBuffer } from "./_rpc_lines.js";
import { checkProgram, drain, LAUNCHER_DEFAULT, ProgramProcess, readStderr, } from "./_rpc_process.js";
import { compareRpcMetadata, decodeBuffers, decodeResult, DEFAULT_MAX_LINE_BYTES, encodeRequest, parseReply, parseRpcMetadata, ProtocolViolation, quoteShort, RPC_PROTOCOL, RPC_VERSIONS, SIDECAR_SUFFIX, } from "./_rpc_protocol.js";
import { bindFunction, useInterface } from "./_rpc_target.js";
const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true });
export async function openRpcConnection(path, options = {}) {
    if (options.expected && options.expected.mode !== "rpc") {
        throw new PluginError("USAGE", `Cannot start plugin ${quote(path)} as a process: its sidecar declares mode ${quote(options.expected.mode)}`, { path, hint: "open one-shot plugins with openOneShot(), which runs the program per call" });
    }
    checkProgram(path, options.sha256);
    const conn = new RpcConnection(path, options);
    await conn.start();
    return conn;
}
export class RpcConnection {
    path;
    pid;
    ended;
    #opts;
    #proc;
    #writer;
    #out = [];
    #flushQueued = false;
    #pending = new Map();
    #nextId = 1;
    #timeoutMs;
    #maxLine;
    #timer;
    #timerAt = Infinity;
    #meta;
    #cause = { kind: "none" };
    #startError;
    #handshake;
    #handshakeDone;
    #dead = false;
    #closing;
    #refd = true;
    #tail = [];
    #log;
    #resolveEnded;
    constructor(path, options = {}) {
        this.path = path;
        this.#opts = options;
        this.#timeoutMs = options.timeoutMs ?? Infinity;
        this.#maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
        this.#log = options.log ?? defaultLog;
        this.ended = new Promise((r) => this.#resolveEnded = r);
        this.#handshakeDone = new Promise((resolve, reject) => {
            this.#handshake = { resolve, reject };
        });
        this.#handshakeDone.catch(() => { });
        this.#proc = new ProgramProcess(path, {
            args: options.args ?? [],
            env: options.env ?? {},
            cwd: options.cwd,
            mode: "rpc",
            maxLineBytes: this.#maxLine,
            stdin: "piped",
            launcher: options.launcher ?? LAUNCHER_DEFAULT,
            sandbox: options.sandbox,
        });
        this.pid = this.#proc.pid;
        this.#writer = this.#proc.child.stdin.getWriter();
        const stdoutDone = this.#readStdout();
        const stderrDone = readStderr(this.#proc.child.stderr, this.#tail, (line) => {
            this.#emit("info", "stderr", line, { pid: this.pid });
        });
        void this.#watch(Promise.all([stdoutDone, stderrDone]));
    }
    get metadata() {
        if (!this.#meta) {
            throw new PluginError("USAGE", `Plugin ${quote(this.path)} has not completed its handshake`, {
                path: this.path,
                hint: "open subprocess plugins with openRpcConnection(), which waits for the handshake",
            });
        }
        return this.#meta;
    }
    get pending() {
        return this.#pending.size;
    }
    get alive() {
        return !this.#dead && this.#cause.kind === "none" && this.#closing === undefined;
    }
    async start() {
        const ms = this.#opts.startTimeoutMs ?? 5000;
        const timer = setTimeout(() => {
            if (!this.#meta)
                this.#stop({ kind: "handshake", found: `nothing within ${ms} ms` });
        }, ms);
        try {
            await this.#handshakeDone;
        }
        finally {
            clearTimeout(timer);
        }
        this.#emit("debug", "spawn", `started subprocess plugin ${this.#meta.name}`, {
            pid: this.pid,
        });
        this.#setRef(false);
    }
    function(sig) {
        return bindFunction(this, sig);
    }
    use(spec) {
        return useInterface(this, spec);
    }
    call(fn, args, timeoutMs = this.#timeoutMs) {
        if (!this.alive)
            return Promise.reject(this.#goneError(fn.sig.name));
        const id = this.#nextId;
        let bytes;
        try {
            bytes = encoder.encode(encodeRequest(id, fn, args, this.path) + "\n");
        }
        catch (e) {
            return Promise.reject(e);
        }
        if (bytes.length - 1 > this.#maxLine) {
            return Promise.reject(new CallError("INVALID_ARGUMENT", this.path, fn.sig.name, `the request would be a line of ${bytes.length - 1} bytes, longer than the limit of ${this.#maxLine}`, { hint: "pass less data per call, or raise maxLineBytes" }));
        }
        this.#nextId = id === Number.MAX_SAFE_INTEGER ? 1 : id + 1;
        this.#out.push(bytes);
        this.#scheduleFlush();
        return new Promise((resolve, reject) => {
            const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
            if (this.#pending.size === 0)
                this.#setRef(true);
            this.#pending.set(id, { fn, args, deadline, timeoutMs, resolve, reject });
            if (deadline < this.#timerAt) {
                clearTimeout(this.#timer);
                this.#arm(deadline);
            }
        });
    }
    close() {
        if (this.#closing)
            return this.#closing;
        const graceMs = this.#opts.closeGraceMs ?? 2000;
        this.#setRef(true);
        this.#closing = this.ended;
        if (!this.#dead) {
            this.#flush();
            this.#writer.close().catch(() => { });
            const timer = setTimeout(() => this.#stop({ kind: "closed", graceMs }), graceMs);
            void this.ended.then(() => clearTimeout(timer));
        }
        return this.#closing;
    }
    kill() {
        this.#closing ??= this.ended;
        this.#stop({ kind: "closed", graceMs: 0 });
        return this.ended;
    }
    async [Symbol.asyncDispose]() {
        await this.close();
    }
    #setRef(on) {
        if (this.#refd === on || this.#dead)
            return;
        this.#refd = on;
        if (on)
            this.#proc.child.ref();
        else
            this.#proc.child.unref();
    }
    #scheduleFlush() {
        if (this.#flushQueued)
            return;
        this.#flushQueued = true;
        queueMicrotask(() => this.#flush());
    }
    #flush() {
        this.#flushQueued = false;
        const out = this.#out;
        if (out.length === 0 || this.#dead)
            return;
        this.#out = [];
        let bytes = out[0];
        if (out.length > 1) {
            bytes = new Uint8Array(out.reduce((n, b) => n + b.length, 0));
            let at = 0;
            for (const b of out) {
                bytes.set(b, at);
                at += b.length;
            }
        }
        this.#writer.write(bytes).catch(() => {
        });
    }
    #arm(deadline) {
        this.#timerAt = deadline;
        const t = setTimeout(() => this.#checkDeadlines(), Math.max(0, deadline - performance.now()));
        Deno.unrefTimer(t);
        this.#timer = t;
    }
    #checkDeadlines() {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        if (this.#dead || this.#cause.kind !== "none")
            return;
        const now = performance.now();
        let next = Infinity;
        for (const [id, p] of this.#pending) {
            if (p.deadline <= now) {
                this.#timeout(id, p);
                return;
            }
            if (p.deadline < next)
                next = p.deadline;
        }
        if (next !== Infinity)
            this.#arm(next);
    }
    #timeout(id, late) {
        const fn = late.fn.sig.name;
        this.#cause = { kind: "timeout", fn, ms: late.timeoutMs };
        const pending = [...this.#pending.entries()];
        this.#pending.clear();
        const error = new CallError("PLUGIN_TIMEOUT", this.path, fn, `expected a reply within ${late.timeoutMs} ms, found none: the program (pid ${this.pid}) was killed`, { hint: "the plugin hangs or is slower than timeoutMs allows; fix it or raise timeoutMs" });
        this.#emit("error", "timeout", error.summary, { pid: this.pid, code: error.code });
        for (const [pid, p] of pending) {
            p.reject(pid === id ? error : new CallError("PLUGIN_TIMEOUT", this.path, p.fn.sig.name, `expected a reply, found none: the program (pid ${this.pid}) was killed because the call ${fn}() timed out after ${late.timeoutMs} ms`, { hint: "call it again once the plugin is restarted" }));
        }
        this.#setRef(true);
        this.#proc.stop();
    }
    #stop(cause) {
        if (this.#dead || this.#cause.kind !== "none")
            return;
        this.#cause = cause;
        this.#setRef(true);
        this.#proc.stop();
    }
    async #readStdout() {
        const reader = this.#proc.child.stdout.getReader();
        const lines = new LineBuffer(this.#maxLine, "error");
        const onLine = (bytes) => this.#onLine(bytes);
        const fairness = new Fairness();
        let stopped = false;
        try {
            for (;;) {
                const { value, done } = await reader.read();
                if (done)
                    break;
                const r = lines.push(value, onLine);
                if (r === "ok") {
                    if (performance.now() >= this.#timerAt)
                        this.#checkDeadlines();
                    await fairness.turn();
                    continue;
                }
                if (r === "overflow") {
                    this.#violation(`a line longer than the limit of ${this.#maxLine} bytes`);
                }
                stopped = true;
                break;
            }
        }
        catch {
        }
        if (stopped)
            await reader.cancel().catch(() => { });
        else
            reader.releaseLock();
    }
    #onLine(bytes) {
        if (this.#cause.kind !== "none")
            return false;
        if (bytes.length === 0)
            return true;
        let text;
        try {
            text = utf8.decode(bytes);
        }
        catch {
            this.#violation("a line that is not UTF-8");
            return false;
        }
        if (text.trim() === "")
            return true;
        if (!this.#meta)
            return this.#onHandshake(text);
        try {
            const reply = parseReply(text);
            const p = this.#pending.get(reply.id);
            if (!p) {
                throw new ProtocolViolation(`a reply to request ${reply.id}, which is not pending`);
            }
            if (reply.error) {
                this.#settled(reply.id);
                const { code, message } = reply.error;
                p.reject(new CallError("CALL_FAILED", this.path, p.fn.sig.name, message || `the plugin reported error ${code}`, {
                    pluginCode: code,
                    hint: code <= -32600 && code >= -32700
                        ? `the plugin did not understand the request (code ${code}); host and plugin disagree on the protocol or the interface`
                        : "the plugin reported this error; check the arguments or the plugin's documentation",
                }));
                return true;
            }
            const result = decodeResult(p.fn.sig.result, reply.result);
            const buffers = decodeBuffers(p.fn, p.args, reply.buffers);
            this.#settled(reply.id);
            for (let k = 0; k < buffers.length; k++) {
                const b = buffers[k];
                const target = p.args[p.fn.buffers[k]];
                if (b && target.length > 0)
                    target.set(b);
            }
            p.resolve(result);
            return true;
        }
        catch (e) {
            if (!(e instanceof ProtocolViolation))
                throw e;
            this.#violation(e.found);
            return false;
        }
    }
    #settled(id) {
        this.#pending.delete(id);
        if (this.#pending.size === 0 && this.#meta && !this.#closing)
            this.#setRef(false);
    }
    #onHandshake(text) {
        let value;
        try {
            value = JSON.parse(text);
        }
        catch {
            this.#violation(`a first line that is not JSON: ${quoteShort(text)}`);
            return false;
        }
        let meta;
        try {
            meta = parseRpcMetadata(value, this.path, "handshake");
            const expected = this.#opts.expected;
            if (expected) {
                compareRpcMetadata(expected, meta, this.path, this.#opts.sidecarPath ?? this.path + SIDECAR_SUFFIX);
            }
        }
        catch (e) {
            if (!(e instanceof PluginError))
                throw e;
            this.#startError = e;
            this.#stop({ kind: "handshake", found: e.summary });
            return false;
        }
        this.#meta = meta;
        this.#handshake?.resolve();
        this.#handshake = undefined;
        return true;
    }
    #violation(found) {
        this.#stop(this.#meta ? { kind: "protocol", found } : { kind: "handshake", found });
    }
    async #watch(pipes) {
        const status = await this.#proc.child.status;
        this.#dead = true;
        this.#proc.exited();
        await drain(pipes);
        clearTimeout(this.#timer);
        this.#writer.close().catch(() => { });
        const exit = Object.freeze({
            pid: this.pid,
            exitCode: status.signal === null ? status.code : null,
            signal: status.signal,
            signalNumber: status.signal === null ? null : status.code - 128,
            stderrTail: Object.freeze([...this.#tail]),
        });
        const end = this.#settle(exit);
        this.#resolveEnded(end);
    }
    #settle(exit) {
        const cause = this.#cause;
        const killed = cause.kind !== "none";
        const program = describeChildExit(exit).replace("the child", "the program");
        if (!this.#meta) {
            const error = this.#startError ?? new LoadError("HANDSHAKE_FAILED", {
                path: this.path,
                what: `the program did not complete the ${RPC_PROTOCOL} handshake`,
                expected: `a first line {"${RPC_PROTOCOL}": ${RPC_VERSIONS.join(" or ")}, "name": ..., "interfaces": [...]} on stdout`,
                found: cause.kind === "handshake"
                    ? cause.found
                    : `${program} before answering${tailNote(exit)}`,
                hint: cause.kind === "handshake" && cause.found.startsWith("nothing")
                    ? "the program must print its handshake first (docs/subprocess.md); if it is only slow to start, raise startTimeoutMs"
                    : "the program must print its handshake line first, and only protocol lines on stdout (docs/subprocess.md)",
            });
            this.#handshake?.reject(error);
            this.#handshake = undefined;
            return Object.freeze({ exit, reason: "handshake", error, killed });
        }
        const reason = cause.kind === "none"
            ? (this.#closing ? "closed" : "crash")
            : cause.kind === "closed"
                ? "closed"
                : cause.kind === "handshake"
                    ? "protocol"
                    : cause.kind;
        const pending = [...this.#pending.values()];
        this.#pending.clear();
        let first;
        for (const p of pending) {
            const err = this.#errorFor(p, reason, cause, exit, program);
            first ??= err;
            p.reject(err);
        }
        if (reason === "closed") {
            this.#emit("info", "close", `closed subprocess plugin ${this.#meta.name}`, {
                pid: this.pid,
                exitCode: exit.exitCode,
                signal: exit.signal,
            });
        }
        else if (reason !== "timeout") {
            const summary = first?.summary ??
                (reason === "protocol"
                    ? `Plugin ${quote(this.path)} broke the protocol: ${cause.found}; the program (pid ${this.pid}) was killed`
                    : `Plugin ${quote(this.path)} crashed: ${program}`);
            this.#emit("error", "crash", summary, {
                pid: this.pid,
                exitCode: exit.exitCode,
                signal: exit.signal,
                stderrTail: exit.stderrTail,
                code: "PLUGIN_CRASHED",
            });
        }
        return Object.freeze({ exit, reason, error: first, killed });
    }
    #errorFor(p, reason, cause, exit, program) {
        const fn = p.fn.sig.name;
        if (reason === "closed" && (exit.signal === null || cause.kind === "closed")) {
            return new CallError("CLOSED", this.path, fn, cause.kind === "closed" && cause.graceMs > 0
                ? `the plugin was closed before the call returned: the program (pid ${exit.pid}) did not exit within ${cause.graceMs} ms and was killed`
                : cause.kind === "closed"
                    ? `the plugin was closed before the call returned: the program (pid ${exit.pid}) was killed`
                    : `the plugin was closed before the call returned: ${program} without answering`, { hint: "wait for pending calls before closing, or raise closeGraceMs" });
        }
        return new CrashError({
            ...exit,
            path: this.path,
            expected: `a reply to ${fn}()`,
            function: fn,
            found: cause.kind === "protocol"
                ? `${cause.found}; the program (pid ${exit.pid}) was killed`
                : program,
            hint: cause.kind === "protocol"
                ? "the program must answer each request with one JSON reply line on stdout, and write nothing else there (docs/subprocess.md)"
                : "the host kept running; fix the plugin (its stderr above may say why) and open it again",
        });
    }
    #goneError(fn) {
        if (this.#closing || this.#cause.kind === "closed") {
            return new CallError("CLOSED", this.path, fn, "the plugin is closed", {
                hint: "open it again; a closed plugin cannot be called",
            });
        }
        return new CallError("CLOSED", this.path, fn, `the program (pid ${this.pid}) is gone${this.#cause.kind === "timeout"
            ? `: it was killed after a call to ${this.#cause.fn}() timed out`
            : this.#cause.kind === "protocol"
                ? ": it was killed for breaking the protocol"
                : ": it crashed"}`, { hint: "open the plugin again" });
    }
    #emit(level, event, message, fields) {
        try {
            this.#log(logRecord(level, event, message, {
                plugin: this.#meta?.name,
                version: this.#meta?.version,
                path: this.path,
                ...fields,
            }));
        }
        catch {
        }
    }
}
function tailNote(exit) {
    const tail = exit.stderrTail.filter((l) => l.trim() !== "").slice(-3);
    return tail.length ? `; its stderr ended with ${quoteShort(tail.join(" / "), 300)}` : "";
}
export function defaultLog(r) {
    if (r.event === "stderr")
        console.error(`[${r.plugin ?? r.path} ${r.pid}] ${r.message}`);
    else if (r.level === "warn" || r.level === "error")
        console.error(`plugboard: ${r.message}`);
}
